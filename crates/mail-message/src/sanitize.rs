//! Making a message's HTML safe to show (ammonia), and plain text into escaped, linkified
//! HTML. The output can run no code, submit nothing, and loads nothing remote unless the
//! caller allows remote content; `remote_blocked` counts what was held back.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ammonia::{Builder, UrlRelative};
use serde::Serialize;

/// Sanitized HTML and what was held back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SafeHtml {
    pub html: String,
    /// Remote images and stylesheet URLs removed (privacy: tracking pixels).
    pub remote_blocked: usize,
}

/// An inline part an HTML body may show through `cid:`.
#[derive(Debug, Clone)]
pub struct InlineImage {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Inline images larger than this are not embedded (they stay attachments).
const MAX_INLINE_IMAGE: usize = 10 << 20;

/// The most `data:` URL text one message's `cid:` references may add up to. Each part is
/// encoded once, but every reference carries a copy: without a cap, 20,000 references to a
/// 1 MB image make ~27 GB. References past it show their alt text instead.
pub const MAX_INLINED_BYTES: usize = 16 << 20;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn is_remote(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//")
}

/// Sanitizes an HTML body for display. `inline` maps Content-IDs to the message's inline
/// parts (shown as `data:` images); `allow_remote` lets remote images and CSS images load.
pub fn sanitize_html(
    html: &str,
    inline: &HashMap<String, InlineImage>,
    allow_remote: bool,
) -> SafeHtml {
    let blocked = Arc::new(AtomicUsize::new(0));
    let images: Arc<HashMap<String, String>> = Arc::new(
        inline
            .iter()
            .filter(|(_, part)| {
                part.content_type.starts_with("image/")
                    && !part.content_type.contains("svg")
                    && part.bytes.len() <= MAX_INLINE_IMAGE
            })
            .map(|(id, part)| {
                (
                    id.to_ascii_lowercase(),
                    format!("data:{};base64,{}", part.content_type, base64(&part.bytes)),
                )
            })
            .collect(),
    );
    let counter = blocked.clone();
    let inlined = AtomicUsize::new(0);
    let mut builder = Builder::default();
    builder
        .add_tags(["center", "font", "u", "s", "strike", "big", "small"].iter())
        .add_generic_attributes(["style", "align", "valign", "bgcolor", "color", "dir"].iter())
        .add_tag_attributes(
            "table",
            ["width", "border", "cellpadding", "cellspacing"].iter(),
        )
        .add_tag_attributes(
            "td",
            ["width", "height", "colspan", "rowspan", "nowrap"].iter(),
        )
        .add_tag_attributes(
            "th",
            ["width", "height", "colspan", "rowspan", "nowrap"].iter(),
        )
        .add_tag_attributes("font", ["face", "size"].iter())
        .add_tag_attributes("img", ["src", "alt", "width", "height", "title"].iter())
        .url_schemes(HashSet::from(["http", "https", "mailto", "cid"]))
        .url_relative(UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .attribute_filter(
            move |element, attribute, value| match (element, attribute) {
                ("img", "src") => {
                    let trimmed = value.trim();
                    let is_cid = trimmed
                        .get(..4)
                        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("cid:"));
                    if is_cid {
                        let key = trimmed[4..].trim_matches(['<', '>']).to_ascii_lowercase();
                        let data = images.get(&key)?;
                        let total = inlined.fetch_add(data.len(), Ordering::Relaxed) + data.len();
                        if total > MAX_INLINED_BYTES {
                            return None;
                        }
                        return Some(data.clone().into());
                    }
                    if is_remote(trimmed) && !allow_remote {
                        counter.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                    Some(value.into())
                }
                (_, "href") if value.trim().to_ascii_lowercase().starts_with("cid:") => None,
                (_, "style") => {
                    let (cleaned, blocked) = crate::css::clean_style(value, allow_remote);
                    counter.fetch_add(blocked, Ordering::Relaxed);
                    (!cleaned.is_empty()).then(|| cleaned.into())
                }
                _ => Some(value.into()),
            },
        );
    let html = builder.clean(html).to_string();
    SafeHtml {
        html,
        remote_blocked: blocked.load(Ordering::Relaxed),
    }
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Plain text as safe HTML: escaped, line breaks kept, web and mail addresses made links.
pub fn text_to_html(text: &str) -> String {
    let mut out = String::from("<div style=\"white-space: pre-wrap\">");
    let finder = linkify::LinkFinder::new();
    for span in finder.spans(text) {
        match span.kind() {
            Some(linkify::LinkKind::Url) => {
                let url = span.as_str();
                let lower = url.to_ascii_lowercase();
                if lower.starts_with("http://") || lower.starts_with("https://") {
                    out.push_str("<a href=\"");
                    escape(url, &mut out);
                    out.push_str("\" rel=\"noopener noreferrer nofollow\">");
                    escape(url, &mut out);
                    out.push_str("</a>");
                } else {
                    escape(url, &mut out);
                }
            }
            Some(linkify::LinkKind::Email) => {
                out.push_str("<a href=\"mailto:");
                escape(span.as_str(), &mut out);
                out.push_str("\">");
                escape(span.as_str(), &mut out);
                out.push_str("</a>");
            }
            _ => escape(span.as_str(), &mut out),
        }
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn clean(html: &str) -> SafeHtml {
        sanitize_html(html, &HashMap::new(), false)
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn remote_images_are_blocked_and_counted() {
        let safe = clean(
            r#"<p>Hi<img src="https://t.example/p.gif"><img src="http://x/y.png" alt="y"></p>"#,
        );
        assert_eq!(safe.remote_blocked, 2);
        assert!(!safe.html.contains("t.example") && !safe.html.contains("http://x"));
        let allowed = sanitize_html(
            r#"<img src="https://t.example/p.gif">"#,
            &HashMap::new(),
            true,
        );
        assert!(allowed.html.contains("https://t.example/p.gif"));
        assert_eq!(allowed.remote_blocked, 0);
    }

    #[test]
    fn cid_images_become_data_urls_and_other_data_urls_go() {
        let mut inline = HashMap::new();
        inline.insert(
            "logo@x".to_string(),
            InlineImage {
                content_type: "image/png".into(),
                bytes: vec![1, 2, 3],
            },
        );
        let safe = sanitize_html(
            r#"<img src="cid:logo@x"><img src="data:image/png;base64,AAAA"><img src="cid:missing">"#,
            &inline,
            false,
        );
        assert!(
            safe.html.contains("data:image/png;base64,AQID"),
            "{}",
            safe.html
        );
        assert!(!safe.html.contains("AAAA"));
        assert!(!safe.html.contains("cid:"));
    }

    #[test]
    fn repeated_cid_references_cannot_multiply_memory() {
        let mut inline = HashMap::new();
        inline.insert(
            "big@x".to_string(),
            InlineImage {
                content_type: "image/png".into(),
                bytes: vec![7; 1 << 20],
            },
        );
        let html = r#"<img src="cid:big@x" alt="big">"#.repeat(20_000);
        let safe = sanitize_html(&html, &inline, false);
        assert!(
            safe.html.len() < MAX_INLINED_BYTES + (2 << 20),
            "{} bytes",
            safe.html.len()
        );
        // The first references still show the image.
        assert!(safe.html.matches("data:image/png;base64,").count() >= 10);
    }

    #[test]
    fn css_loses_urls_and_expressions_but_keeps_colours() {
        let safe = clean(
            r#"<p style="color: red; background: url(https://t.example/a.png); width: expression(alert(1))">x</p>"#,
        );
        assert!(safe.html.contains("color: red"), "{}", safe.html);
        assert!(!safe.html.contains("url(") && !safe.html.contains("expression"));
        assert_eq!(safe.remote_blocked, 1);
    }

    #[test]
    fn text_is_escaped_and_linkified() {
        let html = text_to_html("See <b>https://example.org/a?b=1&c=2</b> or mail bob@example.org");
        assert!(html.contains("&lt;b&gt;"));
        assert!(
            html.contains(
                r#"<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<a href="mailto:bob@example.org">"#));
        assert!(!text_to_html("javascript:alert(1)").contains("<a"));
    }
}
