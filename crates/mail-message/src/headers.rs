//! Header text decoding (RFC 2047 encoded words, any charset) and Message-ID lists.

use std::collections::HashSet;

use mail_parser::MessageParser;

/// Decodes header text as a server sent it (for example an ENVELOPE subject or display name):
/// RFC 2047 encoded words in any charset mail-parser knows, raw UTF-8, or lossy bytes.
pub fn decode_header_text(raw: &[u8]) -> String {
    let has_encoded_word = raw.windows(2).any(|pair| pair == b"=?");
    if !has_encoded_word {
        return String::from_utf8_lossy(raw).trim().to_string();
    }
    let mut block = Vec::with_capacity(raw.len() + 16);
    block.extend_from_slice(b"Subject: ");
    // A header value may not contain bare line breaks; fold them to spaces.
    block.extend(raw.iter().map(|byte| match byte {
        b'\r' | b'\n' => b' ',
        other => *other,
    }));
    block.extend_from_slice(b"\r\n\r\n");
    MessageParser::new()
        .parse_headers(&block)
        .and_then(|message| message.subject().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(raw).trim().to_string())
}

/// How a sender is named to the person (a notification, the tray, a `new_mail` line): their
/// name, else their address.
pub fn sender_label<'a>(name: &'a str, address: &'a str) -> &'a str {
    if name.is_empty() {
        address
    } else {
        name
    }
}

/// `Name <mailbox@host>`, or the bare address when there is no name.
pub fn format_address(name: &str, address: &str) -> String {
    match (name.is_empty(), address.is_empty()) {
        (true, _) => address.to_string(),
        (false, true) => name.to_string(),
        (false, false) => format!("{name} <{address}>"),
    }
}

/// The Message-IDs in a header value such as References or In-Reply-To, without angle
/// brackets' surrounding junk, in order, duplicates removed.
pub fn parse_message_ids(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut ids: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let id = after[..end].trim();
        if !id.is_empty() && !id.contains(char::is_whitespace) && seen.insert(id) {
            ids.push(id);
        }
        rest = &after[end + 1..];
    }
    // RFC 5322 lets a long References list be trimmed to its first and latest entries;
    // threading needs no more, and a hostile list of 50,000 stays small.
    if ids.len() > MAX_MESSAGE_IDS {
        let newest = ids.split_off(ids.len() - (MAX_MESSAGE_IDS - 1));
        ids.truncate(1);
        ids.extend(newest);
    }
    ids.into_iter().map(str::to_string).collect()
}

/// The most Message-IDs kept of one header: the first (the thread's root) and the newest.
pub const MAX_MESSAGE_IDS: usize = 100;

/// The value of the first header field `name` (case-insensitive) in a raw message's header
/// section, unfolded and with encoded words decoded; None when there is no such field.
pub fn header_value(raw: &[u8], name: &str) -> Option<String> {
    let mut value: Option<Vec<u8>> = None;
    for line in raw.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        match (&mut value, continuation) {
            (Some(found), true) => {
                found.push(b' ');
                found.extend_from_slice(line.trim_ascii());
            }
            (Some(_), false) => break,
            (None, false) => {
                if line.len() > name.len()
                    && line[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                    && line[name.len()] == b':'
                {
                    value = Some(line[name.len() + 1..].trim_ascii().to_vec());
                }
            }
            (None, true) => {}
        }
    }
    value.map(|found| decode_header_text(&found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_is_named_by_name_else_address() {
        assert_eq!(sender_label("Dora", "dora@tern.test"), "Dora");
        assert_eq!(sender_label("", "dora@tern.test"), "dora@tern.test");
    }

    #[test]
    fn long_reference_lists_keep_the_root_and_the_newest() {
        let header: String = (0..50_000).map(|n| format!("<id{n}@x> ")).collect();
        let ids = parse_message_ids(header.as_bytes());
        assert_eq!(ids.len(), MAX_MESSAGE_IDS);
        assert_eq!(ids[0], "id0@x");
        assert_eq!(ids[1], format!("id{}@x", 50_000 - (MAX_MESSAGE_IDS - 1)));
        assert_eq!(ids.last().map(String::as_str), Some("id49999@x"));
        // Repeats count once, in first-seen order.
        assert_eq!(parse_message_ids(b"<a@x> <b@x> <a@x>"), vec!["a@x", "b@x"]);
    }

    #[test]
    fn decodes_encoded_words_in_several_charsets() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain subject", "plain subject"),
            (
                b"=?UTF-8?B?w4Rwb3N0cm9waGUg4oCUIHLDqXN1bcOp?=",
                "Äpostrophe — résumé",
            ),
            (b"=?ISO-8859-1?Q?Caf=E9?= au lait", "Café au lait"),
            (b"=?iso-2022-jp?B?GyRCJEckOSEjGyhC?=", "です。"),
            (b"=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"),
            ("raw ünïcode".as_bytes(), "raw ünïcode"),
            (
                b"broken =?UTF-8?B?###?= tail",
                "broken =?UTF-8?B?###?= tail",
            ),
            (b"", ""),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                decode_header_text(raw),
                *expected,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn invalid_utf8_is_lossy_not_fatal() {
        assert_eq!(decode_header_text(b"caf\xe9"), "caf\u{fffd}");
    }

    #[test]
    fn header_values_unfold_and_stop_at_the_body() {
        let raw = b"To: a@x\r\nBcc: Dan <dan@x>,\r\n =?utf-8?q?J=C3=B6rg?= <j@x>\r\nSubject: s\r\n\r\nBcc: body@x\r\n";
        assert_eq!(
            header_value(raw, "bcc").as_deref(),
            Some("Dan <dan@x>, Jörg <j@x>")
        );
        assert_eq!(header_value(raw, "Subject").as_deref(), Some("s"));
        assert_eq!(header_value(b"To: a@x\r\n\r\nCc: b@x\r\n", "Cc"), None);
    }

    #[test]
    fn message_id_lists() {
        assert_eq!(
            parse_message_ids(b"<a@x> <b@y>\r\n <a@x> junk <> <c@z>"),
            vec!["a@x", "b@y", "c@z"]
        );
        assert!(parse_message_ids(b"no ids here").is_empty());
        assert_eq!(
            parse_message_ids(b"References: <one@x>\r\n <two@y>\r\n\r\n"),
            vec!["one@x", "two@y"]
        );
    }

    #[test]
    fn addresses_format() {
        assert_eq!(format_address("Bob", "bob@x.org"), "Bob <bob@x.org>");
        assert_eq!(format_address("", "bob@x.org"), "bob@x.org");
        assert_eq!(format_address("Undisclosed", ""), "Undisclosed");
    }
}
