//! Pure decoding of message data into display values: encoded-word headers, list header
//! fields, dates, Message-IDs, whole messages (`view`), HTML made safe (`sanitize`), and
//! conversations (`threads`); and the other way, outgoing messages (`compose`) and the
//! replies and forwards that start from a received one (`reply`).
//!
//! No IO. Malformed input never panics: it decodes to the best displayable value.

mod compose;
mod css;
mod dates;
mod headers;
mod list_headers;
mod mailto;
mod preview;
mod reply;
mod sanitize;
mod signature;
mod threads;
mod view;

pub use compose::{
    compose, compose_draft, new_message_id, parse_address_list, ComposeError, Composed, Draft,
    OutgoingAttachment,
};
pub use dates::{parse_header_date, parse_internal_date};
pub use headers::{
    decode_header_text, format_address, header_value, parse_message_ids, sender_label,
};
pub use list_headers::{parse_list_headers, ListHeaders, LIST_HEADER_FIELDS};
pub use mailto::{parse_mailto, Mailto};
pub use preview::{preview, preview_of_start, PREVIEW_CHARS, PREVIEW_SOURCE_BYTES};
pub use reply::{
    format_address_list, format_date, forward_draft, forward_draft_with, forward_subject, quoted,
    reply_draft, reply_recipients, reply_subject, thread_headers,
};
pub use sanitize::{sanitize_html, text_to_html, InlineImage, SafeHtml, MAX_INLINED_BYTES};
pub use signature::{signed, SIGNATURE_SEPARATOR};
pub use threads::{base_subject, thread, ThreadInput};
pub use view::{
    attachment_bytes, decode_part, inline_images, inline_parts, locate_placeholders, parse_message,
    safe_file_name, Address, Attachment, MessageView, RemotePartRef, RemoteParts,
    PLACEHOLDER_HEADER,
};

/// Everything a reader does with untrusted bytes, for fuzzing: decode, sanitize (with and
/// without remote content), render text, extract attachments and inline parts, thread.
/// Must never panic, whatever `data` is.
pub fn fuzz_one(data: &[u8]) {
    let view = parse_message(data);
    if let Some(html) = &view.html_unsafe {
        let inline = inline_images(data);
        let _ = sanitize_html(html, &inline, false);
        let _ = sanitize_html(html, &inline, true);
    }
    // The raw bytes as HTML too: a hostile body need not be well-formed MIME.
    let _ = sanitize_html(&String::from_utf8_lossy(data), &Default::default(), false);
    let _ = text_to_html(view.text.as_deref().unwrap_or(""));
    for attachment in &view.attachments {
        let _ = attachment_bytes(data, attachment.index);
    }
    let _ = parse_list_headers(data);
    let _ = thread(&[ThreadInput {
        message_id: view.message_id.clone(),
        parents: parse_message_ids(data),
        subject: view.subject.clone(),
        date: view.date.unwrap_or(0),
    }]);
}
