//! The `accounts` table: server settings of each mail account (never its password).

use anyhow::Context;
use rusqlite::{params, OptionalExtension, Row};

use crate::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(pub i64);

pub use mail_sync::Security;

/// Where the account's password comes from. The password itself is never stored here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The OS keyring (service "tern", user = the account's email).
    Keyring,
    /// An environment variable read at each run.
    Env(String),
}

/// An account that signs in with OAuth2 instead of a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// `google`, `microsoft`, or an RFC 8414 issuer URL.
    pub issuer: String,
    /// The client ID registered at a custom issuer (built-in issuers bring their own).
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: Security,
    pub username: String,
    pub ca_file: Option<String>,
    pub password_source: PasswordSource,
    pub allow_plaintext: bool,
    /// Signs in with OAuth2 (the password source is then unused).
    pub oauth: Option<OAuthSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: Security,
    pub username: String,
    pub ca_file: Option<String>,
    pub password_source: PasswordSource,
    pub allow_plaintext: bool,
    pub oauth: Option<OAuthSettings>,
    /// The OAuth2 grant is gone: the person must sign in again.
    pub sign_in_needed: bool,
    /// The most IMAP connections held at once, the request connection included (at least
    /// 1; default [`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: u16,
    /// Which bodies are kept offline (default: the last 90 days of every folder).
    pub offline: mail_sync::OfflinePolicy,
    /// Beyond this many bytes a message kept offline keeps its text; its attachments are
    /// fetched when saved.
    pub offline_max_bytes: u64,
}

/// Connections per account unless the person chose otherwise: the request connection,
/// INBOX's IDLE and the folder on screen's, and one to spare — well under Gmail's 15 and
/// Dovecot's 10 per user and address, which the person's other clients share.
pub const DEFAULT_MAX_CONNECTIONS: u16 = 4;
/// The smallest size limit for offline bodies.
pub const MIN_OFFLINE_MAX_BYTES: u64 = 64 << 10;
/// The most a person may allow (more only burdens the server).
pub const MAX_CONNECTIONS_LIMIT: u16 = 64;

const ACCOUNT_COLUMNS: &str = "id, email, imap_host, imap_port, security, username, ca_file, password_source, password_env, allow_plaintext, auth, oauth_issuer, oauth_client_id, sign_in_needed, max_connections, offline_bodies, offline_max_bytes";

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<Account> {
    let security: String = row.get(4)?;
    let source: String = row.get(7)?;
    let env: Option<String> = row.get(8)?;
    let port: i64 = row.get(3)?;
    Ok(Account {
        id: AccountId(row.get(0)?),
        email: row.get(1)?,
        imap_host: row.get(2)?,
        imap_port: u16::try_from(port).unwrap_or(0),
        security: Security::parse(&security).unwrap_or(Security::Tls),
        username: row.get(5)?,
        ca_file: row.get(6)?,
        password_source: match (source.as_str(), env) {
            ("env", Some(variable)) => PasswordSource::Env(variable),
            _ => PasswordSource::Keyring,
        },
        allow_plaintext: row.get::<_, i64>(9)? != 0,
        oauth: match (
            row.get::<_, String>(10)?.as_str(),
            row.get::<_, Option<String>>(11)?,
        ) {
            ("oauth2", Some(issuer)) => Some(OAuthSettings {
                issuer,
                client_id: row.get(12)?,
            }),
            _ => None,
        },
        sign_in_needed: row.get::<_, i64>(13)? != 0,
        max_connections: u16::try_from(row.get::<_, i64>(14)?)
            .unwrap_or(DEFAULT_MAX_CONNECTIONS)
            .clamp(1, MAX_CONNECTIONS_LIMIT),
        offline: row.get::<_, String>(15)?.parse().unwrap_or_default(),
        offline_max_bytes: u64::try_from(row.get::<_, i64>(16)?)
            .unwrap_or(mail_sync::offline::DEFAULT_OFFLINE_MAX_BYTES),
    })
}

impl Store {
    /// Adds an account, or updates the settings of the account with the same email.
    pub fn upsert_account(&mut self, account: &NewAccount, now: i64) -> anyhow::Result<AccountId> {
        let (source, env) = match &account.password_source {
            PasswordSource::Keyring => ("keyring", None),
            PasswordSource::Env(variable) => ("env", Some(variable.as_str())),
        };
        self.conn
            .execute(
                "INSERT INTO accounts (email, imap_host, imap_port, security, username, ca_file, password_source, password_env, allow_plaintext, created_at,
                                       auth, oauth_issuer, oauth_client_id, sign_in_needed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 0)
                 ON CONFLICT (email) DO UPDATE SET imap_host = excluded.imap_host, imap_port = excluded.imap_port,
                   security = excluded.security, username = excluded.username, ca_file = excluded.ca_file,
                   password_source = excluded.password_source, password_env = excluded.password_env,
                   allow_plaintext = excluded.allow_plaintext, auth = excluded.auth,
                   oauth_issuer = excluded.oauth_issuer, oauth_client_id = excluded.oauth_client_id,
                   sign_in_needed = 0",
                params![
                    account.email,
                    account.imap_host,
                    account.imap_port,
                    account.security.as_str(),
                    account.username,
                    account.ca_file,
                    source,
                    env,
                    account.allow_plaintext as i64,
                    now,
                    if account.oauth.is_some() { "oauth2" } else { "password" },
                    account.oauth.as_ref().map(|oauth| oauth.issuer.as_str()),
                    account.oauth.as_ref().and_then(|oauth| oauth.client_id.as_deref()),
                ],
            )
            .with_context(|| format!("Saving account {}", account.email))?;
        let id = self
            .conn
            .query_row(
                "SELECT id FROM accounts WHERE email = ?1",
                [&account.email],
                |row| row.get(0),
            )
            .with_context(|| format!("Reading back account {}", account.email))?;
        Ok(AccountId(id))
    }

    pub fn accounts(&self) -> anyhow::Result<Vec<Account>> {
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"
            ))
            .context("Listing accounts")?;
        let rows = statement
            .query_map([], account_from_row)
            .context("Listing accounts")?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .context("Reading accounts")
    }

    /// Marks whether the account's OAuth2 sign-in is gone (set by a refused grant, cleared by
    /// a new sign-in).
    pub fn set_sign_in_needed(&mut self, account: AccountId, needed: bool) -> anyhow::Result<()> {
        self.conn
            .execute(
                "UPDATE accounts SET sign_in_needed = ?2 WHERE id = ?1",
                params![account.0, needed as i64],
            )
            .context("Recording that the account needs a new sign-in")?;
        Ok(())
    }

    /// Sets the most connections the account may hold at once (1..=[`MAX_CONNECTIONS_LIMIT`]).
    pub fn set_max_connections(&mut self, account: AccountId, most: u16) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=MAX_CONNECTIONS_LIMIT).contains(&most),
            "An account holds between 1 and {MAX_CONNECTIONS_LIMIT} connections, not {most}"
        );
        self.conn
            .execute(
                "UPDATE accounts SET max_connections = ?2 WHERE id = ?1",
                params![account.0, most],
            )
            .context("Saving the account's connection limit")?;
        Ok(())
    }

    /// Sets which bodies the account keeps offline and the size beyond which a message
    /// keeps only its text (at least 64 KiB: a message's text must fit).
    pub fn set_offline_policy(
        &mut self,
        account: AccountId,
        policy: mail_sync::OfflinePolicy,
        max_bytes: u64,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(
            (MIN_OFFLINE_MAX_BYTES..=i64::MAX as u64).contains(&max_bytes),
            "The size limit for offline bodies must be at least {} KiB",
            MIN_OFFLINE_MAX_BYTES / 1024
        );
        self.conn
            .execute(
                "UPDATE accounts SET offline_bodies = ?2, offline_max_bytes = ?3 WHERE id = ?1",
                params![account.0, policy.to_string(), max_bytes as i64],
            )
            .context("Saving the account's offline policy")?;
        Ok(())
    }

    pub fn account_by_email(&self, email: &str) -> anyhow::Result<Option<Account>> {
        self.conn
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = ?1 COLLATE NOCASE"),
                [email],
                account_from_row,
            )
            .optional()
            .with_context(|| format!("Looking up account {email}"))
    }
}
