//! The header fields a message list needs (subject, from, to, cc, date, threading ids),
//! decoded from the raw header block a server returns for `BODY.PEEK[HEADER.FIELDS (…)]`.

use std::sync::LazyLock;

use mail_parser::{Address, HeaderName, MessageParser, MimeHeaders};

use crate::{format_address, parse_message_ids};

/// The header fields IMAP clients fetch to build a message list, in the order of
/// [`ListHeaders`]. Fetching these raw is cheaper for servers than ENVELOPE plus
/// References (Dovecot caches header fields), and keeps every byte for our own decoding.
pub const LIST_HEADER_FIELDS: &str =
    "DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE";

/// Decoded list fields of one message. Missing or malformed fields are empty / `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListHeaders {
    pub subject: String,
    pub from_name: String,
    pub from_address: String,
    /// `Name <address>, …` of the To header.
    pub to_list: String,
    pub cc_list: String,
    /// The Date header in Unix seconds, when present and valid.
    pub date: Option<i64>,
    pub message_id: String,
    pub in_reply_to: String,
    /// Message-IDs of the References header, in order, without duplicates.
    pub references: Vec<String>,
    /// The top-level Content-Type is multipart/mixed: the message likely has attachments.
    pub attachments: bool,
}

/// Parses only the fields [`ListHeaders`] decodes; the message ids stay raw (they are read by
/// [`parse_message_ids`], once) and so does anything else a server adds.
static LIST_PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    MessageParser::new()
        .header_date(HeaderName::Date)
        .header_address(HeaderName::From)
        .header_address(HeaderName::To)
        .header_address(HeaderName::Cc)
        .header_text(HeaderName::Subject)
        .header_content_type(HeaderName::ContentType)
});

/// Decodes a raw header block (RFC 5322 fields, RFC 2047 encoded words in any charset).
/// Never panics; anything unreadable decodes to empty fields.
pub fn parse_list_headers(raw: &[u8]) -> ListHeaders {
    let Some(message) = LIST_PARSER.parse_headers(raw) else {
        return ListHeaders::default();
    };
    let raw_field = |name: &'static str| message.header_raw(name).unwrap_or_default();
    let (from_name, from_address) = message
        .from()
        .and_then(|from| from.iter().next())
        .map(|addr| {
            (
                addr.name.as_deref().unwrap_or_default().trim().to_string(),
                addr.address
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            )
        })
        .unwrap_or_default();
    ListHeaders {
        subject: message.subject().unwrap_or_default().trim().to_string(),
        from_name,
        from_address,
        to_list: address_list(message.to()),
        cc_list: address_list(message.cc()),
        date: message
            .date()
            .filter(|date| date.is_valid())
            .map(|date| date.to_timestamp()),
        message_id: first_id(raw_field("Message-ID")),
        in_reply_to: first_id(raw_field("In-Reply-To")),
        references: parse_message_ids(raw_field("References").as_bytes()),
        attachments: message.content_type().is_some_and(|content_type| {
            content_type.ctype().eq_ignore_ascii_case("multipart")
                && content_type
                    .subtype()
                    .is_some_and(|subtype| subtype.eq_ignore_ascii_case("mixed"))
        }),
    }
}

fn first_id(raw: &str) -> String {
    parse_message_ids(raw.as_bytes())
        .into_iter()
        .next()
        .unwrap_or_default()
}

fn address_list(address: Option<&Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    address
        .iter()
        .filter_map(|addr| {
            let name = addr.name.as_deref().unwrap_or_default().trim();
            let spec = addr.address.as_deref().unwrap_or_default().trim();
            (!name.is_empty() || !spec.is_empty()).then(|| format_address(name, spec))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_list_field() {
        let raw = b"Date: Wed, 17 Jul 1996 02:23:25 -0700\r\n\
From: =?ISO-8859-1?Q?Ren=E9?= <rene@example.org>\r\n\
To: alice@example.org, Bob <bob@example.org>\r\n\
Cc: Team: carol@example.org, \"Dan D.\" <dan@example.org>;\r\n\
Subject: =?UTF-8?Q?Caf=C3=A9?=\r\n plans\r\n\
Message-ID: <42@example.org>\r\n\
In-Reply-To: <parent@x>\r\n\
References: <a@x>\r\n <b@y> <a@x>\r\n\r\n";
        let headers = parse_list_headers(raw);
        assert_eq!(headers.subject, "Café plans");
        assert_eq!(headers.from_name, "René");
        assert_eq!(headers.from_address, "rene@example.org");
        assert_eq!(headers.to_list, "alice@example.org, Bob <bob@example.org>");
        assert_eq!(
            headers.cc_list,
            "carol@example.org, Dan D. <dan@example.org>"
        );
        assert_eq!(headers.date, Some(837_595_405));
        assert_eq!(headers.message_id, "42@example.org");
        assert_eq!(headers.in_reply_to, "parent@x");
        assert_eq!(headers.references, vec!["a@x", "b@y"]);
        assert!(!headers.attachments);
    }

    #[test]
    fn multipart_mixed_marks_attachments() {
        let mixed = parse_list_headers(
            b"Subject: x\r\nContent-Type: Multipart/Mixed;\r\n boundary=\"b\"\r\n\r\n",
        );
        assert!(mixed.attachments);
        let alternative = parse_list_headers(
            b"Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n",
        );
        assert!(!alternative.attachments);
    }

    #[test]
    fn missing_and_malformed_fields_are_empty() {
        let headers = parse_list_headers(b"Date: not a date\r\nFrom: <>\r\n\r\n");
        assert_eq!(headers.date, None);
        assert_eq!(headers.from_address, "");
        assert_eq!(headers.subject, "");
        assert!(headers.references.is_empty());
        assert_eq!(parse_list_headers(b""), ListHeaders::default());
        assert_eq!(parse_list_headers(b"\xff\xfe\x00garbage").subject, "");
    }

    #[test]
    fn raw_utf8_and_latin1_bytes_do_not_panic() {
        let headers = parse_list_headers("Subject: raw ünïcode\r\n\r\n".as_bytes());
        assert_eq!(headers.subject, "raw ünïcode");
        let headers = parse_list_headers(b"Subject: caf\xe9\r\n\r\n");
        assert!(headers.subject.starts_with("caf"));
    }
}
