//! What discovery finds and says: servers, how to sign in, where the settings came from,
//! and what was tried.

use serde::Serialize;

pub use mail_sync::Security;

/// One server: where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl Server {
    pub fn new(host: impl Into<String>, port: u16, security: Security) -> Self {
        Server {
            host: host.into(),
            port,
            security,
        }
    }
}

/// Who issues OAuth2 tokens for a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Issuer {
    Google,
    Microsoft,
}

/// How the account signs in to IMAP and SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignIn {
    /// The account's password.
    Password,
    /// A password made for this app in the provider's settings (the account password is
    /// refused).
    AppPassword,
    /// OAuth2 with this issuer; `app_password`: an app password works too (Gmail), for
    /// builds without a registered client.
    #[serde(rename = "oauth2")]
    OAuth2 { issuer: Issuer, app_password: bool },
}

impl SignIn {
    pub fn as_str(self) -> &'static str {
        match self {
            SignIn::Password => "password",
            SignIn::AppPassword => "app-password",
            SignIn::OAuth2 { .. } => "oauth2",
        }
    }
}

/// Where settings came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Tern's own table of providers.
    Table,
    /// An autoconfig document (Thunderbird's format) at `url`.
    Autoconfig { url: String },
    /// The domain's mail exchanger `mx` belongs to a provider in the table.
    MxProvider { mx: String },
    /// The autoconfig document of the domain that hosts the mail exchanger `mx`.
    MxAutoconfig { mx: String, url: String },
    /// RFC 6186 SRV records.
    Srv,
    /// Guessed host names that answered with a valid TLS certificate.
    Guess,
}

impl Source {
    /// Whether a password may go to servers found this way: everything but a document
    /// fetched over plain http (which anyone on the path could have written).
    pub fn is_trustworthy(&self) -> bool {
        let over_http = |url: &str| url.starts_with("http://");
        match self {
            Source::Autoconfig { url } | Source::MxAutoconfig { url, .. } => !over_http(url),
            _ => true,
        }
    }
}

/// Settings found for an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// The provider's name, when known.
    pub provider: Option<String>,
    pub imap: Server,
    pub smtp: Option<Server>,
    /// The login name (most providers: the whole address).
    pub username: String,
    pub sign_in: SignIn,
    /// The provider files mail sent through its SMTP server in Sent itself.
    pub saves_sent: bool,
    pub source: Source,
}

/// One thing the search tried, and what came of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    /// What was asked: "autoconfig https://…", "MX example.org", "guess imap.example.org:993".
    pub what: String,
    /// "found", or why not: "no records", "timed out", "HTTP 404", a TLS error, …
    pub outcome: String,
}

/// The whole search's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discovery {
    pub email: String,
    pub found: Option<Found>,
    pub tried: Vec<Attempt>,
    /// How long the search took, in milliseconds.
    pub ms: u64,
}
