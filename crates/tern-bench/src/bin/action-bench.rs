//! `action-bench`: offline-first actions. How long an action takes to show in the cache
//! (against a bare SQLite update of the same row, same file, same run), how long until the
//! server confirmed it on loopback (against a raw UID STORE on a connection that has the folder
//! SELECTed), and replay throughput for 10,000 queued flag changes (against one raw UID STORE
//! over the same number of messages). Prints numbers; asserts nothing.

use std::time::{Duration, Instant};

use anyhow::Context;
use mail_engine::{Action, SelectMode};
use tern_bench::{connect, engine, stats};
use tern_testkit::Dovecot;

fn row(label: &str, samples: &[Duration], baseline: &[Duration]) {
    let ours = stats(samples);
    let base = stats(baseline);
    println!(
        "| {label} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:.2}x |",
        ours.p50,
        ours.p99,
        base.p50,
        base.p99,
        ours.p50 / base.p50.max(1e-9)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut samples = 500usize;
    let mut messages = 20_000u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--samples" => samples = args.next().context("--samples N")?.parse()?,
            "--messages" => messages = args.next().context("--messages N")?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let half = messages / 2;
    println!("# action-bench: {messages} messages in INBOX, {samples} samples");
    let server = Dovecot::start()?;
    server.seed("alice", "INBOX", 0, messages)?;
    let dir = tempfile::tempdir()?;
    let engine = engine(dir.path(), server.port)?;
    // Nothing flagged, nothing read: every action below changes its message.
    let mut raw = connect(server.port).await?;
    raw.select("INBOX", SelectMode::ReadWrite).await?;
    raw.execute("UID STORE 1:* -FLAGS.SILENT (\\Flagged \\Seen)", |_| Ok(()))
        .await?
        .require_ok("reset flags")?;
    engine.sync_folder("INBOX", None).await?;

    println!("\n| action | Tern p50 | Tern p99 | baseline p50 | baseline p99 | p50 ratio |");
    println!("| --- | --- | --- | --- | --- | --- |");

    // 1. In the cache: Engine::act (look up, change the row, queue, one transaction).
    let mut shown = Vec::with_capacity(samples);
    for uid in 1..=samples as u64 {
        let started = Instant::now();
        engine.act("INBOX", &[uid], &Action::MarkRead)?;
        shown.push(started.elapsed());
    }
    // Baseline: the same kind of row update with a bare connection to the same file.
    let db = rusqlite::Connection::open(dir.path().join(mail_store::DATABASE_FILE))?;
    db.busy_timeout(Duration::from_secs(10))?;
    let mut bare = Vec::with_capacity(samples);
    for uid in (samples as u64 + 1)..=(2 * samples as u64) {
        let started = Instant::now();
        let tx = db.unchecked_transaction()?;
        tx.execute(
            "UPDATE messages SET flags = '\\Seen', seen = 1
             WHERE folder_id = (SELECT id FROM folders WHERE name = 'INBOX') AND uid = ?1",
            [uid as i64],
        )?;
        tx.commit()?;
        bare.push(started.elapsed());
    }
    row(
        "mark read: visible in the cache (act) vs a bare SQLite UPDATE",
        &shown,
        &bare,
    );
    engine.replay_pending().await?;

    // 2. Confirmed by the server: act + replay on the warm request connection.
    let mut confirmed = Vec::with_capacity(samples);
    let base_uid = 2 * samples as u64;
    engine.act("INBOX", &[base_uid + 1], &Action::Flag)?;
    engine.replay_pending().await?; // warm: INBOX SELECTed read-write
    for uid in (base_uid + 2)..=(base_uid + 1 + samples as u64) {
        let started = Instant::now();
        engine.act("INBOX", &[uid], &Action::Flag)?;
        engine.replay_pending().await?;
        confirmed.push(started.elapsed());
    }
    let mut stored = Vec::with_capacity(samples);
    for uid in (base_uid + 2 + samples as u64)..=(base_uid + 1 + 2 * samples as u64) {
        let started = Instant::now();
        raw.execute(
            &format!("UID STORE {uid} +FLAGS.SILENT (\\Flagged)"),
            |_| Ok(()),
        )
        .await?
        .require_ok("store")?;
        stored.push(started.elapsed());
    }
    row(
        "flag: confirmed by the server, loopback (act + replay) vs a raw UID STORE",
        &confirmed,
        &stored,
    );

    // 3. Throughput: 10,000 (or half the folder) flag changes queued one by one, replayed.
    let count = half.min(10_000);
    raw.execute("UID STORE 1:* -FLAGS.SILENT (\\Flagged)", |_| Ok(()))
        .await?
        .require_ok("reset flags")?;
    engine.sync_folder("INBOX", None).await?;
    let queued_at = Instant::now();
    for uid in 1..=count {
        engine.act("INBOX", &[uid], &Action::Flag)?;
    }
    let queueing = queued_at.elapsed();
    let replay_at = Instant::now();
    let report = engine.replay_pending().await?;
    let replaying = replay_at.elapsed();
    let raw_at = Instant::now();
    raw.execute(
        &format!(
            "UID STORE {}:{} +FLAGS.SILENT (\\Flagged)",
            half + 1,
            half + count
        ),
        |_| Ok(()),
    )
    .await?
    .require_ok("store")?;
    let raw_store = raw_at.elapsed();
    println!("\n| {count} flag changes, queued one action at a time | value |");
    println!("| --- | --- |");
    println!(
        "| queueing ({count} acts) | {:.0} ms ({:.3} ms each) |",
        queueing.as_secs_f64() * 1e3,
        queueing.as_secs_f64() * 1e3 / count as f64
    );
    println!(
        "| replay | {:.0} ms, {} round trips, {} confirmed, {:.0} changes/s |",
        replaying.as_secs_f64() * 1e3,
        report.round_trips,
        report.confirmed,
        report.confirmed as f64 / replaying.as_secs_f64()
    );
    println!(
        "| baseline: one raw UID STORE of {count} messages | {:.0} ms (replay / raw = {:.2}x) |",
        raw_store.as_secs_f64() * 1e3,
        replaying.as_secs_f64() / raw_store.as_secs_f64()
    );
    engine.shutdown().await;
    Ok(())
}
