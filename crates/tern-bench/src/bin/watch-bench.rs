//! `watch-bench`: new-mail latency through IDLE watchers (loopback and 50 ms round trip),
//! and CPU / wake-ups while watching folders idle. Prints numbers; asserts nothing.
//!
//! Latency is measured from the APPEND's OK (on another connection) to the engine's
//! `new_mail` event. The client's share is measured from the push's arrival on the engine's
//! own IDLE connection to the event; beside it, from the push on a raw IDLE connection (another
//! Dovecot process, so it includes Dovecot's jitter between processes), and the cost of the
//! same change fetched by a delta on a request connection, sent raw.

use std::time::{Duration, Instant};

use anyhow::Context;
use mail_engine::{EngineEvent, ImapConnection, Push, SelectMode};
use tern_bench::{
    connect, context_switches, cpu_time, engine, inbox_meta, raw_delta_commands, stats,
};
use tern_testkit::{Dovecot, Proxy};
use tokio::sync::mpsc;

/// A raw IDLE connection on INBOX that reports when each EXISTS arrives (its first report
/// says IDLE has begun).
fn raw_idle(mut connection: ImapConnection) -> mpsc::UnboundedReceiver<Instant> {
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        if connection
            .select("INBOX", SelectMode::ReadOnly)
            .await
            .is_err()
        {
            return;
        }
        let Ok((idle, _)) = connection.idle_start().await else {
            return;
        };
        if sender.send(Instant::now()).is_err() {
            return;
        }
        loop {
            match connection.idle_wait(&idle, Duration::from_secs(600)).await {
                Ok(Some(Push::Exists(_))) => {
                    if sender.send(Instant::now()).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    receiver
}

async fn append(phone: &mut ImapConnection, index: u64) -> anyhow::Result<Instant> {
    let bytes = tern_testkit::messages::message(index, 1_800_000_000 + index as i64);
    let text = String::from_utf8(bytes).context("utf-8")?;
    let command = format!("APPEND INBOX {{{}+}}\r\n{text}", text.len());
    phone
        .execute(&command, |_| Ok(()))
        .await?
        .require_ok("append")?;
    Ok(Instant::now())
}

struct Latency {
    total: Vec<Duration>,
    /// Event time minus the raw IDLE connection's push (includes Dovecot's jitter between
    /// its two imap processes).
    client: Vec<Duration>,
    /// Event time minus the push's arrival on the engine's own IDLE connection.
    engine: Vec<Duration>,
    /// The same delta's commands sent raw right after the event: the server's part.
    floor: Vec<Duration>,
}

/// `samples` arrivals, each waited for: APPEND OK -> new_mail, and raw push -> new_mail.
async fn measure(
    server: &Dovecot,
    round_trip: Duration,
    samples: usize,
    first_index: u64,
) -> anyhow::Result<Latency> {
    let engine_proxy = Proxy::start(server.port).await?;
    let raw_proxy = Proxy::start(server.port).await?;
    engine_proxy.set_round_trip(round_trip);
    raw_proxy.set_round_trip(round_trip);
    let dir = tempfile::tempdir()?;
    // On loopback the proxies stay out of the way (direct connections).
    let (engine_port, raw_port) = if round_trip.is_zero() {
        (server.port, server.port)
    } else {
        (engine_proxy.port, raw_proxy.port)
    };
    let engine = engine(dir.path(), engine_port)?;
    engine.sync_folder("INBOX", None).await?;
    let mut events = engine.subscribe();
    let _watch = engine.watch("INBOX");
    loop {
        if let EngineEvent::Connectivity { state, .. } = events.recv().await? {
            if state == mail_engine::ConnectivityState::Live {
                break;
            }
        }
    }
    // Reference: a no-change delta on the same warm request connection, nothing else running.
    let mut warm = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        engine.sync_folder("INBOX", None).await?;
        warm.push(started.elapsed());
    }
    let warm = stats(&warm);
    println!(
        "warm no-change delta on the request connection ({} ms round trip): p50 {:.2} ms, p99 {:.2} ms",
        round_trip.as_millis(),
        warm.p50,
        warm.p99
    );
    let mut pushes = raw_idle(connect(raw_port).await?);
    tokio::time::timeout(Duration::from_secs(10), pushes.recv())
        .await?
        .context("raw IDLE did not start")?;
    let mut phone = connect(server.port).await?;
    // Let the raw IDLE settle: one arrival not counted.
    append(&mut phone, first_index).await?;
    tokio::time::timeout(Duration::from_secs(10), pushes.recv()).await?;
    let (_, mut last_uid) = wait_new_mail(&mut events, None).await?;

    let mut latency = Latency {
        total: Vec::new(),
        client: Vec::new(),
        engine: Vec::new(),
        floor: Vec::new(),
    };
    let mut raw = connect(engine_port).await?;
    for sample in 0..samples {
        let before = inbox_meta(&engine)?;
        // Arrivals are spaced: mail that lands while the previous arrival's confirming delta
        // runs is picked up by that delta before its own push, which is another measurement.
        tokio::time::sleep(SPACING).await;
        let ok_at = append(&mut phone, first_index + 1 + sample as u64).await?;
        let (event_at, uid) = wait_new_mail(&mut events, Some(last_uid + 1)).await?;
        last_uid = uid;
        let push_at = tokio::time::timeout(Duration::from_secs(10), pushes.recv())
            .await?
            .context("raw IDLE ended")?;
        latency
            .total
            .push(event_at.saturating_duration_since(ok_at));
        latency
            .client
            .push(event_at.saturating_duration_since(push_at));
        let own_push = engine.last_push_at("INBOX").context("no push recorded")?;
        let own = event_at.saturating_duration_since(own_push);
        if own > Duration::from_millis(10) {
            tracing::info!(
                sample,
                ms = own.as_secs_f64() * 1e3,
                "slow sample: push -> event"
            );
        }
        latency.engine.push(own);
        let commands = raw_delta_commands(mail_sync::Strategy::Qresync, &before);
        let started = Instant::now();
        raw.pipeline(&commands, |_, _| Ok(())).await?;
        latency.floor.push(started.elapsed());
    }
    engine.shutdown().await;
    Ok(latency)
}

/// Pause before each arrival (after the previous one's event).
const SPACING: Duration = Duration::from_millis(200);

/// Waits for the `new_mail` event of `uid` (any, when `None`); returns when and which.
async fn wait_new_mail(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
    uid: Option<u32>,
) -> anyhow::Result<(Instant, u32)> {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .context("no new_mail within 10 s")??;
        if let EngineEvent::NewMail { uid: arrived, .. } = event {
            if uid.is_none_or(|wanted| wanted == arrived) {
                return Ok((Instant::now(), arrived));
            }
        }
    }
}

fn print_latency(label: &str, latency: &Latency) {
    let total = stats(&latency.total);
    let client = stats(&latency.client);
    let engine = stats(&latency.engine);
    let floor = stats(&latency.floor);
    println!(
        "| {label} | {:.1} ms | {:.1} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
        total.p50,
        total.p99,
        engine.p50,
        engine.p99,
        client.p50,
        client.p99,
        floor.p50,
        floor.p99,
        latency.total.len()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    if std::env::var("TERN_LOG").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("TERN_LOG"))
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .init();
    }
    let mut samples = 100usize;
    let mut idle_seconds = 300u64;
    let mut latency_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--samples" => samples = args.next().context("--samples N")?.parse()?,
            "--idle-seconds" => idle_seconds = args.next().context("--idle-seconds S")?.parse()?,
            "--latency-only" => latency_only = true,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    println!("# watch-bench: {samples} samples per setting, idle for {idle_seconds} s");
    let server = Dovecot::start()?;
    server.seed("alice", "INBOX", 0, 1000)?;

    println!("\n| new mail, APPEND OK -> new_mail event | total p50 | total p99 | own push -> event p50 | p99 | raw IDLE push -> event p50 | p99 | request-connection delta sent raw p50 | p99 | samples |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let loopback = measure(&server, Duration::ZERO, samples, 10_000).await?;
    print_latency("loopback", &loopback);
    let slow = measure(&server, Duration::from_millis(50), samples, 20_000).await?;
    print_latency("50 ms round trip (delay proxy)", &slow);
    if latency_only {
        return Ok(());
    }

    // Idle: 10 watched folders, nothing happening.
    let mut phone = connect(server.port).await?;
    let folders: Vec<String> = ["INBOX", "Sent", "Drafts", "Trash", "Archive", "Junk"]
        .iter()
        .map(|name| name.to_string())
        .chain((1..=4).map(|n| format!("Project{n}")))
        .collect();
    for name in folders.iter().skip(6) {
        phone.execute(&format!("CREATE {name}"), |_| Ok(())).await?;
    }
    let dir = tempfile::tempdir()?;
    let engine = engine(dir.path(), server.port)?;
    engine.refresh_folders().await?;
    let mut events = engine.subscribe();
    let heartbeat = engine.spawn_keepalive();
    let watches: Vec<_> = folders.iter().map(|name| engine.watch(name)).collect();
    let mut live = false;
    while !live {
        if let EngineEvent::Connectivity { state, .. } =
            tokio::time::timeout(Duration::from_secs(30), events.recv()).await??
        {
            live = state == mail_engine::ConnectivityState::Live;
        }
    }
    let engine_watched = folders
        .iter()
        .filter(|name| engine.watch_subscribers(name) == 1)
        .count();
    let (cpu_before, switches_before) = (cpu_time(), context_switches());
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(idle_seconds)).await;
    let elapsed = started.elapsed();
    let (cpu_after, switches_after) = (cpu_time(), context_switches());
    println!("\n| idle, {engine_watched} folders watched over IDLE | value |");
    println!("| --- | --- |");
    println!("| wall time | {:.0} s |", elapsed.as_secs_f64());
    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
        let cpu = after.saturating_sub(before);
        println!(
            "| CPU time of the process (user + system) | {} ms ({:.3} % of one core) |",
            cpu.as_millis(),
            cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0
        );
    }
    if let (Some(before), Some(after)) = (switches_before, switches_after) {
        let wakeups = after.saturating_sub(before);
        println!(
            "| context switches, all threads | {wakeups} ({:.2} per second) |",
            wakeups as f64 / elapsed.as_secs_f64()
        );
    }
    drop(watches);
    heartbeat.abort();
    engine.shutdown().await;
    Ok(())
}
