//! Start-up and paint timing for the logs (the start-up benchmark reads them): time since
//! the app started, and wall-clock milliseconds to compare across processes.

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Milliseconds since the app started (for start-up timing in the logs).
pub(crate) fn since_start_ms() -> u64 {
    STARTED
        .get()
        .map_or(0, |started| started.elapsed().as_millis() as u64)
}

/// Wall-clock milliseconds (for timing logs compared across processes).
pub(crate) fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// Records the moment the app started (the first call wins).
pub(crate) fn mark_start() {
    STARTED.get_or_init(std::time::Instant::now);
}
