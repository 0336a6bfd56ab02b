//! Reading a Rust file's module structure without a compiler: its `mod x;` declarations,
//! the paths its `use` declarations and inline `crate::`/`super::`/`self::` paths name
//! (re-exports left out), with comments, strings and inline modules (tests) stripped.

/// What one file declares and refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// `mod x;` declarations (file modules).
    pub modules: Vec<String>,
    /// Paths the file uses, as segments (`["crate", "sync", "FolderSync"]`).
    pub paths: Vec<Vec<String>>,
    /// Names the file re-exports (`pub use a::b as c;`: `c`), with the path they stand for.
    pub reexports: Vec<(String, Vec<String>)>,
}

/// Reads the facts of a file's source text.
pub fn file_facts(source: &str) -> FileFacts {
    let mut code = strip_inline_modules(&strip_comments_and_strings(source));
    let mut facts = FileFacts::default();
    let mut uses = Vec::new();
    for keyword in ["use ", "mod "] {
        let mut from = 0;
        while let Some(offset) = code[from..].find(keyword) {
            let index = from + offset;
            from = index + keyword.len();
            if index > 0 && is_ident(code.as_bytes()[index - 1]) {
                continue;
            }
            // What stands before it in the same item: attributes and a visibility.
            let item_start = code[..index].rfind([';', '{', '}']).map_or(0, |at| at + 1);
            let before = &code[item_start..index];
            let exported = before
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "pub");
            let rest = &code[from..];
            let end = rest.find(';').unwrap_or(rest.len());
            if keyword == "mod " {
                let name = rest[..end].trim();
                if !name.is_empty() && name.bytes().all(is_ident) {
                    facts.modules.push(name.to_string());
                }
                continue;
            }
            uses.push((index, from + end));
            // A re-export is a module's face, not something it depends on.
            if exported {
                facts.reexports.extend(
                    named_use_tree(&rest[..end])
                        .into_iter()
                        .filter_map(|(path, name)| Some((name?, path))),
                );
            } else {
                facts.paths.extend(expand_use_tree(&rest[..end]));
            }
        }
    }
    // Inline paths are looked for outside the use declarations.
    for (start, end) in uses {
        code.replace_range(start..end, &" ".repeat(end - start));
    }
    let mut starts = vec!["crate".to_string(), "super".into(), "self".into()];
    starts.extend(facts.modules.iter().cloned());
    facts.paths.extend(inline_paths(&code, &starts));
    facts
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// `a::{b, c::{d, e as f}, self}` into `[a,b]`, `[a,c,d]`, `[a,c,e]`, `[a]`.
pub fn expand_use_tree(tree: &str) -> Vec<Vec<String>> {
    named_use_tree(tree)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// [`expand_use_tree`] with the name each path is known by (its alias, or its last
/// segment; none for a glob).
pub fn named_use_tree(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    let tokens = tokenize(tree);
    let mut position = 0;
    let mut out = Vec::new();
    parse_tree(&tokens, &mut position, &[], &mut out);
    out
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let single = matches!(c, '{' | '}' | ',' | '*');
        let path_separator = c == ':' && chars.peek() == Some(&':');
        if single || path_separator || c.is_whitespace() {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            if single {
                tokens.push(c.to_string());
            } else if path_separator {
                chars.next();
                tokens.push("::".into());
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// Parses one use tree at `position` under `prefix`, adding the paths it names to `out`.
fn parse_tree(
    tokens: &[String],
    position: &mut usize,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix.to_vec();
    let mut names_prefix = false;
    let mut glob = false;
    let mut alias: Option<String> = None;
    loop {
        match tokens.get(*position).map(String::as_str) {
            Some("::") => *position += 1,
            Some("{") => {
                *position += 1;
                loop {
                    match tokens.get(*position).map(String::as_str) {
                        None => return,
                        Some("}") => {
                            *position += 1;
                            return;
                        }
                        Some(",") => *position += 1,
                        Some(_) => parse_tree(tokens, position, &path, out),
                    }
                }
            }
            // A glob names the module itself.
            Some("*") => {
                *position += 1;
                names_prefix = true;
                glob = true;
            }
            // `x as y`: the path is x, known as y.
            Some("as") => {
                alias = tokens.get(*position + 1).cloned();
                *position += 2;
            }
            // `{self, …}` names the module the braces are under.
            Some("self") if !prefix.is_empty() && path.len() == prefix.len() => {
                *position += 1;
                names_prefix = true;
            }
            None | Some("}") | Some(",") => {
                if names_prefix || path.len() > prefix.len() {
                    let name = match (glob, alias) {
                        (true, _) => None,
                        (false, Some(alias)) => Some(alias),
                        (false, None) => path.last().cloned(),
                    };
                    out.push((path, name));
                }
                return;
            }
            Some(word) => {
                path.push(word.to_string());
                *position += 1;
            }
        }
    }
}

/// `crate::a::b`, `super::a`, `self::a`, `child::a` written inline in code (not in a
/// `use`), for each of `starts`.
fn inline_paths(code: &str, starts: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in starts.iter().map(|start| format!("{start}::")) {
        let start = start.as_str();
        let mut from = 0;
        while let Some(offset) = code[from..].find(start) {
            let index = from + offset;
            from = index + start.len();
            if index > 0
                && (is_ident(code.as_bytes()[index - 1]) || code.as_bytes()[index - 1] == b':')
            {
                continue;
            }
            let mut segments = vec![start.trim_end_matches(':').to_string()];
            let mut rest = &code[index + start.len()..];
            loop {
                let length = rest.bytes().take_while(|byte| is_ident(*byte)).count();
                if length == 0 {
                    break;
                }
                segments.push(rest[..length].to_string());
                rest = &rest[length..];
                match rest.strip_prefix("::") {
                    Some(more) => rest = more,
                    None => break,
                }
            }
            found.push(segments);
        }
    }
    found
}

/// Source with comments, string and char literals blanked (lengths kept).
pub fn strip_comments_and_strings(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let next = chars.get(index + 1).copied();
        if c == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while index < chars.len() {
                if chars[index] == '/' && chars.get(index + 1) == Some(&'*') {
                    depth += 1;
                    index += 2;
                } else if chars[index] == '*' && chars.get(index + 1) == Some(&'/') {
                    depth -= 1;
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    index += 1;
                }
            }
            out.push(' ');
            continue;
        }
        // Raw strings: r"…", r#"…"#, br"…".
        if (c == 'r' || (c == 'b' && next == Some('r')))
            && (index == 0 || !chars[index - 1].is_alphanumeric() && chars[index - 1] != '_')
        {
            let mut at = index + if c == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while chars.get(at) == Some(&'#') {
                hashes += 1;
                at += 1;
            }
            if chars.get(at) == Some(&'"') {
                at += 1;
                loop {
                    match chars.get(at) {
                        None => break,
                        Some('"') if (0..hashes).all(|k| chars.get(at + 1 + k) == Some(&'#')) => {
                            at += 1 + hashes;
                            break;
                        }
                        _ => at += 1,
                    }
                }
                out.push_str("\"\"");
                index = at;
                continue;
            }
        }
        if c == '"' {
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                if chars[index] == '\\' {
                    index += 1;
                }
                index += 1;
            }
            index += 1;
            out.push_str("\"\"");
            continue;
        }
        if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}'), not a lifetime ('a).
            let closing = if next == Some('\\') {
                (index + 2..chars.len().min(index + 12)).find(|&at| chars[at] == '\'')
            } else if chars.get(index + 2) == Some(&'\'') {
                Some(index + 2)
            } else {
                None
            };
            if let Some(end) = closing {
                out.push_str("' '");
                index = end + 1;
                continue;
            }
        }
        out.push(c);
        index += 1;
    }
    out
}

/// Drops inline `mod name { … }` blocks (test modules): what they use is not the file's.
fn strip_inline_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    loop {
        let found = find_inline_mod(rest);
        let Some((start, open)) = found else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..start]);
        let mut depth = 0;
        let mut end = rest.len();
        for (offset, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + offset + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
}

/// The start of the first `mod name {` and the index of its brace.
fn find_inline_mod(code: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(offset) = code[from..].find("mod ") {
        let start = from + offset;
        from = start + 4;
        if start > 0 && is_ident(code.as_bytes()[start - 1]) {
            continue;
        }
        let after = &code[start + 4..];
        let name = after.trim_start();
        let length = name.bytes().take_while(|byte| is_ident(*byte)).count();
        let tail = name[length..].trim_start();
        if length > 0 && tail.starts_with('{') {
            let brace = code.len() - tail.len();
            return Some((start, brace));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<Vec<String>> {
        list.iter()
            .map(|path| path.split("::").map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn use_trees_expand_to_every_path() {
        let cases: [(&str, &[&str]); 6] = [
            ("crate::a::B", &["crate::a::B"]),
            (
                "crate::{a::B, c::{D, E as F}}",
                &["crate::a::B", "crate::c::D", "crate::c::E"],
            ),
            ("super::x::{self, Y}", &["super::x", "super::x::Y"]),
            (
                "std::sync::{Arc, Mutex}",
                &["std::sync::Arc", "std::sync::Mutex"],
            ),
            ("super::*", &["super"]),
            (
                "crate::sync::{\n    delta_sync, with_store,\n}",
                &["crate::sync::delta_sync", "crate::sync::with_store"],
            ),
        ];
        for (tree, expected) in cases {
            assert_eq!(expand_use_tree(tree), paths(expected), "{tree}");
        }
    }

    #[test]
    fn a_file_uses_what_it_imports_and_names_but_not_what_it_reexports_or_tests() {
        let source = r#"//! A file.
mod child;
pub mod other;
pub use child::Thing;
pub(crate) use other::More;
use crate::a::{B, c::D};
use super::sibling::E; // use crate::in_a_comment::X;

fn f() {
    let text = "crate::in_a_string::Y";
    crate::inline::call();
    child::helper();
    let c = '"';
    use self::child::Local;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_only::Z;
}
"#;
        let facts = file_facts(source);
        assert_eq!(facts.modules, vec!["child", "other"]);
        assert_eq!(
            facts.reexports,
            vec![
                ("Thing".to_string(), paths(&["child::Thing"])[0].clone()),
                ("More".to_string(), paths(&["other::More"])[0].clone()),
            ]
        );
        assert_eq!(
            facts.paths,
            paths(&[
                "crate::a::B",
                "crate::a::c::D",
                "super::sibling::E",
                "self::child::Local",
                "crate::inline::call",
                "child::helper",
            ])
        );
    }
}
