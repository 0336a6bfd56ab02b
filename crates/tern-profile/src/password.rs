//! Where passwords come from: the OS keyring (service "tern", user = email) or a variable.

use std::fmt;

use anyhow::Context;
use mail_engine::Password;
use mail_store::{Account, PasswordSource};

/// The keyring service name under which Tern keeps passwords.
pub const KEYRING_SERVICE: &str = "tern";

/// A keyring failure, kept typed so a window can tell "no keyring here" from the rest.
#[derive(Debug)]
pub enum KeyringError {
    /// No keyring is running or it is locked: the password cannot be kept.
    Unavailable { email: String, detail: String },
    /// The keyring has no password for the account.
    NoEntry { email: String },
    /// Anything else the keyring said.
    Failed { email: String, detail: String },
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable { email, detail } => write!(
                f,
                "No OS keyring is available to keep the password of {email} ({detail}); unlock or install a keyring (e.g. gnome-keyring), or use --password-env VAR"
            ),
            Self::NoEntry { email } => write!(
                f,
                "No password for {email} in the OS keyring; add the account again"
            ),
            Self::Failed { email, detail } => {
                write!(f, "The OS keyring failed for {email}: {detail}")
            }
        }
    }
}

impl std::error::Error for KeyringError {}

/// The account's password, from wherever the account says it lives.
pub async fn password_for(account: &Account) -> anyhow::Result<Password> {
    match &account.password_source {
        PasswordSource::Env(variable) => {
            std::env::var(variable).map(Password::new).with_context(|| {
                format!(
                    "The password variable {variable} of {} is not set",
                    account.email
                )
            })
        }
        PasswordSource::Keyring => {
            let email = account.email.clone();
            let password = tokio::task::spawn_blocking(move || {
                keyring::Entry::new(KEYRING_SERVICE, &email)
                    .and_then(|entry| entry.get_password())
                    .map(Password::new)
                    .map_err(|error| keyring_error(error, &email))
            })
            .await
            .context("The keyring task failed")??;
            Ok(password)
        }
    }
}

/// Saves a password in the OS keyring.
pub async fn store_in_keyring(email: &str, password: &Password) -> anyhow::Result<()> {
    let email = email.to_string();
    let secret = password.expose().to_string();
    tokio::task::spawn_blocking(move || {
        keyring::Entry::new(KEYRING_SERVICE, &email)
            .and_then(|entry| entry.set_password(&secret))
            .map_err(|error| keyring_error(error, &email))
    })
    .await
    .context("The keyring task failed")??;
    Ok(())
}

/// Removes the account's password from the OS keyring (nothing there is not an error).
pub async fn forget_in_keyring(email: &str) -> anyhow::Result<()> {
    let email = email.to_string();
    tokio::task::spawn_blocking(move || {
        match keyring::Entry::new(KEYRING_SERVICE, &email)
            .and_then(|entry| entry.delete_credential())
        {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(keyring_error(error, &email)),
        }
    })
    .await
    .context("The keyring task failed")??;
    Ok(())
}

fn keyring_error(error: keyring::Error, email: &str) -> KeyringError {
    let email = email.to_string();
    match error {
        keyring::Error::NoEntry => KeyringError::NoEntry { email },
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            KeyringError::Unavailable {
                email,
                detail: error.to_string(),
            }
        }
        other => KeyringError::Failed {
            email,
            detail: other.to_string(),
        },
    }
}
