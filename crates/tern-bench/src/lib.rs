//! Shared helpers for the benchmark binaries: statistics, memory and CPU readings, and an
//! engine / raw connection for alice on a local test server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use mail_engine::{ConnectSettings, Engine, EngineOptions, ImapConnection, Password, Timeouts};
use mail_store::{Security, Store};

/// Sorted-sample statistics in milliseconds.
pub struct Stats {
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
}

pub fn stats(samples: &[Duration]) -> Stats {
    let mut ms: Vec<f64> = samples
        .iter()
        .map(|sample| sample.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let pick = |quantile: f64| -> f64 {
        if ms.is_empty() {
            return f64::NAN;
        }
        let index = ((ms.len() as f64 - 1.0) * quantile).round() as usize;
        ms[index.min(ms.len() - 1)]
    };
    Stats {
        p50: pick(0.5),
        p90: pick(0.9),
        p95: pick(0.95),
        p99: pick(0.99),
        min: pick(0.0),
        max: pick(1.0),
    }
}

/// Resets this process's peak-RSS mark (Linux `clear_refs` 5). Returns false where unsupported.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's peak resident set size since start or the last reset, in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Current resident set size in MiB.
pub fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// alice on a plaintext loopback test server.
pub fn settings(port: u16) -> ConnectSettings {
    ConnectSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: "alice".into(),
        ca_file: None,
        allow_plaintext: false,
    }
}

pub fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(30),
        response: Duration::from_secs(120),
    }
}

pub async fn connect(port: u16) -> anyhow::Result<ImapConnection> {
    Ok(ImapConnection::connect(&settings(port), &Password::new("alice-pw"), timeouts()).await?)
}

/// An engine for alice over an existing cache (a copy of another engine's).
pub fn engine_over(store: Store, account: mail_store::Account) -> Arc<Engine> {
    Arc::new(Engine::new(
        Arc::new(Mutex::new(store)),
        account,
        Password::new("alice-pw"),
        options(),
    ))
}

pub fn options() -> EngineOptions {
    EngineOptions {
        timeouts: timeouts(),
        ..EngineOptions::default()
    }
}

/// An engine for alice with its cache in `data`, talking to `port`.
pub fn engine(data: &std::path::Path, port: u16) -> anyhow::Result<Arc<Engine>> {
    tern_testkit::engine_for(data, "alice", port, options())
}

/// CPU time (user + system) this process has used, from /proc/self/stat (Linux).
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // Clock ticks are 100 per second on Linux.
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Context switches (voluntary + involuntary) of every thread of this process: how often
/// it woke up.
pub fn context_switches() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let status = std::fs::read_to_string(task.ok()?.path().join("status")).ok()?;
        for line in status.lines() {
            if line.starts_with("voluntary_ctxt_switches:")
                || line.starts_with("nonvoluntary_ctxt_switches:")
            {
                total += line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
            }
        }
    }
    Some(total)
}

/// The commands the engine pipelines for a warm delta, sent raw: the server's floor.
pub fn raw_delta_commands(
    strategy: mail_sync::Strategy,
    meta: &mail_sync::SyncMeta,
) -> Vec<String> {
    let modseq = meta.highest_modseq.map_or(0, |modseq| modseq.0);
    let next = meta.uid_next.0;
    match strategy {
        mail_sync::Strategy::Qresync => vec![
            format!("EXAMINE INBOX (QRESYNC ({} {modseq}))", meta.uid_validity.0),
            format!(
                "UID FETCH {next}:* {} (CHANGEDSINCE {modseq})",
                mail_engine::HEADER_ITEMS
            ),
        ],
        mail_sync::Strategy::Condstore => vec![
            "EXAMINE INBOX".to_string(),
            format!(
                "UID FETCH {next}:* {} (CHANGEDSINCE {modseq})",
                mail_engine::HEADER_ITEMS
            ),
            format!(
                "UID FETCH 1:{} (UID FLAGS) (CHANGEDSINCE {modseq})",
                next - 1
            ),
        ],
        _ => vec![
            "EXAMINE INBOX".to_string(),
            format!("UID FETCH {next}:* {}", mail_engine::HEADER_ITEMS),
            format!("UID FETCH 1:{} (UID FLAGS)", next - 1),
        ],
    }
}

/// The engine's cached sync state of INBOX.
pub fn inbox_meta(engine: &Engine) -> anyhow::Result<mail_sync::SyncMeta> {
    let store = engine
        .store()
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?;
    let inbox = store
        .folder_by_name(engine.account().id, "INBOX")?
        .context("inbox")?;
    store.sync_meta(inbox.id)?.context("meta")
}
