//! Replies and forwards: the recipients, subject, threading headers and quoted text a
//! reply or forward of a received message starts with, as a [`Draft`] the user then edits.

use crate::compose::{Draft, OutgoingAttachment};
use crate::view::{Address, MessageView};

/// References kept in a reply: the thread's first message and the newest ones (RFC 5322
/// lets a client shorten the list; the root and the parent are what threading needs).
const MAX_REFERENCES: usize = 20;

/// "Re: " in front, once: a subject that already starts with Re: (any case, also "Re[2]:")
/// stays as it is.
pub fn reply_subject(subject: &str) -> String {
    let subject = subject.trim();
    if starts_with_prefix(subject, &["re"]) {
        subject.to_string()
    } else if subject.is_empty() {
        "Re:".to_string()
    } else {
        format!("Re: {subject}")
    }
}

/// "Fwd: " in front, once (Fwd:, Fw: and Fwd[2]: count as already there).
pub fn forward_subject(subject: &str) -> String {
    let subject = subject.trim();
    if starts_with_prefix(subject, &["fwd", "fw"]) {
        subject.to_string()
    } else if subject.is_empty() {
        "Fwd:".to_string()
    } else {
        format!("Fwd: {subject}")
    }
}

/// Whether `subject` starts with one of `prefixes` followed by ":" (or "[n]:").
fn starts_with_prefix(subject: &str, prefixes: &[&str]) -> bool {
    let lower = subject.to_ascii_lowercase();
    prefixes.iter().any(|prefix| {
        let Some(rest) = lower.strip_prefix(prefix) else {
            return false;
        };
        let rest = rest.trim_start();
        if rest.starts_with(':') {
            return true;
        }
        rest.strip_prefix('[')
            .and_then(|inner| inner.split_once(']'))
            .is_some_and(|(number, after)| {
                number.chars().all(|c| c.is_ascii_digit()) && after.trim_start().starts_with(':')
            })
    })
}

fn same(a: &Address, b: &str) -> bool {
    a.address.trim().eq_ignore_ascii_case(b.trim())
}

fn push_unique(list: &mut Vec<Address>, address: &Address, except: &[&str]) {
    if address.address.trim().is_empty()
        || except.iter().any(|excluded| same(address, excluded))
        || list.iter().any(|present| same(present, &address.address))
    {
        return;
    }
    list.push(address.clone());
}

/// (To, Cc) of a reply to `original` from `me` (the account's address). A reply goes to
/// Reply-To, else From; replying to one's own message goes to its recipients. Reply-all
/// adds the original's To and Cc, without `me` and without anyone twice.
pub fn reply_recipients(
    original: &MessageView,
    me: &str,
    all: bool,
) -> (Vec<Address>, Vec<Address>) {
    let from_me = original.from.iter().any(|from| same(from, me));
    let mut to = Vec::new();
    let primary: &[Address] = if from_me {
        &original.to
    } else if !original.reply_to.is_empty() {
        &original.reply_to
    } else {
        &original.from
    };
    for address in primary {
        push_unique(&mut to, address, &[me]);
    }
    if to.is_empty() {
        // A message from me to only me: reply to me.
        for address in primary {
            push_unique(&mut to, address, &[]);
        }
    }
    let mut cc = Vec::new();
    if all {
        let taken: Vec<String> = to.iter().map(|address| address.address.clone()).collect();
        let mut except: Vec<&str> = taken.iter().map(String::as_str).collect();
        except.push(me);
        let others: Vec<Address> = if from_me {
            original.cc.clone()
        } else {
            original.to.iter().chain(&original.cc).cloned().collect()
        };
        for address in &others {
            push_unique(&mut cc, address, &except);
        }
    }
    (to, cc)
}

/// (In-Reply-To, References) for a reply to `original`.
pub fn thread_headers(original: &MessageView) -> (Option<String>, Vec<String>) {
    let parent = (!original.message_id.is_empty()).then(|| original.message_id.clone());
    let mut references = if original.references.is_empty() {
        original.in_reply_to.clone()
    } else {
        original.references.clone()
    };
    if let Some(parent) = &parent {
        references.retain(|id| id != parent);
        references.push(parent.clone());
    }
    if references.len() > MAX_REFERENCES {
        let keep_from = references.len() - (MAX_REFERENCES - 1);
        let mut shortened = vec![references[0].clone()];
        shortened.extend_from_slice(&references[keep_from..]);
        references = shortened;
    }
    (parent, references)
}

/// `Name <a@b>, c@d`: an address list as people type and read it.
pub fn format_address_list(addresses: &[Address]) -> String {
    addresses
        .iter()
        .map(|address| crate::format_address(&address.name, &address.address))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Sat, 28 Nov 2026 14:05 +0000` for Unix seconds (UTC).
pub fn format_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let month_name = MONTHS[(month - 1).clamp(0, 11) as usize];
    format!(
        "{weekday}, {day} {month_name} {year} {:02}:{:02} +0000",
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// The original's text with "> " in front of each line, under an attribution line.
pub fn quoted(original: &MessageView) -> String {
    let who = original
        .from
        .first()
        .map(|from| format_address_list(std::slice::from_ref(from)))
        .unwrap_or_else(|| "someone".to_string());
    let attribution = match original.date {
        Some(date) => format!("On {}, {who} wrote:", format_date(date)),
        None => format!("{who} wrote:"),
    };
    let body = original.text.as_deref().unwrap_or("").replace("\r\n", "\n");
    let mut out = format!("\n\n{attribution}\n");
    for line in body.trim_end().lines() {
        if line.starts_with('>') {
            out.push('>');
        } else {
            out.push_str("> ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A reply (or reply-all) to `original`, from `me`, starting with the quoted text.
pub fn reply_draft(original: &MessageView, me: &Address, all: bool) -> Draft {
    let (to, cc) = reply_recipients(original, &me.address, all);
    let (in_reply_to, references) = thread_headers(original);
    Draft {
        from: Some(me.clone()),
        to,
        cc,
        subject: reply_subject(&original.subject),
        text: quoted(original),
        in_reply_to,
        references,
        ..Draft::default()
    }
}

/// A forward of `original` (raw bytes `raw`) inline: its headers and text in the body, its
/// attachments attached again. No recipients yet.
pub fn forward_draft(original: &MessageView, raw: &[u8], me: &Address) -> Draft {
    let attachments = original
        .attachments
        .iter()
        .map(|attachment| crate::attachment_bytes(raw, attachment.index))
        .collect();
    forward_draft_with(original, attachments, me)
}

/// [`forward_draft`] with the attachments' bytes given (`data[i]` for attachment `i`; `None`
/// leaves it out), for a message whose parts are not all in its cached bytes.
pub fn forward_draft_with(
    original: &MessageView,
    data: Vec<Option<Vec<u8>>>,
    me: &Address,
) -> Draft {
    let mut text = String::from("\n\n---------- Forwarded message ----------\n");
    text.push_str(&format!("From: {}\n", format_address_list(&original.from)));
    if let Some(date) = original.date {
        text.push_str(&format!("Date: {}\n", format_date(date)));
    }
    text.push_str(&format!("Subject: {}\n", original.subject));
    if !original.to.is_empty() {
        text.push_str(&format!("To: {}\n", format_address_list(&original.to)));
    }
    if !original.cc.is_empty() {
        text.push_str(&format!("Cc: {}\n", format_address_list(&original.cc)));
    }
    text.push('\n');
    text.push_str(
        original
            .text
            .as_deref()
            .unwrap_or("")
            .replace("\r\n", "\n")
            .trim_end(),
    );
    text.push('\n');
    let attachments = original
        .attachments
        .iter()
        .zip(data)
        .filter_map(|(attachment, data)| {
            data.map(|data| OutgoingAttachment {
                name: attachment.name.clone(),
                content_type: attachment.content_type.clone(),
                data,
            })
        })
        .collect();
    Draft {
        from: Some(me.clone()),
        subject: forward_subject(&original.subject),
        text,
        attachments,
        ..Draft::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_message;

    const ORIGINAL: &[u8] = b"From: Bob <bob@tern.test>\r\nTo: Alice <alice@tern.test>, carol@tern.test\r\n\
Cc: Dan <dan@tern.test>, ALICE@tern.test\r\nSubject: Plans\r\nDate: Sat, 28 Nov 2026 14:05:00 +0000\r\n\
Message-ID: <m2@tern.test>\r\nReferences: <m0@tern.test> <m1@tern.test>\r\nIn-Reply-To: <m1@tern.test>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
Line one\r\n> older\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n";

    #[test]
    fn subjects_get_one_prefix() {
        assert_eq!(reply_subject("Plans"), "Re: Plans");
        assert_eq!(reply_subject("Re: Plans"), "Re: Plans");
        assert_eq!(reply_subject("RE: Plans"), "RE: Plans");
        assert_eq!(reply_subject("Re[2]: Plans"), "Re[2]: Plans");
        assert_eq!(reply_subject("Regarding plans"), "Re: Regarding plans");
        assert_eq!(reply_subject(""), "Re:");
        assert_eq!(forward_subject("Plans"), "Fwd: Plans");
        assert_eq!(forward_subject("Fwd: Plans"), "Fwd: Plans");
        assert_eq!(forward_subject("FW: Plans"), "FW: Plans");
        assert_eq!(forward_subject("Re: Plans"), "Fwd: Re: Plans");
    }

    #[test]
    fn reply_goes_to_the_sender_and_reply_all_to_everyone_but_me() {
        let original = parse_message(ORIGINAL);
        let (to, cc) = reply_recipients(&original, "alice@tern.test", false);
        assert_eq!(to, vec![Address::new("Bob", "bob@tern.test")]);
        assert!(cc.is_empty());
        let (to, cc) = reply_recipients(&original, "alice@tern.test", true);
        assert_eq!(to, vec![Address::new("Bob", "bob@tern.test")]);
        let cc: Vec<&str> = cc.iter().map(|a| a.address.as_str()).collect();
        assert_eq!(cc, vec!["carol@tern.test", "dan@tern.test"]);
    }

    #[test]
    fn reply_to_wins_and_my_own_message_goes_to_its_recipients() {
        let mut original = parse_message(ORIGINAL);
        original.reply_to = vec![Address::new("List", "list@tern.test")];
        assert_eq!(
            reply_recipients(&original, "alice@tern.test", false).0[0].address,
            "list@tern.test"
        );
        let mine = parse_message(
            b"From: alice@tern.test\r\nTo: bob@tern.test\r\nSubject: x\r\n\r\nhi\r\n",
        );
        assert_eq!(
            reply_recipients(&mine, "alice@tern.test", false).0[0].address,
            "bob@tern.test"
        );
    }

    #[test]
    fn threading_headers_extend_the_chain() {
        let original = parse_message(ORIGINAL);
        let (parent, references) = thread_headers(&original);
        assert_eq!(parent.as_deref(), Some("m2@tern.test"));
        assert_eq!(
            references,
            vec!["m0@tern.test", "m1@tern.test", "m2@tern.test"]
        );
        let mut long = original.clone();
        long.references = (0..40).map(|n| format!("r{n}@x")).collect();
        let (_, references) = thread_headers(&long);
        assert_eq!(references.len(), MAX_REFERENCES);
        assert_eq!(references[0], "r0@x");
        assert_eq!(references.last().map(String::as_str), Some("m2@tern.test"));
    }

    #[test]
    fn the_reply_quotes_the_text_under_an_attribution() {
        let original = parse_message(ORIGINAL);
        let draft = reply_draft(&original, &Address::new("Alice", "alice@tern.test"), false);
        assert_eq!(draft.subject, "Re: Plans");
        assert!(draft.text.contains("On Sat, 28 Nov 2026 14:05 +0000, Bob <bob@tern.test> wrote:\n> Line one\n>> older\n"), "{}", draft.text);
        assert_eq!(draft.in_reply_to.as_deref(), Some("m2@tern.test"));
    }

    #[test]
    fn a_forward_carries_the_headers_text_and_attachments() {
        let original = parse_message(ORIGINAL);
        let draft = forward_draft(
            &original,
            ORIGINAL,
            &Address::new("Alice", "alice@tern.test"),
        );
        assert_eq!(draft.subject, "Fwd: Plans");
        assert!(draft.to.is_empty());
        assert!(draft
            .text
            .contains("---------- Forwarded message ----------\nFrom: Bob <bob@tern.test>\n"));
        assert!(draft.text.contains("Subject: Plans\n"));
        assert!(draft.text.contains("Line one"));
        assert_eq!(draft.attachments.len(), 1);
        assert_eq!(draft.attachments[0].name, "a.pdf");
        assert_eq!(draft.attachments[0].data, vec![0, 1, 2]);
    }

    #[test]
    fn dates_format_in_utc() {
        assert_eq!(format_date(0), "Thu, 1 Jan 1970 00:00 +0000");
        assert_eq!(format_date(1_795_874_700), "Sat, 28 Nov 2026 14:05 +0000");
        assert_eq!(format_date(951_782_400), "Tue, 29 Feb 2000 00:00 +0000");
    }
}
