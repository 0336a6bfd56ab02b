//! RFC 6186 SRV records, pure: which names are asked, and which server they announce —
//! implicit TLS preferred over STARTTLS, then lowest priority and highest weight; a target
//! of "." says the service is not offered.

use crate::address::is_host_name;
use crate::types::{Security, Server};

/// One SRV record as answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// The SRV names for IMAP and for submission, each with the protection it means, in order
/// of preference.
pub fn imap_names(domain: &str) -> [(String, Security); 2] {
    [
        (format!("_imaps._tcp.{domain}"), Security::Tls),
        (format!("_imap._tcp.{domain}"), Security::StartTls),
    ]
}

pub fn submission_names(domain: &str) -> [(String, Security); 2] {
    [
        (format!("_submissions._tcp.{domain}"), Security::Tls),
        (format!("_submission._tcp.{domain}"), Security::StartTls),
    ]
}

/// The server one name's records announce, if any.
pub fn announced(records: &[SrvRecord], security: Security) -> Option<Server> {
    let mut usable: Vec<&SrvRecord> = records.iter().filter(|record| record.port > 0).collect();
    // "." (an empty target) alone: decidedly not offered.
    usable.sort_by_key(|record| (record.priority, std::cmp::Reverse(record.weight)));
    let record = usable.first()?;
    let target = record.target.trim_end_matches('.').to_ascii_lowercase();
    if target.is_empty() || !is_host_name(&target) {
        return None;
    }
    Some(Server::new(target, record.port, security))
}

/// The preferred server among the answers to the names of [`imap_names`] or
/// [`submission_names`] (same order).
pub fn choose(answers: &[(Vec<SrvRecord>, Security)]) -> Option<Server> {
    answers
        .iter()
        .find_map(|(records, security)| announced(records, *security))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    /// The answers to each name, and the server they should give.
    type Case = (Vec<(Vec<SrvRecord>, Security)>, Option<Server>);

    #[test]
    fn the_preferred_record_of_the_preferred_name_wins() {
        let cases: Vec<Case> = vec![
            (vec![], None),
            (
                vec![
                    (vec![], Security::Tls),
                    (
                        vec![record(0, 1, 143, "imap.example.org.")],
                        Security::StartTls,
                    ),
                ],
                Some(Server::new("imap.example.org", 143, Security::StartTls)),
            ),
            (
                vec![
                    (
                        vec![
                            record(10, 0, 993, "backup.example.org."),
                            record(0, 5, 993, "light.example.org."),
                            record(0, 50, 993, "Main.Example.org."),
                        ],
                        Security::Tls,
                    ),
                    (
                        vec![record(0, 1, 143, "imap.example.org.")],
                        Security::StartTls,
                    ),
                ],
                Some(Server::new("main.example.org", 993, Security::Tls)),
            ),
            // "." says not offered: the STARTTLS name is asked next.
            (
                vec![
                    (vec![record(0, 0, 0, ".")], Security::Tls),
                    (
                        vec![record(0, 0, 143, "imap.example.org")],
                        Security::StartTls,
                    ),
                ],
                Some(Server::new("imap.example.org", 143, Security::StartTls)),
            ),
            (
                vec![(vec![record(0, 0, 993, "bad name!")], Security::Tls)],
                None,
            ),
        ];
        for (answers, expected) in cases {
            assert_eq!(choose(&answers), expected, "{answers:?}");
        }
    }

    #[test]
    fn names_follow_rfc_6186() {
        assert_eq!(imap_names("example.org")[0].0, "_imaps._tcp.example.org");
        assert_eq!(imap_names("example.org")[1].0, "_imap._tcp.example.org");
        assert_eq!(
            submission_names("example.org")[0].0,
            "_submissions._tcp.example.org"
        );
        assert_eq!(
            submission_names("example.org")[1].0,
            "_submission._tcp.example.org"
        );
    }
}
