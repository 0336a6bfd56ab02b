//! Inline `style` attributes made safe: parsed with a real CSS tokenizer (cssparser, the one
//! Firefox's engine uses), so escapes (`u\72 l(`), comments and odd whitespace mean what a
//! browser reads, then rebuilt from the tokens with only properties known to be harmless and
//! values that cannot load or run anything. A remote `url()` survives only where remote
//! content is allowed (and only in background properties); every other way CSS has to load
//! something (`image-set()`, `@import`, `src:`, `expression()`, …) is dropped and counted.

use cssparser::{ParseError, Parser, ToCss, Token};

/// Properties a message may style itself with. Nothing here can load a resource except the
/// two background properties (checked below), run code, or reach outside the message.
const PROPERTIES: &[&str] = &[
    "background",
    "background-color",
    "background-image",
    "background-position",
    "background-repeat",
    "background-size",
    "border",
    "border-bottom",
    "border-bottom-color",
    "border-bottom-left-radius",
    "border-bottom-right-radius",
    "border-bottom-style",
    "border-bottom-width",
    "border-collapse",
    "border-color",
    "border-left",
    "border-left-color",
    "border-left-style",
    "border-left-width",
    "border-radius",
    "border-right",
    "border-right-color",
    "border-right-style",
    "border-right-width",
    "border-spacing",
    "border-style",
    "border-top",
    "border-top-color",
    "border-top-left-radius",
    "border-top-right-radius",
    "border-top-style",
    "border-top-width",
    "border-width",
    "box-sizing",
    "caption-side",
    "clear",
    "color",
    "direction",
    "display",
    "empty-cells",
    "float",
    "font",
    "font-family",
    "font-size",
    "font-style",
    "font-variant",
    "font-weight",
    "height",
    "letter-spacing",
    "line-height",
    "list-style-position",
    "list-style-type",
    "margin",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "margin-top",
    "max-height",
    "max-width",
    "min-height",
    "min-width",
    "opacity",
    "overflow",
    "overflow-wrap",
    "overflow-x",
    "overflow-y",
    "padding",
    "padding-bottom",
    "padding-left",
    "padding-right",
    "padding-top",
    "table-layout",
    "text-align",
    "text-decoration",
    "text-decoration-color",
    "text-decoration-line",
    "text-decoration-style",
    "text-indent",
    "text-overflow",
    "text-transform",
    "vertical-align",
    "visibility",
    "white-space",
    "width",
    "word-break",
    "word-spacing",
    "word-wrap",
];

/// Properties whose value may hold a `url()` (an image behind the text).
const URL_PROPERTIES: &[&str] = &["background", "background-image"];

/// Functions that compute a value and load nothing.
const FUNCTIONS: &[&str] = &["rgb", "rgba", "hsl", "hsla", "calc", "min", "max", "clamp"];

/// Functions that load images from a list of URLs or strings: never kept, always counted.
const LOADING_FUNCTIONS: &[&str] = &[
    "image-set",
    "-webkit-image-set",
    "cross-fade",
    "-webkit-cross-fade",
    "element",
    "-moz-element",
    "image",
];

/// What became of one declaration's value.
enum Value {
    Keep(String),
    /// Harmless but not allowed (unknown function, odd token): dropped quietly.
    Drop,
    /// It would have loaded something remote: dropped and counted.
    Blocked,
}

/// The safe part of an inline style: kept declarations as `name: value` joined by `; `,
/// and how many were dropped because they would load remote content.
pub fn clean_style(style: &str, allow_remote: bool) -> (String, usize) {
    let mut parser = Parser::new(style);
    let mut kept: Vec<String> = Vec::new();
    let mut blocked = 0;
    while !parser.is_exhausted() {
        let name = match parser.next() {
            Ok(Token::Ident(name)) => name.to_ascii_lowercase(),
            Ok(Token::Semicolon) => continue,
            Ok(token) => {
                // Not a declaration (an at-rule, a stray block…): skip to the next one,
                // counting it when it tried to load something.
                let loaded = loads(token);
                let skipped = skip_declaration(&mut parser);
                blocked += usize::from(loaded || skipped);
                continue;
            }
            Err(_) => break,
        };
        if parser.expect_colon().is_err() {
            blocked += usize::from(skip_declaration(&mut parser));
            continue;
        }
        let known = PROPERTIES.contains(&name.as_str());
        let urls = URL_PROPERTIES.contains(&name.as_str());
        match declaration_value(&mut parser, urls, allow_remote) {
            Value::Keep(value) if known && !value.is_empty() => {
                kept.push(format!("{name}: {value}"))
            }
            Value::Blocked => blocked += 1,
            _ => {}
        }
    }
    (kept.join("; "), blocked)
}

/// Skips to the end of the declaration; true when what was skipped could load something.
fn skip_declaration(parser: &mut Parser<'_>) -> bool {
    let mut loads = false;
    loop {
        match parser.next_including_whitespace() {
            Ok(Token::Semicolon) | Err(_) => return loads,
            Ok(Token::UnquotedUrl(_)) | Ok(Token::AtKeyword(_)) => loads = true,
            Ok(Token::Function(name)) if is_loading_function(name) => loads = true,
            Ok(_) => {}
        }
    }
}

fn is_loading_function(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "url" || LOADING_FUNCTIONS.contains(&name.as_str())
}

/// The value up to the declaration's end, rebuilt from its tokens.
fn declaration_value(parser: &mut Parser<'_>, urls: bool, allow_remote: bool) -> Value {
    let mut out = String::new();
    let mut verdict: Option<Value> = None;
    loop {
        let token = match parser.next_including_whitespace() {
            Ok(Token::Semicolon) | Err(_) => break,
            Ok(token) => token.clone(),
        };
        if verdict.is_some() {
            // Already decided: only keep reading to the end of the declaration. A later
            // loading token still makes it count as blocked.
            if matches!(verdict, Some(Value::Drop)) && loads(&token) {
                verdict = Some(Value::Blocked);
            }
            continue;
        }
        match token_text(parser, &token, urls, allow_remote) {
            Value::Keep(text) => out.push_str(&text),
            other => verdict = Some(other),
        }
    }
    verdict.unwrap_or_else(|| Value::Keep(out.trim().to_string()))
}

fn loads(token: &Token<'_>) -> bool {
    match token {
        Token::UnquotedUrl(_) | Token::AtKeyword(_) => true,
        Token::Function(name) => is_loading_function(name),
        _ => false,
    }
}

/// One token of a value, serialized again (escapes normalized), or why it goes.
fn token_text(parser: &mut Parser<'_>, token: &Token<'_>, urls: bool, allow_remote: bool) -> Value {
    match token {
        Token::Ident(_)
        | Token::Hash(_)
        | Token::IDHash(_)
        | Token::QuotedString(_)
        | Token::Number { .. }
        | Token::Percentage { .. }
        | Token::Dimension { .. }
        | Token::Comma => serialize(token),
        Token::WhiteSpace(_) => Value::Keep(" ".into()),
        Token::Delim('/' | '!' | '.' | '+' | '-' | '*' | '%') => serialize(token),
        Token::UnquotedUrl(url) => url_value(url, urls, allow_remote),
        Token::Function(name) => {
            let name = name.to_ascii_lowercase();
            if name == "url" {
                let inner: Result<String, ParseError<()>> = parser.parse_nested_block(|block| {
                    let url = block.expect_string()?.to_string();
                    block.expect_exhausted()?;
                    Ok(url)
                });
                return match inner {
                    Ok(url) => url_value(&url, urls, allow_remote),
                    // `url(` with anything but one string: not a URL we can vouch for.
                    Err(_) => Value::Blocked,
                };
            }
            if LOADING_FUNCTIONS.contains(&name.as_str()) {
                return Value::Blocked;
            }
            if !FUNCTIONS.contains(&name.as_str()) {
                return Value::Drop;
            }
            let inner: Result<Value, ParseError<()>> = parser.parse_nested_block(|block| {
                let mut text = String::new();
                while let Ok(token) = block.next_including_whitespace() {
                    let token = token.clone();
                    match token_text(block, &token, false, allow_remote) {
                        Value::Keep(part) => text.push_str(&part),
                        other => return Ok(other),
                    }
                }
                Ok(Value::Keep(text))
            });
            match inner {
                Ok(Value::Keep(text)) => Value::Keep(format!("{name}({})", text.trim())),
                Ok(other) => other,
                Err(_) => Value::Drop,
            }
        }
        _ => Value::Drop,
    }
}

fn serialize(token: &Token<'_>) -> Value {
    let mut text = String::new();
    match token.to_css(&mut text) {
        Ok(()) => Value::Keep(text),
        Err(_) => Value::Drop,
    }
}

/// A `url()` in a value: kept (quoted) only for a remote http(s) image in a background
/// property when remote content is allowed; anything else that names a URL is blocked.
fn url_value(url: &str, urls: bool, allow_remote: bool) -> Value {
    let lower = url.trim().to_ascii_lowercase();
    let remote = lower.starts_with("https://") || lower.starts_with("http://");
    if !(urls && remote && allow_remote) {
        return Value::Blocked;
    }
    let mut text = String::from("url(");
    if cssparser::serialize_string(url.trim(), &mut text).is_err() {
        return Value::Blocked;
    }
    text.push(')');
    Value::Keep(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(style: &str) -> (String, usize) {
        clean_style(style, false)
    }

    #[test]
    fn harmless_declarations_are_kept_rebuilt() {
        assert_eq!(
            clean("color: red; FONT-WEIGHT:bold;margin:0 auto"),
            ("color: red; font-weight: bold; margin: 0 auto".into(), 0)
        );
        assert_eq!(
            clean("color: rgb(1, 2, 3); width: calc(100% - 2px)"),
            ("color: rgb(1, 2, 3); width: calc(100% - 2px)".into(), 0)
        );
        assert_eq!(
            clean("font-family: \"Helvetica Neue\", Arial; color: #fff !important"),
            (
                "font-family: \"Helvetica Neue\", Arial; color: #fff !important".into(),
                0
            )
        );
    }

    #[test]
    fn unknown_properties_and_functions_go_quietly() {
        assert_eq!(
            clean("position: fixed; z-index: 9; color: blue"),
            ("color: blue".into(), 0)
        );
        assert_eq!(clean("color: var(--x); width: attr(x)"), (String::new(), 0));
        assert_eq!(clean("behavior: url(x.htc)"), (String::new(), 1));
        assert_eq!(clean("-moz-binding: url(x.xml#y)"), (String::new(), 1));
        assert_eq!(clean("width: expression(alert(1))"), (String::new(), 0));
        assert_eq!(clean(";;; color : red ;"), ("color: red".into(), 0));
    }

    #[test]
    fn every_way_to_write_a_url_is_blocked() {
        // Each must neither survive nor be missed by the count.
        for style in [
            "background: url(http://t.example/p.gif)",
            "background: url('http://t.example/p.gif')",
            "background: URL( \"http://t.example/p.gif\" )",
            "background: u\\72 l(http://t.example/p.gif)",
            "background: u\\72l(http://t.example/p.gif)",
            "background: \\75 \\72 \\6c (http://t.example/p.gif)",
            "background: u/**/rl(http://t.example/p.gif)",
            "background:url(//t.example/p.gif)",
            "background-image: image-set(\"http://t.example/p.gif\" 1x)",
            "background-image: -webkit-image-set(url(http://t.example/p.gif) 1x)",
            "background-image: cross-fade(url(a.png), url(http://t.example/p.gif), 50%)",
            "list-style-image: url(http://t.example/p.gif)",
            "border-image: url(http://t.example/p.gif) 30",
            "cursor: url(http://t.example/c.cur), auto",
            "content: url(http://t.example/p.gif)",
            "background: url(data:image/svg+xml,<svg onload=alert(1)>)",
            "background: url(javascript:alert(1))",
            "@import url(http://t.example/s.css); color: red",
            "@import 'http://t.example/s.css'",
            "src: url(http://t.example/f.woff)",
            "background: red url(http://t.example/p.gif) no-repeat",
            "background-image: url(http://t.example/p.gif), url(http://t.example/q.gif)",
            "mask: url(http://t.example/m.svg#m)",
            "filter: url(http://t.example/f.svg#f)",
        ] {
            let (kept, blocked) = clean(style);
            assert!(
                !kept.to_ascii_lowercase().contains("t.example"),
                "{style} -> {kept}"
            );
            assert!(!kept.contains("url("), "{style} -> {kept}");
            // `u/**/rl(` is two tokens, not a URL; everything else loads and is counted.
            if !style.contains("/**/")
                && !style.starts_with("background: url(javascript")
                && !style.starts_with("background: url(data")
            {
                assert!(blocked >= 1, "{style} was not counted");
            }
        }
        // The color survives beside a blocked @import.
        assert_eq!(clean("@import url(x.css); color: red").0, "color: red");
    }

    #[test]
    fn remote_backgrounds_load_only_when_allowed() {
        let (kept, blocked) =
            clean_style("background: url(https://cdn.example/b.png) no-repeat", true);
        assert_eq!(
            kept,
            "background: url(\"https://cdn.example/b.png\") no-repeat"
        );
        assert_eq!(blocked, 0);
        // Never in properties that have no business loading images, nor other schemes.
        assert_eq!(
            clean_style("color: url(https://cdn.example/b.png)", true),
            (String::new(), 1)
        );
        assert_eq!(
            clean_style("background: url(file:///etc/passwd)", true),
            (String::new(), 1)
        );
        // image-set stays blocked even then (its strings are not checked one by one).
        assert_eq!(
            clean_style(
                "background-image: image-set(\"https://cdn.example/b.png\" 1x)",
                true
            )
            .0,
            ""
        );
    }

    #[test]
    fn escapes_come_out_normalized() {
        // `\63 olor` is `color`; the value is serialized again, without the escape.
        assert_eq!(clean("\\63 olor: r\\65 d"), ("color: red".into(), 0));
        // A string cannot break out of its quotes: it stays one font name.
        let (kept, blocked) = clean(r#"font-family: "a\"; background: url(http://x/)""#);
        assert_eq!(kept, r#"font-family: "a\"; background: url(http://x/)""#);
        assert_eq!(blocked, 0);
    }
}
