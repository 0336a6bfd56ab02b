//! Sync benchmark (issue 2): initial sync vs a raw FETCH stream, warm and 1 % deltas per
//! strategy, round trips and time at 50 ms RTT through a delay proxy, peak RSS.
//!
//!   cargo run --release -p tern-bench --bin sync-bench -- [--messages 100000] [--repeats 3]
//!   [--initial-only | --previews | --items-breakdown]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use mail_engine::{Engine, SelectMode};
use mail_store::Store;
use mail_sync::Strategy;
use tern_bench::{
    connect, engine, engine_over, inbox_meta, peak_rss_mib, raw_delta_commands, reset_peak_rss,
    rss_mib, stats,
};

use tern_testkit::{Dovecot, Proxy};

const STRATEGIES: [Strategy; 3] = [Strategy::Qresync, Strategy::Condstore, Strategy::UidFlags];

/// A raw stream: `UID FETCH 1:* <items>` streamed and parsed by the same IMAP stack, nothing kept.
async fn raw_fetch(port: u16, items: &str) -> anyhow::Result<(Duration, usize)> {
    let mut connection = connect(port).await?;
    connection.select("INBOX", SelectMode::ReadOnly).await?;
    let started = Instant::now();
    let mut count = 0usize;
    connection
        .execute(&format!("UID FETCH 1:* {items}"), |_| {
            count += 1;
            Ok(())
        })
        .await?
        .require_ok("raw fetch")?;
    let elapsed = started.elapsed();
    connection.logout().await;
    Ok((elapsed, count))
}

const ENVELOPE_ITEMS: &str = "(UID FLAGS ENVELOPE)";
/// What the engine fetches per message (list header fields raw, INTERNALDATE, size).
const TERN_ITEMS: &str = mail_engine::HEADER_ITEMS;
/// What it fetched before (ENVELOPE + References), kept for comparison.
const ENVELOPE_PLUS_ITEMS: &str =
    "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)])";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut messages: u64 = 100_000;
    let mut repeats: usize = 3;
    let mut items_breakdown = false;
    let mut initial_only = false;
    let mut previews = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--messages" => messages = args.next().context("--messages N")?.parse()?,
            "--repeats" => repeats = args.next().context("--repeats N")?.parse()?,
            "--items-breakdown" => items_breakdown = true,
            // Stop after the initial-sync table (for profiling the initial sync alone).
            "--initial-only" => initial_only = true,
            // After the initial-sync table: previews of every message without its body.
            "--previews" => previews = true,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    println!("# sync-bench: {messages} messages in INBOX, {repeats} repeats");
    let server = Dovecot::start()?;
    let seeding = Instant::now();
    server.seed("alice", "INBOX", 0, messages)?;
    println!(
        "seed {messages} messages (maildir + doveadm index): {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    if items_breakdown {
        // What each FETCH item adds to a raw stream, interleaved rounds.
        let variants = [
            ENVELOPE_ITEMS,
            "(UID FLAGS ENVELOPE INTERNALDATE)",
            "(UID FLAGS ENVELOPE RFC822.SIZE)",
            "(UID FLAGS ENVELOPE BODY.PEEK[HEADER.FIELDS (REFERENCES)])",
            ENVELOPE_PLUS_ITEMS,
            TERN_ITEMS,
        ];
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); variants.len()];
        raw_fetch(server.port, ENVELOPE_PLUS_ITEMS).await?;
        raw_fetch(server.port, TERN_ITEMS).await?;
        for _ in 0..repeats {
            for (index, items) in variants.iter().enumerate() {
                samples[index].push(raw_fetch(server.port, items).await?.0);
            }
        }
        // The same items split over two connections in parallel (halves of the UID range).
        let half = messages / 2;
        let mut parallel = Vec::new();
        for _ in 0..repeats {
            let (mut first, mut second) =
                (connect(server.port).await?, connect(server.port).await?);
            first.select("INBOX", SelectMode::ReadOnly).await?;
            second.select("INBOX", SelectMode::ReadOnly).await?;
            let (command_a, command_b) = (
                format!("UID FETCH 1:{half} {TERN_ITEMS}"),
                format!("UID FETCH {}:* {TERN_ITEMS}", half + 1),
            );
            let started = Instant::now();
            let (a, b) = tokio::join!(
                first.execute(&command_a, |_| Ok(())),
                second.execute(&command_b, |_| Ok(()))
            );
            a?.require_ok("first half")?;
            b?.require_ok("second half")?;
            parallel.push(started.elapsed());
        }
        let base = stats(&samples[0]).p50;
        println!(
            "two connections in parallel, Tern's items: p50 {:.0} ms = {:.2}x",
            stats(&parallel).p50,
            stats(&parallel).p50 / base
        );
        println!("| raw `UID FETCH 1:*` items | p50 | ratio |");
        println!("| --- | --- | --- |");
        for (index, items) in variants.iter().enumerate() {
            let p50 = stats(&samples[index]).p50;
            println!("| `{items}` | {p50:.0} ms | {:.2}x |", p50 / base);
        }
        return Ok(());
    }

    // Initial sync vs raw streams, interleaved so all see the same machine state.
    let (cold, count) = raw_fetch(server.port, ENVELOPE_ITEMS).await?;
    println!(
        "raw UID FETCH 1:* {ENVELOPE_ITEMS}, cold server cache: {:.0} ms ({count} responses)",
        ms(cold)
    );
    let (cold, _) = raw_fetch(server.port, TERN_ITEMS).await?;
    println!(
        "raw UID FETCH 1:* with Tern's items, first time (server caches the new fields): {:.0} ms",
        ms(cold)
    );
    let mut raw_envelope = Vec::new();
    let mut raw_tern = Vec::new();
    let mut initial = Vec::new();
    let mut peak = 0.0f64;
    let mut kept = None;
    for _ in 0..repeats {
        raw_envelope.push(raw_fetch(server.port, ENVELOPE_ITEMS).await?.0);
        raw_tern.push(raw_fetch(server.port, TERN_ITEMS).await?.0);
        let dir = tempfile::tempdir()?;
        let engine = engine(dir.path(), server.port)?;
        engine.refresh_folders().await?;
        let resettable = reset_peak_rss();
        let started = Instant::now();
        let report = engine.sync_folder("INBOX", None).await?;
        initial.push(started.elapsed());
        anyhow::ensure!(
            report.total as u64 == messages,
            "initial sync cached {} of {messages}",
            report.total
        );
        if resettable {
            peak = peak.max(peak_rss_mib().unwrap_or(f64::NAN));
        }
        engine.shutdown().await;
        kept = Some((engine, dir));
    }
    let (engine, _engine_dir) = kept.context("no run")?;
    let envelope_p50 = stats(&raw_envelope).p50;
    let tern_p50 = stats(&raw_tern).p50;
    let initial_p50 = stats(&initial).p50;
    println!("\n| initial sync, {messages} messages | p50 | ratio |");
    println!("| --- | --- | --- |");
    println!("| raw `UID FETCH 1:* {ENVELOPE_ITEMS}` (baseline) | {envelope_p50:.0} ms | 1.00x |");
    println!("| raw `UID FETCH 1:*` with Tern's items (list header fields, INTERNALDATE, RFC822.SIZE) | {tern_p50:.0} ms | {:.2}x |", tern_p50 / envelope_p50);
    println!("| Tern initial sync (pipelined chunks, rows -> SQLite) | {initial_p50:.0} ms ({:.0} msg/s) | {:.2}x (vs same items {:.2}x) |", messages as f64 / (initial_p50 / 1000.0), initial_p50 / envelope_p50, initial_p50 / tern_p50);
    println!(
        "peak RSS of the process during the initial sync: {peak:.0} MiB (rss before: {:.0} MiB)",
        rss_mib().unwrap_or(f64::NAN)
    );

    if previews {
        return preview_table(server.port, &engine, messages, repeats).await;
    }
    if initial_only {
        return Ok(());
    }

    // Warm deltas: each strategy on a freshly connected engine over a copy of the synced cache,
    // interleaved with the same commands sent raw on a fresh connection (the server's floor).
    let mut phone = connect(server.port).await?;
    println!("\n| strategy | warm no-change delta p50 | p90 | raw commands p50 (floor) | client share p50 | round trips | 1% flags changed p50 | same, raw p50 | flags changed |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir()?;
        let fresh = engine_copy(dir.path(), server.port, &engine)?;
        fresh.sync_folder("INBOX", Some(strategy)).await?;
        let meta = inbox_meta(&fresh)?;
        let mut raw = connect(server.port).await?;
        let commands = raw_delta_commands(strategy, &meta);
        raw.pipeline(&commands, |_, _| Ok(())).await?;
        let (mut warm, mut floor, mut share) = (Vec::new(), Vec::new(), Vec::new());
        let mut trips = 0;
        for _ in 0..30 {
            let started = Instant::now();
            let report = fresh.sync_folder("INBOX", Some(strategy)).await?;
            let engine_time = started.elapsed();
            anyhow::ensure!(
                report.strategy == strategy,
                "{strategy:?} ran as {:?}",
                report.strategy
            );
            anyhow::ensure!(
                report.added + report.removed + report.flags_changed == 0,
                "a no-change delta changed something"
            );
            trips = report.round_trips;
            let started = Instant::now();
            raw.pipeline(&commands, |_, _| Ok(())).await?;
            let raw_time = started.elapsed();
            warm.push(engine_time);
            floor.push(raw_time);
            share.push(engine_time.saturating_sub(raw_time));
        }
        let mut changed = Vec::new();
        let mut changed_floor = Vec::new();
        let mut flags_changed = 0;
        let step = 100; // 1 % of the messages
        for round in 0..repeats as u32 {
            let set: Vec<String> = (0..messages as u32 / step)
                .map(|i| (i * step + 1 + round).to_string())
                .collect();
            phone.ensure_writable("INBOX").await?;
            phone
                .execute(
                    &format!(
                        "UID STORE {} +FLAGS.SILENT ($Bench{}{round})",
                        set.join(","),
                        strategy.as_str()
                    ),
                    |_| Ok(()),
                )
                .await?
                .require_ok("store")?;
            // The raw connection asks for the same changes (from the same state), so its
            // server process pays the same cost of catching up with the phone's changes.
            let before = inbox_meta(&fresh)?;
            let started = Instant::now();
            let report = fresh.sync_folder("INBOX", Some(strategy)).await?;
            changed.push(started.elapsed());
            flags_changed = report.flags_changed;
            let started = Instant::now();
            raw.pipeline(&raw_delta_commands(strategy, &before), |_, _| Ok(()))
                .await?;
            changed_floor.push(started.elapsed());
        }
        fresh.shutdown().await;
        raw.logout().await;
        let warm_stats = stats(&warm);
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {trips} | {:.1} ms | {:.1} ms | {flags_changed} |",
            strategy.as_str(),
            warm_stats.p50,
            warm_stats.p90,
            stats(&floor).p50,
            stats(&share).p50,
            stats(&changed).p50,
            stats(&changed_floor).p50
        );
    }

    // Through a proxy adding 50 ms of round-trip time.
    let proxy = Proxy::start(server.port).await?;
    proxy.set_round_trip(Duration::from_millis(50));
    let mut probe = connect(proxy.port).await?;
    let mut noops = Vec::new();
    for _ in 0..10 {
        let started = Instant::now();
        probe.noop().await?;
        noops.push(started.elapsed());
    }
    println!(
        "\nat 50 ms RTT (delay proxy): one NOOP round trip p50 {:.1} ms",
        stats(&noops).p50
    );
    println!("| strategy | warm delta at 50 ms RTT p50 | round trips |");
    println!("| --- | --- | --- |");
    for strategy in STRATEGIES {
        let dir = tempfile::tempdir()?;
        let remote = engine_copy(dir.path(), proxy.port, &engine)?;
        remote.sync_folder("INBOX", Some(strategy)).await?;
        let mut samples = Vec::new();
        let mut trips = 0;
        for _ in 0..10 {
            let started = Instant::now();
            let report = remote.sync_folder("INBOX", Some(strategy)).await?;
            samples.push(started.elapsed());
            trips = report.round_trips;
        }
        println!(
            "| {} | {:.1} ms | {trips} |",
            strategy.as_str(),
            stats(&samples).p50
        );
    }
    Ok(())
}

/// The engine's current sync state of INBOX (what its next delta starts from).
fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// What the engine fetches of a message without a kept body for its list preview where the
/// server has no RFC 8970 PREVIEW.
const PREVIEW_ITEMS: &str = "(UID BODY.PEEK[HEADER.FIELDS (CONTENT-TYPE CONTENT-TRANSFER-ENCODING)] BODY.PEEK[TEXT]<0.2048>)";

/// What it fetches where the server offers PREVIEW (Dovecot does).
const SERVER_PREVIEW_ITEMS: &str = "(UID PREVIEW)";

/// Every message's preview filled (`Engine::fill_previews`) on a copy of the synced cache,
/// against what it asks (Dovecot's RFC 8970 PREVIEW) fetched raw in one stream and in the
/// engine's batches, and against the first bytes the engine asks of servers without PREVIEW,
/// interleaved. Run with
/// `TERN_DOVECOT_VERY_DIRTY_SYNCS=no`: else every command that opens message files rescans
/// the seeded cur/ directory (see scripts/dovecot-start.sh), which no real server does.
async fn preview_table(
    port: u16,
    synced: &Engine,
    messages: u64,
    repeats: usize,
) -> anyhow::Result<()> {
    // The server reads every message once first (its page cache), for all alike.
    raw_fetch(port, PREVIEW_ITEMS).await?;
    raw_fetch(port, SERVER_PREVIEW_ITEMS).await?;
    let (mut first_bytes, mut raw, mut filled) = (Vec::new(), Vec::new(), Vec::new());
    let mut batched = Vec::new();
    for _ in 0..repeats {
        first_bytes.push(raw_fetch(port, PREVIEW_ITEMS).await?.0);
        batched.push(raw_batches(port, messages).await?);
        raw.push(raw_fetch(port, SERVER_PREVIEW_ITEMS).await?.0);
        let dir = tempfile::tempdir()?;
        let fresh = engine_copy(dir.path(), port, synced)?;
        let started = Instant::now();
        let count = fresh.fill_previews(None, None).await?;
        filled.push(started.elapsed());
        anyhow::ensure!(count as u64 == messages, "{count} previews of {messages}");
        fresh.shutdown().await;
    }
    let base = stats(&raw).p50;
    println!("\n| previews of {messages} messages without their bodies | p50 | ratio |");
    println!("| --- | --- | --- |");
    println!(
        "| raw `UID FETCH 1:* {SERVER_PREVIEW_ITEMS}` (RFC 8970, Dovecot's own: baseline) | {base:.0} ms | 1.00x |"
    );
    println!(
        "| raw `UID FETCH 1:* {PREVIEW_ITEMS}` (what servers without PREVIEW are asked) | {:.0} ms | {:.2}x |",
        stats(&first_bytes).p50,
        stats(&first_bytes).p50 / base
    );
    println!(
        "| raw, 200 per `UID FETCH` newest first, one at a time | {:.0} ms | {:.2}x |",
        stats(&batched).p50,
        stats(&batched).p50 / base
    );
    let tern = stats(&filled).p50;
    println!(
        "| Tern `fill_previews` (200 per UID FETCH, decoded, kept) | {tern:.0} ms ({:.0} msg/s) | {:.2}x |",
        messages as f64 / (tern / 1000.0),
        tern / base
    );
    Ok(())
}

/// The preview items fetched raw as the engine asks for them: 200 UIDs per command, newest
/// first, one command per round trip.
async fn raw_batches(port: u16, messages: u64) -> anyhow::Result<Duration> {
    let mut connection = connect(port).await?;
    connection.select("INBOX", SelectMode::ReadOnly).await?;
    let started = Instant::now();
    let mut high = messages;
    while high > 0 {
        let low = high.saturating_sub(199).max(1);
        connection
            .execute(
                &format!("UID FETCH {low}:{high} {SERVER_PREVIEW_ITEMS}"),
                |_| Ok(()),
            )
            .await?
            .require_ok("raw batch")?;
        high = low - 1;
    }
    let elapsed = started.elapsed();
    connection.logout().await;
    Ok(elapsed)
}

/// A second engine over a copy of the synced cache, talking through `port`.
fn engine_copy(dir: &std::path::Path, port: u16, synced: &Engine) -> anyhow::Result<Arc<Engine>> {
    let source = synced
        .store()
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .path()
        .to_path_buf();
    // Copying the database with its WAL is consistent while no writer runs.
    for suffix in ["", "-wal", "-shm"] {
        let from = std::path::PathBuf::from(format!("{}{suffix}", source.display()));
        if from.exists() {
            std::fs::copy(
                &from,
                dir.join(format!("{}{suffix}", mail_store::DATABASE_FILE)),
            )?;
        }
    }
    let store = Store::open_in_dir(dir)?;
    let mut account = synced.account().clone();
    account.imap_port = port;
    Ok(engine_over(store, account))
}
