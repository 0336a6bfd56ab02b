//! `tern cache rebuild`: a damaged cache (or one from a newer Tern) rebuilt from the server,
//! keeping what only exists here; then every account synced again.

use serde::Serialize;

use crate::context::Target;
use crate::output::{print_json, say};

#[derive(Serialize)]
struct RebuildJson {
    saved_to: String,
    old_cache: String,
    accounts: usize,
    queued_changes: usize,
    outbox: usize,
    drafts: usize,
    unreadable: Vec<String>,
    not_restored: Vec<String>,
    /// Accounts synced again now (the others fill at their next sync).
    synced: Vec<String>,
    /// Accounts that could not be synced now, and why.
    sync_errors: Vec<String>,
}

pub fn check(target: &Target) -> anyhow::Result<()> {
    let store = target.store()?;
    store.check_whole_cache()?;
    say!("The cache is sound.");
    Ok(())
}

pub async fn rebuild(target: &Target, json: bool) -> anyhow::Result<()> {
    let dir = tern_profile::data_dir(target.data_dir.clone())?;
    let rebuilt = tern_profile::rebuild_cache(&dir)?;
    if !json {
        say!("{}", rebuilt.summary());
    }
    // Everything comes back from the server now, where it can be reached; queued changes go
    // back into the queue as their folders arrive, and are sent.
    let emails: Vec<String> = tern_profile::open_store(Some(dir.clone()))?
        .accounts()?
        .into_iter()
        .map(|account| account.email)
        .collect();
    let mut synced = Vec::new();
    let mut sync_errors = Vec::new();
    for email in emails {
        match sync_again(&dir, &email).await {
            Ok(()) => synced.push(email),
            Err(error) => sync_errors.push(format!("{email}: {error:#}")),
        }
    }
    if json {
        print_json(&RebuildJson {
            saved_to: rebuilt.saved_to.display().to_string(),
            old_cache: rebuilt.old_cache.display().to_string(),
            accounts: rebuilt.restored.accounts,
            queued_changes: rebuilt.restored.actions,
            outbox: rebuilt.restored.outbox,
            drafts: rebuilt.restored.drafts,
            unreadable: rebuilt.unreadable,
            not_restored: rebuilt.restored.refused,
            synced,
            sync_errors,
        })?;
    } else {
        for email in &synced {
            say!("Synced {email} again.");
        }
        for error in &sync_errors {
            say!("Not synced yet (it fills at the next sync): {error}");
        }
    }
    Ok(())
}

/// Every folder of the account from the server, then the queued changes they brought back.
async fn sync_again(dir: &std::path::Path, email: &str) -> anyhow::Result<()> {
    let engine = Target {
        data_dir: Some(dir.to_path_buf()),
        account: Some(email.to_string()),
    }
    .engine()
    .await?;
    let result = async {
        engine.refresh_folders().await?;
        let names: Vec<String> = {
            let store = engine
                .store()
                .lock()
                .map_err(|_| anyhow::anyhow!("The cache lock was poisoned"))?;
            store
                .folders(engine.account().id)?
                .into_iter()
                .filter(|folder| folder.selectable)
                .map(|folder| folder.name)
                .collect()
        };
        for name in &names {
            engine.sync_folder(name, None).await?;
        }
        // Changes queued again by the last folders' syncs.
        engine.replay_pending().await?;
        engine.index_for_search()?;
        anyhow::Ok(())
    }
    .await;
    engine.shutdown().await;
    result
}
