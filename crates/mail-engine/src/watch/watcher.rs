//! One folder's watcher task: connects (with backoff), catches up with a sync, then IDLEs
//! on its own connection — pushes become arrivals fetched right there and delta syncs on the
//! request connection — or polls where the server has no IDLE; restarts when told. A
//! connection of its own needs a slot of the account's budget: without one the watcher polls
//! on the request connection and takes the first slot that frees up. A NOTIFY watcher also
//! asks the server (RFC 5465) to report every other folder's changes on its connection and
//! runs a syncer for each folder that changes.

use std::collections::HashMap;

use std::sync::Arc;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use mail_store::Folder;

use super::arrivals;
use super::backoff::Backoff;
use super::registry::Registry;
use super::syncer::Syncer;
use crate::connection::{Idle, ImapConnection, Push, SelectMode};
use crate::core_handle::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::ConnectivityState;
use crate::hub::Worker;
use crate::sync::FolderSync;

/// How a watcher learns of changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WatchMode {
    /// IDLE on its folder.
    Idle,
    /// IDLE on its folder and NOTIFY for every other folder where the server offers it
    /// (IDLE alone where not); arrivals in `announced` are new mail.
    Notify { announced: Vec<String> },
}

/// What a watcher can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Stop,
    /// Drop the connection and reconnect now (the machine woke up, the network changed).
    Restart,
}

/// The hub's handle on a running watcher task.
pub struct WatchHandle {
    control: mpsc::UnboundedSender<Control>,
}

impl Worker for WatchHandle {
    fn stop(self) {
        let _ = self.control.send(Control::Stop);
    }
}

impl WatchHandle {
    pub fn restart(&self) {
        let _ = self.control.send(Control::Restart);
    }
}

/// Starts a watcher task for `folder` (called by the hub for the first subscriber).
pub(crate) fn spawn(
    core: Arc<Core>,
    sync: Arc<FolderSync>,
    registry: &Arc<Registry>,
    slots: Arc<Semaphore>,
    folder: &str,
    mode: WatchMode,
) -> WatchHandle {
    let (control, receiver) = mpsc::unbounded_channel();
    let folder = folder.to_string();
    let running = registry.started();
    // A folder announced by a watcher this one replaces (the app switching to NOTIFY, or
    // to another folder on screen) stays announced: mail arriving between the two is news,
    // not backlog. The old watcher winds down after this one is registered.
    let mut covered = vec![folder.clone()];
    if let WatchMode::Notify { announced } = &mode {
        covered.extend(announced.iter().cloned());
    }
    for each in &covered {
        if registry.announcing().announces(each) {
            registry.caught_up(running.id(), each);
        }
    }
    let registry = registry.clone();
    tokio::spawn(async move {
        Watcher {
            syncer: Syncer::spawn(core.clone(), sync.clone(), &folder),
            id: running.id(),
            slots,
            mode,
            others: HashMap::new(),
            core,
            sync,
            registry,
            folder,
            control: receiver,
        }
        .run()
        .await;
        drop(running);
    });
    WatchHandle { control }
}

/// A new watch connection with `folder` EXAMINEd (IDLE needs a selected folder; read-only
/// is enough and can change nothing), and the folder's UIDVALIDITY as it answered.
async fn connect(core: &Core, folder: &str) -> Result<(ImapConnection, Option<u32>)> {
    let mut connection = core.open_connection().await?;
    let selected = connection.select(folder, SelectMode::ReadOnly).await?;
    Ok((connection, selected.uid_validity.map(|validity| validity.0)))
}

/// What a watch connection knows about its folder, for fetching arrivals on it.
struct Watched {
    folder: Folder,
    uid_validity: Option<u32>,
}

/// Why waiting in IDLE stopped.
enum Woken {
    /// Time to renew IDLE.
    Renew,
    /// A few messages arrived: fetch them from this UID on the watch connection.
    Arrivals(u32),
    Control(Ended),
}

/// How a watch session ended.
enum Ended {
    Stopped,
    Restart,
    Failed(EngineError),
    /// A polling watcher got a slot of the connection budget: connect and IDLE now.
    SlotFree(OwnedSemaphorePermit),
}

struct Watcher {
    core: Arc<Core>,
    sync: Arc<FolderSync>,
    registry: Arc<Registry>,
    folder: String,
    /// Unique among this engine's watchers (a folder may briefly have an old one winding
    /// down beside a new one).
    id: u64,
    /// The account's connection budget for watchers (see `Watchers::slots`).
    slots: Arc<Semaphore>,
    control: mpsc::UnboundedReceiver<Control>,
    syncer: Syncer,
    mode: WatchMode,
    /// Syncers of the other folders NOTIFY reported changes in.
    others: HashMap<String, Syncer>,
}

/// The state a failure leaves the account in.
fn offline_state(error: &EngineError) -> ConnectivityState {
    if error.kind == ErrorKind::SignInNeeded {
        ConnectivityState::SignInNeeded
    } else {
        ConnectivityState::Offline
    }
}

impl Watcher {
    async fn run(mut self) {
        let options = self.core.options();
        let mut backoff = Backoff::new(options.reconnect_initial, options.reconnect_max);
        let mut reason: Option<String> = None;
        let mut slot: Option<OwnedSemaphorePermit> = None;
        loop {
            self.report(ConnectivityState::Connecting, reason.clone());
            if slot.is_none() {
                slot = self.slots.clone().try_acquire_owned().ok();
            }
            let ended = match slot.take() {
                Some(slot) => {
                    let connected = tokio::select! {
                        connected = connect(&self.core, &self.folder) => connected,
                        control = self.control.recv() => match control {
                            Some(Control::Restart) => { backoff.reset(); continue }
                            _ => break,
                        },
                    };
                    self.connected(connected, slot, &mut backoff).await
                }
                None => self.without_connection().await,
            };
            match ended {
                Ended::SlotFree(free) => {
                    tracing::info!(folder = %self.folder, "a connection is free; watching with IDLE");
                    slot = Some(free);
                    backoff.reset();
                    reason = None;
                }
                Ended::Stopped => break,
                Ended::Restart => {
                    backoff.reset();
                    reason = Some("restarting after a clock jump or network change".into());
                }
                Ended::Failed(error) if error.kind == ErrorKind::SignInNeeded => {
                    // Nothing will connect until the person signs in again: wait for that
                    // (a restart), not for a timer.
                    tracing::info!(folder = %self.folder, %error, "sign-in needed; waiting for a new sign-in");
                    reason = Some(error.to_string());
                    match self.control.recv().await {
                        Some(Control::Restart) => backoff.reset(),
                        _ => break,
                    }
                }
                Ended::Failed(error) => {
                    tracing::info!(folder = %self.folder, %error, "watch connection lost");
                    // A refused password, a TLS or policy failure will not fix itself in a
                    // second: retry at the slowest pace (and do not hammer the login).
                    let delay = if error.is_connection_failure() {
                        backoff.next_delay()
                    } else {
                        options.reconnect_max
                    };
                    reason = Some(error.to_string());
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        control = self.control.recv() => match control {
                            Some(Control::Restart) => backoff.reset(),
                            _ => break,
                        },
                    }
                }
            }
        }
        self.syncer.stop();
        for other in self.others.values() {
            other.stop();
        }
    }

    fn report(&self, state: ConnectivityState, reason: Option<String>) {
        self.registry.report(self.id, &self.folder, state, reason);
    }

    /// A watch connection was opened (or not), holding `slot` of the budget: catch up, then
    /// IDLE on it; without IDLE, poll (the connection and its slot given back).
    async fn connected(
        &mut self,
        connected: Result<(ImapConnection, Option<u32>)>,
        slot: OwnedSemaphorePermit,
        backoff: &mut Backoff,
    ) -> Ended {
        let (connection, uid_validity) = match connected {
            Ok(connected) => connected,
            Err(error) => {
                self.report(offline_state(&error), Some(error.to_string()));
                return Ended::Failed(error);
            }
        };
        // Catch up with whatever happened before (or while cut off) before saying live;
        // changes after this sync are pushed once IDLE starts. A NOTIFY watcher says live
        // once every folder is covered.
        let notifying = matches!(self.mode, WatchMode::Notify { .. });
        let folder = match self.catch_up(!notifying).await {
            Ok(folder) => folder,
            Err(error) => return Ended::Failed(error),
        };
        backoff.reset();
        let mut connection = connection;
        if let Err(error) = self.notify(&mut connection).await {
            self.report(offline_state(&error), Some(error.to_string()));
            return Ended::Failed(error);
        }
        if notifying {
            self.report(ConnectivityState::Live, None);
        }
        if connection.has_capability("IDLE") {
            let watched = Watched {
                folder,
                uid_validity,
            };
            let ended = self.idle(connection, &watched).await;
            drop(slot);
            ended
        } else {
            connection.logout().await;
            drop(slot);
            self.poll(false).await
        }
    }

    /// In NOTIFY mode on a server that offers it: asks for every other folder's changes on
    /// this connection, catches up the folders whose arrivals it announces, and marks them
    /// announcing. A refused NOTIFY leaves IDLE on this folder alone.
    async fn notify(&mut self, connection: &mut ImapConnection) -> Result<()> {
        let WatchMode::Notify { announced } = &self.mode else {
            return Ok(());
        };
        let announced = announced.clone();
        if !connection.has_capability("NOTIFY") {
            return Ok(());
        }
        match connection.notify_set().await {
            Ok(pushes) => {
                // Whatever changed since the folder was selected: caught up now.
                for push in pushes {
                    match push {
                        Push::Status { mailbox } if mailbox != self.folder => {
                            self.other_changed(&mailbox)
                        }
                        _ => self.syncer.trigger(),
                    }
                }
            }
            Err(error) if error.is_connection_failure() => return Err(error),
            Err(error) => {
                tracing::warn!(folder = %self.folder, %error, "NOTIFY refused; watching this folder alone");
                return Ok(());
            }
        }
        tracing::info!(folder = %self.folder, "NOTIFY: changes in every folder come on this connection");
        for folder in announced {
            if folder == self.folder {
                continue;
            }
            // What arrived before is the backlog, not news.
            if let Err(error) = self.sync.sync_folder(&folder, None).await {
                if error.is_connection_failure() {
                    return Err(error);
                }
                tracing::warn!(%folder, %error, "catching up a folder NOTIFY covers");
            }
            self.registry.caught_up(self.id, &folder);
        }
        Ok(())
    }

    /// A NOTIFY STATUS for `mailbox`: its delta sync, on the request connection.
    fn other_changed(&mut self, mailbox: &str) {
        self.registry.push_arrived(mailbox);
        let (core, sync) = (self.core.clone(), self.sync.clone());
        self.others
            .entry(mailbox.to_string())
            .or_insert_with(|| Syncer::spawn(core, sync, mailbox))
            .trigger();
    }

    /// No slot of the connection budget is free: catch up and poll on the request
    /// connection until one is.
    async fn without_connection(&mut self) -> Ended {
        if let Err(error) = self.catch_up(true).await {
            return Ended::Failed(error);
        }
        tracing::info!(folder = %self.folder, "the account's connection budget is spent; polling this folder");
        self.poll(true).await
    }

    /// The first sync of a watch session; from then on, arrivals are new mail and (with
    /// `say_live`) the watcher says live.
    async fn catch_up(&mut self, say_live: bool) -> Result<Folder> {
        let caught_up = match self.sync.sync_folder(&self.folder, None).await {
            Ok(_) => self.core.folder(&self.folder).await,
            Err(error) => Err(error),
        };
        match caught_up {
            Ok(folder) => {
                self.registry.caught_up(self.id, &self.folder);
                if say_live {
                    self.report(ConnectivityState::Live, None);
                }
                Ok(folder)
            }
            Err(error) => {
                self.report(offline_state(&error), Some(error.to_string()));
                Err(error)
            }
        }
    }

    /// IDLE until stopped or the connection fails, re-issuing IDLE every renewal period.
    async fn idle(&mut self, mut connection: ImapConnection, watched: &Watched) -> Ended {
        let options = self.core.options();
        loop {
            let (idle, early) = match connection.idle_start().await {
                Ok(started) => started,
                Err(error) => return Ended::Failed(error),
            };
            if !early.is_empty() {
                self.syncer.trigger();
            }
            let renew_at = tokio::time::Instant::now() + options.idle_renewal;
            let woken = loop {
                let remaining = renew_at.saturating_duration_since(tokio::time::Instant::now());
                tokio::select! {
                    push = connection.idle_wait(&idle, remaining) => match push {
                        Ok(Some(Push::Status { mailbox })) if mailbox != self.folder => {
                            tracing::debug!(folder = %mailbox, "NOTIFY: changed");
                            self.other_changed(&mailbox);
                        }
                        Ok(Some(push)) => {
                            self.registry.push_arrived(&self.folder);
                            tracing::debug!(folder = %self.folder, ?push, "push");
                            if let Some(from) = self.arrivals_from(watched, push) {
                                break Woken::Arrivals(from);
                            }
                            self.syncer.trigger();
                        }
                        Ok(None) => break Woken::Renew,
                        Err(error) => return Ended::Failed(error),
                    },
                    control = self.control.recv() => break Woken::Control(match control {
                        Some(Control::Restart) => Ended::Restart,
                        _ => Ended::Stopped,
                    }),
                }
            };
            match woken {
                Woken::Renew => {
                    if let Err(error) = self.done(&mut connection, idle).await {
                        return Ended::Failed(error);
                    }
                }
                Woken::Arrivals(from) => {
                    let uid_validity = watched.uid_validity.unwrap_or(0);
                    let fetched = arrivals::fetch(
                        &self.core,
                        self.registry.announcing(),
                        &mut connection,
                        idle,
                        &watched.folder,
                        uid_validity,
                        from,
                    )
                    .await;
                    // The delta sync confirms (and catches whatever else changed), after the
                    // fetch so the two do not make the server rescan the folder at once.
                    self.syncer.trigger();
                    if let Err(error) = fetched {
                        return Ended::Failed(error);
                    }
                }
                Woken::Control(Ended::Stopped) => {
                    // Politely, but a dead server must not hold up stopping.
                    if self.done(&mut connection, idle).await.is_ok() {
                        connection.logout().await;
                    }
                    return Ended::Stopped;
                }
                Woken::Control(other) => return other,
            }
        }
    }

    /// Whether `push` announces a few arrivals worth fetching on the watch connection.
    fn arrivals_from(&self, watched: &Watched, push: Push) -> Option<u32> {
        let Push::Exists(exists) = push else {
            return None;
        };
        watched.uid_validity?;
        match arrivals::fetch_from(&self.core, &watched.folder, exists) {
            Ok(from) => from,
            Err(error) => {
                tracing::warn!(folder = %self.folder, %error, "reading the cache for arrivals");
                None
            }
        }
    }

    async fn done(&self, connection: &mut ImapConnection, idle: Idle) -> Result<()> {
        let pushes = connection
            .idle_done(idle, self.core.options().idle_done_timeout)
            .await?;
        if !pushes.is_empty() {
            self.syncer.trigger();
        }
        Ok(())
    }

    /// Without IDLE (or without a connection of its own): a delta sync every poll interval
    /// on the request connection. With `wait_for_slot`, ends as soon as a slot of the
    /// connection budget frees up.
    async fn poll(&mut self, wait_for_slot: bool) -> Ended {
        let interval = self.core.options().poll_interval;
        let slots = self.slots.clone();
        loop {
            tokio::select! {
                free = slots.clone().acquire_owned(), if wait_for_slot => {
                    if let Ok(free) = free {
                        return Ended::SlotFree(free);
                    }
                }
                _ = tokio::time::sleep(interval) => {
                    if let Err(error) = self.sync.sync_folder(&self.folder, None).await {
                        if error.is_connection_failure() {
                            return Ended::Failed(error);
                        }
                        tracing::warn!(folder = %self.folder, %error, "polling sync failed");
                    }
                }
                control = self.control.recv() => return match control {
                    Some(Control::Restart) => Ended::Restart,
                    _ => Ended::Stopped,
                },
            }
        }
    }
}
