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

use std::alloc::System;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cap::Cap;
use tern_testkit::hostile::{mutate, Random};

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

mod hostile;

use hostile::record::{play, play_fresh, prepare, record};
use hostile::work::Scenario;

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
