//! Adding an account: check the settings by logging in, keep the password, store the account.

use anyhow::Context;
use mail_engine::{is_loopback_host, ConnectSettings, ImapConnection, Password, Timeouts};
use mail_store::{NewAccount, PasswordSource, Security, Store};

use crate::password::store_in_keyring;

/// What a person enters to add an account.
#[derive(Debug, Clone)]
pub struct AccountSetup {
    pub account: NewAccount,
    pub password: Password,
    /// Log in before storing (off only for scripted setups that know better).
    pub verify: bool,
}

/// Refuses plaintext to remote hosts, then logs in with the settings (and logs out). The
/// error keeps the engine's kind (authentication, TLS, network) for the caller to explain.
pub async fn check_settings(account: &NewAccount, password: &Password) -> anyhow::Result<()> {
    if account.security == Security::Plain
        && !account.allow_plaintext
        && !is_loopback_host(&account.imap_host)
    {
        anyhow::bail!(
            "Refusing plaintext IMAP to {}: the password would cross the network unencrypted; use TLS or STARTTLS",
            account.imap_host
        );
    }
    let settings = ConnectSettings {
        host: account.imap_host.clone(),
        port: account.imap_port,
        security: account.security,
        username: account.username.clone(),
        ca_file: account.ca_file.as_ref().map(Into::into),
        allow_plaintext: account.allow_plaintext,
    };
    let connection = ImapConnection::connect(&settings, password, Timeouts::default()).await?;
    connection.logout().await;
    Ok(())
}

/// Checks (when asked), keeps the password in the keyring (when the account says so) and
/// stores the account. Nothing is stored when any step fails.
pub async fn add_account(store: &mut Store, setup: AccountSetup) -> anyhow::Result<()> {
    if setup.verify {
        check_settings(&setup.account, &setup.password)
            .await
            .with_context(|| format!("Checking the settings of {}", setup.account.email))?;
    }
    if setup.account.password_source == PasswordSource::Keyring {
        store_in_keyring(&setup.account.email, &setup.password).await?;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0);
    store.upsert_account(&setup.account, now)?;
    Ok(())
}
