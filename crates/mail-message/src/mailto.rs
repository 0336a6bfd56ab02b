//! `mailto:` URIs (RFC 6068) read into the fields a compose form may take from them, and
//! nothing else: recipients, subject, body and In-Reply-To. Every other header a link may
//! carry is dropped — `attach=`/`attachment=` (which some mail programs turn into a local
//! file attached without asking), `from=`, `reply-to=`, anything unknown — so a link in a
//! message can fill in a reply but never send a file or change who the mail is from.

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

    #[test]
    fn the_uri_comes_back_equivalent() {
        let mailto =
            parse_mailto("mailto:a@b?cc=c@d&subject=A%20%26%20B%3F&body=x%3Dy").expect("a mailto");
        assert_eq!(parse_mailto(&mailto.to_uri()), Some(mailto));
    }
}
