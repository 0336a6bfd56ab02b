//! Turning a raw message into what a reader may show: parsed, its HTML made safe (or its
//! text as escaped, linkified HTML), and the text the search index keeps. Pure.

use mail_message::{
    inline_images, parse_message, sanitize_html, text_to_html, MessageView, SafeHtml,
};

pub(super) fn search_text(view: &MessageView) -> String {
    let mut text = view.text.clone().unwrap_or_default();
    for attachment in &view.attachments {
        text.push(' ');
        text.push_str(&attachment.name);
    }
    text
}

/// Decodes a raw message for display.
pub fn render(raw: &[u8], allow_remote: bool) -> (MessageView, SafeHtml) {
    let view = parse_message(raw);
    let safe_html = safe_html(raw, &view, allow_remote);
    (view, safe_html)
}

/// What a reader may show of `view`'s body.
pub(super) fn safe_html(raw: &[u8], view: &MessageView, allow_remote: bool) -> SafeHtml {
    match &view.html_unsafe {
        Some(html) => {
            let inline = inline_images(raw);
            sanitize_html(html, &inline, allow_remote)
        }
        None => SafeHtml {
            html: text_to_html(view.text.as_deref().unwrap_or("")),
            remote_blocked: 0,
        },
    }
}
