//! The folder-sync service: runs a folder's sync on the request connection — queued actions
//! first, then the steps `mail_sync::SyncChain` picks (initial, delta, UID+flags, resync) —
//! and publishes what changed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_store::{Folder, FolderId};
use mail_sync::{
    flag_scope, FlagScope, NextStep, StepOutcome, Strategy, SyncChain, SyncMeta, SyncPlan,
    UidValidity, RECENT_FLAGS,
};

use super::delta::{delta_sync, DeltaOutcome};
use super::initial::initial_sync;
use super::report::SyncReport;
use crate::actions::Actions;
use crate::announcing::Announcing;
use crate::connection::ImapConnection;
use crate::core_handle::{Core, FolderChange};
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::EngineEvent;
use crate::store_access::with_store;

pub(crate) struct FolderSync {
    core: Arc<Core>,
    /// Queued actions are replayed before anything is read back from the server.
    actions: Arc<Actions>,
    announcing: Announcing,
    /// When this process last fetched the flags of every message of each folder with the
    /// UID+flags method (servers without CONDSTORE fetch the newest messages' in between).
    full_flags_at: Mutex<HashMap<FolderId, Instant>>,
}

/// How much a sync looks at on a server without CONDSTORE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// The newest messages' flags, every message's now and then (`mail_sync::flag_scope`).
    Usual,
    /// Every message's flags (the person asked).
    Thorough,
}

impl FolderSync {
    pub(crate) fn core(&self) -> &Core {
        &self.core
    }

    pub(crate) fn new(core: Arc<Core>, actions: Arc<Actions>, announcing: Announcing) -> Self {
        FolderSync {
            core,
            actions,
            announcing,
            full_flags_at: Mutex::new(HashMap::new()),
        }
    }

    /// Initial or delta sync of one folder. `forced` picks a strategy (degraded to what the
    /// server can do); `Some(Strategy::Initial)` drops the folder's cache and fetches it again.
    pub(crate) async fn sync_folder(
        &self,
        name: &str,
        forced: Option<Strategy>,
    ) -> Result<SyncReport> {
        self.sync_folder_to(name, forced, Depth::Usual).await
    }

    /// [`FolderSync::sync_folder`] looking as deep as `depth` says.
    pub(crate) async fn sync_folder_to(
        &self,
        name: &str,
        forced: Option<Strategy>,
        depth: Depth,
    ) -> Result<SyncReport> {
        let folder = self.core.folder(name).await?;
        if !folder.selectable {
            return Err(EngineError::new(
                ErrorKind::Other,
                format!("{name} cannot hold messages"),
            ));
        }
        let started = Instant::now();
        let announce = self.announcing.announces(name);
        let mut report = self
            .core
            .with_retry_for(self, 3, |this, connection, attempt| {
                let folder = folder.clone();
                Box::pin(async move {
                    // A retry resumes: an interrupted initial sync continues where it stopped.
                    let forced = match forced {
                        Some(Strategy::Initial) if attempt > 1 => None,
                        other => other,
                    };
                    let trips_before = connection.round_trips();
                    let wait_before = connection.server_wait();
                    let mut report = this.sync_on(connection, &folder, forced, depth).await?;
                    report.round_trips = connection.round_trips() - trips_before;
                    report.server_wait = connection.server_wait().saturating_sub(wait_before);
                    Ok(report)
                })
            })
            .await
            .map_err(|error| error.context(format!("Syncing {name}")))?;
        report.duration = started.elapsed();
        tracing::debug!(
            folder = %report.folder,
            strategy = ?report.strategy,
            added = report.added,
            removed = report.removed,
            flags_changed = report.flags_changed,
            ms = report.duration.as_secs_f64() * 1e3,
            server_ms = report.server_wait.as_secs_f64() * 1e3,
            "synced"
        );
        self.publish(&report, announce);
        self.actions.requeue_restored(&folder);
        Ok(report)
    }

    async fn sync_on(
        &self,
        connection: &mut ImapConnection,
        folder: &Folder,
        forced: Option<Strategy>,
        depth: Depth,
    ) -> Result<SyncReport> {
        let account = self.core.account().id;
        // What the user did goes to the server before anything is read back from it.
        if with_store(self.core.store(), |store| store.pending_count(account))? > 0 {
            match self.actions.replay_on(connection).await {
                Ok(_) => {}
                Err(error) if error.is_connection_failure() => return Err(error),
                // The server cannot take them now: they stay queued, and the sync goes on
                // (it keeps what they changed in the cache).
                Err(error) => tracing::warn!(%error, "queued changes wait"),
            }
        }
        let meta = with_store(self.core.store(), |store| store.sync_meta(folder.id))?;
        let (mut chain, mut next) =
            SyncChain::start(meta.as_ref(), connection.sync_capabilities(), forced);
        let mut report = SyncReport {
            folder: folder.name.clone(),
            strategy: match &next {
                NextStep::Run { plan, .. } => plan.strategy(),
                _ => Strategy::Initial,
            },
            uid_validity: 0,
            added: 0,
            removed: 0,
            flags_changed: 0,
            resync: forced == Some(Strategy::Initial) && meta.is_some(),
            total: 0,
            unread: 0,
            new_messages: Vec::new(),
            dropped: Vec::new(),
            round_trips: 0,
            duration: Duration::ZERO,
            server_wait: Duration::ZERO,
        };
        // Each step runs here; `mail_sync::SyncChain` decides the next one.
        loop {
            match next {
                NextStep::Run { plan, replacing } => {
                    let outcome = self
                        .run_step(connection, folder, plan, replacing, depth, &mut report)
                        .await?;
                    next = chain.next(outcome);
                }
                NextStep::Done => {
                    let counts =
                        with_store(self.core.store(), |store| store.folder_counts(folder.id))?;
                    report.total = counts.count;
                    report.unread = counts.unread;
                    return Ok(report);
                }
                NextStep::GiveUp => {
                    return Err(EngineError::new(
                        ErrorKind::Protocol,
                        format!("{}: sync did not settle", folder.name),
                    ))
                }
            }
        }
    }

    /// Runs one planned step and adds what it did to `report`.
    async fn run_step(
        &self,
        connection: &mut ImapConnection,
        folder: &Folder,
        plan: SyncPlan,
        replacing: Option<UidValidity>,
        depth: Depth,
        report: &mut SyncReport,
    ) -> Result<StepOutcome> {
        let resume: Option<(SyncMeta, _)> = match plan {
            SyncPlan::Initial => None,
            SyncPlan::ResumeInitial { meta, low_uid } => Some((meta, low_uid)),
            SyncPlan::Delta { strategy, meta } => {
                return self
                    .run_delta(connection, folder, strategy, &meta, depth, report)
                    .await
            }
        };
        let events = self.core.events().clone();
        let (account, folder_name) = (self.core.account().email.clone(), folder.name.clone());
        let started = std::time::Instant::now();
        let progress = Box::new(move |synced: usize, total: usize| {
            let remaining = total.saturating_sub(synced) as u64;
            events.send(EngineEvent::SyncProgress {
                account: account.clone(),
                folder: folder_name.clone(),
                synced,
                total,
                phase: mail_sync::ProgressPhase::Headers,
                eta_ms: mail_sync::time_left(synced as u64, started.elapsed(), remaining)
                    .map(|left| left.as_millis() as u64),
            })
        });
        let outcome = initial_sync(
            connection,
            self.core.store(),
            folder,
            resume,
            replacing,
            self.core.options().initial_chunk_size,
            progress,
        )
        .await?;
        report.strategy = Strategy::Initial;
        report.added += outcome.added;
        report.dropped.extend(outcome.dropped);
        report.resync |= outcome.restarted || replacing.is_some();
        report.uid_validity = outcome.uid_validity;
        Ok(StepOutcome::InitialDone {
            meta: with_store(self.core.store(), |store| store.sync_meta(folder.id))?,
        })
    }

    async fn run_delta(
        &self,
        connection: &mut ImapConnection,
        folder: &Folder,
        strategy: Strategy,
        meta: &SyncMeta,
        depth: Depth,
        report: &mut SyncReport,
    ) -> Result<StepOutcome> {
        let scope = self.flag_scope(folder, strategy, depth)?;
        let outcome =
            delta_sync(connection, self.core.store(), folder, strategy, meta, scope).await?;
        if strategy == Strategy::UidFlags && scope == FlagScope::All {
            if let (DeltaOutcome::Applied { .. }, Ok(mut at)) =
                (&outcome, self.full_flags_at.lock())
            {
                at.insert(folder.id, Instant::now());
            }
        }
        match outcome {
            DeltaOutcome::Applied {
                added,
                removed,
                flags_changed,
                uid_validity,
                new_messages,
                dropped,
            } => {
                if report.strategy != Strategy::Initial {
                    report.strategy = strategy;
                }
                report.added += added;
                report.removed += removed;
                report.flags_changed += flags_changed;
                report.uid_validity = uid_validity;
                report.new_messages = new_messages;
                report.dropped.extend(dropped);
                Ok(StepOutcome::DeltaApplied)
            }
            DeltaOutcome::UidValidityChanged => {
                tracing::warn!(folder = %folder.name, "UIDVALIDITY changed; resyncing the folder from scratch");
                Ok(StepOutcome::UidValidityChanged {
                    cached: meta.uid_validity,
                })
            }
            DeltaOutcome::ModSeqUnusable => {
                tracing::info!(folder = %folder.name, "modseqs unusable; using the UID+flags method");
                Ok(StepOutcome::ModSeqUnusable)
            }
        }
    }

    /// Which flags a delta of `folder` with `strategy` asks for (only the UID+flags method
    /// has a choice).
    fn flag_scope(&self, folder: &Folder, strategy: Strategy, depth: Depth) -> Result<FlagScope> {
        if strategy != Strategy::UidFlags {
            return Ok(FlagScope::All);
        }
        let window_start = with_store(self.core.store(), |store| {
            store.nth_newest_uid(folder.id, RECENT_FLAGS)
        })?;
        let since_full = self
            .full_flags_at
            .lock()
            .ok()
            .and_then(|at| at.get(&folder.id).map(Instant::elapsed));
        Ok(flag_scope(
            window_start,
            since_full,
            depth == Depth::Thorough,
        ))
    }

    /// Tells subscribers what a sync changed (and which new messages arrived while watched).
    fn publish(&self, report: &SyncReport, announce: bool) {
        if report.added + report.removed + report.flags_changed > 0 || report.resync {
            self.core.folder_changed(
                &report.folder,
                FolderChange {
                    added: report.added,
                    removed: report.removed,
                    flags_changed: report.flags_changed,
                    resync: report.resync,
                    total: report.total,
                    unread: report.unread,
                },
            );
        }
        if announce && !report.resync && report.strategy != Strategy::Initial {
            self.core.new_mail(&report.folder, &report.new_messages);
        }
        if !report.dropped.is_empty() {
            self.actions
                .announce_dropped(&report.dropped, "the message is gone from the server");
            self.core.pending_changed();
        }
    }
}
