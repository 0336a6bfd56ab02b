//! `mailto:` URIs (RFC 6068) read into the fields a compose form may take from them, and
//! nothing else: recipients, subject, body and In-Reply-To. Every other header a link may
//! carry is dropped — `attach=`/`attachment=` (which some mail programs turn into a local
//! file attached without asking), `from=`, `reply-to=`, anything unknown — so a link in a
//! message can fill in a reply but never send a file or change who the mail is from.

use crate::compose::{parse_address_list, Draft};
use crate::view::Address;

/// What a `mailto:` URI may fill in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailto {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// The Message-ID being answered, without angle brackets.
    pub in_reply_to: Option<String>,
}

/// Reads a `mailto:` URI; `None` when it is not one. Percent-escapes decode as UTF-8
/// (invalid sequences become U+FFFD); recipients split at commas; repeated fields add up
/// (recipients) or the first wins (subject, body, In-Reply-To).
pub fn parse_mailto(uri: &str) -> Option<Mailto> {
    let rest = uri.trim();
    let scheme = rest.get(..7)?;
    if !scheme.eq_ignore_ascii_case("mailto:") {
        return None;
    }
    let rest = &rest[7..];
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, query),
        None => (rest, ""),
    };
    let mut mailto = Mailto::default();
    add_addresses(&mut mailto.to, &percent_decode(path));
    for field in query.split('&').filter(|field| !field.is_empty()) {
        let (name, value) = field.split_once('=').unwrap_or((field, ""));
        let value = percent_decode(value);
        match percent_decode(name).to_ascii_lowercase().as_str() {
            "to" => add_addresses(&mut mailto.to, &value),
            "cc" => add_addresses(&mut mailto.cc, &value),
            "bcc" => add_addresses(&mut mailto.bcc, &value),
            "subject" if mailto.subject.is_none() => mailto.subject = Some(one_line(&value)),
            "body" if mailto.body.is_none() => mailto.body = Some(value),
            "in-reply-to" if mailto.in_reply_to.is_none() => {
                let id = one_line(&value)
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string();
                if !id.is_empty() {
                    mailto.in_reply_to = Some(id);
                }
            }
            // attach, attachment, from, sender, reply-to, x-*, …: never.
            _ => {}
        }
    }
    Some(mailto)
}

impl Mailto {
    /// Fills a new draft from the link: its recipients added to the draft's, its subject and
    /// In-Reply-To (with References) set, its body (line ends made `\n`) put above what the
    /// draft already holds (the signature). A recipient that does not read as an address is
    /// kept as written, for the form (or the send) to refuse with its name.
    pub fn fill(&self, draft: &mut Draft) {
        for (list, addresses) in [
            (&mut draft.to, &self.to),
            (&mut draft.cc, &self.cc),
            (&mut draft.bcc, &self.bcc),
        ] {
            for address in addresses {
                match parse_address_list(address) {
                    Ok(parsed) => list.extend(parsed),
                    Err(_) => list.push(Address {
                        name: String::new(),
                        address: address.clone(),
                    }),
                }
            }
        }
        if let Some(subject) = &self.subject {
            draft.subject = subject.clone();
        }
        if let Some(body) = &self.body {
            let body = body.replace("\r\n", "\n").replace('\r', "\n");
            draft.text = format!("{body}{}", draft.text);
        }
        if let Some(parent) = &self.in_reply_to {
            draft.in_reply_to = Some(parent.clone());
            if draft.references.is_empty() {
                draft.references.push(parent.clone());
            }
        }
    }

    /// The URI again, holding only these fields (what may be handed to another program).
    pub fn to_uri(&self) -> String {
        let mut uri = String::from("mailto:");
        uri.push_str(
            &self
                .to
                .iter()
                .map(|address| percent_encode(address))
                .collect::<Vec<_>>()
                .join(","),
        );
        let mut fields: Vec<String> = Vec::new();
        for (name, list) in [("cc", &self.cc), ("bcc", &self.bcc)] {
            if !list.is_empty() {
                let joined: Vec<String> = list.iter().map(|a| percent_encode(a)).collect();
                fields.push(format!("{name}={}", joined.join(",")));
            }
        }
        for (name, value) in [
            ("subject", &self.subject),
            ("body", &self.body),
            (
                "in-reply-to",
                &self.in_reply_to.as_ref().map(|id| format!("<{id}>")),
            ),
        ] {
            if let Some(value) = value {
                fields.push(format!("{name}={}", percent_encode(value)));
            }
        }
        if !fields.is_empty() {
            uri.push('?');
            uri.push_str(&fields.join("&"));
        }
        uri
    }
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn add_addresses(list: &mut Vec<String>, text: &str) {
    list.extend(
        text.split(',')
            .map(|address| one_line(address).trim().to_string())
            .filter(|address| !address.is_empty()),
    );
}

/// `%XX` decoded (RFC 6068: a `+` stays a `+`); bytes that are not UTF-8 become U+FFFD.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// What a mailto field keeps as it is: unreserved characters, and `@` and `+` (addresses).
const MAILTO_KEPT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'+');

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, MAILTO_KEPT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_and_decoded() {
        let mailto = parse_mailto(
            "mailto:alice@example.org,bob@example.org?cc=carol@example.org&SUBJECT=Caf%C3%A9%20plans&body=line%201%0D%0Aline%202&In-Reply-To=%3C42@x%3E",
        )
        .expect("a mailto");
        assert_eq!(mailto.to, vec!["alice@example.org", "bob@example.org"]);
        assert_eq!(mailto.cc, vec!["carol@example.org"]);
        assert_eq!(mailto.subject.as_deref(), Some("Café plans"));
        assert_eq!(mailto.body.as_deref(), Some("line 1\r\nline 2"));
        assert_eq!(mailto.in_reply_to.as_deref(), Some("42@x"));
        assert_eq!(parse_mailto("https://example.org"), None);
        assert_eq!(
            parse_mailto("MAILTO:?to=a@b&to=c@d").expect("a mailto").to,
            vec!["a@b", "c@d"]
        );
    }

    #[test]
    fn nothing_else_gets_through() {
        for uri in [
            "mailto:a@example.org?attach=/etc/passwd",
            "mailto:a@example.org?ATTACHMENT=%2Fhome%2Fme%2F.ssh%2Fid_rsa",
            "mailto:a@example.org?attach=file:///etc/shadow&subject=hi",
            "mailto:a@example.org?from=boss@example.org&x-mailer=1&reply-to=evil@example.org",
            "mailto:a@example.org?%61ttach=/etc/passwd",
        ] {
            let cleaned = parse_mailto(uri).expect("a mailto").to_uri();
            let lower = cleaned.to_ascii_lowercase();
            for word in [
                "attach", "passwd", "shadow", "ssh", "from", "reply-to", "x-mailer",
            ] {
                assert!(!lower.contains(word), "{uri} -> {cleaned}");
            }
            assert!(cleaned.starts_with("mailto:a@example.org"), "{cleaned}");
        }
        // A subject cannot smuggle a header line in.
        let mailto = parse_mailto("mailto:a@b?subject=hi%0D%0ABcc:%20x@y").expect("a mailto");
        assert_eq!(mailto.subject.as_deref(), Some("hi  Bcc: x@y"));
    }

    /// RFC 6068's own examples (sections 6.1 and 6.2): what each fills in.
    #[test]
    fn the_rfc_examples_read_as_the_rfc_says() {
        struct Case {
            uri: &'static str,
            to: &'static [&'static str],
            cc: &'static [&'static str],
            subject: Option<&'static str>,
            body: Option<&'static str>,
            in_reply_to: Option<&'static str>,
        }
        const NONE: Case = Case {
            uri: "",
            to: &[],
            cc: &[],
            subject: None,
            body: None,
            in_reply_to: None,
        };
        let cases = [
            Case {
                uri: "mailto:chris@example.com",
                to: &["chris@example.com"],
                ..NONE
            },
            Case {
                uri: "mailto:infobot@example.com?subject=current-issue",
                to: &["infobot@example.com"],
                subject: Some("current-issue"),
                ..NONE
            },
            Case {
                uri: "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
                to: &["infobot@example.com"],
                body: Some("send current-issue\r\nsend index"),
                ..NONE
            },
            Case {
                uri: "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
                to: &["list@example.org"],
                in_reply_to: Some("3469A91.D10AF4C@example.com"),
                ..NONE
            },
            Case {
                uri: "mailto:joe@example.com?cc=bob@example.com&body=hello",
                to: &["joe@example.com"],
                cc: &["bob@example.com"],
                body: Some("hello"),
                ..NONE
            },
            Case {
                uri: "mailto:?to=joe@example.com&cc=bob@example.com&body=hello",
                to: &["joe@example.com"],
                cc: &["bob@example.com"],
                body: Some("hello"),
                ..NONE
            },
            Case {
                uri: "mailto:gorby%25kremvax@example.com",
                to: &["gorby%kremvax@example.com"],
                ..NONE
            },
            Case {
                uri: "mailto:unlikely%3Faddress@example.com?blat=foop",
                to: &["unlikely?address@example.com"],
                ..NONE
            },
            Case {
                uri: "mailto:Mike%26family@example.org",
                to: &["Mike&family@example.org"],
                ..NONE
            },
            Case {
                uri: "mailto:%22not%40me%22@example.org",
                to: &["\"not@me\"@example.org"],
                ..NONE
            },
            Case {
                uri: "mailto:user@example.org?subject=caf%C3%A9",
                to: &["user@example.org"],
                subject: Some("café"),
                ..NONE
            },
            Case {
                uri: "mailto:user@%E7%B4%8D%E8%B1%86.example.org?subject=Test&body=NATTO",
                to: &["user@納豆.example.org"],
                subject: Some("Test"),
                body: Some("NATTO"),
                ..NONE
            },
        ];
        for case in cases {
            let mailto = parse_mailto(case.uri).expect("a mailto");
            assert_eq!(mailto.to, case.to, "{}", case.uri);
            assert_eq!(mailto.cc, case.cc, "{}", case.uri);
            assert_eq!(mailto.subject.as_deref(), case.subject, "{}", case.uri);
            assert_eq!(mailto.body.as_deref(), case.body, "{}", case.uri);
            assert_eq!(
                mailto.in_reply_to.as_deref(),
                case.in_reply_to,
                "{}",
                case.uri
            );
        }
    }

    #[test]
    fn a_link_fills_a_new_draft_above_its_signature() {
        let mut draft = Draft {
            to: vec![Address {
                name: String::new(),
                address: "first@example.org".into(),
            }],
            text: "\n\n-- \nAlice\n".into(),
            ..Draft::default()
        };
        parse_mailto(
            "mailto:bob@tern.test,Carol%20%3Ccarol@tern.test%3E?subject=Hi%20there&body=Line%201%0D%0ALine%202&bcc=not%20an%20address&in-reply-to=%3Cp@x%3E&attach=/etc/passwd",
        )
        .expect("a mailto")
        .fill(&mut draft);
        let addresses = |list: &[Address]| {
            list.iter()
                .map(|a| format!("{}|{}", a.name, a.address))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            addresses(&draft.to),
            [
                "|first@example.org",
                "|bob@tern.test",
                "Carol|carol@tern.test"
            ]
        );
        // Kept as written: the send refuses it by name.
        assert_eq!(addresses(&draft.bcc), ["|not an address"]);
        assert_eq!(draft.subject, "Hi there");
        assert_eq!(draft.text, "Line 1\nLine 2\n\n-- \nAlice\n");
        assert_eq!(draft.in_reply_to.as_deref(), Some("p@x"));
        assert_eq!(draft.references, ["p@x"]);
        assert!(draft.attachments.is_empty());
    }

    #[test]
    fn the_uri_comes_back_equivalent() {
        let mailto =
            parse_mailto("mailto:a@b?cc=c@d&subject=A%20%26%20B%3F&body=x%3Dy").expect("a mailto");
        assert_eq!(parse_mailto(&mailto.to_uri()), Some(mailto));
    }
}
