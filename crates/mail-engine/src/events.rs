//! `EngineEvent`, the closed set of things the engine tells its subscribers (the window,
//! the tray, notifications, `tern watch`), and the broadcast that delivers them.

use serde::Serialize;
use tokio::sync::broadcast;

/// How the account's live connection to the server is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectivityState {
    /// The account's OAuth2 sign-in is gone: nothing connects until the person signs in
    /// again (no retry loop meanwhile).
    SignInNeeded,
    /// The server cannot be reached (or refused us); the cache is all there is.
    Offline,
    /// Connecting or reconnecting.
    Connecting,
    /// Every watched folder is connected and pushing changes.
    Live,
}

/// Something the engine wants its subscribers to know. Serialized with an `event` tag
/// (`{"event":"new_mail",…}`): these field names are a public interface (`tern watch --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A sync changed a folder's cached contents.
    FolderChanged {
        account: String,
        folder: String,
        added: usize,
        removed: usize,
        flags_changed: usize,
        /// The folder was dropped and fetched again (UIDVALIDITY changed).
        resync: bool,
        total: usize,
        unread: usize,
    },
    /// A message arrived in a watched folder while it was watched (never for an initial
    /// sync or a resync).
    NewMail {
        account: String,
        folder: String,
        uid: u32,
        from: String,
        from_address: String,
        subject: String,
    },
    /// The number of actions waiting for the server changed ("3 changes waiting").
    PendingChanged { account: String, pending: usize },
    /// An action was given up: its message is gone from the server, or the server refused
    /// it (the cache shows the message as it was before the action).
    ActionDropped {
        account: String,
        folder: String,
        /// The message's UID in `folder` (a local UID, >= 2^32, for a message moved there
        /// while offline).
        uid: u64,
        /// `mark_read`, `mark_unread`, `flag`, `unflag`, `add_flag`, `remove_flag`,
        /// `move` or `delete`.
        action: String,
        reason: String,
    },
    /// Bringing the cache up to date moved on (for a progress bar): with `phase`
    /// `headers`, a first (or resumed, or restarted) sync of `folder` has `synced` of `total`
    /// messages cached; `bodies`, `synced` of `total` bodies of `folder` are kept offline;
    /// `indexing`, `synced` of `total` cached messages (every folder: `folder` is empty)
    /// are searchable. `eta_ms`: the time left at the pace so far, once there is one.
    SyncProgress {
        account: String,
        folder: String,
        synced: usize,
        total: usize,
        phase: mail_sync::ProgressPhase,
        eta_ms: Option<u64>,
    },
    /// The outbox changed: `waiting` messages are queued or being sent, `attention` failed
    /// or may have been sent (the user decides).
    OutboxChanged {
        account: String,
        waiting: usize,
        attention: usize,
    },
    /// The account's connectivity changed.
    Connectivity {
        account: String,
        state: ConnectivityState,
        /// Why, when not live (the last error), in words for a person.
        reason: Option<String>,
    },
}

/// How many events a slow subscriber may fall behind before it misses some. A subscriber
/// that lags gets `RecvError::Lagged` and must reload what it shows from the cache (which
/// is always the truth).
const CAPACITY: usize = 4096;

/// The engine's event fan-out: any number of subscribers, each sees every event sent
/// after it subscribed.
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<EngineEvent>,
}

impl Default for Events {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self { sender }
    }
}

impl Events {
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.sender.subscribe()
    }

    /// Sends to every current subscriber (none listening is fine).
    pub fn send(&self, event: EngineEvent) {
        tracing::debug!(?event, "engine event");
        let _ = self.sender.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_with_an_event_tag() {
        let event = EngineEvent::NewMail {
            account: "a@x".into(),
            folder: "INBOX".into(),
            uid: 7,
            from: "Ann".into(),
            from_address: "ann@x".into(),
            subject: "Hi".into(),
        };
        assert_eq!(
            serde_json::to_string(&event).expect("json"),
            r#"{"event":"new_mail","account":"a@x","folder":"INBOX","uid":7,"from":"Ann","from_address":"ann@x","subject":"Hi"}"#
        );
        let event = EngineEvent::Connectivity {
            account: "a@x".into(),
            state: ConnectivityState::Connecting,
            reason: None,
        };
        assert_eq!(
            serde_json::to_string(&event).expect("json"),
            r#"{"event":"connectivity","account":"a@x","state":"connecting","reason":null}"#
        );
    }

    #[tokio::test]
    async fn every_subscriber_sees_every_later_event() {
        let events = Events::default();
        events.send(EngineEvent::Connectivity {
            account: "early".into(),
            state: ConnectivityState::Offline,
            reason: None,
        });
        let mut first = events.subscribe();
        let mut second = events.subscribe();
        let event = EngineEvent::Connectivity {
            account: "a".into(),
            state: ConnectivityState::Live,
            reason: None,
        };
        events.send(event.clone());
        assert_eq!(first.recv().await.expect("first"), event);
        assert_eq!(second.recv().await.expect("second"), event);
        assert!(first.try_recv().is_err(), "nothing sent before subscribing");
    }
}
