//! ARCHITECTURE.md's code map against the tree: every crate has its part (a `### `path``
//! heading), and every top-level module and binary of the crate is named in that part.

use std::path::Path;

use super::modules::target_roots;
use super::uses::file_facts;

/// The code map's part for `heading` (`crates/mail-engine`, `src-tauri`, `ui/`): from its
/// `### ` heading to the next heading. `None` when there is no such part.
pub fn part<'a>(architecture: &'a str, heading: &str) -> Option<&'a str> {
    let start = architecture.find("## Code map")?;
    let map = &architecture[start..];
    let end = map[3..].find("\n## ").map_or(map.len(), |end| end + 3);
    let map = &map[..end];
    let marker = format!("### `{heading}`");
    let at = map.find(&marker)? + marker.len();
    let rest = &map[at..];
    let stop = rest.find("\n#").unwrap_or(rest.len());
    Some(&rest[..stop])
}

/// What a crate's part must name: `x.rs` or `x/` for each module of its library or binary
/// root, and each binary's name.
pub fn required_names(crate_dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for root in target_roots(crate_dir) {
        let relative = root.strip_prefix(crate_dir).unwrap_or(&root);
        let is_bin = relative.starts_with("src/bin");
        let is_main = relative == Path::new("src/lib.rs") || relative == Path::new("src/main.rs");
        if is_bin {
            let name = if root.file_name().is_some_and(|name| name == "main.rs") {
                root.parent().and_then(Path::file_name)
            } else {
                root.file_stem()
            };
            if let Some(name) = name.and_then(|name| name.to_str()) {
                names.push(name.to_string());
            }
        }
        if !is_main && !is_bin {
            continue;
        }
        let source = std::fs::read_to_string(&root)?;
        let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
        for module in file_facts(&source).modules {
            if module == "tests" {
                continue;
            }
            if dir.join(format!("{module}.rs")).is_file() {
                names.push(format!("{module}.rs"));
            } else {
                names.push(format!("{module}/"));
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The names of `required` that `part` does not mention.
pub fn missing<'a>(part: &str, required: &'a [String]) -> Vec<&'a str> {
    required
        .iter()
        .filter(|name| !mentions(part, name))
        .map(String::as_str)
        .collect()
}

/// Whether `text` names `name` as a whole (`sync/` is not found in `mail-sync/`, `events.rs`
/// not in `engine_events.rs`).
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARCHITECTURE: &str = "# T\n\n## Code map\n\nIntro.\n\n### `crates/a`\n\n- `sync/` runs, `core.rs` holds.\n\n### `ui/`\n\n- `state/`\n\n## Data flow\n\n### `crates/b`\n";

    #[test]
    fn a_part_ends_at_the_next_heading_and_stays_inside_the_code_map() {
        assert_eq!(
            part(ARCHITECTURE, "crates/a"),
            Some("\n\n- `sync/` runs, `core.rs` holds.\n")
        );
        assert!(part(ARCHITECTURE, "ui/").is_some());
        assert_eq!(part(ARCHITECTURE, "crates/b"), None, "outside the code map");
    }

    #[test]
    fn names_count_only_as_whole_names() {
        let text = "`mail-sync/` and `engine_events.rs`, `initial.rs`";
        let required = ["sync/".to_string(), "events.rs".into(), "initial.rs".into()];
        assert_eq!(missing(text, &required), vec!["sync/", "events.rs"]);
    }
}
