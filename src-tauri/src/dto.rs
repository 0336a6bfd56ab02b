//! What crosses the IPC boundary: inputs, results and events as plain serde types. The UI's
//! TypeScript types are generated from these (`cargo test -p tern-app` writes
//! `ui/src/lib/ipc/bindings/`), so the two sides cannot drift apart.

use mail_engine::{ConnectivityState, EngineEvent, MessagePage, Snapshot};
use mail_store::MessageSummary;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The Tauri event name carrying [`AppEvent`]s.
pub const EVENT: &str = "engine";

/// The account as the window shows it (never the password).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AccountDto {
    pub email: String,
    /// The From name, when set.
    pub name: Option<String>,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: String,
    /// Signs in with OAuth2 (else a password).
    pub oauth2: bool,
}

/// One account as the window draws it at start.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AccountStateDto {
    pub account: AccountDto,
    pub snapshot: SnapshotDto,
    pub outbox: OutboxCountsDto,
    /// The account has an SMTP server (it can send).
    pub can_send: bool,
}

/// One folder of the folder list.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct FolderDto {
    pub name: String,
    /// inbox, sent, drafts, trash, archive, junk, all, flagged.
    pub role: Option<String>,
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub unread: u64,
}

/// How the account's live connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Connectivity {
    SignInNeeded,
    Offline,
    Connecting,
    Live,
}

impl From<ConnectivityState> for Connectivity {
    fn from(state: ConnectivityState) -> Self {
        match state {
            ConnectivityState::SignInNeeded => Self::SignInNeeded,
            ConnectivityState::Offline => Self::Offline,
            ConnectivityState::Connecting => Self::Connecting,
            ConnectivityState::Live => Self::Live,
        }
    }
}

/// Everything the window draws before any network answer.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SnapshotDto {
    pub account: String,
    pub folders: Vec<FolderDto>,
    pub connectivity: Connectivity,
    pub connectivity_reason: Option<String>,
    /// Changes waiting for the server.
    pub pending: u32,
}

impl From<Snapshot> for SnapshotDto {
    fn from(snapshot: Snapshot) -> Self {
        Self {
            account: snapshot.account,
            folders: snapshot
                .folders
                .into_iter()
                .map(|folder| FolderDto {
                    name: folder.name,
                    role: folder.role,
                    total: folder.total,
                    unread: folder.unread,
                })
                .collect(),
            connectivity: snapshot
                .connectivity
                .map_or(Connectivity::Connecting, Into::into),
            connectivity_reason: snapshot.connectivity_reason,
            pending: count(snapshot.pending),
        }
    }
}

/// The app's own settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct SettingsDto {
    /// OS notifications for new mail in INBOX.
    pub notifications: bool,
    /// Closing the window keeps Tern running in the tray.
    pub close_to_tray: bool,
    /// The folder on screen when the window was last used.
    pub last_folder: Option<String>,
    /// Its account (none: the first).
    pub last_account: Option<String>,
    /// The unified inbox was on screen.
    pub last_unified: bool,
    /// Tern starts hidden in the tray at login (an XDG autostart entry; what the window gets
    /// is whether that entry exists).
    pub start_at_login: bool,
    /// The folder and message-list panes' widths in pixels as last dragged (0: never).
    pub folder_pane: u32,
    pub list_pane: u32,
}

impl Default for SettingsDto {
    fn default() -> Self {
        Self {
            notifications: true,
            close_to_tray: true,
            last_folder: None,
            last_account: None,
            last_unified: false,
            start_at_login: false,
            folder_pane: 0,
            list_pane: 0,
        }
    }
}

/// What the window loads at start (then events keep it current).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppStateDto {
    /// Every account of the profile, in its order; none: first run, show the account setup.
    pub accounts: Vec<AccountStateDto>,
    pub settings: SettingsDto,
    /// A local demo server is offered (started by `scripts/run.sh`).
    pub demo: Option<String>,
    /// Why an account could not be started (e.g. no keyring), for the window to say.
    pub startup_error: Option<IpcError>,
}

/// The security of an IMAP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SecurityDto {
    Tls,
    Starttls,
    Plain,
}

/// What a person enters to add an account. Its `Debug` never shows the password.
#[derive(Clone, Deserialize, TS)]
#[ts(export)]
pub struct AccountInput {
    pub email: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: SecurityDto,
    /// Empty: the email address.
    pub username: String,
    pub password: String,
    /// The sending server; empty: none (the account only reads).
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SecurityDto,
    /// Sign in with OAuth2 at this issuer (`google`, `microsoft` or an issuer URL) instead
    /// of a password: the browser opens for it.
    pub oauth2_issuer: Option<String>,
}

impl std::fmt::Debug for AccountInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountInput")
            .field("email", &self.email)
            .field("imap_host", &self.imap_host)
            .field("imap_port", &self.imap_port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_security", &self.smtp_security)
            .field("oauth2_issuer", &self.oauth2_issuer)
            .finish()
    }
}

/// An account as its edit form shows it (never the password).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AccountSettingsDto {
    pub email: String,
    /// The From name; empty: none.
    pub name: String,
    /// Put under new messages and above quotes; empty: none.
    pub signature: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: SecurityDto,
    pub username: String,
    /// Empty: no sending server.
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SecurityDto,
    pub oauth2: bool,
    pub sign_in_needed: bool,
    /// The most IMAP connections held at once, the request connection included.
    pub max_connections: u16,
    /// Which bodies are kept for offline reading: `none`, `days:N` or `all`.
    pub offline_bodies: String,
    /// Messages larger than this many MiB keep only their text offline.
    pub offline_max_mib: u32,
}

/// What the edit form saves.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct AccountEditDto {
    pub name: String,
    pub signature: String,
    /// New servers (checked by logging in first; an empty password keeps the kept one);
    /// none: unchanged.
    pub servers: Option<AccountInput>,
    /// The most IMAP connections held at once (1–64); a change restarts the account's
    /// watchers within it.
    pub max_connections: u16,
    /// Which bodies to keep for offline reading: `none`, `days:N` or `all`.
    pub offline_bodies: String,
    /// Messages larger than this many MiB (at least 1) keep only their text offline.
    pub offline_max_mib: u32,
}

/// A well-known provider's servers, to fill the setup form.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderDto {
    pub name: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: SecurityDto,
    pub needs_app_password: bool,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: SecurityDto,
}

/// Servers found from an address (no password was sent anywhere), to fill the form.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DiscoveredDto {
    /// The provider's name, when known.
    pub provider: Option<String>,
    /// Where the settings came from, in words ("autoconfig https://…", "SRV records", …).
    pub source: String,
    /// False for settings read over plain http: shown, never filled in.
    pub trusted: bool,
    pub imap_host: String,
    pub imap_port: u16,
    pub security: SecurityDto,
    pub username: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_security: Option<SecurityDto>,
    /// `password`, `app_password` or `oauth2`.
    pub sign_in: String,
    /// The OAuth2 issuer to sign in with (this build has a client for it).
    pub oauth2_issuer: Option<String>,
    /// Why OAuth2 cannot be used here, and the app-password route when there is one.
    pub sign_in_note: Option<String>,
    /// How long the search took.
    pub ms: u64,
}

/// One row of a message list.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MessageRowDto {
    /// The account's address and the folder the message is in (rows of the unified inbox
    /// and of search come from several).
    pub account: String,
    pub folder: String,
    /// Server UID, or a local UID (>= 2^32) until the server confirms a move.
    #[ts(type = "number")]
    pub uid: u64,
    pub subject: String,
    pub from: String,
    pub from_address: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub date: i64,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    /// Likely has attachments (top-level multipart/mixed).
    pub attachments: bool,
    /// Gmail labels the person made (X-GM-LABELS without the system ones like `\\Inbox`).
    pub labels: Vec<String>,
    /// The beginning of the sender's words (empty until the body has been cached).
    pub preview: String,
}

impl MessageRowDto {
    pub fn of(account: &str, folder: &str, message: MessageSummary) -> Self {
        Self {
            account: account.to_string(),
            folder: folder.to_string(),
            uid: message.uid,
            seen: message.flags.is_seen(),
            flagged: message.flags.contains("\\Flagged"),
            answered: message.flags.contains("\\Answered"),
            attachments: message.attachments,
            subject: message.subject,
            from: message.from_name,
            from_address: message.from_address,
            date: message.date,
            labels: shown_labels(&message.labels, folder),
            preview: message.preview,
        }
    }
}

/// The Gmail labels a row shows: the person's own (system labels such as `\\Inbox` or
/// `\\Important` start with a backslash), not the one whose folder is on screen.
pub fn shown_labels(labels: &[String], folder: &str) -> Vec<String> {
    labels
        .iter()
        .filter(|label| !label.starts_with('\\') && label.as_str() != folder)
        .cloned()
        .collect()
}

/// A window of a folder's newest-first list.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MessagePageDto {
    pub folder: String,
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub unread: u64,
    pub offset: u32,
    pub rows: Vec<MessageRowDto>,
}

impl MessagePageDto {
    pub fn of(account: &str, page: MessagePage) -> Self {
        let folder = page.folder;
        Self {
            rows: page
                .rows
                .into_iter()
                .map(|row| MessageRowDto::of(account, &folder, row))
                .collect(),
            folder,
            total: page.total,
            unread: page.unread,
            offset: page.offset,
        }
    }
}

/// A search result.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SearchHitDto {
    pub account: String,
    pub folder: String,
    pub message: MessageRowDto,
}

/// How far the search index is: `indexed` of `messages` cached messages are searchable
/// (with the bodies they have).
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[ts(export)]
pub struct IndexProgressDto {
    pub indexed: u32,
    pub messages: u32,
}

/// A conversation touching a folder: its messages from every folder, oldest first.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ConversationDto {
    pub subject: String,
    pub unread: u32,
    /// Unix seconds of the newest message.
    #[ts(type = "number")]
    pub latest: i64,
    pub messages: Vec<SearchHitDto>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AddressDto {
    pub name: String,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AttachmentDto {
    pub index: u32,
    pub name: String,
    pub content_type: String,
    pub size: u32,
}

/// An opened message, ready for the reading pane.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MessageDto {
    pub account: String,
    pub folder: String,
    #[ts(type = "number")]
    pub uid: u64,
    pub subject: String,
    pub from: Vec<AddressDto>,
    pub to: Vec<AddressDto>,
    pub cc: Vec<AddressDto>,
    #[ts(type = "number | null")]
    pub date: Option<i64>,
    /// Sanitized HTML (or the text body as escaped HTML): show only in a sandboxed frame.
    pub html: String,
    /// Remote images and styles left out (the "show images" bar offers them).
    pub remote_blocked: u32,
    /// Remote content was let through for this message (asked for it, or its sender is
    /// allowed): only then may the message frame load remote images.
    pub remote_allowed: bool,
    /// Files to list (inline images are shown in the body instead).
    pub attachments: Vec<AttachmentDto>,
    pub warnings: Vec<String>,
    pub from_cache: bool,
}

/// The user actions on messages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ActionInput {
    MarkRead,
    MarkUnread,
    Flag,
    Unflag,
    Archive,
    Delete,
    Move { to: String },
}

/// What an action changed (in the cache; the server follows).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ActionResultDto {
    #[ts(type = "number[]")]
    pub changed: Vec<u64>,
    #[ts(type = "number[]")]
    pub missing: Vec<u64>,
    pub target: Option<String>,
    /// Changes waiting for the server after this one.
    pub pending: u32,
}

/// What a refresh did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncResultDto {
    pub folder: String,
    pub added: u32,
    pub removed: u32,
    pub flags_changed: u32,
}

/// Why a command failed: a stable code the window branches on, and words for a person.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// The server refused the user name or password.
    Authentication,
    /// The account's OAuth2 sign-in is gone: sign in again.
    SignInNeeded,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The server could not be reached, or the connection broke.
    Network,
    /// Refused by a security rule of Tern's (plaintext to a remote host).
    Policy,
    /// The server answered NO/BAD.
    Server,
    /// No OS keyring is available to keep the password.
    KeyringUnavailable,
    /// There is no account yet.
    NoAccount,
    /// Bad input from the window.
    Invalid,
    /// The cache file is damaged or from a newer Tern (the window offers to rebuild it).
    CacheDamaged,
    /// The disk holding the cache is full.
    DiskFull,
    /// Something exists only on this computer and would be lost (the window asks first).
    ChangesWaiting,
    Other,
}

/// Engine events as the window receives them (event name `engine`), tagged by `event`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "event", rename_all = "snake_case")]
#[ts(export)]
pub enum AppEvent {
    FolderChanged {
        account: String,
        folder: String,
        added: u32,
        removed: u32,
        flags_changed: u32,
        resync: bool,
        total: u32,
        unread: u32,
    },
    NewMail {
        account: String,
        folder: String,
        #[ts(type = "number")]
        uid: u64,
        from: String,
        subject: String,
    },
    PendingChanged {
        account: String,
        pending: u32,
    },
    ActionDropped {
        account: String,
        folder: String,
        #[ts(type = "number")]
        uid: u64,
        action: String,
        reason: String,
    },
    Connectivity {
        account: String,
        state: Connectivity,
        reason: Option<String>,
    },
    /// `phase`: `headers` (a folder's first sync), `bodies` (kept offline) or `indexing`
    /// (the whole cache made searchable; `folder` empty); `eta_ms` once there is a pace.
    SyncProgress {
        account: String,
        folder: String,
        synced: u32,
        total: u32,
        phase: String,
        eta_ms: Option<u32>,
    },
    /// The outbox changed: `waiting` to be sent, `attention` failed or maybe sent.
    OutboxChanged {
        account: String,
        waiting: u32,
        attention: u32,
    },
    /// Reload the app state (account added, folders listed, events missed).
    Reload,
    /// Tern was started for a `mailto:` link: the window takes it (`take_mailto`) into a
    /// compose form.
    MailtoOpened,
    /// Show this (a notification was clicked): the message `uid` of `folder`, or without a
    /// uid the folder; without an account, the unified inbox.
    Open {
        account: Option<String>,
        folder: String,
        #[ts(type = "number | null")]
        uid: Option<u64>,
    },
    /// The cache turned out damaged (a background check, or a command that met it): the
    /// window offers to rebuild it.
    CacheDamaged {
        message: String,
    },
}

/// A count for the window (saturating: a u32 is plenty for anything shown).
pub(crate) fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl From<EngineEvent> for AppEvent {
    fn from(event: EngineEvent) -> Self {
        match event {
            EngineEvent::FolderChanged {
                account,
                folder,
                added,
                removed,
                flags_changed,
                resync,
                total,
                unread,
                ..
            } => Self::FolderChanged {
                account,
                folder,
                added: count(added),
                removed: count(removed),
                flags_changed: count(flags_changed),
                resync,
                total: count(total),
                unread: count(unread),
            },
            EngineEvent::NewMail {
                account,
                folder,
                uid,
                from,
                from_address,
                subject,
                ..
            } => Self::NewMail {
                account,
                folder,
                uid: u64::from(uid),
                from: mail_message::sender_label(&from, &from_address).to_string(),
                subject,
            },
            EngineEvent::PendingChanged {
                account, pending, ..
            } => Self::PendingChanged {
                account,
                pending: count(pending),
            },
            EngineEvent::ActionDropped {
                account,
                folder,
                uid,
                action,
                reason,
                ..
            } => Self::ActionDropped {
                account,
                folder,
                uid,
                action,
                reason,
            },
            EngineEvent::Connectivity {
                account,
                state,
                reason,
                ..
            } => Self::Connectivity {
                account,
                state: state.into(),
                reason,
            },
            EngineEvent::SyncProgress {
                account,
                folder,
                synced,
                total,
                phase,
                eta_ms,
            } => Self::SyncProgress {
                account,
                folder,
                synced: count(synced),
                total: count(total),
                phase: phase.as_str().to_string(),
                eta_ms: eta_ms.map(|ms| u32::try_from(ms).unwrap_or(u32::MAX)),
            },
            EngineEvent::OutboxChanged {
                account,
                waiting,
                attention,
                ..
            } => Self::OutboxChanged {
                account,
                waiting: count(waiting),
                attention: count(attention),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_input_never_shows_its_password() {
        let input: AccountInput = serde_json::from_value(serde_json::json!({
            "email": "a@b.c", "imap_host": "imap.b.c", "imap_port": 993, "security": "tls",
            "username": "", "password": "hunter2-secret", "smtp_host": "", "smtp_port": 465,
            "smtp_security": "tls", "oauth2_issuer": null
        }))
        .expect("input");
        let shown = format!("{input:?} {input:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("a@b.c") && shown.contains("<redacted>"));
    }

    #[test]
    fn a_row_shows_the_persons_own_labels_but_not_the_folder_on_screen() {
        let labels: Vec<String> = ["\\Inbox", "\\Important", "Work", "Travel/2026"]
            .iter()
            .map(|label| label.to_string())
            .collect();
        assert_eq!(shown_labels(&labels, "INBOX"), vec!["Work", "Travel/2026"]);
        assert_eq!(shown_labels(&labels, "Work"), vec!["Travel/2026"]);
        assert!(shown_labels(&[], "INBOX").is_empty());
    }
}

/// Counts for the window's outbox indicator.
#[derive(Debug, Clone, Copy, Default, Serialize, TS)]
#[ts(export)]
pub struct OutboxCountsDto {
    /// Queued or being sent.
    pub waiting: u32,
    /// Refused, or maybe sent: the person decides.
    pub attention: u32,
}

impl OutboxCountsDto {
    pub fn of(entries: &[mail_store::OutboxEntry]) -> Self {
        let counts = mail_store::OutboxCounts::of(entries);
        Self {
            waiting: count(counts.waiting),
            attention: count(counts.attention),
        }
    }
}
