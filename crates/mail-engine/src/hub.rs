//! Reference-counted sharing of one running worker per key (a folder's IDLE watcher): the
//! first subscriber starts it, later ones share it, and the last one to leave stops it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// A running worker the hub can stop. `stop` must not block: it signals the worker, which
/// winds down on its own (a new worker for the same key may start meanwhile).
pub trait Worker: Send + 'static {
    fn stop(self);
}

struct Entry<W> {
    subscribers: usize,
    worker: W,
}

type Entries<W> = Mutex<HashMap<String, Entry<W>>>;

/// The workers by key, each with its subscriber count.
pub struct Hub<W: Worker> {
    entries: Arc<Entries<W>>,
}

impl<W: Worker> Default for Hub<W> {
    fn default() -> Self {
        Self {
            entries: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

fn lock<W>(entries: &Entries<W>) -> MutexGuard<'_, HashMap<String, Entry<W>>> {
    // The map stays consistent even if a holder panicked (every change is one statement).
    entries
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<W: Worker> Hub<W> {
    /// Joins the worker for `key`, starting it with `start` if there is none. `start` runs
    /// under the hub's lock, so it must only spawn, never wait.
    pub fn subscribe(&self, key: &str, start: impl FnOnce() -> W) -> Subscription<W> {
        let mut entries = lock(&self.entries);
        match entries.get_mut(key) {
            Some(entry) => entry.subscribers += 1,
            None => {
                entries.insert(
                    key.to_string(),
                    Entry {
                        subscribers: 1,
                        worker: start(),
                    },
                );
            }
        }
        Subscription {
            entries: Arc::downgrade(&self.entries),
            key: key.to_string(),
        }
    }

    /// How many subscribers share the worker for `key` (0: none running).
    pub fn subscribers(&self, key: &str) -> usize {
        lock(&self.entries)
            .get(key)
            .map_or(0, |entry| entry.subscribers)
    }

    /// Runs `visit` on every running worker (for example to wake them all).
    pub fn for_each(&self, mut visit: impl FnMut(&str, &W)) {
        for (key, entry) in lock(&self.entries).iter() {
            visit(key, &entry.worker);
        }
    }

    /// Stops every worker at once (shutdown); outstanding subscriptions become no-ops.
    pub fn stop_all(&self) {
        for (_, entry) in lock(&self.entries).drain() {
            entry.worker.stop();
        }
    }
}

/// One subscriber's share of a worker; dropping it leaves (the last one stops the worker).
pub struct Subscription<W: Worker> {
    entries: Weak<Entries<W>>,
    key: String,
}

impl<W: Worker> Subscription<W> {
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl<W: Worker> Drop for Subscription<W> {
    fn drop(&mut self) {
        let Some(entries) = self.entries.upgrade() else {
            return;
        };
        // Signalled under the lock (`stop` does not block): a subscriber arriving meanwhile
        // starts its worker only after this one was told to stop.
        let mut map = lock(&entries);
        match map.get_mut(&self.key) {
            Some(entry) if entry.subscribers > 1 => entry.subscribers -= 1,
            Some(_) => {
                if let Some(entry) = map.remove(&self.key) {
                    entry.worker.stop();
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

    /// Counts running workers per key; starting a second one for a key is a bug.
    #[derive(Default)]
    struct Census {
        running: [AtomicI64; 4],
        starts: AtomicUsize,
        stops: AtomicUsize,
        overlaps: AtomicUsize,
    }

    struct Fake {
        census: Arc<Census>,
        slot: usize,
    }

    impl Worker for Fake {
        fn stop(self) {
            self.census.running[self.slot].fetch_sub(1, Ordering::SeqCst);
            self.census.stops.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn start(census: &Arc<Census>, slot: usize) -> Fake {
        if census.running[slot].fetch_add(1, Ordering::SeqCst) != 0 {
            census.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        census.starts.fetch_add(1, Ordering::SeqCst);
        Fake {
            census: census.clone(),
            slot,
        }
    }

    #[test]
    fn subscribers_share_one_worker_and_the_last_stops_it() {
        let census = Arc::new(Census::default());
        let hub: Hub<Fake> = Hub::default();
        let first = hub.subscribe("INBOX", || start(&census, 0));
        let second = hub.subscribe("INBOX", || start(&census, 0));
        assert_eq!(census.starts.load(Ordering::SeqCst), 1);
        assert_eq!(hub.subscribers("INBOX"), 2);
        drop(first);
        assert_eq!(census.stops.load(Ordering::SeqCst), 0);
        assert_eq!(hub.subscribers("INBOX"), 1);
        drop(second);
        assert_eq!(census.stops.load(Ordering::SeqCst), 1);
        assert_eq!(hub.subscribers("INBOX"), 0);
        // A new subscriber starts a new worker.
        let third = hub.subscribe("INBOX", || start(&census, 0));
        assert_eq!(census.starts.load(Ordering::SeqCst), 2);
        hub.stop_all();
        assert_eq!(census.stops.load(Ordering::SeqCst), 2);
        drop(third); // after stop_all: a no-op, not a second stop
        assert_eq!(census.stops.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn concurrent_subscribe_and_leave_never_runs_two_workers_per_key() {
        let census = Arc::new(Census::default());
        let hub = Arc::new(Hub::<Fake>::default());
        let keys = ["INBOX", "Sent", "Archive", "Junk"];
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let hub = hub.clone();
                let census = census.clone();
                std::thread::spawn(move || {
                    let mut held = Vec::new();
                    for step in 0..2_000usize {
                        let slot = (step * 7 + thread * 3) % keys.len();
                        held.push(hub.subscribe(keys[slot], || start(&census, slot)));
                        if (step + thread) % 3 != 0 {
                            let index = (step * 13 + thread) % held.len();
                            drop(held.swap_remove(index));
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("thread");
        }
        assert_eq!(census.overlaps.load(Ordering::SeqCst), 0);
        for key in keys {
            assert_eq!(hub.subscribers(key), 0, "{key}");
        }
        for running in &census.running {
            assert_eq!(running.load(Ordering::SeqCst), 0);
        }
        assert_eq!(
            census.starts.load(Ordering::SeqCst),
            census.stops.load(Ordering::SeqCst)
        );
        assert!(census.starts.load(Ordering::SeqCst) > 4);
    }
}
