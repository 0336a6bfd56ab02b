//! `tern folders`: name, role, total and unread, from the cache (LISTing only the first time).

use crate::output::say;

use serde::Serialize;

use crate::context::Target;
use crate::output::print_json;

#[derive(Serialize)]
struct FolderJson {
    name: String,
    role: Option<&'static str>,
    total: u64,
    unread: u64,
}

pub async fn run(target: &Target, json: bool) -> anyhow::Result<()> {
    let (store, account) = target.cached()?;
    let mut summaries = store.folder_summaries(account.id)?;
    if summaries.is_empty() {
        // Nothing cached yet: ask the server once.
        let engine = target
            .engine_over(store, mail_engine::EngineOptions::default())
            .await?;
        engine.refresh_folders().await?;
        engine.shutdown().await;
        summaries = engine
            .store()
            .lock()
            .map_err(|_| anyhow::anyhow!("The cache lock was poisoned"))?
            .folder_summaries(account.id)?;
    }
    let folders: Vec<FolderJson> = summaries
        .into_iter()
        .map(|folder| FolderJson {
            name: folder.name,
            role: folder.role.map(|role| role.as_str()),
            total: folder.total,
            unread: folder.unread,
        })
        .collect();
    if json {
        return print_json(&folders);
    }
    let width = folders
        .iter()
        .map(|folder| folder.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(6);
    say!(
        "{:<width$}  {:<8}  {:>7}  {:>7}",
        "FOLDER",
        "ROLE",
        "TOTAL",
        "UNREAD"
    );
    for folder in folders {
        say!(
            "{:<width$}  {:<8}  {:>7}  {:>7}",
            folder.name,
            folder.role.unwrap_or("-"),
            folder.total,
            folder.unread
        );
    }
    Ok(())
}
