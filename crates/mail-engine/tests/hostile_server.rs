//! The hostile-server fuzzer: real Dovecot sessions of the engine's everyday work (a first
//! sync, a delta, opening and saving, replaying queued actions, watching with IDLE) are
//! recorded, then played back thousands of times by a scripted server with the server's
//! lines mutated: numbers huge or zero, sets reversed or unbounded, literals lying about
//! their size, lines cut short, random bytes, BYE mid-literal, answers for other tags,
//! floods of lines. Under a heap limit, every session must end without a panic or an abort,
//! within its time, with a clear error or a result, and with a cache that is intact — and,
//! when the work failed, exactly what it was before (nothing lost, nothing half-written).
//!
//! Inputs that once failed live in `tests/hostile/corpus/` and are played first on every
//! run. `TERN_HOSTILE_SESSIONS` sets how many mutated sessions run (default 3000);
//! `TERN_HOSTILE_SEED` the first seed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::alloc::System;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cap::Cap;
use mail_engine::{ConnectivityState, Engine, EngineEvent, EngineOptions, Password, Timeouts};
use mail_store::{Account, NewAccount, PasswordSource, PendingKind, Security, Store};
use serde::{Deserialize, Serialize};
use tern_testkit::hostile::{mutate, Random, RecordingProxy, Script, ScriptedServer};
use tern_testkit::Dovecot;

/// Every allocation of this test process counts against a limit: a server that makes the
/// engine allocate beyond it aborts the run (and the test) on the spot.
#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Mutated sessions played at once.
const CONCURRENT_SESSIONS: usize = 6;

/// The heap the engine may use while the mutated sessions run (the recorded scripts, the
/// scripted servers and the test's own state included). One session may legitimately hold a
/// response up to the engine's 32 MiB limit (and a copy of its literal): six at once stay
/// well under this; a single unbounded allocation from a lying number does not.
const HEAP_LIMIT: usize = 512 << 20;

/// One kind of everyday work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Work {
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
struct Scenario {
    work: Work,
    setups: Vec<(Work, Script)>,
    attack: Script,
    /// For `Open`: the small message, the large one and its attachment's index.
    #[serde(default)]
    open: Vec<u64>,
    /// What was done to the attack script (for a corpus entry: why it is there).
    #[serde(default)]
    mutations: Vec<String>,
}

/// The engine's tunables for mutated sessions: a stalled server costs 150 ms, not a minute.
fn options() -> EngineOptions {
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
fn patient_options() -> EngineOptions {
    EngineOptions {
        timeouts: Timeouts {
            connect: Duration::from_secs(10),
            response: Duration::from_secs(10),
        },
        idle_done_timeout: Duration::from_secs(5),
        ..options()
    }
}

fn new_store(dir: &Path, port: u16) -> (Arc<Mutex<Store>>, Account) {
    let mut store = Store::open_in_dir(dir).unwrap();
    let id = store
        .upsert_account(
            &NewAccount {
                email: "alice@tern.test".into(),
                imap_host: "127.0.0.1".into(),
                imap_port: port,
                security: Security::Plain,
                username: "alice".into(),
                ca_file: None,
                password_source: PasswordSource::Env("UNUSED".into()),
                allow_plaintext: false,
            },
            0,
        )
        .unwrap();
    let account = store
        .accounts()
        .unwrap()
        .into_iter()
        .find(|account| account.id == id)
        .unwrap();
    (Arc::new(Mutex::new(store)), account)
}

fn engine(
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
enum Ended {
    Done,
    Failed(String),
}

/// Does `work` with `engine` (against whatever server it points at).
async fn run(
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
async fn watch(engine: &Arc<Engine>, patient: bool) -> Result<(), mail_engine::EngineError> {
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

/// A queued action: (folder, UID, kind, where a move put the message: target, local UID).
type Queued = (i64, i64, String, Option<(i64, i64)>);

/// What the cache holds, as far as a failed piece of work must not change it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Contents {
    /// (folder, UID) -> flags, subject, Message-ID.
    messages: std::collections::BTreeMap<(i64, i64), (String, String, String)>,
    /// Folder -> UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, initial low-water mark.
    sync: std::collections::BTreeMap<i64, (i64, i64, i64, i64)>,
    /// (folder, UID) -> body size and where its parts left on the server are.
    bodies: std::collections::BTreeMap<(i64, i64), (i64, String)>,
    /// Queued action -> what it is.
    pending: std::collections::BTreeMap<i64, Queued>,
}

fn contents(path: &Path) -> Contents {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut messages = std::collections::BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT folder_id, uid, flags, subject, message_id FROM messages")
        .unwrap();
    let mut rows = statement.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        messages.insert(
            (row.get(0).unwrap(), row.get(1).unwrap()),
            (
                row.get(2).unwrap(),
                row.get(3).unwrap(),
                row.get(4).unwrap(),
            ),
        );
    }
    let mut sync = std::collections::BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT folder_id, uidvalidity, uidnext, highestmodseq, coalesce(initial_low_uid, -1) FROM sync_meta")
        .unwrap();
    let mut rows = statement.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        sync.insert(
            row.get(0).unwrap(),
            (
                row.get(1).unwrap(),
                row.get(2).unwrap(),
                row.get(3).unwrap(),
                row.get(4).unwrap(),
            ),
        );
    }
    let mut bodies = std::collections::BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT m.folder_id, m.uid, b.size, b.remote_parts FROM bodies b JOIN messages m ON m.id = b.message_id")
        .unwrap();
    let mut rows = statement.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        bodies.insert(
            (row.get(0).unwrap(), row.get(1).unwrap()),
            (row.get(2).unwrap(), row.get(3).unwrap()),
        );
    }
    let mut pending = std::collections::BTreeMap::new();
    let mut statement = conn
        .prepare("SELECT id, folder_id, uid, kind, target_id, local_uid FROM pending_ops")
        .unwrap();
    let mut rows = statement.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let target: Option<i64> = row.get(4).unwrap();
        let local: Option<i64> = row.get(5).unwrap();
        pending.insert(
            row.get(0).unwrap(),
            (
                row.get(1).unwrap(),
                row.get(2).unwrap(),
                row.get(3).unwrap(),
                target.zip(local),
            ),
        );
    }
    Contents {
        messages,
        sync,
        bodies,
        pending,
    }
}

/// What a failed piece of work may have changed: a delta nothing (it writes in one
/// transaction); opening only added bodies (the steps before the failure may have
/// finished); a replay only the messages it had queued actions for (those it finished are
/// done, refused ones undone), and every action left still names a message in sight.
fn check_failure_kept(work: Work, before: &Contents, after: &Contents) -> Result<(), String> {
    let same = |what: &str, equal: bool| {
        if equal {
            Ok(())
        } else {
            Err(format!("the failure changed {what}"))
        }
    };
    match work {
        Work::Delta => same("the cache", before == after),
        Work::Open => {
            same("messages", before.messages == after.messages)?;
            same("sync state", before.sync == after.sync)?;
            same("queued actions", before.pending == after.pending)?;
            for (key, body) in &before.bodies {
                if after.bodies.get(key) != Some(body) {
                    return Err(format!("the failure lost or changed the body of {key:?}"));
                }
            }
            Ok(())
        }
        Work::Replay => {
            same("sync state", before.sync == after.sync)?;
            let touched: std::collections::BTreeSet<(i64, i64)> = before
                .pending
                .values()
                .flat_map(|(folder, uid, _, moved)| std::iter::once((*folder, *uid)).chain(*moved))
                .collect();
            for (key, message) in &before.messages {
                if !touched.contains(key) && after.messages.get(key) != Some(message) {
                    return Err(format!(
                        "the failure changed {key:?}, which had no queued action"
                    ));
                }
            }
            for (id, (folder, uid, kind, moved)) in &after.pending {
                if !before.pending.contains_key(id) {
                    return Err(format!("the failure queued a new action {id} ({kind})"));
                }
                // Where the message is shown now: moved ones under their local UID in the
                // target (or moved on by a later queued action).
                let shown = moved.unwrap_or((*folder, *uid));
                let moved_on = after
                    .pending
                    .values()
                    .any(|(other_folder, other_uid, _, _)| (*other_folder, *other_uid) == shown);
                if kind != "expunge" && !after.messages.contains_key(&shown) && !moved_on {
                    return Err(format!(
                        "queued action {id} ({kind}) names a message out of sight"
                    ));
                }
            }
            Ok(())
        }
        Work::Initial | Work::Watch => Ok(()),
    }
}

/// The cache is a sound database whose cached counts match its rows.
fn check_sound(path: &Path) -> Result<(), String> {
    let conn = rusqlite::Connection::open(path).map_err(|error| error.to_string())?;
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(|error| error.to_string())?;
    if integrity != "ok" {
        return Err(format!("integrity_check: {integrity}"));
    }
    let mut statement = conn
        .prepare(
            "SELECT f.name, f.total, f.unread,
                    (SELECT count(*) FROM messages m WHERE m.folder_id = f.id),
                    (SELECT count(*) FROM messages m WHERE m.folder_id = f.id AND m.seen = 0)
             FROM folders f",
        )
        .map_err(|error| error.to_string())?;
    let rows: Vec<(String, i64, i64, i64, i64)> = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .map_err(|error| error.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|error| error.to_string())?;
    for (name, total, unread, counted, unseen) in rows {
        if (total, unread) != (counted, unseen) {
            return Err(format!(
                "{name}: cached counts {total}/{unread}, rows {counted}/{unseen}"
            ));
        }
    }
    Ok(())
}

fn uid_validity(path: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare("SELECT uidvalidity FROM sync_meta ORDER BY folder_id")
        .unwrap();
    let values: Vec<i64> = statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    values
}

/// Records the scenarios against a real Dovecot: each work's sessions, and the queued
/// actions the replay starts from.
async fn record() -> Vec<Scenario> {
    let server = Dovecot::start().expect("dovecot");
    server.seed("alice", "INBOX", 0, 30).expect("seed");
    let recorder = RecordingProxy::start(server.port).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let (store, account) = new_store(data.path(), recorder.port);
    let record_options = EngineOptions {
        timeouts: Timeouts::default(),
        reconnect_initial: Duration::from_secs(30),
        idle_done_timeout: Duration::from_secs(5),
        ..options()
    };
    let mut done: Vec<(Work, Script)> = Vec::new();
    let mut scenarios = Vec::new();
    let mut step = |work: Work, open: Vec<u64>, done: &mut Vec<(Work, Script)>| {
        let script = Script::from_transcripts(&recorder.take());
        scenarios.push(Scenario {
            work,
            setups: done.clone(),
            attack: script.clone(),
            open,
            mutations: Vec::new(),
        });
        done.push((work, script));
    };

    // A first sync.
    let live = engine(&store, &account, recorder.port, record_options);
    match run(Work::Initial, &live, &[], data.path(), true).await {
        Ended::Done => {}
        Ended::Failed(error) => panic!("recording the first sync: {error}"),
    }
    drop(live);
    step(Work::Initial, Vec::new(), &mut done);

    // Another device changes things: flags, an expunge, new mail.
    server
        .doveadm(&[
            "flags", "add", "-u", "alice", "\\Seen", "mailbox", "INBOX", "uid", "1:4",
        ])
        .unwrap();
    server
        .doveadm(&[
            "flags",
            "add",
            "-u",
            "alice",
            "\\Flagged",
            "mailbox",
            "INBOX",
            "uid",
            "7",
        ])
        .unwrap();
    server
        .doveadm(&["expunge", "-u", "alice", "mailbox", "INBOX", "uid", "9"])
        .unwrap();
    server.seed("alice", "INBOX", 30, 3).expect("deliver");
    let live = engine(&store, &account, recorder.port, record_options);
    match run(Work::Delta, &live, &[], data.path(), true).await {
        Ended::Done => {}
        Ended::Failed(error) => panic!("recording the delta: {error}"),
    }
    drop(live);
    step(Work::Delta, Vec::new(), &mut done);

    // Opening: seeded message n is UID n+1 (UID 9 is gone); n % 5 == 2 is multipart with
    // an attachment (larger than `large_message_bytes`: fetched text first).
    let open = vec![2, 3, 0];
    let live = engine(&store, &account, recorder.port, record_options);
    match run(Work::Open, &live, &open, data.path(), true).await {
        Ended::Done => {}
        Ended::Failed(error) => panic!("recording opening: {error}"),
    }
    drop(live);
    step(Work::Open, open.clone(), &mut done);

    // Queued actions, replayed.
    {
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
    // The starting cache of the replay holds those queued actions: a setup "work" that
    // queues them is played from this description, not from a script.
    let live = engine(&store, &account, recorder.port, record_options);
    match run(Work::Replay, &live, &[], data.path(), true).await {
        Ended::Done => {}
        Ended::Failed(error) => panic!("recording the replay: {error}"),
    }
    drop(live);
    step(Work::Replay, Vec::new(), &mut done);

    // Watching, while new mail arrives.
    let live = engine(&store, &account, recorder.port, record_options);
    let mut events = live.subscribe();
    let subscription = live.watch("INBOX");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::Connectivity {
                state: ConnectivityState::Live,
                ..
            })) => break,
            Ok(_) => {}
            Err(_) => panic!("the watcher never went live"),
        }
    }
    // Seeded message n is \\Seen when n % 3 == 0: 34 arrives unread (new mail).
    server.seed("alice", "INBOX", 34, 1).expect("deliver");
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(EngineEvent::NewMail { .. })) => break,
            Ok(_) => {}
            Err(_) => panic!("no new mail announced while recording"),
        }
    }
    drop(subscription);
    // The watcher ends IDLE and logs out when its last subscriber leaves.
    settle(live).await.expect("the watcher stops");
    tern_testkit::wait_until(
        "the recorded connections to close",
        Duration::from_secs(10),
        || {
            let open = recorder.open_connections();
            async move { open == 0 }
        },
    )
    .await
    .unwrap();
    step(Work::Watch, Vec::new(), &mut done);
    scenarios
}

/// Builds a scenario's starting cache in `dir` by playing its setups unmutated (queueing the
/// replay's actions where the recording queued them).
async fn prepare(scenario: &Scenario, dir: &Path) {
    let (store, account) = new_store(dir, 1);
    for (work, script) in &scenario.setups {
        if *work == Work::Replay {
            queue_replay_actions(&store, &account);
        }
        let server = ScriptedServer::start(script.clone()).await.unwrap();
        let engine = engine(&store, &account, server.port, patient_options());
        if let Ended::Failed(error) =
            run(*work, &engine, &scenario.open_or_default(), dir, true).await
        {
            panic!(
                "setup {work:?} of {:?} failed unmutated: {error}",
                scenario.work
            );
        }
        settle(engine).await.unwrap();
    }
    if scenario.work == Work::Replay {
        queue_replay_actions(&store, &account);
    }
}

/// Waits until every task of `engine` (watchers, their syncers) has let it go, so nothing
/// of this session touches the next one's files.
async fn settle(engine: Arc<Engine>) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Arc::strong_count(&engine) > 1 {
        if Instant::now() > deadline {
            return Err("the engine's tasks did not stop within 10 s of being told".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

impl Scenario {
    fn open_or_default(&self) -> Vec<u64> {
        if self.open.is_empty() {
            vec![2, 3, 0]
        } else {
            self.open.clone()
        }
    }
}

fn queue_replay_actions(store: &Arc<Mutex<Store>>, account: &Account) {
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

/// Plays `attack` on a copy of the starting cache `start` in the empty directory `scratch`;
/// returns how it ended, or what went wrong.
async fn play(
    scenario: &Scenario,
    attack: Script,
    start: &Path,
    scratch: &Path,
    patient: bool,
) -> Result<String, String> {
    let database = scratch.join("tern.db");
    std::fs::copy(start.join("tern.db"), &database).map_err(|error| error.to_string())?;
    let before = contents(&database);
    let validity_before = uid_validity(&database);
    let store = Arc::new(Mutex::new(
        Store::open(&database).map_err(|error| format!("{error:#}"))?,
    ));
    let account = store.lock().unwrap().accounts().unwrap().remove(0);
    let server = ScriptedServer::start(attack)
        .await
        .map_err(|error| error.to_string())?;
    let tunables = if patient {
        patient_options()
    } else {
        options()
    };
    let engine = engine(&store, &account, server.port, tunables);
    let open = scenario.open_or_default();
    let work = scenario.work;
    let task = {
        let engine = engine.clone();
        let scratch = scratch.to_path_buf();
        tokio::spawn(async move { run(work, &engine, &open, &scratch, patient).await })
    };
    let ended = match tokio::time::timeout(Duration::from_secs(20), task).await {
        Err(_) => return Err("the work did not end within 20 s".into()),
        Ok(Err(join)) if join.is_panic() => return Err(format!("panicked: {join}")),
        Ok(Err(join)) => return Err(format!("the work died: {join}")),
        Ok(Ok(ended)) => ended,
    };
    settle(engine).await?;
    drop(server);
    drop(store);
    check_sound(&database)?;
    match ended {
        Ended::Done => Ok("done".into()),
        Ended::Failed(message) => {
            if message.trim().is_empty() {
                return Err("an error without a message".into());
            }
            // A failed piece of work leaves the cache as it was (as far as it got) —
            // unless the server said the folder was replaced: a new UIDVALIDITY voids the
            // cached UIDs.
            let replaced = uid_validity(&database) != validity_before;
            if !replaced {
                let after = contents(&database);
                check_failure_kept(work, &before, &after).map_err(|problem| {
                    format!(
                        "failed ({message}) and {problem}:\nbefore: {before:?}\nafter: {after:?}"
                    )
                })?;
            }
            Ok(format!("failed: {message}"))
        }
    }
}

/// [`play`] in a fresh directory under `scratch`, removed afterwards.
async fn play_fresh(
    scenario: &Scenario,
    attack: Script,
    start: &Path,
    scratch: &Path,
    name: &str,
) -> Result<String, String> {
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    let outcome = play(scenario, attack, start, &dir, false).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/corpus")
}

fn save_failure(scenario: &Scenario, seed: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{:?}-{seed}.json", scenario.work).to_lowercase());
    let _ = std::fs::write(
        &path,
        serde_json::to_vec_pretty(scenario).unwrap_or_default(),
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_server_gets_errors_never_a_crash_or_a_damaged_cache() {
    let sessions: u64 = std::env::var("TERN_HOSTILE_SESSIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3000);
    let first_seed: u64 = std::env::var("TERN_HOSTILE_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|elapsed| elapsed.as_secs())
                .unwrap_or(1)
        });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let recorded = record().await;
    assert_eq!(recorded.len(), 5);

    // The starting caches, built by playing the recorded scripts unmutated: this also
    // proves the scripted server plays a session as the real one did.
    let starts = tempfile::tempdir().unwrap();
    let mut start_dirs = Vec::new();
    for (index, scenario) in recorded.iter().enumerate() {
        let dir = starts.path().join(index.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        prepare(scenario, &dir).await;
        let scratch = tempfile::tempdir().unwrap();
        let outcome = play(
            scenario,
            scenario.attack.clone(),
            &dir,
            scratch.path(),
            true,
        )
        .await;
        assert_eq!(
            outcome.as_deref(),
            Ok("done"),
            "{:?} played unmutated must do what it did against Dovecot",
            scenario.work
        );
        start_dirs.push(dir);
    }

    // A panic anywhere (an engine task nobody awaits included) is counted.
    static PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The engine catches panics of the IMAP parser and makes them errors.
        if !mail_engine::panic_is_contained() {
            PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            default_hook(info);
        }
    }));
    let panics = || PANICS.load(std::sync::atomic::Ordering::SeqCst);
    ALLOCATOR.set_limit(HEAP_LIMIT).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();

    // First the inputs that once failed.
    let mut corpus: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect()
        })
        .unwrap_or_default();
    corpus.sort();
    for path in &corpus {
        let scenario: Scenario = serde_json::from_slice(&std::fs::read(path).unwrap())
            .unwrap_or_else(|error| panic!("corpus entry {}: {error}", path.display()));
        let start = tempfile::tempdir().unwrap();
        prepare(&scenario, start.path()).await;
        let panics_before = panics();
        let outcome = play_fresh(
            &scenario,
            scenario.attack.clone(),
            start.path(),
            scratch.path(),
            "corpus",
        )
        .await;
        let outcome = outcome.and_then(|outcome| {
            if panics() > panics_before {
                Err("a task of the engine panicked".to_string())
            } else {
                Ok(outcome)
            }
        });
        if let Err(problem) = outcome {
            failures.push(format!("corpus {}: {problem}", path.display()));
        }
    }

    // Then fresh mutations, several sessions at a time (each has its own server, engine and
    // cache; most of a session's time is a client waiting out a stalled server).
    let started = Instant::now();
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    let mut time_by_work: std::collections::BTreeMap<String, Duration> = Default::default();
    let mut in_flight = futures::stream::FuturesUnordered::new();
    // An abort (the heap limit) kills the process before any report: the seeds under way
    // are kept in a file to replay them (TERN_HOSTILE_SEED=… TERN_HOSTILE_SESSIONS=1).
    let under_way_file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-under-way.txt");
    let mut under_way = std::collections::BTreeSet::new();
    let note_under_way = |seeds: &std::collections::BTreeSet<u64>| {
        let text: Vec<String> = seeds.iter().map(u64::to_string).collect();
        let _ = std::fs::write(&under_way_file, text.join("\n"));
    };
    let mut seeds = first_seed..first_seed + sessions;
    loop {
        while in_flight.len() < CONCURRENT_SESSIONS && failures.is_empty() {
            let Some(seed) = seeds.next() else { break };
            let index = (seed % recorded.len() as u64) as usize;
            let base = &recorded[index];
            let mut attack = base.attack.clone();
            let mutations = mutate(&mut attack, &mut Random::new(seed));
            let scenario = Scenario {
                attack: attack.clone(),
                mutations,
                ..base.clone()
            };
            let start = start_dirs[index].clone();
            let scratch = scratch.path().to_path_buf();
            under_way.insert(seed);
            note_under_way(&under_way);
            in_flight.push(async move {
                let session_started = Instant::now();
                let outcome =
                    play_fresh(&scenario, attack, &start, &scratch, &seed.to_string()).await;
                (seed, scenario, outcome, session_started.elapsed())
            });
        }
        let Some((seed, scenario, outcome, took)) = futures::StreamExt::next(&mut in_flight).await
        else {
            break;
        };
        under_way.remove(&seed);
        note_under_way(&under_way);
        *time_by_work
            .entry(format!("{:?}", scenario.work))
            .or_default() += took;
        match outcome {
            Ok(outcome) => {
                let kind = if outcome == "done" {
                    "done"
                } else {
                    "failed cleanly"
                };
                *outcomes
                    .entry(format!("{:?} {kind}", scenario.work))
                    .or_default() += 1;
            }
            Err(problem) => {
                let saved = save_failure(&scenario, seed);
                failures.push(format!(
                    "seed {seed} {:?} {:?}: {problem} (scenario saved to {}; copy it into tests/hostile/corpus/)",
                    scenario.work,
                    scenario.mutations,
                    saved.display()
                ));
            }
        }
    }
    if panics() > 0 {
        failures.push(format!(
            "{} panic(s) outside the engine's containment (see the messages above)",
            panics()
        ));
    }
    let elapsed = started.elapsed();
    eprintln!(
        "hostile server: {} corpus entries, {sessions} sessions from seed {first_seed} in {:.1} s ({:.0}/s); heap peak {:.1} MiB of {} MiB; outcomes {outcomes:?}; time by work {time_by_work:?}",
        corpus.len(),
        elapsed.as_secs_f64(),
        sessions as f64 / elapsed.as_secs_f64().max(0.001),
        ALLOCATOR.max_allocated() as f64 / (1 << 20) as f64,
        HEAP_LIMIT >> 20
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
