//! How to reach and log in to an account's IMAP server; the password type that never prints.

use std::fmt;
use std::path::PathBuf;

use mail_store::Security;

/// Connection settings for one account's IMAP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// Extra CA certificates (PEM) trusted besides the system roots, for self-signed servers.
    pub ca_file: Option<PathBuf>,
    /// Allow plaintext to a host that is not a loopback address.
    pub allow_plaintext: bool,
}

impl ConnectSettings {
    pub fn from_account(account: &mail_store::Account) -> Self {
        Self {
            host: account.imap_host.clone(),
            port: account.imap_port,
            security: account.security,
            username: account.username.clone(),
            ca_file: account.ca_file.as_ref().map(PathBuf::from),
            allow_plaintext: account.allow_plaintext,
        }
    }
}

/// A password. `Debug` and `Display` print a placeholder, so it cannot leak into logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_prints() {
        let password = Password::new("hunter2");
        assert!(!format!("{password:?} {password}").contains("hunter2"));
        assert_eq!(password.expose(), "hunter2");
    }
}
