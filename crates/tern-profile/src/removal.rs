//! Removing an account, the one path the CLI and the app share: what exists only here is
//! named and kept unless the person insists; then the cache rows and the keyring entry go.

use mail_store::{Account, PasswordSource, Store, WaitingChanges};

use crate::password::forget_in_keyring;

/// Why an account was not removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveRefused {
    /// Changes or mail that exist only in this cache would be lost.
    #[error("{email} has {what}; they would be lost (remove anyway with --force)", what = .waiting.describe())]
    Waiting {
        email: String,
        waiting: WaitingChanges,
    },
}

/// Removes `account` (refused while something waits, unless `force`). Returns what was
/// thrown away.
pub async fn remove_account(
    store: &mut Store,
    account: &Account,
    force: bool,
) -> anyhow::Result<WaitingChanges> {
    let waiting = store.waiting_changes(account.id)?;
    if !waiting.is_empty() && !force {
        return Err(RemoveRefused::Waiting {
            email: account.email.clone(),
            waiting,
        }
        .into());
    }
    store.remove_account(account.id)?;
    if account.oauth.is_some() {
        crate::oauth::forget_refresh_token(&account.email).await?;
    } else if account.password_source == PasswordSource::Keyring {
        forget_in_keyring(&account.email).await?;
    }
    tracing::info!(email = %account.email, "account removed");
    Ok(waiting)
}
