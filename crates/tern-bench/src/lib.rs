//! Shared measuring helpers for the benchmark binaries: statistics and peak-RSS reading.

use std::time::Duration;

/// Sorted-sample statistics in milliseconds.
pub struct Stats {
    pub p50: f64,
    pub p90: f64,
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
