//! Recording the scenarios against a real Dovecot, building a scenario's starting cache by
//! playing its setups unmutated, and playing one (mutated) session on a copy of it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_engine::{ConnectivityState, EngineEvent, EngineOptions, Timeouts};
use mail_store::Store;
use tern_testkit::hostile::{RecordingProxy, Script, ScriptedServer};
use tern_testkit::Dovecot;

use super::cache::{check_failure_kept, check_sound, contents, uid_validity};
use super::work::{
    engine, new_store, options, patient_options, queue_replay_actions, run, settle, Ended,
    Scenario, Work,
};

/// Records the scenarios against a real Dovecot: each work's sessions, and the queued
/// actions the replay starts from.
pub async fn record() -> Vec<Scenario> {
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

    // Runs `work` on a fresh engine through the recorder (which must succeed).
    let record_run = |work: Work, open: Vec<u64>| {
        let live = engine(&store, &account, recorder.port, record_options);
        let dir = data.path().to_path_buf();
        async move {
            if let Ended::Failed(error) = run(work, &live, &open, &dir, true).await {
                panic!("recording {work:?}: {error}");
            }
        }
    };

    // A first sync.
    record_run(Work::Initial, Vec::new()).await;
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
    record_run(Work::Delta, Vec::new()).await;
    step(Work::Delta, Vec::new(), &mut done);

    // Opening: seeded message n is UID n+1 (UID 9 is gone); n % 5 == 2 is multipart with
    // an attachment (larger than `large_message_bytes`: fetched text first).
    let open = vec![2, 3, 0];
    record_run(Work::Open, open.clone()).await;
    step(Work::Open, open.clone(), &mut done);

    // Queued actions (the same ones `prepare` queues), replayed.
    queue_replay_actions(&store, &account);
    record_run(Work::Replay, Vec::new()).await;
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
pub async fn prepare(scenario: &Scenario, dir: &Path) {
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

/// Plays `attack` on a copy of the starting cache `start` in the empty directory `scratch`;
/// returns how it ended, or what went wrong.
pub async fn play(
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
pub async fn play_fresh(
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
