//! Pure decoding of message data into display values: encoded-word headers, dates, Message-IDs.
//!
//! No IO. Malformed input never panics: it decodes to the best displayable value.

mod dates;
mod headers;

pub use dates::{parse_header_date, parse_internal_date};
pub use headers::{decode_header_text, format_address, parse_message_ids};
