//! Pure decoding of message data into display values: encoded-word headers, list header
//! fields, dates, Message-IDs, whole messages (`view`), and HTML made safe (`sanitize`).
//!
//! No IO. Malformed input never panics: it decodes to the best displayable value.

mod dates;
mod headers;
mod list_headers;
mod sanitize;
mod threads;
mod view;

pub use dates::{parse_header_date, parse_internal_date};
pub use headers::{decode_header_text, format_address, parse_message_ids};
pub use list_headers::{parse_list_headers, ListHeaders, LIST_HEADER_FIELDS};
pub use sanitize::{sanitize_html, text_to_html, InlineImage, SafeHtml};
pub use threads::{base_subject, thread, ThreadInput};
pub use view::{
    attachment_bytes, inline_parts, parse_message, safe_file_name, Address, Attachment, MessageView,
};
