//! FETCH items for message headers and their conversion into cache rows.

use imap_proto::{AttributeValue, Envelope, MessageSection, SectionPath};
use mail_message::{
    decode_header_text, format_address, parse_header_date, parse_internal_date, parse_message_ids,
};
use mail_store::MessageRow;
use mail_sync::{Flags, Uid};

/// The FETCH items a cached message row is built from.
pub const HEADER_ITEMS: &str =
    "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)])";

/// Builds a cache row from a FETCH response that carries the `HEADER_ITEMS`.
/// Returns `None` when the response lacks the UID or the ENVELOPE (an unsolicited flag update).
pub fn message_row(attributes: &[AttributeValue<'_>]) -> Option<MessageRow> {
    let mut uid = None;
    let mut flags = Flags::new();
    let mut internal_date = None;
    let mut size = 0;
    let mut envelope: Option<&Envelope<'_>> = None;
    let mut references: Vec<String> = Vec::new();
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(value) => uid = Some(Uid(*value)),
            AttributeValue::Flags(list) => flags = Flags::from_server(list.iter()),
            AttributeValue::InternalDate(text) => internal_date = parse_internal_date(text),
            AttributeValue::Rfc822Size(value) => size = *value,
            AttributeValue::Envelope(value) => envelope = Some(value),
            AttributeValue::BodySection {
                section: Some(SectionPath::Full(MessageSection::Header)),
                data: Some(data),
                ..
            } => references = parse_message_ids(data),
            _ => {}
        }
    }
    let uid = uid?;
    let envelope = envelope?;
    let text = |value: &Option<std::borrow::Cow<'_, [u8]>>| {
        value.as_deref().map(decode_header_text).unwrap_or_default()
    };
    let (from_name, from_address) = envelope
        .from
        .as_ref()
        .and_then(|list| list.first())
        .map(|address| (text(&address.name), address_spec(address)))
        .unwrap_or_default();
    let date = envelope.date.as_deref().and_then(parse_header_date);
    Some(MessageRow {
        uid,
        flags,
        subject: text(&envelope.subject),
        from_name,
        from_address,
        to_list: address_list(envelope.to.as_deref()),
        cc_list: address_list(envelope.cc.as_deref()),
        date,
        internal_date: internal_date.or(date).unwrap_or(0),
        size,
        message_id: envelope
            .message_id
            .as_deref()
            .and_then(|raw| parse_message_ids(raw).into_iter().next())
            .unwrap_or_default(),
        in_reply_to: envelope
            .in_reply_to
            .as_deref()
            .and_then(|raw| parse_message_ids(raw).into_iter().next())
            .unwrap_or_default(),
        references: references.join(" "),
    })
}

fn address_spec(address: &imap_proto::Address<'_>) -> String {
    let mailbox = address.mailbox.as_deref().map(String::from_utf8_lossy);
    let host = address.host.as_deref().map(String::from_utf8_lossy);
    match (mailbox, host) {
        (Some(mailbox), Some(host)) => format!("{mailbox}@{host}"),
        (Some(mailbox), None) => mailbox.into_owned(),
        _ => String::new(),
    }
}

fn address_list(addresses: Option<&[imap_proto::Address<'_>]>) -> String {
    let Some(addresses) = addresses else {
        return String::new();
    };
    addresses
        .iter()
        // RFC 3501 group syntax: a NIL host marks group start/end markers; skip them.
        .filter(|address| address.host.is_some())
        .map(|address| {
            let name = address
                .name
                .as_deref()
                .map(decode_header_text)
                .unwrap_or_default();
            format_address(&name, &address_spec(address))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_proto::Response;

    #[test]
    fn builds_a_row_from_a_fetch() {
        let line = b"* 1 FETCH (UID 42 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700\" \"=?UTF-8?Q?Caf=C3=A9?= plans\" ((\"=?ISO-8859-1?Q?Ren=E9?=\" NIL \"rene\" \"example.org\")) NIL NIL ((NIL NIL \"alice\" \"example.org\") (\"Bob\" NIL \"bob\" \"example.org\")) NIL NIL \"<parent@x>\" \"<42@example.org>\") BODY[HEADER.FIELDS (REFERENCES)] {27}\r\nReferences: <a@x> <b@y>\r\n\r\n)\r\n";
        let (_, response) = Response::parse(line).expect("parses");
        let Response::Fetch(_, attributes) = response else {
            panic!("not a fetch")
        };
        let row = message_row(&attributes).expect("row");
        assert_eq!(row.uid, Uid(42));
        assert!(row.flags.is_seen());
        assert_eq!(row.subject, "Café plans");
        assert_eq!(row.from_name, "René");
        assert_eq!(row.from_address, "rene@example.org");
        assert_eq!(row.to_list, "alice@example.org, Bob <bob@example.org>");
        assert_eq!(row.internal_date, 837_596_665);
        assert_eq!(row.date, Some(837_595_405));
        assert_eq!(row.size, 4286);
        assert_eq!(row.message_id, "42@example.org");
        assert_eq!(row.in_reply_to, "parent@x");
        assert_eq!(row.references, "a@x b@y");
    }

    #[test]
    fn a_flags_only_fetch_is_not_a_row() {
        let (_, response) = Response::parse(b"* 3 FETCH (UID 7 FLAGS ())\r\n").expect("parses");
        let Response::Fetch(_, attributes) = response else {
            panic!("not a fetch")
        };
        assert!(message_row(&attributes).is_none());
    }
}
