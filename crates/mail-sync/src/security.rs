//! How a connection to a mail server is protected: one type for discovery, the store and the engine.

use serde::Serialize;

/// How a connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAP 993, SMTP 465).
    Tls,
    /// Plaintext greeting, then STARTTLS before login (IMAP 143, SMTP 587).
    StartTls,
    /// No TLS at all: only to loopback, or with an explicit opt-in.
    Plain,
}

impl Security {
    /// The name stored and shown: `tls`, `starttls` or `plain`.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::Plain => "plain",
        }
    }

    /// The inverse of [`Security::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "tls" => Security::Tls,
            "starttls" => Security::StartTls,
            "plain" => Security::Plain,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Security;

    #[test]
    fn names_round_trip_and_serialize_as_stored() {
        for security in [Security::Tls, Security::StartTls, Security::Plain] {
            assert_eq!(Security::parse(security.as_str()), Some(security));
        }
        assert_eq!(Security::parse("ssl"), None);
        assert_eq!(
            serde_json::to_string(&Security::StartTls).ok().as_deref(),
            Some("\"starttls\"")
        );
    }
}
