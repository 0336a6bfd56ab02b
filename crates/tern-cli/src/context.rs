//! Opening the data directory's cache and choosing the account a command works on.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use mail_engine::{Engine, EngineOptions};
use mail_store::{Account, Store};

use crate::password::password_for;

/// The data directory: `--data-dir`, `TERN_DATA_DIR`, or the OS default.
pub fn data_dir(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    directories::ProjectDirs::from("org", "Tern", "tern")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("Cannot find the OS data directory; pass --data-dir DIR")
}

pub fn open_store(explicit: Option<PathBuf>) -> anyhow::Result<Store> {
    let dir = data_dir(explicit)?;
    Store::open_in_dir(&dir)
}

/// The account named by `--account`, or the only one.
pub fn choose_account(store: &Store, wanted: Option<&str>) -> anyhow::Result<Account> {
    if let Some(email) = wanted {
        return store
            .account_by_email(email)?
            .with_context(|| format!("No account {email}; add it with `tern account add`"));
    }
    let mut accounts = store.accounts()?;
    match accounts.len() {
        0 => anyhow::bail!("No account yet; add one with `tern account add`"),
        1 => Ok(accounts.remove(0)),
        _ => anyhow::bail!(
            "There are {} accounts ({}); pick one with --account EMAIL",
            accounts.len(),
            accounts
                .iter()
                .map(|account| account.email.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// An engine for the chosen account over the shared store.
pub async fn engine(store: Store, wanted: Option<&str>) -> anyhow::Result<Arc<Engine>> {
    engine_with(store, wanted, EngineOptions::default()).await
}

/// [`engine`] with other options.
pub async fn engine_with(
    store: Store,
    wanted: Option<&str>,
    options: EngineOptions,
) -> anyhow::Result<Arc<Engine>> {
    let account = choose_account(&store, wanted)?;
    let password = password_for(&account).await?;
    Ok(Arc::new(Engine::new(
        Arc::new(Mutex::new(store)),
        account,
        password,
        options,
    )))
}
