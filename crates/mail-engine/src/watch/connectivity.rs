//! The account's connectivity as one state, aggregated from its watchers' states.

use std::collections::HashMap;

use crate::events::ConnectivityState;

/// Each watcher's latest state; the account is `SignInNeeded` if any watcher is, else
/// `Offline` if any is, else `Connecting` if any is, else `Live`.
#[derive(Debug, Default)]
pub struct Connectivity {
    watchers: HashMap<String, (ConnectivityState, Option<String>)>,
    announced: Option<(ConnectivityState, Option<String>)>,
}

impl Connectivity {
    /// Records a watcher's state; returns the account's state when that changed.
    pub fn update(
        &mut self,
        watcher: &str,
        state: ConnectivityState,
        reason: Option<String>,
    ) -> Option<(ConnectivityState, Option<String>)> {
        self.watchers.insert(watcher.to_string(), (state, reason));
        self.announce()
    }

    /// Forgets a stopped watcher; returns the account's state when that changed.
    pub fn remove(&mut self, watcher: &str) -> Option<(ConnectivityState, Option<String>)> {
        self.watchers.remove(watcher);
        if self.watchers.is_empty() {
            // Nobody watches: nothing to say (the last state stays the last word).
            self.announced = None;
            return None;
        }
        self.announce()
    }

    /// The account's state now (`None` while nothing is watched).
    pub fn current(&self) -> Option<(ConnectivityState, Option<String>)> {
        self.aggregate()
    }

    fn aggregate(&self) -> Option<(ConnectivityState, Option<String>)> {
        let worst = |wanted: ConnectivityState| {
            let mut matching: Vec<(&String, &Option<String>)> = self
                .watchers
                .iter()
                .filter(|(_, (state, _))| *state == wanted)
                .map(|(name, (_, reason))| (name, reason))
                .collect();
            // Deterministic: the reason of the first watcher by name.
            matching.sort();
            matching.first().map(|(_, reason)| (*reason).clone())
        };
        if self.watchers.is_empty() {
            return None;
        }
        if let Some(reason) = worst(ConnectivityState::SignInNeeded) {
            return Some((ConnectivityState::SignInNeeded, reason));
        }
        if let Some(reason) = worst(ConnectivityState::Offline) {
            return Some((ConnectivityState::Offline, reason));
        }
        if let Some(reason) = worst(ConnectivityState::Connecting) {
            return Some((ConnectivityState::Connecting, reason));
        }
        Some((ConnectivityState::Live, None))
    }

    fn announce(&mut self) -> Option<(ConnectivityState, Option<String>)> {
        let now = self.aggregate()?;
        if self.announced.as_ref() == Some(&now) {
            return None;
        }
        self.announced = Some(now.clone());
        Some(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectivityState::*;

    #[test]
    fn the_worst_watcher_decides_and_only_changes_are_announced() {
        let mut connectivity = Connectivity::default();
        assert_eq!(
            connectivity.update("INBOX", Connecting, None),
            Some((Connecting, None))
        );
        assert_eq!(connectivity.update("INBOX", Connecting, None), None);
        assert_eq!(connectivity.update("Sent", Connecting, None), None);
        assert_eq!(connectivity.update("INBOX", Live, None), None);
        assert_eq!(connectivity.update("Sent", Live, None), Some((Live, None)));
        assert_eq!(
            connectivity.update("Sent", Offline, Some("refused".into())),
            Some((Offline, Some("refused".into())))
        );
        assert_eq!(
            connectivity.update("INBOX", Connecting, Some("cut".into())),
            None,
            "offline outranks connecting"
        );
        assert_eq!(
            connectivity.remove("Sent"),
            Some((Connecting, Some("cut".into())))
        );
        assert_eq!(connectivity.update("INBOX", Live, None), Some((Live, None)));
        assert_eq!(connectivity.remove("INBOX"), None);
        assert_eq!(
            connectivity.update("INBOX", Live, None),
            Some((Live, None)),
            "a new watch announces again"
        );
    }

    #[test]
    fn a_lost_sign_in_outranks_everything() {
        let mut connectivity = Connectivity::default();
        connectivity.update("INBOX", Offline, Some("down".into()));
        assert_eq!(
            connectivity.update("Sent", SignInNeeded, Some("revoked".into())),
            Some((SignInNeeded, Some("revoked".into())))
        );
        assert_eq!(connectivity.update("INBOX", Live, None), None);
        assert_eq!(
            connectivity.update("Sent", Live, None),
            Some((Live, None)),
            "signed in again"
        );
    }
}
