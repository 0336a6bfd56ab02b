//! The engine's tunables: timeouts, sync batch sizes, reconnect pacing, the body budget.
//! The defaults suit real servers; tests shorten them.

use std::time::Duration;

use crate::connection::Timeouts;

/// How long a search indexes what waits before it answers from what is indexed (the first
/// search after a first sync of 100,000 messages answers within a second).
pub const SEARCH_INDEXES_FOR: Duration = Duration::from_millis(700);

/// Tunables; the defaults suit real servers, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    pub timeouts: Timeouts,
    /// A connection that answered within this window is used without probing it first.
    pub freshness: Duration,
    /// How often an idle request connection is kept alive with NOOP.
    pub keepalive_interval: Duration,
    /// Messages per FETCH batch (and per transaction) in an initial sync.
    pub initial_chunk_size: usize,
    /// First reconnect delay of a watcher (doubling, jittered, up to `reconnect_max`).
    pub reconnect_initial: Duration,
    pub reconnect_max: Duration,
    /// IDLE is ended and re-issued this often (servers drop idle connections silently).
    pub idle_renewal: Duration,
    /// A DONE not answered within this is a dead connection.
    pub idle_done_timeout: Duration,
    /// Delta-sync interval for watched folders on servers without IDLE.
    pub poll_interval: Duration,
    /// How often the clock is checked for jumps (the machine slept).
    pub clock_check_interval: Duration,
    /// Bytes of message bodies kept for offline reading; the oldest go first beyond it.
    pub body_budget: u64,
    /// Messages larger than this open text first: their attachments are fetched when saved.
    pub large_message_bytes: u64,
    /// Bodies kept offline go in batches (one UID FETCH each) of at most this many messages
    /// and bytes: an interactive request waiting for the connection waits for one batch.
    pub body_batch_messages: usize,
    pub body_batch_bytes: u64,
    /// Batches in flight at once while keeping bodies (a sliding window of UID FETCHes):
    /// enough to keep a slow link busy, what an interactive request waits for at most.
    pub body_batches_in_flight: usize,
    /// A search indexes what waits for at most this long before it answers from what is
    /// indexed (the background indexer does the rest).
    pub search_indexes_for: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::default(),
            freshness: Duration::from_secs(30),
            keepalive_interval: Duration::from_secs(240),
            initial_chunk_size: 2000,
            reconnect_initial: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
            idle_renewal: Duration::from_secs(240),
            idle_done_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_secs(60),
            clock_check_interval: Duration::from_secs(10),
            body_budget: 1 << 30,
            large_message_bytes: 2 << 20,
            body_batch_messages: 1_000,
            body_batch_bytes: 1 << 20,
            body_batches_in_flight: 8,
            search_indexes_for: SEARCH_INDEXES_FOR,
        }
    }
}
