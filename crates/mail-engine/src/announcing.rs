//! Which folders announce new mail: a watcher marks its folder (a NOTIFY watcher, each
//! folder it announces for) once its first catch-up sync is done (arrivals before that are
//! the backlog, not news) and unmarks them when it ends.
//! Written by the watchers, read by the folder sync and the arrivals fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Folders whose new messages become `new_mail` events, by the watcher that marked them
/// (a folder may briefly have an old watcher winding down beside a new one).
#[derive(Clone, Default)]
pub(crate) struct Announcing {
    folders: Arc<Mutex<HashMap<u64, Vec<String>>>>,
}

impl Announcing {
    /// Watcher `watcher`'s `folder` is caught up: its arrivals are new mail from now on.
    pub(crate) fn start(&self, watcher: u64, folder: &str) {
        if let Ok(mut folders) = self.folders.lock() {
            let marked = folders.entry(watcher).or_default();
            if !marked.iter().any(|known| known == folder) {
                marked.push(folder.to_string());
            }
        }
    }

    /// Watcher `watcher` ended.
    pub(crate) fn stop(&self, watcher: u64) {
        if let Ok(mut folders) = self.folders.lock() {
            folders.remove(&watcher);
        }
    }

    /// Whether arrivals in `folder` are new mail now.
    pub(crate) fn announces(&self, folder: &str) -> bool {
        self.folders
            .lock()
            .map(|folders| {
                folders
                    .values()
                    .any(|watched| watched.iter().any(|known| known == folder))
            })
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_announces_while_any_of_its_watchers_is_caught_up() {
        let announcing = Announcing::default();
        assert!(!announcing.announces("INBOX"), "not before a catch-up");
        announcing.start(1, "INBOX");
        announcing.start(2, "INBOX");
        announcing.stop(1);
        assert!(announcing.announces("INBOX"), "the second watcher still is");
        assert!(!announcing.announces("Archive"));
        announcing.stop(2);
        assert!(!announcing.announces("INBOX"));
        // A NOTIFY watcher announces for several folders, until it ends.
        announcing.start(3, "INBOX");
        announcing.start(3, "Lists");
        announcing.start(3, "Lists");
        assert!(announcing.announces("INBOX") && announcing.announces("Lists"));
        announcing.stop(3);
        assert!(!announcing.announces("Lists"));
    }
}
