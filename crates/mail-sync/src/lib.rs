//! Pure IMAP synchronisation logic: which strategy to use and how server answers become cache changes.
//!
//! Nothing in this crate does IO or reads a clock: the engine gathers the local state and
//! the server's answers, and these functions decide. That keeps every rule table-testable.

pub mod chain;
pub mod delta_commands;
pub mod flag_window;
pub mod flags;
pub mod folder_check;
pub mod folder_role;
pub mod gmail;
pub mod offline;
pub mod plan;
pub mod progress;
pub mod reconcile;
pub mod security;
pub mod types;
pub mod uid_set;

pub use chain::{NextStep, StepOutcome, SyncChain};
pub use delta_commands::{delta_commands, DeltaCommands};
pub use flag_window::{
    flag_scope, ExpungeSearch, ExpungesNotFound, FlagScope, FULL_FLAGS_EVERY, RECENT_FLAGS,
};
pub use flags::Flags;
pub use folder_check::{
    check_way, full_sync_due, judge, list_status_command, plan_watch, status_items,
    CheckCapabilities, CheckWay, FolderStatus, KnownFolder, Reason, Verdict, WatchPlan,
    FULL_SYNC_EVERY, NOTIFY_SET,
};
pub use folder_role::{role_from_attributes, role_from_name, FolderRole};
pub use offline::{keep_body, KeepBody, OfflinePolicy};
pub use plan::{plan_sync, ServerCapabilities, Strategy, SyncPlan};
pub use progress::{time_left, ProgressPhase};
pub use reconcile::{reconcile, LocalSnapshot, ReconcileError, Reconciled, ServerAnswer};
pub use security::Security;
pub use types::{ModSeq, SelectedState, SyncMeta, Uid, UidValidity, MAX_FOLDER_MESSAGES};
pub use uid_set::{compress_uids, initial_chunks};
