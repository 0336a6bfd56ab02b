//! The mail engine: IMAP connections that know their selected mode, and sync into the cache.
//!
//! Data flow (server -> cache): [`Engine::sync_folder`] asks `mail_sync::plan_sync` what to do,
//! runs the plan on the request connection (pipelined: one round trip when warm), hands the
//! answer to `mail_sync::reconcile`, and applies the result with its new sync state in one
//! store transaction. A connection that fails in any way is dropped and replaced; it is never
//! read as an empty mailbox.
//!
//! Realtime (server -> subscribers): [`Engine::watch`] shares one IDLE connection per folder
//! among its subscribers (`hub`, `watch`); pushes wake a delta sync on the request
//! connection, and every sync publishes [`EngineEvent`]s to [`Engine::subscribe`]rs.
//!
//! Writes (cache -> server): [`Engine::act`] changes the cache and queues the action in one
//! transaction; [`Engine::replay_pending`] (and every sync, first) replays the queue through a
//! read-write SELECT, batched into UID sets.

mod account;
mod actions;
mod announcing;
mod body_keeper;
mod compose;
mod connection;
mod core_handle;
mod credentials;
mod drafts;
mod engine;
mod error;
mod events;
mod fetch;
mod folder_status;
mod folders;
mod hub;
mod identity;
mod indexer;
mod mailbox_name;
mod options;
mod outbox;
mod profile_lock;
mod reading;
mod response;
mod response_limits;
mod saved_copy;
mod smtp;
mod smtp_stream;
mod store_access;
mod structure;
mod sync;
mod tls;
mod transport;
mod watch;

pub use account::{ConnectSettings, Password};
pub use actions::{action_name, Action, ActionReport, ReplayReport};
pub use body_keeper::keep_bodies_offline;
pub use compose::DraftStart;
pub use connection::{
    panic_is_contained, FlagOperation, Idle, ImapConnection, Push, SearchBound, SelectMode,
    Selected, Timeouts,
};
pub use credentials::{
    bearer_response, AccessToken, BearerMechanism, Credentials, Secret, TokenError, TokenFuture,
    TokenProvider,
};
pub use engine::Engine;
pub use error::{EngineError, ErrorKind};
pub use events::{ConnectivityState, EngineEvent, Events};
pub use fetch::HEADER_ITEMS;
pub use mail_store::IndexProgress;
pub use mailbox_name::{decode_mailbox_name, encode_mailbox_name};
pub use options::{EngineOptions, SEARCH_INDEXES_FOR};
pub use outbox::{retry_delay, DrainReport, OutboxWorker, QueuedMessage, SendOutcome};
pub use reading::{
    conversations, render, Conversation, FolderState, MessagePage, OpenedMessage, PrefetchReport,
    Searched, Snapshot,
};
pub use smtp::{submit, Envelope, Submission, SubmitError};
pub use structure::{read_structure, RemotePart, Structure};
pub use sync::{CheckReport, NewMessage, SyncReport};
pub use tls::client_config as tls_client_config;
pub use transport::is_loopback_host;
pub use watch::WatchSubscription;
