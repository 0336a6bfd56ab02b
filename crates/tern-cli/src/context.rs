//! What every command works on — the data directory and the account `--account` chose — and
//! opening its cache and an engine for it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mail_engine::{Engine, EngineOptions};
use mail_store::{Account, Store};
use tern_profile::{credentials_for, SessionHeld};

/// The profile (`--data-dir`) and the account (`--account`; none: the only one) a command
/// works on.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub data_dir: Option<PathBuf>,
    pub account: Option<String>,
}

impl Target {
    /// The profile's cache.
    pub fn store(&self) -> anyhow::Result<Store> {
        tern_profile::open_store(self.data_dir.clone())
    }

    /// The chosen account of `store`.
    pub fn account(&self, store: &Store) -> anyhow::Result<Account> {
        tern_profile::choose_account(store, self.account.as_deref())
    }

    /// Holds the profile for one long-running session (`tern watch`: never a profile's
    /// watchers twice, the app's or another `tern watch`'s) and opens its cache, the data
    /// directory resolved once for both.
    pub fn hold_session(&self) -> anyhow::Result<(SessionHeld, Store)> {
        let data_dir = tern_profile::data_dir(self.data_dir.clone())?;
        let Some(held) = tern_profile::hold_session(&data_dir)? else {
            anyhow::bail!("{}", tern_profile::already_running(&data_dir));
        };
        Ok((held, tern_profile::open_store(Some(data_dir))?))
    }

    /// The cache and the chosen account (no password, no network).
    pub fn cached(&self) -> anyhow::Result<(Store, Account)> {
        let store = self.store()?;
        let account = self.account(&store)?;
        Ok((store, account))
    }

    /// An engine for the chosen account (its password from the keyring or its variable, or
    /// its OAuth2 sign-in).
    pub async fn engine(&self) -> anyhow::Result<Arc<Engine>> {
        self.engine_over(self.store()?, EngineOptions::default())
            .await
    }

    /// An engine with `options` for the chosen account over `store` (already open).
    pub async fn engine_over(
        &self,
        store: Store,
        options: EngineOptions,
    ) -> anyhow::Result<Arc<Engine>> {
        self.engine_within(store, options, None).await
    }

    /// `engine_over`, holding at most `connections` (instead of the account's setting).
    pub async fn engine_within(
        &self,
        store: Store,
        options: EngineOptions,
        connections: Option<u16>,
    ) -> anyhow::Result<Arc<Engine>> {
        let mut account = self.account(&store)?;
        if let Some(connections) = connections {
            account.max_connections = connections;
        }
        let credentials = credentials_for(&account).await?;
        Ok(Arc::new(Engine::new(
            Arc::new(Mutex::new(store)),
            account,
            credentials,
            options,
        )))
    }
}
