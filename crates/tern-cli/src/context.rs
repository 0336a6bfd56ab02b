//! Opening the data directory's cache and an engine for the account a command works on.

use std::sync::{Arc, Mutex};

use mail_engine::{Engine, EngineOptions};
use mail_store::Store;
use tern_profile::password_for;
pub use tern_profile::{choose_account, open_store};

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
