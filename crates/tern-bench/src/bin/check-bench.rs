//! `check-bench`: checking 30 folders with nothing changed, through a proxy adding a round
//! trip of latency (default 20 ms): `Engine::check_folders` by LIST-STATUS (Dovecot as it
//! is) and by pipelined STATUS (a Dovecot announcing neither LIST-STATUS nor CONDSTORE),
//! against what the folder checker did before — a delta sync of each folder — on the same
//! servers in the same run. Prints round trips and times; asserts nothing.

use std::time::{Duration, Instant};

use anyhow::Context;
use tern_bench::stats;
use tern_testkit::{Dovecot, Proxy};

struct Measured {
    check: Vec<Duration>,
    check_trips: u64,
    deltas: Vec<Duration>,
    delta_trips: u64,
}

async fn measure(
    server: &Dovecot,
    folders: u64,
    messages: u64,
    runs: usize,
    latency: Duration,
) -> anyhow::Result<Measured> {
    let mut names = vec!["INBOX".to_string()];
    for n in 1..folders {
        let name = format!("Folder{n:02}");
        server.seed("alice", &name, 0, messages)?;
        names.push(name);
    }
    server.seed("alice", "INBOX", 0, messages)?;
    let proxy = Proxy::start(server.port).await?;
    let dir = tempfile::tempdir()?;
    let engine = tern_bench::engine(dir.path(), proxy.port)?;
    engine.refresh_folders().await?;
    for name in &names {
        engine.sync_folder(name, None).await?;
    }
    proxy.set_round_trip(latency);
    let mut measured = Measured {
        check: Vec::with_capacity(runs),
        check_trips: 0,
        deltas: Vec::with_capacity(runs),
        delta_trips: 0,
    };
    for _ in 0..runs {
        let started = Instant::now();
        let report = engine.check_folders(&names).await?;
        measured.check.push(started.elapsed());
        measured.check_trips = report.status_round_trips + report.synced.len() as u64;
        anyhow::ensure!(
            report.synced.is_empty(),
            "nothing changed, yet {:?} synced",
            report.synced
        );

        let started = Instant::now();
        let mut trips = 0;
        for name in &names {
            trips += engine.sync_folder(name, None).await?.round_trips;
        }
        measured.deltas.push(started.elapsed());
        measured.delta_trips = trips;
    }
    engine.shutdown().await;
    Ok(measured)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut runs = 15usize;
    let mut folders = 30u64;
    let mut messages = 200u64;
    let mut latency_ms = 20u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => runs = value()?.parse()?,
            "--folders" => folders = value()?.parse()?,
            "--messages" => messages = value()?.parse()?,
            "--latency-ms" => latency_ms = value()?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let latency = Duration::from_millis(latency_ms);
    println!(
        "# check-bench: {folders} folders of {messages} messages, nothing changed, {latency_ms} ms round trip added, {runs} runs"
    );
    println!("\n| server offers | check_folders | p50 | p90 | round trips | per-folder deltas (before) p50 | round trips | ratio |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (label, server) in [
        (
            "LIST-STATUS + CONDSTORE/QRESYNC (Dovecot)",
            Dovecot::start()?,
        ),
        (
            "neither (pipelined STATUS; UID+flags deltas)",
            Dovecot::start_without(&["LIST-STATUS", "CONDSTORE", "QRESYNC", "NOTIFY"])?,
        ),
    ] {
        let measured = measure(&server, folders, messages, runs, latency).await?;
        let check = stats(&measured.check);
        let deltas = stats(&measured.deltas);
        let way = if label.starts_with("LIST") {
            "LIST-STATUS"
        } else {
            "STATUS x30"
        };
        println!(
            "| {label} | {way} | {:.1} ms | {:.1} ms | {} | {:.1} ms | {} | {:.2}x |",
            check.p50,
            check.p90,
            measured.check_trips,
            deltas.p50,
            measured.delta_trips,
            deltas.p50 / check.p50.max(1e-9),
        );
    }
    Ok(())
}
