//! Where passwords come from: the OS keyring (service "tern", user = email) or a variable.

use anyhow::Context;
use mail_engine::Password;
use mail_store::{Account, PasswordSource};

const KEYRING_SERVICE: &str = "tern";

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
            tokio::task::spawn_blocking(move || {
                keyring::Entry::new(KEYRING_SERVICE, &email)
                    .and_then(|entry| entry.get_password())
                    .map(Password::new)
                    .map_err(|error| keyring_error(error, &email, "reading"))
            })
            .await
            .context("The keyring task failed")?
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
            .map_err(|error| keyring_error(error, &email, "saving"))
    })
    .await
    .context("The keyring task failed")?
}

fn keyring_error(error: keyring::Error, email: &str, doing: &str) -> anyhow::Error {
    match error {
        keyring::Error::NoEntry => anyhow::anyhow!("No password for {email} in the OS keyring; add the account again"),
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => anyhow::anyhow!(
            "No OS keyring is available for {doing} the password of {email} ({error}); unlock or install a keyring (e.g. gnome-keyring), or use --password-env VAR"
        ),
        other => anyhow::anyhow!("The OS keyring failed {doing} the password of {email}: {other}"),
    }
}

/// Reads one line (the password) from standard input.
pub fn read_password_stdin() -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("Reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        anyhow::bail!("No password on standard input");
    }
    Ok(Password::new(password))
}
