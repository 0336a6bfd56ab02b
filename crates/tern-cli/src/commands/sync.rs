//! `tern sync`: initial or delta sync of the named folders (default: all).

use crate::output::say;

use mail_sync::Strategy;
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

pub async fn run(
    target: &Target,
    folders: Vec<String>,
    strategy: Option<StrategyArg>,
    prefetch_days: u32,
    json: bool,
) -> anyhow::Result<()> {
    let engine = target.engine().await?;
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
    if prefetch_days > 0 && names.iter().any(|name| name.eq_ignore_ascii_case("INBOX")) {
        match engine.prefetch_bodies("INBOX", prefetch_days).await {
            Ok(report) if !json && report.fetched > 0 => say!(
                "Kept {} message bodies ({} KiB) for offline reading",
                report.fetched,
                report.bytes / 1024
            ),
            Ok(_) => {}
            Err(error) => failures.push(format!("fetching bodies for offline reading: {error}")),
        }
    }
    if let Err(error) = engine.index_for_search() {
        failures.push(format!("updating the search index: {error}"));
    }
    engine.shutdown().await;
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
