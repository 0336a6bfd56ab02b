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
    let waiting = remove_from_cache(store, account, force)?;
    forget_secrets(account).await?;
    Ok(waiting)
}

/// What of `account` exists only here; refused (naming it) unless `force`.
pub fn check_removal(
    store: &Store,
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
    Ok(waiting)
}

/// The cache's part of a removal (checked by [`check_removal`]): every row of the account
/// goes, in one transaction. The app does this under the running cache's lock.
pub fn remove_from_cache(
    store: &mut Store,
    account: &Account,
    force: bool,
) -> anyhow::Result<WaitingChanges> {
    let waiting = check_removal(store, account, force)?;
    store.remove_account(account.id)?;
    tracing::info!(email = %account.email, "account removed");
    Ok(waiting)
}

/// The keyring's part of a removal: the password or the OAuth2 refresh token.
pub async fn forget_secrets(account: &Account) -> anyhow::Result<()> {
    if account.oauth.is_some() {
        crate::oauth::forget_refresh_token(&account.email).await
    } else if account.password_source == PasswordSource::Keyring {
        forget_in_keyring(&account.email).await
    } else {
        Ok(())
    }
}
