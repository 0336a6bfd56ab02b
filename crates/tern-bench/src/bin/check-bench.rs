//! `check-bench`: checking 30 folders with nothing changed, through a proxy adding a round
//! trip of latency (default 20 ms): `Engine::check_folders` by LIST-STATUS (Dovecot as it
//! is) and by pipelined STATUS (a Dovecot announcing neither LIST-STATUS nor CONDSTORE),
//! against what the folder checker did before — a delta sync of each folder — on the same
//! servers in the same run. Then the connections held while watching those 30 folders
//! (counted by Dovecot): the account's budget of 4 against one IDLE connection per folder
//! (before). Prints round trips, times and connections; asserts nothing.

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

/// Alice's IMAP connections as Dovecot counts them.
fn connections(server: &Dovecot) -> anyhow::Result<usize> {
    Ok(server
        .doveadm(&["who", "-1"])?
        .lines()
        .filter(|line| line.starts_with("alice"))
        .count())
}

/// Watches the `folders` folders of `server` (seeded by `measure`) with at most `budget`
/// connections until every watcher has caught up; returns the most connections seen then.
async fn connections_watching(
    server: &Dovecot,
    folders: u64,
    budget: u16,
) -> anyhow::Result<usize> {
    let dir = tempfile::tempdir()?;
    let (store, mut account) = tern_testkit::store_with_account(dir.path(), "alice", server.port)?;
    account.max_connections = budget;
    let engine = std::sync::Arc::new(mail_engine::Engine::new(
        store,
        account,
        mail_engine::Password::new("alice-pw"),
        tern_bench::options(),
    ));
    let mut names = vec!["INBOX".to_string()];
    names.extend((1..folders).map(|n| format!("Folder{n:02}")));
    engine.refresh_folders().await?;
    let watches: Vec<_> = names.iter().map(|name| engine.watch(name)).collect();
    let wanted = usize::from(budget).min(names.len() + 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut most = 0;
    while Instant::now() < deadline {
        most = most.max(connections(server)?);
        if most >= wanted {
            // Settled: every watcher that can have a connection has one.
            tokio::time::sleep(Duration::from_millis(500)).await;
            most = most.max(connections(server)?);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(watches);
    engine.shutdown().await;
    Ok(most)
}

/// With NOTIFY: one connection watching the `folders` folders; returns the round trips the
/// client started while nothing changed for `quiet`, and how long each of `runs` changes
/// (a message delivered into one of the folders, in turn) took to reach the cache.
async fn notify_pushes(
    server: &Dovecot,
    folders: u64,
    runs: usize,
    quiet: Duration,
) -> anyhow::Result<(u64, Vec<Duration>)> {
    let proxy = Proxy::start(server.port).await?;
    let dir = tempfile::tempdir()?;
    let engine = tern_bench::engine(dir.path(), proxy.port)?;
    let mut names = vec!["INBOX".to_string()];
    names.extend((1..folders).map(|n| format!("Folder{n:02}")));
    engine.refresh_folders().await?;
    for name in &names {
        engine.sync_folder(name, None).await?;
    }
    let mut events = engine.subscribe();
    let watch = engine.watch_with_notify("INBOX", &["INBOX".to_string()]);
    loop {
        if let mail_engine::EngineEvent::Connectivity { state, .. } = events.recv().await? {
            if state == mail_engine::ConnectivityState::Live {
                break;
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = proxy.client_text().matches("\r\n").count();
    tokio::time::sleep(quiet).await;
    let quiet_commands = proxy.client_text().matches("\r\n").count() - before;
    let mut latencies = Vec::with_capacity(runs);
    for run in 0..runs {
        let name = &names[1 + run % (names.len() - 1)];
        let started = Instant::now();
        server.seed("alice", name, 10_000 + run as u64, 1)?;
        loop {
            let event = tokio::time::timeout(Duration::from_secs(30), events.recv()).await??;
            if matches!(&event, mail_engine::EngineEvent::FolderChanged { folder, added, .. } if folder == name && *added > 0)
            {
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    drop(watch);
    engine.shutdown().await;
    Ok((quiet_commands as u64, latencies))
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
    let mut watched = None;
    let mut notified = None;
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
        if watched.is_none() {
            let budget = connections_watching(&server, folders, 4).await?;
            let unbounded = connections_watching(&server, folders, 64).await?;
            watched = Some((budget, unbounded));
            notified = Some(notify_pushes(&server, folders, runs, Duration::from_secs(5)).await?);
        }
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
    if let Some((quiet, latencies)) = notified {
        let latency = stats(&latencies);
        println!("\n| NOTIFY (Dovecot): one connection, {folders} folders | |");
        println!("| --- | --- |");
        println!("| commands sent in 5 s with nothing changed | {quiet} (round trips: 0) |");
        println!(
            "| a message delivered to a non-selected folder, until the cache has it | p50 {:.0} ms, p90 {:.0} ms ({} runs) |",
            latency.p50, latency.p90, latencies.len()
        );
    }
    if let Some((budget, unbounded)) = watched {
        println!("\n| watching {folders} folders | connections held at the server |");
        println!("| --- | --- |");
        println!("| one IDLE connection per folder (before) | {unbounded} |");
        println!("| the account's budget: 4 (now) | {budget} |");
    }
    Ok(())
}
