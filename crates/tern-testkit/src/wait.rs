//! Waiting for a condition with a deadline (tests never sleep a fixed time to dodge a race).

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `condition` every 20 ms until it returns true; fails after `deadline`.
pub async fn wait_until<F, Fut>(
    what: &str,
    deadline: Duration,
    mut condition: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if condition().await {
            return Ok(());
        }
        if started.elapsed() > deadline {
            anyhow::bail!("Timed out after {:?} waiting for {what}", deadline);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`wait_until`] for synchronous tests (driving a binary, reading a server): polls
/// `condition` every 20 ms until it returns true; fails after `deadline`.
pub fn poll_until(
    what: &str,
    deadline: Duration,
    mut condition: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if condition() {
            return Ok(());
        }
        if started.elapsed() > deadline {
            anyhow::bail!("Timed out after {:?} waiting for {what}", deadline);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
