//! Output helpers: RFC 3339 dates, JSON printing, flag lists, and text made safe for a
//! terminal.
//!
//! Subjects, names, folder names, bodies and servers' words are written by strangers: an ESC
//! in them could retitle the terminal, plant OSC 8 links or write the clipboard (OSC 52). All
//! human-readable output goes through [`say!`] / [`say_err!`], which replace control
//! characters; JSON output stays exact (its escaping already covers C0 controls).

use std::borrow::Cow;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|date| date.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

/// Prints a line to stdout, control characters replaced ([`terminal_safe`]).
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", $crate::output::terminal_safe(&format!($($arg)*))) };
}

/// Prints a line to stderr, control characters replaced ([`terminal_safe`]).
macro_rules! say_err {
    ($($arg:tt)*) => { eprintln!("{}", $crate::output::terminal_safe(&format!($($arg)*))) };
}

pub(crate) use {say, say_err};

/// Whether a terminal could take `c` as an instruction rather than text: C0 and C1 controls
/// (ESC starts escape sequences, U+009B is an 8-bit CSI, CR overwrites the line, BEL rings)
/// except newline and tab, DEL, and the bidirectional embedding, override and isolate
/// controls (which reorder what is shown).
fn is_unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character a terminal could act on replaced by U+FFFD (CRLF line ends
/// become LF first).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace("\r\n", "\n")
            .chars()
            .map(|c| {
                if is_unsafe_for_terminal(c) {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect(),
    )
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
    /// The beginning of the sender's words, once the body has been kept (else empty).
    pub preview: String,
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
            preview: message.preview,
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

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let cases = [
            (
                "plain text, tabs\tand\nlines",
                "plain text, tabs\tand\nlines",
            ),
            ("\u{1b}]0;owned\u{7}title", "\u{FFFD}]0;owned\u{FFFD}title"),
            (
                "\u{1b}]52;c;ZXZpbA==\u{1b}\\",
                "\u{FFFD}]52;c;ZXZpbA==\u{FFFD}\\",
            ),
            (
                "\u{1b}]8;;http://evil/\u{1b}\\click",
                "\u{FFFD}]8;;http://evil/\u{FFFD}\\click",
            ),
            ("8-bit CSI \u{9b}2J", "8-bit CSI \u{FFFD}2J"),
            ("fake\rreal", "fake\u{FFFD}real"),
            ("dos\r\nline", "dos\nline"),
            ("\u{202e}fdp.exe", "\u{FFFD}fdp.exe"),
            ("del\u{7f}", "del\u{FFFD}"),
            ("Grüße 日本", "Grüße 日本"),
        ];
        for (input, expected) in cases {
            assert_eq!(terminal_safe(input), expected, "{input:?}");
        }
    }
}
