//! The local SQLite cache: opening and migrating it, and typed queries for every table.
//!
//! Only this crate speaks SQL. A `Store` wraps one connection; the engine keeps exactly one
//! writing `Store` per database (WAL mode lets readers in other processes, like a second `tern`,
//! read meanwhile).

mod account_profile;
mod account_removal;
mod accounts;
mod bodies;
mod damage;
mod drafts;
mod folders;
mod message_column;
mod messages;
mod migrate;
mod outbox;
mod outbox_state;
mod overlay;
mod pending;
mod pending_ops;
mod previews;
mod private_files;
mod restored;
mod salvage;
mod search;
mod store;
mod sync_state;
mod unified;

pub use account_removal::WaitingChanges;
pub use accounts::{
    Account, AccountId, NewAccount, OAuthSettings, PasswordSource, Security,
    DEFAULT_MAX_CONNECTIONS, MAX_CONNECTIONS_LIMIT, MIN_OFFLINE_MAX_BYTES,
};
pub use bodies::{FetchedBody, MissingBody};
pub use damage::{cache_problem, cache_problem_at, check_cache_file, CacheDamaged, CacheProblem};
pub use drafts::{DraftId, StoredDraft};
pub use folders::{Folder, FolderId, FolderSummary, ListedFolder};
pub use messages::{parse_stored_labels, GmailIds, MessageRow, MessageSummary};
pub use migrate::{SchemaTooNew, SCHEMA_VERSION};
pub use outbox::{
    Claimed, KnownAddress, NewOutgoing, OutboxCounts, OutboxEntry, OutboxId, Recovered,
    SentCopyDue, SentFolderCopy, SmtpServer,
};
pub use outbox_state::{OutboxEvent, OutboxState};
pub use pending_ops::{is_server_uid, PendingKind, PendingOp, Queued, LOCAL_UID_BASE};
pub use private_files::{private_dir, private_options, tighten_data_dir, tighten_file};
pub use restored::{Requeued, RestoredDropped};
pub use salvage::{salvage, Cell, LocalData, Restored, SalvagedAction};
pub use search::{fts_query, IndexProgress, SearchHit, ThreadRow};
pub use store::{take_cache_alone, Store, DATABASE_FILE};
pub use sync_state::{DeltaApplied, DeltaWrite, FolderCounts};
pub use unified::UnifiedSummary;
