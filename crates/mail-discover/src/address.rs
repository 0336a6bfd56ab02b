//! The parts of an address discovery works with: the local part and the domain, checked
//! to be something a DNS name and a URL can carry.

/// `local@domain` split, the domain lowercased without a trailing dot; `None` for anything
/// that is not a plausible address (no `@`, empty parts, characters no host name has).
pub fn split_address(email: &str) -> Option<(String, String)> {
    let email = email.trim();
    let (local, domain) = email.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    if local.is_empty() || !is_host_name(&domain) || !domain.contains('.') {
        return None;
    }
    Some((local.to_string(), domain))
}

/// Whether `host` is a DNS host name: dot-separated labels of 1–63 letters, digits and
/// hyphens (not at a label's ends), at most 253 characters in all.
pub fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

/// The domain a host belongs to, as registered: its last two labels, or three under the
/// common second-level suffixes of country domains (`co.uk`, `com.au`, …).
pub fn base_domain(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let keep = match labels.as_slice() {
        [.., second, tld]
            if tld.len() == 2
                && ["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"].contains(second) =>
        {
            3
        }
        _ => 2,
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_local_part_and_domain() {
        let cases = [
            ("alice@Example.ORG", Some(("alice", "example.org"))),
            (
                " bob.smith+tag@mail.example.co.uk. ",
                Some(("bob.smith+tag", "mail.example.co.uk")),
            ),
            (
                "\"odd@local\"@example.org",
                Some(("\"odd@local\"", "example.org")),
            ),
            ("no-at-sign", None),
            ("@example.org", None),
            ("alice@", None),
            ("alice@localhost", None),
            ("alice@exa mple.org", None),
            ("alice@example.org/evil", None),
            ("alice@-bad.org", None),
            ("alice@a..b", None),
        ];
        for (email, expected) in cases {
            let got = split_address(email);
            let expected = expected.map(|(l, d): (&str, &str)| (l.to_string(), d.to_string()));
            assert_eq!(got, expected, "{email}");
        }
    }

    #[test]
    fn base_domains_keep_country_second_levels() {
        let cases = [
            ("aspmx.l.google.com", "google.com"),
            ("mx1.mail.example.co.uk.", "example.co.uk"),
            ("mx.example.com.au", "example.com.au"),
            ("in1-smtp.messagingengine.com", "messagingengine.com"),
            ("mail.example.de", "example.de"),
            ("example.org", "example.org"),
            ("localhost", "localhost"),
        ];
        for (host, expected) in cases {
            assert_eq!(base_domain(host), expected, "{host}");
        }
    }
}
