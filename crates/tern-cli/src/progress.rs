//! The progress line `tern sync` keeps on a terminal's stderr: which folder, which phase
//! (headers, bodies, indexing), how many of how many and the time left, rewritten in place
//! and cleared when the phase ends. Nothing is written when stderr is not a terminal.

use std::io::{IsTerminal, Write};

use mail_engine::EngineEvent;
use mail_sync::ProgressPhase;
use tokio::sync::broadcast::{error::RecvError, Receiver};

use crate::output::terminal_safe;

/// The line for a `sync_progress` event; `None` when the phase is done (clear the line).
pub fn progress_line(
    folder: &str,
    phase: ProgressPhase,
    synced: usize,
    total: usize,
    eta_ms: Option<u64>,
) -> Option<String> {
    if synced >= total {
        return None;
    }
    let what = match phase {
        ProgressPhase::Headers => format!("{folder}: headers"),
        ProgressPhase::Bodies => format!("{folder}: bodies for offline reading"),
        ProgressPhase::Indexing => "search index".to_string(),
    };
    let percent = synced * 100 / total.max(1);
    let left = match eta_ms {
        Some(ms) if ms >= 60_000 => format!(", about {} min left", ms.div_ceil(60_000)),
        Some(ms) => format!(", about {} s left", ms.div_ceil(1_000).max(1)),
        None => String::new(),
    };
    Some(format!("{what} {synced} of {total} ({percent} %){left}"))
}

/// Prints progress lines from `events` until the channel closes (when stderr is a terminal).
pub fn spawn(mut events: Receiver<EngineEvent>) -> Option<tokio::task::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(EngineEvent::SyncProgress {
                    folder,
                    synced,
                    total,
                    phase,
                    eta_ms,
                    ..
                }) => {
                    let mut err = std::io::stderr().lock();
                    let _ = match progress_line(&folder, phase, synced, total, eta_ms) {
                        Some(line) => write!(err, "\r\x1b[K{}", terminal_safe(&line)),
                        None => write!(err, "\r\x1b[K"),
                    };
                    let _ = err.flush();
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    }))
}

/// Clears a progress line left behind (a phase cut short by an error).
pub fn clear() {
    if std::io::stderr().is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// folder, phase, synced, total, eta_ms, the line expected.
    type Case = (
        &'static str,
        ProgressPhase,
        usize,
        usize,
        Option<u64>,
        Option<&'static str>,
    );

    #[test]
    fn the_line_says_what_how_far_and_how_long() {
        let table: &[Case] = &[
            ("INBOX", ProgressPhase::Headers, 0, 0, None, None),
            ("INBOX", ProgressPhase::Headers, 10, 10, Some(0), None),
            (
                "INBOX",
                ProgressPhase::Headers,
                2_000,
                100_000,
                None,
                Some("INBOX: headers 2000 of 100000 (2 %)"),
            ),
            (
                "Work",
                ProgressPhase::Bodies,
                50,
                200,
                Some(1_200),
                Some("Work: bodies for offline reading 50 of 200 (25 %), about 2 s left"),
            ),
            (
                "",
                ProgressPhase::Indexing,
                1,
                3,
                Some(125_000),
                Some("search index 1 of 3 (33 %), about 3 min left"),
            ),
        ];
        for (folder, phase, synced, total, eta, expected) in table {
            assert_eq!(
                progress_line(folder, *phase, *synced, *total, *eta).as_deref(),
                *expected
            );
        }
    }
}
