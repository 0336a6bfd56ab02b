//! The engine's everyday work the fuzzer plays (a first sync, a delta, opening, replaying,
//! watching), the tunables it runs with, and how each piece of work is started and ended.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_engine::{ConnectivityState, Engine, EngineEvent, EngineOptions, Password, Timeouts};
use mail_store::{Account, PendingKind, Store};
use serde::{Deserialize, Serialize};
use tern_testkit::hostile::Script;

/// One kind of everyday work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// List folders and sync INBOX for the first time.
    Initial,
    /// Sync INBOX after changes on the server.
    Delta,
    /// Open a small and a large (text-first) message, save an attachment, prefetch.
    Open,
    /// Send queued flag changes and a move.
    Replay,
    /// Watch INBOX: IDLE, a push, the arrival fetched, the delta.
    Watch,
}

/// A scenario: the scripts that build its starting cache (played unmutated, in order), and
/// the script of the work itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    pub work: Work,
    pub setups: Vec<(Work, Script)>,
    pub attack: Script,
    /// For `Open`: the small message, the large one and its attachment's index.
    #[serde(default)]
    pub open: Vec<u64>,
    /// What was done to the attack script (for a corpus entry: why it is there).
    #[serde(default)]
    pub mutations: Vec<String>,
}

/// The engine's tunables for mutated sessions: a stalled server costs 150 ms, not a minute.
pub fn options() -> EngineOptions {
    EngineOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            response: Duration::from_millis(150),
        },
        initial_chunk_size: 8,
        // Watchers do not come back within a session.
        reconnect_initial: Duration::from_secs(30),
        reconnect_max: Duration::from_secs(30),
        idle_done_timeout: Duration::from_millis(150),
        large_message_bytes: 1 << 10,
        ..EngineOptions::default()
    }
}

/// For the unmutated plays that must succeed, whatever the machine's load.
pub fn patient_options() -> EngineOptions {
    EngineOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(10),
        },
        idle_done_timeout: Duration::from_secs(5),
        ..options()
    }
}

pub fn new_store(dir: &Path, port: u16) -> (Arc<Mutex<Store>>, Account) {
    tern_testkit::store_with_account(dir, "alice", port).unwrap()
}

pub fn engine(
    store: &Arc<Mutex<Store>>,
    account: &Account,
    port: u16,
    options: EngineOptions,
) -> Arc<Engine> {
    let mut account = account.clone();
    account.imap_port = port;
    Arc::new(Engine::new(
        store.clone(),
        account,
        Password::new("alice-pw"),
        options,
    ))
}

/// How a piece of work ended.
#[derive(Debug)]
pub enum Ended {
    Done,
    Failed(String),
}

/// Does `work` with `engine` (against whatever server it points at).
pub async fn run(
    work: Work,
    engine: &Arc<Engine>,
    open: &[u64],
    scratch: &Path,
    patient: bool,
) -> Ended {
    let result: Result<(), mail_engine::EngineError> = async {
        match work {
            Work::Initial => {
                engine.refresh_folders().await?;
                engine.sync_folder("INBOX", None).await?;
            }
            Work::Delta => {
                engine.sync_folder("INBOX", None).await?;
            }
            Work::Open => {
                let (small, large, index) = (open[0], open[1], open[2] as usize);
                engine.open_message("INBOX", small, false).await?;
                engine.open_message("INBOX", large, false).await?;
                let target = scratch.join(format!("saved-{}", std::process::id()));
                let _ = std::fs::remove_file(&target);
                engine
                    .save_attachment("INBOX", large, index, &target, true)
                    .await?;
                engine.prefetch_bodies("INBOX", 36_500).await?;
            }
            Work::Replay => {
                engine.replay_pending().await?;
            }
            Work::Watch => watch(engine, patient).await?,
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ended::Done,
        Err(error) => Ended::Failed(error.to_string()),
    }
}

/// Watches INBOX until new mail is announced, or the watcher loses its connection, or
/// 300 ms pass (unmutated, the arrival is announced within a few milliseconds). `patient`:
/// waits up to 10 s, and no announcement is an error (an unmutated play must make one).
pub async fn watch(engine: &Arc<Engine>, patient: bool) -> Result<(), mail_engine::EngineError> {
    let mut events = engine.subscribe();
    let subscription = engine.watch("INBOX");
    let wait = if patient {
        Duration::from_secs(10)
    } else {
        Duration::from_millis(300)
    };
    let deadline = tokio::time::Instant::now() + wait;
    let mut was_live = false;
    let mut announced = false;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::NewMail { .. })) => {
                announced = true;
                break;
            }
            Ok(Ok(EngineEvent::Connectivity { state, .. })) => match state {
                ConnectivityState::Live => was_live = true,
                _ if was_live => break,
                _ => {}
            },
            Ok(Ok(_)) => {}
            Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(_)) | Err(_) => break,
        }
    }
    drop(subscription);
    if patient && !announced {
        return Err(mail_engine::EngineError::new(
            mail_engine::ErrorKind::Other,
            "no new mail was announced",
        ));
    }
    Ok(())
}

/// Waits until every task of `engine` (watchers, their syncers) has let it go, so nothing
/// of this session touches the next one's files.
pub async fn settle(engine: Arc<Engine>) -> Result<(), String> {
    tern_testkit::wait_until(
        "the engine's tasks to let it go",
        Duration::from_secs(10),
        || {
            let alone = Arc::strong_count(&engine) == 1;
            async move { alone }
        },
    )
    .await
    .map_err(|error| error.to_string())
}

impl Scenario {
    pub fn open_or_default(&self) -> Vec<u64> {
        if self.open.is_empty() {
            vec![2, 3, 0]
        } else {
            self.open.clone()
        }
    }
}

pub fn queue_replay_actions(store: &Arc<Mutex<Store>>, account: &Account) {
    let mut locked = store.lock().unwrap();
    let inbox = locked.folder_by_name(account.id, "INBOX").unwrap().unwrap();
    let archive = locked
        .folder_by_name(account.id, "Archive")
        .unwrap()
        .unwrap();
    locked
        .queue_action(inbox.id, &[5, 6], &PendingKind::AddFlag("\\Seen".into()), 1)
        .unwrap();
    locked
        .queue_action(
            inbox.id,
            &[10],
            &PendingKind::AddFlag("\\Flagged".into()),
            1,
        )
        .unwrap();
    locked
        .queue_action(
            inbox.id,
            &[11],
            &PendingKind::Move { target: archive.id },
            1,
        )
        .unwrap();
}
