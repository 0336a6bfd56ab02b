//! `flags-bench`: a 100,000-message folder on a server without CONDSTORE (a Dovecot that
//! announces neither CONDSTORE nor QRESYNC, as Microsoft 365 and Courier): time, round trips
//! and bytes from the server per delta sync — the usual one now (the newest 1,000 messages'
//! flags; expunges below them found by UIDs in ranges) against every message's flags (what
//! every delta did before, and still the thorough check "Check mail now" makes) — with
//! nothing changed, with a new message and a recent expunge, and with an old expunge, in
//! the same run on the same folder. Prints numbers; checks only that each sync saw the
//! change.

use std::time::{Duration, Instant};

use anyhow::Context;
use mail_engine::{Engine, SyncReport};
use tern_bench::stats;
use tern_testkit::{Dovecot, Proxy};

/// Times, round trips and server bytes of one kind of sync.
#[derive(Default)]
struct Cost {
    times: Vec<Duration>,
    trips: u64,
    bytes: Vec<u64>,
}

impl Cost {
    fn row(&self) -> String {
        let times = stats(&self.times);
        let mut bytes = self.bytes.clone();
        bytes.sort_unstable();
        let median = bytes.get(bytes.len() / 2).copied().unwrap_or(0);
        format!(
            "{:.1} ms | {:.1} ms | {} | {:.1} KB",
            times.p50,
            times.p90,
            self.trips,
            median as f64 / 1024.0
        )
    }
}

/// Runs `sync` once, adding its cost to `cost`.
async fn measure<F, Fut>(proxy: &Proxy, cost: &mut Cost, sync: F) -> anyhow::Result<SyncReport>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<SyncReport, mail_engine::EngineError>>,
{
    let (_, before) = proxy.bytes_forwarded();
    let started = Instant::now();
    let report = sync().await?;
    cost.times.push(started.elapsed());
    cost.trips = report.round_trips;
    cost.bytes.push(proxy.bytes_forwarded().1 - before);
    Ok(report)
}

/// A sync of INBOX: every message's flags (`thorough`) or the usual one.
async fn sync(engine: &Engine, thorough: bool) -> Result<SyncReport, mail_engine::EngineError> {
    if thorough {
        engine.sync_folder_thoroughly("INBOX").await
    } else {
        engine.sync_folder("INBOX", None).await
    }
}

fn expunge(server: &Dovecot, uid: u32) -> anyhow::Result<()> {
    server.doveadm(&[
        "expunge",
        "-u",
        "alice",
        "mailbox",
        "INBOX",
        "uid",
        &uid.to_string(),
    ])?;
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut runs = 10usize;
    let mut messages = 100_000u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => runs = value()?.parse()?,
            "--messages" => messages = value()?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let server = Dovecot::start_without(&["CONDSTORE", "QRESYNC", "NOTIFY"])?;
    server.seed("alice", "INBOX", 0, messages)?;
    let proxy = Proxy::start(server.port).await?;
    let dir = tempfile::tempdir()?;
    let engine = tern_bench::engine(dir.path(), proxy.port)?;
    let started = Instant::now();
    engine.sync_folder("INBOX", None).await?;
    println!(
        "# flags-bench: INBOX of {messages} messages on a server without CONDSTORE (first sync {:.1} s), {runs} runs each",
        started.elapsed().as_secs_f64()
    );

    let kinds = [
        "nothing changed",
        "1 new + 1 recent expunge",
        "1 old expunge",
    ];
    let mut costs: Vec<[Cost; 2]> = kinds.iter().map(|_| Default::default()).collect();
    let mut next_new = messages;
    let mut newest = u32::try_from(messages)?;
    let mut oldest = 10u32;
    for _ in 0..runs {
        for thorough in [true, false] {
            let column = usize::from(!thorough);
            let quiet = measure(&proxy, &mut costs[0][column], || sync(&engine, thorough)).await?;
            anyhow::ensure!(
                quiet.added + quiet.removed + quiet.flags_changed == 0,
                "{quiet:?}"
            );

            server.seed("alice", "INBOX", next_new, 1)?;
            next_new += 1;
            expunge(&server, newest - 5)?;
            newest -= 1;
            let recent = measure(&proxy, &mut costs[1][column], || sync(&engine, thorough)).await?;
            anyhow::ensure!((recent.added, recent.removed) == (1, 1), "{recent:?}");

            expunge(&server, oldest)?;
            oldest += 1;
            let old = measure(&proxy, &mut costs[2][column], || sync(&engine, thorough)).await?;
            anyhow::ensure!(old.removed == 1, "{old:?}");
        }
    }
    engine.shutdown().await;

    println!("\n| change | every flag (before; thorough) p50 | p90 | round trips | from server | newest 1,000 + UID ranges (usual now) p50 | p90 | round trips | from server | time ratio | bytes ratio |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (kind, [all, usual]) in kinds.iter().zip(&costs) {
        let ratio = stats(&all.times).p50 / stats(&usual.times).p50.max(1e-9);
        let median = |bytes: &[u64]| {
            let mut sorted = bytes.to_vec();
            sorted.sort_unstable();
            sorted.get(sorted.len() / 2).copied().unwrap_or(0) as f64
        };
        println!(
            "| {kind} | {} | {} | {:.1}x | {:.1}x |",
            all.row(),
            usual.row(),
            ratio,
            median(&all.bytes) / median(&usual.bytes).max(1.0)
        );
    }
    Ok(())
}
