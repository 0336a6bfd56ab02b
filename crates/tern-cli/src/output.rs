//! Output helpers: RFC 3339 dates, JSON printing, flag lists.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|date| date.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}

/// A message as `tern list` prints it in JSON (and `tern search` / `tern threads`, with the
/// folder).
#[derive(serde::Serialize)]
pub struct MessageJson {
    pub uid: u64,
    pub subject: String,
    pub from: String,
    pub date: String,
    pub flags: Vec<String>,
    pub message_id: String,
    /// Likely has attachments (top-level multipart/mixed).
    pub attachments: bool,
}

impl MessageJson {
    pub fn from_summary(message: mail_store::MessageSummary) -> MessageJson {
        MessageJson {
            uid: message.uid,
            subject: message.subject,
            from: display_from(message.from_name, message.from_address),
            date: rfc3339(message.date),
            flags: message.flags.iter().map(str::to_string).collect(),
            message_id: message.message_id,
            attachments: message.attachments,
        }
    }
}

/// "Name <address>", or the address alone when there is no name.
pub fn display_from(name: String, address: String) -> String {
    if name.is_empty() {
        address
    } else {
        format!("{name} <{address}>")
    }
}

/// Cuts `text` to at most `width` characters, with an ellipsis.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(width.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("ab", 4), "ab");
    }
}
