//! Where the profile lives and which account a command or window works on.

use std::path::PathBuf;

use anyhow::Context;
use mail_store::{Account, Store};

/// The environment variable naming the data directory, for the app and the CLI alike.
pub const DATA_DIR_VARIABLE: &str = "TERN_DATA_DIR";

/// The data directory: `explicit` (`--data-dir`), `TERN_DATA_DIR`, or the OS default
/// (`~/.local/share/tern` on Linux).
pub fn data_dir(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_VARIABLE).filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("org", "Tern", "tern")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .context("Cannot find the OS data directory; pass --data-dir DIR")
}

/// Opens (creating and migrating as needed) the cache in the data directory.
pub fn open_store(explicit: Option<PathBuf>) -> anyhow::Result<Store> {
    let dir = data_dir(explicit)?;
    Store::open_in_dir(&dir)
}

/// The account named by `wanted`, or the only one.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_directory_wins() {
        let dir = PathBuf::from("/tmp/somewhere");
        assert_eq!(data_dir(Some(dir.clone())).expect("dir"), dir);
    }

    #[test]
    fn no_account_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("dir");
        let store = open_store(Some(dir.path().to_path_buf())).expect("store");
        let error = choose_account(&store, None).expect_err("no account");
        assert!(error.to_string().contains("No account yet"), "{error}");
    }
}
