//! The demo account `scripts/run.sh` offers: a local Dovecot with sample mail, described in
//! a JSON file named by `TERN_DEMO_ACCOUNT` (its password in `TERN_DEMO_PASSWORD`, never
//! stored).

use std::path::PathBuf;

use anyhow::Context;
use mail_store::{PasswordSource, Security};
use serde::Deserialize;
use tern_profile::{AccountRequest, SmtpChoice, SmtpRequest};

pub const ACCOUNT_VARIABLE: &str = "TERN_DEMO_ACCOUNT";
pub const PASSWORD_VARIABLE: &str = "TERN_DEMO_PASSWORD";

#[derive(Debug, Clone, Deserialize)]
pub struct DemoAccount {
    pub email: String,
    pub imap_host: String,
    pub imap_port: u16,
    /// tls, starttls or plain.
    pub security: String,
    pub username: String,
    pub ca_file: Option<PathBuf>,
    /// The demo's MTA (scripts/run.sh starts a Postfix), when it has one.
    #[serde(default)]
    pub smtp_host: Option<String>,
    #[serde(default)]
    pub smtp_port: Option<u16>,
    #[serde(default)]
    pub smtp_security: Option<String>,
}

impl DemoAccount {
    /// The demo described by `TERN_DEMO_ACCOUNT`, if any (a broken file is logged, not fatal).
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os(ACCOUNT_VARIABLE)?;
        let read = std::fs::read(&path)
            .context("Reading the demo account")
            .and_then(|bytes| {
                serde_json::from_slice::<DemoAccount>(&bytes).context("Parsing the demo account")
            });
        match read {
            Ok(demo) => Some(demo),
            Err(error) => {
                tracing::warn!(%error, "no demo account");
                None
            }
        }
    }

    /// The demo account as a setup request (its password is in [`PASSWORD_VARIABLE`]).
    pub fn request(&self) -> anyhow::Result<AccountRequest> {
        let smtp = match &self.smtp_host {
            Some(host) => SmtpChoice::Server(SmtpRequest {
                host: host.clone(),
                port: Some(self.smtp_port.unwrap_or(587)),
                security: parse_security(self.smtp_security.as_deref().unwrap_or("starttls"))?,
                username: None,
                saves_sent: Some(false),
            }),
            None => SmtpChoice::None,
        };
        Ok(AccountRequest {
            email: self.email.clone(),
            imap_host: self.imap_host.clone(),
            imap_port: Some(self.imap_port),
            security: parse_security(&self.security)?,
            username: Some(self.username.clone()),
            ca_file: self.ca_file.clone(),
            allow_plaintext: false,
            password_source: PasswordSource::Env(PASSWORD_VARIABLE.to_string()),
            smtp,
            name: None,
            oauth: None,
        })
    }
}

fn parse_security(text: &str) -> anyhow::Result<Security> {
    Ok(match text {
        "tls" => Security::Tls,
        "starttls" => Security::StartTls,
        "plain" => Security::Plain,
        other => anyhow::bail!("The demo account's security {other} is not tls, starttls or plain"),
    })
}
