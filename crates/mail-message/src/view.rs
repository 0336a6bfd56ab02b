//! A whole raw message (RFC 5322 + MIME) decoded into what a reader shows: headers,
//! addresses, date, the text and HTML bodies, attachments and inline parts. Built on
//! mail-parser; malformed input yields what can be shown plus warnings, never a panic.

use std::borrow::Cow;
use std::collections::BTreeMap;

use mail_parser::{Address as ParsedAddress, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

/// One mailbox of an address header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub address: String,
}

impl Address {
    /// A mailbox with its display name (empty for none).
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            address: address.into(),
        }
    }
}

/// A part the reader can save: an attachment, or an inline part (an image the HTML shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Position in [`MessageView::attachments`] (what `tern save-attachment --index` takes).
    pub index: usize,
    /// A safe file name: the part's own name without path parts or control characters, or
    /// `attachment-N` with an extension from its type.
    pub name: String,
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
    /// Content-ID without angle brackets, for `cid:` references.
    pub content_id: Option<String>,
    /// Shown inside the HTML body (a `cid:` image) rather than listed as a file.
    pub inline: bool,
}

/// What a reader shows of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageView {
    pub subject: String,
    pub from: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub reply_to: Vec<Address>,
    /// The Date header, Unix seconds.
    pub date: Option<i64>,
    pub message_id: String,
    /// In-Reply-To and References: Message-IDs without angle brackets, oldest first.
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The plain-text body (all text parts of the chosen alternative, joined).
    pub text: Option<String>,
    /// The HTML body as sent: **unsafe**; show only [`crate::sanitize_html`]'s output.
    pub html_unsafe: Option<String>,
    pub attachments: Vec<Attachment>,
    /// What could not be decoded cleanly (bad charset, broken structure, ...).
    pub warnings: Vec<String>,
}

fn id_list(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    let ids: Vec<&str> = match (value.as_text_list(), value.as_text()) {
        (Some(list), _) => list.iter().map(|id| id.as_ref()).collect(),
        (None, Some(one)) => vec![one],
        (None, None) => Vec::new(),
    };
    ids.into_iter()
        .map(|id| id.trim().trim_matches(['<', '>']).to_string())
        .filter(|id| !id.is_empty())
        .collect()
}

fn addresses(address: Option<&ParsedAddress<'_>>) -> Vec<Address> {
    address
        .map(|address| {
            address
                .iter()
                .map(|addr| Address {
                    name: addr.name().unwrap_or("").trim().to_string(),
                    address: addr.address().unwrap_or("").trim().to_string(),
                })
                .filter(|addr| !addr.name.is_empty() || !addr.address.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => match &part.body {
            PartType::Text(_) => "text/plain".into(),
            PartType::Html(_) => "text/html".into(),
            PartType::Message(_) => "message/rfc822".into(),
            _ => "application/octet-stream".into(),
        },
    }
}

/// A name that is safe to create in a chosen directory and to show: no path separators or
/// parent references, no control characters, no invisible or direction-changing characters
/// (`\u{202e}fdp.exe` would show as `exe.pdf`), not hidden, at most [`MAX_FILE_NAME_BYTES`]
/// bytes (what file systems take), shortened before its extension.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| {
            if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned = shorten_file_name(cleaned, MAX_FILE_NAME_BYTES);
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        fallback.to_string()
    } else {
        cleaned
    }
}

/// The longest file name [`safe_file_name`] returns, in bytes (ext4, XFS, Btrfs allow 255).
pub const MAX_FILE_NAME_BYTES: usize = 200;

/// Characters that show nothing or change the direction of what follows: zero-width and
/// other format characters, bidirectional marks, embeddings, overrides and isolates.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// `name` cut to at most `limit` bytes on a character boundary, keeping a short extension.
fn shorten_file_name(name: &str, limit: usize) -> String {
    if name.len() <= limit {
        return name.to_string();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|extension| extension.len() <= 16 && extension.len() < limit / 2)
        .unwrap_or("");
    let stem = &name[..name.len() - extension.len()];
    let mut end = limit - extension.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{extension}", stem[..end].trim_end())
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => ".png",
        "image/jpeg" | "image/jpg" => ".jpg",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/calendar" => ".ics",
        "message/rfc822" => ".eml",
        "application/zip" => ".zip",
        _ => ".bin",
    }
}

/// The decoded bytes of an attachment part (a nested message is its raw bytes).
pub(crate) fn part_bytes<'a>(part: &'a MessagePart<'_>) -> Cow<'a, [u8]> {
    match &part.body {
        PartType::Message(message) => Cow::Borrowed(message.raw_message()),
        PartType::Text(text) | PartType::Html(text) => Cow::Borrowed(text.as_bytes()),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => Cow::Borrowed(bytes),
        PartType::Multipart(_) => Cow::Borrowed(&[]),
    }
}

/// Windows-1252 (a superset of Latin-1), what unlabeled 8-bit mail text almost always is.
pub(crate) fn decode_windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&byte| match byte {
            0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
            _ => char::from(byte),
        })
        .collect()
}

/// 8-bit header fields that are not UTF-8 are read as Windows-1252 instead of losing their
/// letters; the header section is re-encoded as UTF-8 before parsing.
fn repair_header_section(raw: &[u8]) -> Option<Vec<u8>> {
    let end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 2)
        .or_else(|| {
            raw.windows(2)
                .position(|window| window == b"\n\n")
                .map(|at| at + 1)
        })?;
    let header = &raw[..end];
    if std::str::from_utf8(header).is_ok() {
        return None;
    }
    let mut repaired = decode_windows_1252(header).into_bytes();
    repaired.extend_from_slice(&raw[end..]);
    Some(repaired)
}

/// mail-parser, with any panic it has on hostile input contained: such a message is shown
/// as unparsable instead of taking the program down.
pub(crate) fn parse_mime(raw: &[u8]) -> Option<mail_parser::Message<'_>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MessageParser::default().parse(raw)
    }))
    .ok()
    .flatten()
}

/// Decodes `raw` into a [`MessageView`].
pub fn parse_message(raw: &[u8]) -> MessageView {
    let mut warnings = Vec::new();
    let repaired = repair_header_section(raw);
    if repaired.is_some() {
        warnings.push("Header fields with 8-bit characters were read as Windows-1252".into());
    }
    let raw = repaired.as_deref().unwrap_or(raw);
    let Some(message) = parse_mime(raw) else {
        warnings.push("The message could not be parsed; showing it as plain text".into());
        return MessageView {
            subject: String::new(),
            from: Vec::new(),
            to: Vec::new(),
            cc: Vec::new(),
            reply_to: Vec::new(),
            date: None,
            message_id: String::new(),
            in_reply_to: Vec::new(),
            references: Vec::new(),
            text: Some(String::from_utf8_lossy(raw).into_owned()),
            html_unsafe: None,
            attachments: Vec::new(),
            warnings,
        };
    };
    if message.parts.iter().any(|part| part.is_encoding_problem) {
        warnings.push("Some parts had encoding problems and may show wrong characters".into());
    }
    let html_unsafe = join_parts(raw, message.html_bodies(), true);
    // HTML-only mail: mail-parser's text rendering of it, for `--text` and search.
    let text = join_parts(raw, message.text_bodies(), false).or_else(|| {
        html_unsafe
            .as_ref()
            .and_then(|_| message.body_text(0).map(Cow::into_owned))
    });
    let html_text = html_unsafe.as_deref().unwrap_or("");
    let attachments = message
        .attachments()
        .enumerate()
        .map(|(index, part)| {
            let content_type = content_type(part);
            let content_id = part
                .content_id()
                .map(|id| id.trim().trim_matches(['<', '>']).to_string())
                .filter(|id| !id.is_empty());
            let inline = content_id
                .as_deref()
                .is_some_and(|id| html_text.contains(&format!("cid:{id}")));
            let fallback = format!("attachment-{}{}", index + 1, extension_for(&content_type));
            let name = match part.attachment_name() {
                Some(name) => safe_file_name(name, &fallback),
                None => match &part.body {
                    PartType::Message(nested) => nested
                        .subject()
                        .map(|subject| safe_file_name(&format!("{subject}.eml"), &fallback))
                        .unwrap_or(fallback),
                    _ => fallback,
                },
            };
            Attachment {
                index,
                name,
                size: part_bytes(part).len(),
                content_type,
                content_id,
                inline,
            }
        })
        .collect();
    MessageView {
        subject: message.subject().unwrap_or("").trim().to_string(),
        from: addresses(message.from()),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        reply_to: addresses(message.reply_to()),
        date: message.date().map(|date| date.to_timestamp()),
        message_id: message.message_id().unwrap_or("").to_string(),
        in_reply_to: id_list(message.in_reply_to()),
        references: id_list(message.references()),
        text,
        html_unsafe,
        attachments,
        warnings,
    }
}

/// A text part's text; an unlabeled 8-bit part that is not UTF-8 is read as Windows-1252.
fn part_text<'a>(raw: &[u8], part: &'a MessagePart<'a>, text: &'a str) -> Cow<'a, str> {
    let labeled = part
        .content_type()
        .is_some_and(|ct| ct.attribute("charset").is_some());
    let encoded = part.content_transfer_encoding().is_some_and(|cte| {
        cte.eq_ignore_ascii_case("base64") || cte.eq_ignore_ascii_case("quoted-printable")
    });
    if labeled || encoded || !text.contains('\u{fffd}') {
        return Cow::Borrowed(text);
    }
    let (start, end) = (part.offset_body as usize, part.offset_end as usize);
    match raw.get(start..end.min(raw.len())) {
        Some(bytes) if std::str::from_utf8(bytes).is_err() => {
            Cow::Owned(decode_windows_1252(bytes))
        }
        _ => Cow::Borrowed(text),
    }
}

fn join_parts<'a>(
    raw: &[u8],
    parts: impl Iterator<Item = &'a MessagePart<'a>>,
    html: bool,
) -> Option<String> {
    let mut out = String::new();
    for part in parts {
        let text = match &part.body {
            PartType::Text(text) if !html => part_text(raw, part, text),
            PartType::Html(text) if html => part_text(raw, part, text),
            _ => continue,
        };
        if !out.is_empty() {
            out.push_str(if html { "<hr>" } else { "\n\n" });
        }
        out.push_str(&text);
    }
    (!out.is_empty()).then_some(out)
}

/// The decoded bytes of attachment `index` of `raw` (as listed by [`parse_message`]).
pub fn attachment_bytes(raw: &[u8], index: usize) -> Option<Vec<u8>> {
    let message = parse_mime(raw)?;
    let part = message.attachments().nth(index)?;
    Some(part_bytes(part).into_owned())
}

/// The inline parts (`cid:` targets) of `raw`: Content-ID -> (content type, bytes).
pub fn inline_parts(raw: &[u8]) -> Vec<(String, String, Vec<u8>)> {
    let Some(message) = parse_mime(raw) else {
        return Vec::new();
    };
    message
        .parts
        .iter()
        .filter_map(|part| {
            let id = part
                .content_id()?
                .trim()
                .trim_matches(['<', '>'])
                .to_string();
            if id.is_empty() || part.is_multipart() {
                return None;
            }
            Some((id, content_type(part), part_bytes(part).into_owned()))
        })
        .collect()
}

/// The inline parts of `raw` an HTML body may show through `cid:`, keyed by Content-ID.
pub fn inline_images(raw: &[u8]) -> std::collections::HashMap<String, crate::InlineImage> {
    inline_parts(raw)
        .into_iter()
        .map(|(id, content_type, bytes)| {
            (
                id,
                crate::InlineImage {
                    content_type,
                    bytes,
                },
            )
        })
        .collect()
}

/// Where the attachments a text-first fetch left on the server are: attachment index (as in
/// [`MessageView::attachments`]) -> IMAP section and decoded size. Kept beside the cached
/// bytes, never read from them: a sender can write any header into a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteParts(pub BTreeMap<usize, RemotePartRef>);

/// One attachment left on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePartRef {
    /// The IMAP section (`2`, `1.3`): digits and dots only.
    pub section: String,
    /// Decoded size in bytes, as the message's structure announced it.
    pub size: u64,
}

impl RemoteParts {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Where attachment `index` is on the server, when its bytes were left there.
    pub fn get(&self, index: usize) -> Option<&RemotePartRef> {
        self.0.get(&index)
    }
}

impl RemotePartRef {
    /// Whether `section` can name an IMAP body part (and so goes into a command as is).
    pub fn is_valid_section(section: &str) -> bool {
        !section.is_empty()
            && section.len() <= 64
            && section.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !section.starts_with('.')
            && !section.ends_with('.')
            && !section.contains("..")
    }
}

/// The header a text-first rebuild puts on each placeholder part: a random token of that
/// fetch and the placeholder's number, so [`locate_placeholders`] finds exactly the parts the
/// rebuild wrote (a header copied into a text part by a sender carries no valid token).
pub const PLACEHOLDER_HEADER: &str = "X-Tern-Placeholder";

/// For a message rebuilt text-first with placeholders marked `token.N`: which attachment
/// index holds placeholder N.
pub fn locate_placeholders(raw: &[u8], token: &str) -> Vec<(usize, usize)> {
    let Some(message) = parse_mime(raw) else {
        return Vec::new();
    };
    let prefix = format!("{token}.");
    message
        .attachments()
        .enumerate()
        .filter_map(|(index, part)| {
            let value = part
                .headers
                .iter()
                .find(|header| header.name().eq_ignore_ascii_case(PLACEHOLDER_HEADER))
                .and_then(|header| header.value().as_text().map(str::trim))?;
            let number = value.strip_prefix(&prefix)?.parse().ok()?;
            Some((index, number))
        })
        .collect()
}

impl MessageView {
    /// The view of a message rebuilt text-first: attachments left on the server show the
    /// size their structure announced (their placeholder parts are empty).
    pub fn with_remote_parts(mut self, remote: &RemoteParts) -> MessageView {
        for attachment in &mut self.attachments {
            if let Some(part) = remote.get(attachment.index) {
                attachment.size = usize::try_from(part.size).unwrap_or(usize::MAX);
            }
        }
        self
    }
}

/// The decoded bytes of one MIME part given as its MIME header and body (as `BODY[n.MIME]`
/// and `BODY[n]` return them).
pub fn decode_part(part: &[u8]) -> Option<Vec<u8>> {
    let message = parse_mime(part)?;
    let root = message.parts.first()?;
    Some(part_bytes(root).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_show_what_they_are() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Windows\\evil.bat", "evil.bat"),
            (".bashrc", "bashrc"),
            // Right-to-left override: shown as "exe.pdf", really an .exe.
            ("\u{202e}fdp.exe", "fdp.exe"),
            ("invoice\u{2066}\u{202e}fdp\u{2069}.exe", "invoicefdp.exe"),
            ("zero\u{200b}width\u{feff}.txt", "zerowidth.txt"),
            ("tab\tand\nnewline.txt", "tab_and_newline.txt"),
            ("a:b*c?.txt", "a_b_c_.txt"),
            ("\u{200b}", "fallback"),
            ("..", "fallback"),
        ];
        for (name, expected) in cases {
            assert_eq!(safe_file_name(name, "fallback"), expected, "{name:?}");
        }
    }

    #[test]
    fn long_names_fit_a_file_system_and_keep_their_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let safe = safe_file_name(&long, "fallback");
        assert!(safe.len() <= MAX_FILE_NAME_BYTES, "{} bytes", safe.len());
        assert!(safe.ends_with("é.pdf"), "{safe}");
        let no_extension = "x".repeat(1000);
        assert_eq!(
            safe_file_name(&no_extension, "f").len(),
            MAX_FILE_NAME_BYTES
        );
        let odd_extension = format!("{}.{}", "a".repeat(10), "b".repeat(500));
        assert!(safe_file_name(&odd_extension, "f").len() <= MAX_FILE_NAME_BYTES);
    }
}
