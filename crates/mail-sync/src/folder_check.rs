//! Checking folders without selecting them, within a connection budget (issue 16, first
//! step): how to ask (NOTIFY, LIST-STATUS or pipelined STATUS), which folders get an IDLE
//! connection of their own, and which folders a STATUS answer says need a delta. Pure: the
//! engine asks the server and hands the answers over.

use crate::types::{ModSeq, SyncMeta, Uid, UidValidity, MAX_FOLDER_MESSAGES};

/// What the server offers for checking many folders.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckCapabilities {
    /// RFC 5465 NOTIFY.
    pub notify: bool,
    /// RFC 5819 LIST-STATUS (`LIST … RETURN (STATUS (…))`).
    pub list_status: bool,
    /// RFC 7162 CONDSTORE: STATUS can report HIGHESTMODSEQ.
    pub condstore: bool,
}

/// How the folders nobody watches are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckWay {
    /// The server tells of changes in every folder over one connection.
    Notify,
    /// One `LIST "" "*" RETURN (STATUS (…))` round trip for every folder.
    ListStatus,
    /// `STATUS` per folder, pipelined (one round trip's wait for all of them).
    Status,
}

pub fn check_way(capabilities: CheckCapabilities) -> CheckWay {
    if capabilities.notify {
        CheckWay::Notify
    } else if capabilities.list_status {
        CheckWay::ListStatus
    } else {
        CheckWay::Status
    }
}

/// The NOTIFY SET command (RFC 5465; without its tag) a watch connection sends once its
/// folder is selected: new, expunged and re-flagged messages of that folder come as they do
/// in IDLE, and a change in any other folder of the person's own namespace comes as a
/// `STATUS` response. `personal` rather than `subscribed`: Tern lists and keeps every
/// folder, subscribed or not.
pub const NOTIFY_SET: &str = "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) \
     (personal (MessageNew MessageExpunge FlagChange))";

/// The STATUS items to ask for (HIGHESTMODSEQ only where the server has CONDSTORE: others
/// answer BAD to it).
pub fn status_items(capabilities: CheckCapabilities) -> &'static str {
    if capabilities.condstore {
        "MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ"
    } else {
        "MESSAGES UIDNEXT UIDVALIDITY UNSEEN"
    }
}

/// The LIST-STATUS command (without its tag).
pub fn list_status_command(capabilities: CheckCapabilities) -> String {
    format!(
        "LIST \"\" \"*\" RETURN (STATUS ({}))",
        status_items(capabilities)
    )
}

/// Periodic checks between two syncs of every folder, on a server without CONDSTORE (where
/// a flag change that keeps the unread count shows in no STATUS).
pub const FULL_SYNC_EVERY: u32 = 6;

/// Whether this pass of the folder checker syncs every folder instead of asking their
/// STATUS: never with CONDSTORE (a status shows every change) or before the server is known;
/// without it, every [`FULL_SYNC_EVERY`] passes, and when the person asked ("Check mail now").
pub fn full_sync_due(condstore: Option<bool>, passes_since_full: u32, asked: bool) -> bool {
    match condstore {
        Some(false) => asked || passes_since_full >= FULL_SYNC_EVERY,
        Some(true) | None => false,
    }
}

/// Which folders are watched how, for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchPlan {
    /// Folders with an IDLE connection of their own.
    pub idle: Vec<String>,
    /// One NOTIFY connection covers every folder (the selected one: `notify_selected`).
    pub notify_selected: Option<String>,
    /// Folders checked by [`CheckWay::ListStatus`] or [`CheckWay::Status`] on the request
    /// connection, from time to time.
    pub polled: Vec<String>,
}

impl WatchPlan {
    /// Connections the plan holds besides the request connection.
    pub fn watch_connections(&self) -> usize {
        self.idle.len() + usize::from(self.notify_selected.is_some())
    }
}

/// Plans the watching of `folders` with at most `budget` connections in all, the request
/// connection included. `preferred` are the folders that deserve a connection of their own,
/// most important first (the app: INBOX, then the folder on screen; `tern watch`: the
/// folders as given). With NOTIFY one connection watches everything, selecting the last
/// preferred folder (the one on screen). Without it the preferred folders get IDLE while the
/// budget allows, and every other folder is polled.
pub fn plan_watch(
    budget: usize,
    capabilities: CheckCapabilities,
    folders: &[String],
    preferred: &[&str],
) -> WatchPlan {
    let spare = budget.saturating_sub(1);
    let wanted: Vec<&String> = preferred
        .iter()
        .filter_map(|name| {
            folders.iter().find(|folder| {
                folder.as_str() == *name
                    || (folder.eq_ignore_ascii_case("INBOX") && name.eq_ignore_ascii_case("INBOX"))
            })
        })
        .collect();
    if capabilities.notify && spare >= 1 {
        return WatchPlan {
            idle: Vec::new(),
            notify_selected: wanted.last().map(|folder| (*folder).clone()),
            polled: Vec::new(),
        };
    }
    let mut idle: Vec<String> = Vec::new();
    for folder in wanted {
        if idle.len() < spare && !idle.contains(folder) {
            idle.push(folder.clone());
        }
    }
    let polled = folders
        .iter()
        .filter(|folder| !idle.contains(folder))
        .cloned()
        .collect();
    WatchPlan {
        idle,
        notify_selected: None,
        polled,
    }
}

/// A folder's STATUS as the server answered (an item it left out is `None`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FolderStatus {
    pub messages: Option<u32>,
    pub uid_next: Option<Uid>,
    pub uid_validity: Option<UidValidity>,
    pub unseen: Option<u32>,
    pub highest_modseq: Option<ModSeq>,
}

/// What the cache knows of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFolder {
    /// None: never synced.
    pub meta: Option<SyncMeta>,
    /// Messages and unread messages cached (as the server had them at the last sync).
    pub total: u32,
    pub unread: u32,
}

/// Why a folder needs syncing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    NeverSynced,
    /// The first sync stopped half-way.
    InitialIncomplete,
    UidValidityChanged,
    NewMail,
    /// Fewer (or more) messages than cached: expunges, or moves from elsewhere.
    CountChanged,
    /// HIGHESTMODSEQ moved: flags changed (or messages went).
    ModSeqChanged,
    /// Without CONDSTORE, the unread count is the only sign of flags changed elsewhere.
    UnseenChanged,
    /// The answer left out an item the verdict needs: sync to be sure.
    StatusIncomplete,
}

/// What a folder's STATUS means for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Unchanged,
    /// A delta sync (or the rest of the first one).
    Sync(Reason),
    /// Everything again: the cached UIDs mean nothing now.
    Resync(Reason),
}

/// Judges a folder by its STATUS, against what the cache knows. Numbers the server could not
/// truthfully send (more messages than any folder holds, a UIDNEXT of zero) are an error,
/// never a verdict. Without CONDSTORE a flag change that leaves the unread count as it was
/// is not visible here: the periodic full check catches it.
pub fn judge(known: &KnownFolder, status: &FolderStatus) -> Result<Verdict, String> {
    if status
        .messages
        .is_some_and(|messages| messages > MAX_FOLDER_MESSAGES)
    {
        return Err(format!(
            "the server said a folder holds {} messages, more than any folder holds",
            status.messages.unwrap_or_default()
        ));
    }
    if status.uid_next == Some(Uid(0)) {
        return Err("the server said a folder's next UID is 0".to_string());
    }
    if let (Some(messages), Some(unseen)) = (status.messages, status.unseen) {
        if unseen > messages {
            return Err(format!(
                "the server said {unseen} of {messages} messages are unseen"
            ));
        }
    }
    let Some(meta) = &known.meta else {
        return Ok(Verdict::Sync(Reason::NeverSynced));
    };
    if status
        .uid_validity
        .is_some_and(|validity| validity != meta.uid_validity)
    {
        // Empty here and there: nothing to fetch, whatever the UIDVALIDITY (Courier gives a
        // never-selected empty folder a new one every second).
        if known.total == 0 && status.messages == Some(0) && meta.initial_sync_complete() {
            return Ok(Verdict::Unchanged);
        }
        return Ok(Verdict::Resync(Reason::UidValidityChanged));
    }
    if !meta.initial_sync_complete() {
        return Ok(Verdict::Sync(Reason::InitialIncomplete));
    }
    let (Some(messages), Some(uid_next)) = (status.messages, status.uid_next) else {
        return Ok(Verdict::Sync(Reason::StatusIncomplete));
    };
    if uid_next > meta.uid_next {
        return Ok(Verdict::Sync(Reason::NewMail));
    }
    if messages != known.total {
        return Ok(Verdict::Sync(Reason::CountChanged));
    }
    match (meta.highest_modseq, status.highest_modseq) {
        (Some(known_modseq), Some(now)) if now != known_modseq => {
            return Ok(Verdict::Sync(Reason::ModSeqChanged));
        }
        (Some(_), Some(_)) => return Ok(Verdict::Unchanged),
        _ => {}
    }
    match status.unseen {
        Some(unseen) if unseen != known.unread => Ok(Verdict::Sync(Reason::UnseenChanged)),
        Some(_) => Ok(Verdict::Unchanged),
        None => Ok(Verdict::Sync(Reason::StatusIncomplete)),
    }
}

#[cfg(test)]
mod tests;
