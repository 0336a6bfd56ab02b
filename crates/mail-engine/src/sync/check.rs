//! Checking many folders at once (issue 16): their STATUS in one round trip, judged against
//! the cache by `mail_sync::judge`; only the folders whose status changed get a sync.

use std::time::{Duration, Instant};

use mail_sync::{judge, CheckWay, KnownFolder, Reason, Verdict};

use super::report::SyncReport;
use super::service::FolderSync;
use crate::error::Result;
use crate::folder_status::{check_capabilities, folder_statuses};
use crate::store_access::with_store;

/// What a check of many folders did.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// How the statuses were asked.
    pub way: CheckWay,
    /// The server has CONDSTORE: every change shows in a status. Without it a flag change
    /// that keeps the unread count is invisible, and a full sync is due now and then.
    pub condstore: bool,
    /// Folders whose status was asked.
    pub checked: usize,
    /// Round trips the statuses took (1 for any number of folders, up to 100 per trip).
    pub status_round_trips: u64,
    /// Time the statuses took.
    pub status_time: Duration,
    /// The folders synced, why, and what their sync did (or why it failed).
    pub synced: Vec<(String, Reason, std::result::Result<SyncReport, String>)>,
}

impl CheckReport {
    /// Logs each folder whose sync failed (it stays as cached; the next check tries again).
    pub fn log_failures(&self) {
        for (folder, reason, outcome) in &self.synced {
            if let Err(error) = outcome {
                tracing::info!(%folder, ?reason, %error, "folder not synced now");
            }
        }
    }
}

impl FolderSync {
    /// Asks the STATUS of `names` at once and syncs only those it says changed (or that are
    /// new to the cache, or whose answer was missing).
    pub(crate) async fn check_folders(&self, names: &[String]) -> Result<CheckReport> {
        let started = Instant::now();
        let (way, statuses, round_trips, condstore) = self
            .core()
            .with_retry_for(names, 2, |names, connection, _| {
                Box::pin(async move {
                    let before = connection.round_trips();
                    let condstore = check_capabilities(connection).condstore;
                    let (way, statuses) = folder_statuses(connection, names).await?;
                    Ok((way, statuses, connection.round_trips() - before, condstore))
                })
            })
            .await?;
        let status_time = started.elapsed();
        let account = self.core().account().id;
        let known: Vec<KnownFolder> = with_store(self.core().store(), |store| {
            let summaries = store.folder_summaries(account)?;
            names
                .iter()
                .map(|name| {
                    let summary = summaries.iter().find(|summary| &summary.name == name);
                    let meta = match summary {
                        Some(summary) => store.sync_meta(summary.id)?,
                        None => None,
                    };
                    Ok(KnownFolder {
                        meta,
                        total: summary.map_or(0, |summary| summary.total as u32),
                        unread: summary.map_or(0, |summary| summary.unread as u32),
                    })
                })
                .collect()
        })?;
        let mut synced = Vec::new();
        for (name, known) in names.iter().zip(&known) {
            let verdict = match statuses.get(name) {
                Some(status) => judge(known, status).map_err(|lie| {
                    crate::error::EngineError::new(
                        crate::error::ErrorKind::Protocol,
                        format!("The STATUS of {name} cannot be true: {lie}"),
                    )
                })?,
                None => Verdict::Sync(Reason::StatusIncomplete),
            };
            let reason = match verdict {
                Verdict::Unchanged => continue,
                Verdict::Sync(reason) | Verdict::Resync(reason) => reason,
            };
            let outcome = self
                .sync_folder(name, None)
                .await
                .map_err(|error| error.to_string());
            synced.push((name.clone(), reason, outcome));
        }
        Ok(CheckReport {
            way,
            condstore,
            checked: names.len(),
            status_round_trips: round_trips,
            status_time,
            synced,
        })
    }
}
