//! "An engine for user X": the one account fixture of every test and bench — user X's account
//! row on a server at 127.0.0.1 (login X, password `X-pw` as the private Dovecot has it) in a
//! real cache file, and an engine over it.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use mail_engine::{Engine, EngineOptions, Password};
use mail_store::{
    Account, AccountId, FolderId, ListedFolder, NewAccount, PasswordSource, Security, Store,
};
use mail_sync::FolderRole;

/// A test user: `alice` is alice@tern.test, logging in as `alice` with `alice-pw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestUser<'a> {
    pub login: &'a str,
    /// The address, when it is not `login@tern.test`.
    pub email: Option<&'a str>,
}

impl<'a> TestUser<'a> {
    pub const fn new(login: &'a str) -> Self {
        TestUser { login, email: None }
    }

    /// The same login under another address (a second account of one mailbox).
    pub const fn with_email(login: &'a str, email: &'a str) -> Self {
        TestUser {
            login,
            email: Some(email),
        }
    }

    pub fn email(&self) -> String {
        match self.email {
            Some(email) => email.to_string(),
            None => format!("{}@tern.test", self.login),
        }
    }
}

impl<'a> From<&'a str> for TestUser<'a> {
    fn from(login: &'a str) -> Self {
        TestUser::new(login)
    }
}

/// The private Dovecot's password for `login`.
pub fn password_of(login: &str) -> String {
    format!("{login}-pw")
}

/// The account row for `user` on 127.0.0.1:`port` (plaintext, which only loopback allows).
pub fn new_account<'a>(user: impl Into<TestUser<'a>>, port: u16) -> NewAccount {
    let user = user.into();
    NewAccount {
        email: user.email(),
        imap_host: "127.0.0.1".into(),
        imap_port: port,
        security: Security::Plain,
        username: user.login.to_string(),
        ca_file: None,
        password_source: PasswordSource::Env("TERN_TEST_PASSWORD".into()),
        allow_plaintext: false,
        oauth: None,
    }
}

/// A plaintext SMTP server on loopback at `port` (a private Postfix, or a scripted one), with
/// the account's own user name; Tern appends its own Sent copies.
pub fn loopback_smtp(port: u16) -> mail_store::SmtpServer {
    mail_store::SmtpServer {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: None,
        allow_plaintext: false,
        saves_sent: false,
    }
}

/// Adds `user`'s account to `store` and returns it as stored.
pub fn add_account<'a>(
    store: &mut Store,
    user: impl Into<TestUser<'a>>,
    port: u16,
) -> anyhow::Result<Account> {
    let new = new_account(user, port);
    let id = store.upsert_account(&new, 0)?;
    store
        .accounts()?
        .into_iter()
        .find(|account| account.id == id)
        .with_context(|| format!("the account of {} was not stored", new.email))
}

/// Gives `account` the folders `folders` (each with its role; a role other than INBOX is
/// announced as the SPECIAL-USE attribute) and returns their ids, in the same order.
pub fn add_folders(
    store: &mut Store,
    account: AccountId,
    folders: &[(&str, Option<FolderRole>)],
) -> anyhow::Result<Vec<FolderId>> {
    let listed: Vec<ListedFolder> = folders
        .iter()
        .map(|(name, role)| ListedFolder {
            name: name.to_string(),
            delimiter: Some("/".into()),
            attributes: match role {
                Some(role) if *role != FolderRole::Inbox => {
                    vec![format!("\\{}", capitalized(role.as_str()))]
                }
                _ => Vec::new(),
            },
            role: *role,
            selectable: true,
        })
        .collect();
    store.replace_folders(account, &listed)?;
    folders
        .iter()
        .map(|(name, _)| {
            Ok(store
                .folder_by_name(account, name)?
                .with_context(|| format!("{name} was not stored"))?
                .id)
        })
        .collect()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A cache in `dir` holding `user`'s account.
pub fn store_with_account<'a>(
    dir: &Path,
    user: impl Into<TestUser<'a>>,
    port: u16,
) -> anyhow::Result<(Arc<Mutex<Store>>, Account)> {
    let mut store = Store::open_in_dir(dir)?;
    let account = add_account(&mut store, user, port)?;
    Ok((Arc::new(Mutex::new(store)), account))
}

/// An engine for `user` with its cache in `dir`.
pub fn engine_for<'a>(
    dir: &Path,
    user: impl Into<TestUser<'a>>,
    port: u16,
    options: EngineOptions,
) -> anyhow::Result<Arc<Engine>> {
    let user = user.into();
    let (store, account) = store_with_account(dir, user, port)?;
    Ok(Arc::new(Engine::new(
        store,
        account,
        Password::new(password_of(user.login)),
        options,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_stores_the_user_it_was_asked_for() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, account) = store_with_account(dir.path(), "bob", 1143).expect("stored");
        assert_eq!(account.email, "bob@tern.test");
        assert_eq!(account.username, "bob");
        assert_eq!(account.imap_port, 1143);
        let other = add_account(
            &mut store.lock().expect("lock"),
            TestUser::with_email("alice", "liar@tern.test"),
            1,
        )
        .expect("second account");
        assert_eq!(
            (other.email.as_str(), other.username.as_str()),
            ("liar@tern.test", "alice")
        );
        assert_ne!(other.id, account.id);
        assert_eq!(password_of("carol"), "carol-pw");
    }
}
