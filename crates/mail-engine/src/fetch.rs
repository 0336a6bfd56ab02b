//! FETCH items for message headers and their conversion into cache rows.

use imap_proto::{AttributeValue, MessageSection, SectionPath};
use mail_message::{parse_internal_date, parse_list_headers};
use mail_store::{GmailIds, MessageRow};
use mail_sync::{Flags, Uid};

/// The FETCH items a cached message row is built from: the list's header fields raw
/// (`mail_message::LIST_HEADER_FIELDS`) rather than ENVELOPE + References, which costs
/// Dovecot about a third more per message and decodes less faithfully.
pub const HEADER_ITEMS: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)])";

/// [`HEADER_ITEMS`] with Gmail's message and conversation ids and labels (X-GM-EXT-1).
pub const GMAIL_HEADER_ITEMS: &str = "(UID FLAGS INTERNALDATE RFC822.SIZE X-GM-MSGID X-GM-THRID X-GM-LABELS BODY.PEEK[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE)])";

/// The header items to ask a server for: Gmail's ids and labels too where it offers them.
pub fn header_items(gmail: bool) -> &'static str {
    if gmail {
        GMAIL_HEADER_ITEMS
    } else {
        HEADER_ITEMS
    }
}

/// Builds a cache row from a FETCH response that carries the `HEADER_ITEMS`.
/// Returns `None` when the response lacks the UID or the header fields (an unsolicited
/// flag update).
pub fn message_row(attributes: &[AttributeValue<'_>]) -> Option<MessageRow> {
    let mut uid = None;
    let mut flags = Flags::new();
    let mut internal_date = None;
    let mut size = 0;
    let mut header: Option<&[u8]> = None;
    let mut gmail: Option<GmailIds> = None;
    for attribute in attributes {
        match attribute {
            AttributeValue::GmailMsgId(msgid) => {
                gmail.get_or_insert_with(Default::default).msgid = *msgid
            }
            AttributeValue::GmailThrId(thrid) => {
                gmail.get_or_insert_with(Default::default).thrid = Some(*thrid)
            }
            AttributeValue::GmailLabels(labels) => {
                gmail.get_or_insert_with(Default::default).labels =
                    labels.iter().map(|label| label.to_string()).collect()
            }
            AttributeValue::Uid(value) => uid = Some(Uid(*value)),
            AttributeValue::Flags(list) => flags = Flags::from_server(list.iter()),
            AttributeValue::InternalDate(text) => internal_date = parse_internal_date(text),
            AttributeValue::Rfc822Size(value) => size = *value,
            AttributeValue::BodySection {
                section: Some(SectionPath::Full(MessageSection::Header)),
                data,
                ..
            } => header = Some(data.as_deref().unwrap_or_default()),
            _ => {}
        }
    }
    let uid = uid?;
    let headers = parse_list_headers(header?);
    Some(MessageRow {
        uid,
        flags,
        subject: headers.subject,
        from_name: headers.from_name,
        from_address: headers.from_address,
        to_list: headers.to_list,
        cc_list: headers.cc_list,
        date: headers.date,
        internal_date: internal_date.or(headers.date).unwrap_or(0),
        size,
        message_id: headers.message_id,
        in_reply_to: headers.in_reply_to,
        references: headers.references.join(" "),
        attachments: headers.attachments,
        // Without X-GM-MSGID the rest identifies nothing.
        gmail: gmail.filter(|gmail| gmail.msgid != 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_proto::Response;

    #[test]
    fn builds_a_row_from_a_fetch() {
        let header = "Date: Wed, 17 Jul 1996 02:23:25 -0700\r\nFrom: =?ISO-8859-1?Q?Ren=E9?= <rene@example.org>\r\nTo: alice@example.org, Bob <bob@example.org>\r\nSubject: =?UTF-8?Q?Caf=C3=A9?= plans\r\nMessage-ID: <42@example.org>\r\nIn-Reply-To: <parent@x>\r\nReferences: <a@x> <b@y>\r\n\r\n";
        let line = format!("* 1 FETCH (UID 42 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 BODY[HEADER.FIELDS (DATE FROM TO CC SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES)] {{{}}}\r\n{header})\r\n", header.len());
        let line = line.as_bytes();
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
