//! Outgoing mail: a [`Draft`] (what the user wrote) built into RFC 5322 bytes with lettre's
//! message builder — encoded headers, a text part with an optional HTML alternative,
//! attachments — plus the SMTP envelope. The bytes for the wire carry no Bcc header; the
//! copy for the Sent folder does.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Mailboxes, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};

use crate::view::Address;

/// A file attached to an outgoing message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingAttachment {
    pub name: String,
    /// MIME type; `application/octet-stream` when unknown.
    pub content_type: String,
    #[serde(with = "bytes_as_base64")]
    pub data: Vec<u8>,
}

/// What the user wrote. Message-IDs are without angle brackets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub subject: String,
    pub text: String,
    /// An optional simple HTML version of the text.
    pub html: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<OutgoingAttachment>,
}

impl Draft {
    /// Every recipient address (To, Cc, Bcc), each once.
    pub fn recipients(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for address in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !all
                .iter()
                .any(|seen| seen.eq_ignore_ascii_case(&address.address))
            {
                all.push(address.address.clone());
            }
        }
        all
    }
}

/// A built message, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// Without angle brackets.
    pub message_id: String,
    /// What goes to the SMTP server (no Bcc header).
    pub wire: Vec<u8>,
    /// What goes to the Sent folder (with the Bcc header, when there are Bcc recipients).
    pub sent_copy: Vec<u8>,
    pub envelope_from: String,
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("There is no recipient: add at least one address to To, Cc or Bcc")]
    NoRecipient,
    #[error("There is no sender address")]
    NoSender,
    #[error("{0:?} is not a valid email address")]
    BadAddress(String),
    #[error("The message could not be built: {0}")]
    Build(String),
}

/// Parses what a user types in To/Cc/Bcc: `Name <a@b>, c@d`.
pub fn parse_address_list(text: &str) -> Result<Vec<Address>, ComposeError> {
    let text = text.trim().trim_end_matches([',', ';']);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mailboxes = Mailboxes::from_str(&text.replace(';', ","))
        .map_err(|_| ComposeError::BadAddress(text.to_string()))?;
    Ok(mailboxes
        .into_iter()
        .map(|mailbox| Address {
            name: mailbox.name.unwrap_or_default(),
            address: mailbox.email.to_string(),
        })
        .collect())
}

fn mailbox(address: &Address) -> Result<Mailbox, ComposeError> {
    let email = address
        .address
        .trim()
        .parse()
        .map_err(|_| ComposeError::BadAddress(address.address.clone()))?;
    let name = address.name.trim();
    Ok(Mailbox::new(
        (!name.is_empty()).then(|| name.to_string()),
        email,
    ))
}

/// A new globally unique Message-ID (without angle brackets) in the sender's domain.
pub fn new_message_id(from_address: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let domain = from_address
        .rsplit_once('@')
        .map(|(_, domain)| domain.trim())
        .filter(|domain| !domain.is_empty())
        .unwrap_or("tern.invalid");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    // Time, process and a counter make it unique from this machine; the address-derived
    // mix keeps two machines sending at the same nanosecond apart.
    let mix = from_address
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!(
        "tern.{nanos:x}.{:x}.{count}.{:x}@{domain}",
        std::process::id(),
        mix & 0xffff_ffff
    )
}

/// Builds `draft` into bytes with `message_id` and `date`.
pub fn compose(
    draft: &Draft,
    message_id: &str,
    date: SystemTime,
) -> Result<Composed, ComposeError> {
    if draft.recipients().is_empty() {
        return Err(ComposeError::NoRecipient);
    }
    build(draft, message_id, date)
}

/// The bytes of a draft's copy in the Drafts folder (recipients may still be missing; Bcc
/// kept).
pub fn compose_draft(
    draft: &Draft,
    message_id: &str,
    date: SystemTime,
) -> Result<Vec<u8>, ComposeError> {
    Ok(build(draft, message_id, date)?.sent_copy)
}

fn build(draft: &Draft, message_id: &str, date: SystemTime) -> Result<Composed, ComposeError> {
    let from = draft.from.as_ref().ok_or(ComposeError::NoSender)?;
    let recipients = draft.recipients();
    let mut builder = lettre::Message::builder()
        .from(mailbox(from)?)
        .subject(draft.subject.clone())
        .date(date)
        .message_id(Some(format!("<{message_id}>")))
        .user_agent("Tern".to_string())
        .keep_bcc();
    for address in &draft.to {
        builder = builder.to(mailbox(address)?);
    }
    for address in &draft.cc {
        builder = builder.cc(mailbox(address)?);
    }
    for address in &draft.bcc {
        builder = builder.bcc(mailbox(address)?);
    }
    if recipients.is_empty() {
        // A draft before its recipients: lettre wants an envelope, which a draft never uses.
        let sender = mailbox(from)?.email;
        let envelope = lettre::address::Envelope::new(Some(sender.clone()), vec![sender])
            .map_err(|error| ComposeError::Build(error.to_string()))?;
        builder = builder.envelope(envelope);
    }
    if let Some(parent) = &draft.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !draft.references.is_empty() {
        let references: Vec<String> = draft
            .references
            .iter()
            .map(|id| format!("<{id}>"))
            .collect();
        builder = builder.references(references.join(" "));
    }
    let text = SinglePart::plain(normalize_newlines(&draft.text));
    let body = match &draft.html {
        Some(html) => MultiPart::alternative()
            .singlepart(text)
            .singlepart(SinglePart::html(normalize_newlines(html))),
        None => MultiPart::mixed().singlepart(text),
    };
    let message = if draft.attachments.is_empty() {
        match &draft.html {
            Some(_) => builder.multipart(body),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(normalize_newlines(&draft.text)),
        }
    } else {
        let mut mixed = match &draft.html {
            Some(_) => MultiPart::mixed().multipart(body),
            None => body,
        };
        for attachment in &draft.attachments {
            let content_type = ContentType::parse(&attachment.content_type).unwrap_or_else(|_| {
                ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
            });
            mixed = mixed.singlepart(
                Attachment::new(attachment.name.clone())
                    .body(attachment.data.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    }
    .map_err(|error| ComposeError::Build(error.to_string()))?;
    let sent_copy = message.formatted();
    let wire = without_header(&sent_copy, "bcc");
    Ok(Composed {
        message_id: message_id.to_string(),
        wire,
        sent_copy,
        envelope_from: from.address.trim().to_string(),
        recipients,
    })
}

fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// `raw` without every field named `name` (and its folded continuation lines) in the header
/// section.
fn without_header(raw: &[u8], name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    let mut rest = raw;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|byte| *byte == b'\n')
            .map_or(rest.len(), |at| at + 1);
        let (line, after) = rest.split_at(end);
        if line == b"\r\n" || line == b"\n" {
            out.extend_from_slice(rest);
            return out;
        }
        let continuation = line
            .first()
            .is_some_and(|byte| *byte == b' ' || *byte == b'\t');
        if !continuation {
            skipping = line.len() > name.len()
                && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && line[name.len()] == b':';
        }
        if !skipping {
            out.extend_from_slice(line);
        }
        rest = after;
    }
    out
}

mod bytes_as_base64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(data: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(data))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_message;

    fn draft() -> Draft {
        Draft {
            from: Some(Address::new("Alice Ünicode", "alice@tern.test")),
            to: vec![Address::new("Bob", "bob@tern.test")],
            cc: vec![Address::new("", "carol@tern.test")],
            bcc: vec![Address::new("Dan", "dan@tern.test")],
            subject: "Grüße and plans".into(),
            text: "Hello Bob,\nsee you.\n".into(),
            ..Draft::default()
        }
    }

    #[test]
    fn a_plain_message_reads_back_with_its_headers_and_no_bcc_on_the_wire() {
        let composed = compose(&draft(), "id-1@tern.test", SystemTime::now()).unwrap();
        let wire = parse_message(&composed.wire);
        assert_eq!(wire.subject, "Grüße and plans");
        assert_eq!(wire.message_id, "id-1@tern.test");
        assert_eq!(wire.from[0].name, "Alice Ünicode");
        assert_eq!(wire.to[0].address, "bob@tern.test");
        assert_eq!(wire.cc[0].address, "carol@tern.test");
        assert_eq!(
            wire.text
                .map(|text| text.replace("\r\n", "\n").trim_end().to_string()),
            Some("Hello Bob,\nsee you.".to_string())
        );
        assert!(!String::from_utf8_lossy(&composed.wire)
            .to_ascii_lowercase()
            .contains("\nbcc:"));
        assert!(String::from_utf8_lossy(&composed.sent_copy).contains("Bcc: Dan <dan@tern.test>"));
        assert_eq!(
            composed.recipients,
            vec!["bob@tern.test", "carol@tern.test", "dan@tern.test"]
        );
        assert_eq!(composed.envelope_from, "alice@tern.test");
        assert!(
            composed.wire.is_ascii(),
            "headers and body are encoded to 7 bits"
        );
    }

    #[test]
    fn html_and_attachments_come_through() {
        let mut draft = draft();
        draft.html = Some("<p>Hello <b>Bob</b></p>".into());
        draft.attachments = vec![OutgoingAttachment {
            name: "plan.pdf".into(),
            content_type: "application/pdf".into(),
            data: vec![0, 1, 2, 255],
        }];
        draft.in_reply_to = Some("parent@x".into());
        draft.references = vec!["root@x".into(), "parent@x".into()];
        let composed = compose(&draft, "id-2@tern.test", SystemTime::now()).unwrap();
        let view = parse_message(&composed.wire);
        assert!(view.html_unsafe.unwrap().contains("<b>Bob</b>"));
        assert_eq!(view.attachments.len(), 1);
        assert_eq!(view.attachments[0].name, "plan.pdf");
        assert_eq!(
            crate::attachment_bytes(&composed.wire, 0).unwrap(),
            vec![0, 1, 2, 255]
        );
        assert_eq!(view.in_reply_to, vec!["parent@x"]);
        assert_eq!(view.references, vec!["root@x", "parent@x"]);
    }

    #[test]
    fn no_recipient_or_a_bad_address_is_refused() {
        let mut empty = draft();
        empty.to.clear();
        empty.cc.clear();
        empty.bcc.clear();
        assert_eq!(
            compose(&empty, "x@y", SystemTime::now()),
            Err(ComposeError::NoRecipient)
        );
        let mut bad = draft();
        bad.to = vec![Address::new("", "not an address")];
        assert!(matches!(
            compose(&bad, "x@y", SystemTime::now()),
            Err(ComposeError::BadAddress(_))
        ));
    }

    #[test]
    fn a_draft_without_recipients_still_builds_for_the_drafts_folder() {
        let mut empty = draft();
        empty.to.clear();
        empty.cc.clear();
        empty.bcc.clear();
        let bytes = compose_draft(&empty, "d@x", SystemTime::now()).unwrap();
        let view = parse_message(&bytes);
        assert_eq!(view.subject, "Grüße and plans");
        assert_eq!(view.message_id, "d@x");
    }

    #[test]
    fn address_lists_parse_as_typed() {
        let list = parse_address_list("Bob <bob@tern.test>, carol@tern.test; ").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name, "Bob");
        assert_eq!(list[1].address, "carol@tern.test");
        assert!(parse_address_list("").unwrap().is_empty());
        assert!(parse_address_list("bob@").is_err());
    }

    #[test]
    fn message_ids_are_unique_and_in_the_senders_domain() {
        let one = new_message_id("alice@tern.test");
        let two = new_message_id("alice@tern.test");
        assert_ne!(one, two);
        assert!(one.ends_with("@tern.test"));
        assert!(new_message_id("nodomain").ends_with("@tern.invalid"));
    }

    #[test]
    fn only_the_named_header_and_its_continuations_go() {
        let raw = b"To: a\r\nBcc: x,\r\n y\r\nSubject: s\r\n\r\nBcc: in body\r\n";
        assert_eq!(
            without_header(raw, "bcc"),
            b"To: a\r\nSubject: s\r\n\r\nBcc: in body\r\n".to_vec()
        );
    }
}
