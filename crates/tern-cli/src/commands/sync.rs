//! `tern sync`: initial or delta sync of the named folders (default: all).

use crate::output::say;

use mail_engine::PrefetchReport;
use mail_sync::{OfflinePolicy, Strategy};
use serde::Serialize;

use crate::cli::StrategyArg;
use crate::context::Target;
use crate::output::print_json;

#[derive(Serialize)]
struct SyncJson {
    folder: String,
    strategy: &'static str,
    uidvalidity: u32,
    added: usize,
    removed: usize,
    flags_changed: usize,
    resync: bool,
    ms: u64,
    total: usize,
    round_trips: u64,
}

/// Which bodies to keep offline after syncing.
pub enum Bodies {
    /// As `--bodies` says, or the account's policy.
    Policy(Option<OfflinePolicy>),
    /// `--prefetch-days N`: INBOX's last N days only (0: none).
    InboxDays(u32),
}

/// Messages of each synced folder given their list preview before `tern sync` returns, at
/// most (newest first; the next sync goes on where this one stopped).
const PREVIEWS_AT_ONCE: usize = 1_000;

pub async fn run(
    target: &Target,
    folders: Vec<String>,
    strategy: Option<StrategyArg>,
    bodies: Bodies,
    json: bool,
) -> anyhow::Result<()> {
    let engine = target.engine().await?;
    let progress = (!json)
        .then(|| crate::progress::spawn(engine.subscribe()))
        .flatten();
    let forced = strategy.map(|strategy| match strategy {
        StrategyArg::Initial => Strategy::Initial,
        StrategyArg::Qresync => Strategy::Qresync,
        StrategyArg::Condstore => Strategy::Condstore,
        StrategyArg::UidFlags => Strategy::UidFlags,
    });
    // What was done offline goes to the server before anything is read back from it.
    if !engine.pending()?.is_empty() {
        let replayed = engine.replay_pending().await?;
        if !json {
            say!(
                "Sent {} queued change{} to the server{}.",
                replayed.confirmed,
                if replayed.confirmed == 1 { "" } else { "s" },
                match replayed.dropped {
                    0 => String::new(),
                    n => format!(" ({n} gave up: their messages are gone or were refused)"),
                }
            );
        }
    }
    let named = !folders.is_empty();
    let names: Vec<String> = if folders.is_empty() {
        engine.refresh_folders().await?;
        // INBOX first, then the other roles, then the rest: what the user looks at first.
        let account = engine.account().id;
        let store = engine
            .store()
            .lock()
            .map_err(|_| anyhow::anyhow!("The cache lock was poisoned"))?;
        store
            .folders(account)?
            .into_iter()
            .filter(|folder| folder.selectable)
            .map(|folder| folder.name)
            .collect()
    } else {
        folders
    };
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for name in &names {
        match engine.sync_folder(name, forced).await {
            Ok(report) => {
                if !json {
                    say!(
                        "{:<20} {:<10} +{} -{} ~{} ({} cached{}) in {} ms",
                        report.folder,
                        report.strategy.as_str(),
                        report.added,
                        report.removed,
                        report.flags_changed,
                        report.total,
                        if report.resync { ", full resync" } else { "" },
                        report.duration.as_millis()
                    );
                }
                reports.push(SyncJson {
                    folder: report.folder,
                    strategy: report.strategy.as_str(),
                    uidvalidity: report.uid_validity,
                    added: report.added,
                    removed: report.removed,
                    flags_changed: report.flags_changed,
                    resync: report.resync,
                    ms: report.duration.as_millis() as u64,
                    total: report.total,
                    round_trips: report.round_trips,
                });
            }
            Err(error) => failures.push(format!("{name}: {error}")),
        }
    }
    let kept = match bodies {
        Bodies::InboxDays(0) => Ok(PrefetchReport::default()),
        Bodies::InboxDays(days) => {
            if names.iter().any(|name| name.eq_ignore_ascii_case("INBOX")) {
                engine.prefetch_bodies("INBOX", days).await
            } else {
                Ok(PrefetchReport::default())
            }
        }
        Bodies::Policy(policy) => {
            engine
                .keep_offline(policy, named.then_some(names.as_slice()))
                .await
        }
    };
    // Messages without a kept body get their list preview, newest first, up to
    // PREVIEWS_AT_ONCE a folder; `tern watch` and the app give every one theirs.
    // When keeping bodies failed (a full disk, the server gone), so would this: the next sync.
    let previews = match &kept {
        Ok(_) => {
            engine
                .fill_previews(Some(PREVIEWS_AT_ONCE), Some(names.as_slice()))
                .await
        }
        Err(_) => Ok(0),
    };
    crate::progress::clear();
    // The mail is in the cache; a missing preview is only cosmetic.
    if let Err(error) = previews {
        crate::output::say_err!("Previews not fetched (the next sync tries again): {error}");
    }
    match kept {
        Ok(report) if !json && report.fetched > 0 => say!(
            "Kept {} message bodies ({} KiB) for offline reading{}",
            report.fetched,
            report.bytes / 1024,
            match report.text_only {
                0 => String::new(),
                n => format!(
                    " ({n} beyond the size limit kept their text; attachments come when saved)"
                ),
            }
        ),
        Ok(_) => {}
        Err(error) => failures.push(format!("fetching bodies for offline reading: {error}")),
    }
    // The search index is brought up to date by the next search (or `tern watch`), not
    // here: a first sync returns as soon as the mail is in the cache.
    if !json {
        if let Ok(progress) = engine.index_progress() {
            if progress.waiting >= 1_000 {
                say!(
                    "{} messages wait to be indexed for search: `tern search` indexes them as it goes.",
                    progress.waiting
                );
            }
        }
    }
    engine.shutdown().await;
    if let Some(progress) = progress {
        progress.abort();
    }
    if json {
        print_json(&reports)?;
    }
    if !failures.is_empty() {
        anyhow::bail!(
            "sync failed for {} of {} folders: {}",
            failures.len(),
            names.len(),
            failures.join("; ")
        );
    }
    Ok(())
}
