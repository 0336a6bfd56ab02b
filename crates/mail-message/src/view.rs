//! A whole raw message (RFC 5322 + MIME) decoded into what a reader shows: headers,
//! addresses, date, the text and HTML bodies, attachments and inline parts. Built on
//! mail-parser; malformed input yields what can be shown plus warnings, never a panic.

use std::borrow::Cow;

use mail_parser::{Address as ParsedAddress, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

/// One mailbox of an address header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub address: String,
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

/// A name that is safe to create in a chosen directory: no path separators or parent
/// references, no control characters, not hidden, at most 150 characters.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    let cleaned: String = cleaned.chars().take(150).collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        fallback.to_string()
    } else {
        cleaned
    }
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
                size: remote_part(part)
                    .map(|(_, size)| size as usize)
                    .unwrap_or_else(|| part_bytes(part).len()),
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

/// For a part left on the server by a text-first fetch: its IMAP section and decoded size
/// (the `X-Tern-Section` / `X-Tern-Size` headers of its placeholder).
fn remote_part(part: &MessagePart<'_>) -> Option<(String, u64)> {
    let value = |name: &str| {
        part.headers
            .iter()
            .find(|header| header.name().eq_ignore_ascii_case(name))
            .and_then(|header| header.value().as_text().map(str::trim).map(str::to_string))
    };
    let section = value("X-Tern-Section")?;
    let valid = !section.is_empty()
        && section.len() <= 64
        && section.chars().all(|c| c.is_ascii_digit() || c == '.');
    let size = value("X-Tern-Size")
        .and_then(|size| size.parse().ok())
        .unwrap_or(0);
    valid.then_some((section, size))
}

/// Whether `raw` is a message rebuilt text-first (attachments left on the server).
pub fn is_partial(raw: &[u8]) -> bool {
    parse_mime(raw).is_some_and(|message| message.header_raw("X-Tern-Partial").is_some())
}

/// For a message rebuilt text-first: where attachment `index` is on the server (its IMAP
/// section), when its bytes were not fetched.
pub fn remote_attachment(raw: &[u8], index: usize) -> Option<String> {
    let message = parse_mime(raw)?;
    message.header_raw("X-Tern-Partial")?;
    let part = message.attachments().nth(index)?;
    remote_part(part).map(|(section, _)| section)
}

/// The decoded bytes of one MIME part given as its MIME header and body (as `BODY[n.MIME]`
/// and `BODY[n]` return them).
pub fn decode_part(part: &[u8]) -> Option<Vec<u8>> {
    let message = parse_mime(part)?;
    let root = message.parts.first()?;
    Some(part_bytes(root).into_owned())
}
