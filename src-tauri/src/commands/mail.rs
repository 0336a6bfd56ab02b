//! Mail commands: list windows (of a folder, or the unified inbox), open, act, refresh,
//! search, save attachments. Each names its account; search covers them all.

use std::path::PathBuf;

use mail_engine::Action;
use tauri::State;

use crate::dto::{
    count, ActionInput, ActionResultDto, AddressDto, AttachmentDto, ConversationDto, ErrorCode,
    IndexProgressDto, IpcError, MessageDto, MessagePageDto, MessageRowDto, SearchHitDto,
    SyncResultDto,
};
use crate::state::AppState;

/// Rows a list window may ask for at once.
const MAX_PAGE: u32 = 1000;

/// Conversations the threaded view loads at most.
const MAX_THREADS: u32 = 5000;

/// `limit` rows of `folder` of `account` from position `offset`, newest first (cache only).
#[tauri::command]
pub fn messages(
    state: State<'_, AppState>,
    account: String,
    folder: String,
    offset: u32,
    limit: u32,
) -> Result<MessagePageDto, IpcError> {
    let engine = state.engine_of(&account)?;
    let page = engine.message_page(&folder, offset, limit.min(MAX_PAGE))?;
    tracing::debug!(target: "tern_app::startup", %folder, offset, since_start_ms = crate::timing::since_start_ms(), "page served");
    Ok(MessagePageDto::of(&engine.account().email, page))
}

/// `limit` rows of the unified inbox (every account's INBOX merged, newest first) from
/// position `offset`; each row names its account and folder (cache only).
#[tauri::command]
pub fn unified_messages(
    state: State<'_, AppState>,
    offset: u32,
    limit: u32,
) -> Result<MessagePageDto, IpcError> {
    if state.all_engines().is_empty() {
        return Err(IpcError::new(
            ErrorCode::NoAccount,
            "No account yet: add one first",
        ));
    }
    let limit = limit.min(MAX_PAGE);
    let ((total, unread), rows) = state
        .with_cache(|store| Ok((store.unified_counts()?, store.unified_inbox(offset, limit)?)))?;
    Ok(MessagePageDto {
        folder: crate::session::INBOX.to_string(),
        total,
        unread,
        offset,
        rows: rows
            .into_iter()
            .map(|row| MessageRowDto::of(&row.email, &row.folder_name, row.message))
            .collect(),
    })
}

fn addresses(list: Vec<mail_message::Address>) -> Vec<AddressDto> {
    list.into_iter()
        .map(|address| AddressDto {
            name: address.name,
            address: address.address,
        })
        .collect()
}

/// Opens a message (from the cache, or fetched without marking it read).
#[tauri::command]
pub async fn open_message(
    state: State<'_, AppState>,
    account: String,
    folder: String,
    uid: u64,
    allow_remote: bool,
) -> Result<MessageDto, IpcError> {
    let engine = state.engine_of(&account)?;
    let opened = engine.open_message(&folder, uid, allow_remote).await?;
    let view = opened.view;
    Ok(MessageDto {
        account: engine.account().email.clone(),
        folder: opened.folder,
        uid: opened.uid,
        subject: view.subject,
        from: addresses(view.from),
        to: addresses(view.to),
        cc: addresses(view.cc),
        date: view.date,
        html: opened.safe_html.html,
        remote_blocked: count(opened.safe_html.remote_blocked),
        remote_allowed: opened.remote_allowed,
        attachments: view
            .attachments
            .into_iter()
            .filter(|attachment| !attachment.inline)
            .map(|attachment| AttachmentDto {
                index: count(attachment.index),
                name: attachment.name,
                content_type: attachment.content_type,
                size: count(attachment.size),
            })
            .collect(),
        warnings: view.warnings,
        from_cache: opened.from_cache,
    })
}

/// Changes messages in the cache at once; the change is queued and sent to the server.
#[tauri::command]
pub async fn act(
    state: State<'_, AppState>,
    account: String,
    folder: String,
    uids: Vec<u64>,
    action: ActionInput,
) -> Result<ActionResultDto, IpcError> {
    if uids.is_empty() {
        return Err(IpcError::new(ErrorCode::Invalid, "No message chosen"));
    }
    let engine = state.engine_of(&account)?;
    let action = match action {
        ActionInput::MarkRead => Action::MarkRead,
        ActionInput::MarkUnread => Action::MarkUnread,
        ActionInput::Flag => Action::Flag,
        ActionInput::Unflag => Action::Unflag,
        ActionInput::Archive => Action::Archive,
        ActionInput::Delete => Action::Delete,
        ActionInput::Move { to } => Action::Move { to },
    };
    let report = engine.act(&folder, &uids, &action)?;
    Ok(ActionResultDto {
        changed: report.changed,
        missing: report.missing,
        target: report.target,
        pending: count(report.pending),
    })
}

/// Sends queued changes and delta-syncs the folder now (the refresh button, `r`); without an
/// account (the unified inbox), every account's INBOX. One account's failure does not stop
/// the others; the first failure is told when nothing could be checked.
#[tauri::command]
pub async fn refresh(
    state: State<'_, AppState>,
    account: Option<String>,
    folder: String,
) -> Result<SyncResultDto, IpcError> {
    let engines = match &account {
        Some(email) => vec![state.engine_of(email)?],
        None => state.all_engines(),
    };
    let mut total = SyncResultDto {
        folder: folder.clone(),
        added: 0,
        removed: 0,
        flags_changed: 0,
    };
    let mut failure = None;
    let mut checked = 0;
    for engine in engines {
        match engine.sync_folder(&folder, None).await {
            Ok(report) => {
                checked += 1;
                total.added += count(report.added);
                total.removed += count(report.removed);
                total.flags_changed += count(report.flags_changed);
            }
            Err(error) => {
                tracing::info!(account = %engine.account().email, %error, "not refreshed");
                failure.get_or_insert(error);
            }
        }
    }
    match failure {
        Some(error) if checked == 0 => Err(error.into()),
        _ => Ok(total),
    }
}

/// Searches the local index of every account (offline): each account's best hits first,
/// taken in turn, at most `limit` in all.
/// A search indexes what waits for a moment first (what syncs brought; the rest is left to
/// the background indexer, see `index_progress`): it runs on a blocking thread, never on
/// the window's.
#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Result<Vec<SearchHitDto>, IpcError> {
    let limit = limit.min(MAX_PAGE);
    let engines = state.all_engines();
    let lists = tokio::task::spawn_blocking(move || {
        let mut lists = Vec::new();
        for engine in engines {
            let email = engine.account().email.clone();
            let hits = engine.search(&query, limit)?;
            lists.push(
                hits.into_iter()
                    .map(|hit| SearchHitDto {
                        account: email.clone(),
                        message: MessageRowDto::of(&email, &hit.folder, hit.message),
                        folder: hit.folder,
                    })
                    .collect::<Vec<_>>(),
            );
        }
        Ok::<_, mail_engine::EngineError>(lists)
    })
    .await
    .map_err(|error| IpcError::new(ErrorCode::Other, format!("Searching stopped: {error}")))??;
    Ok(interleave(lists, limit as usize))
}

/// How far the search index is behind the cache (all accounts share one index): searches
/// answer from what is indexed; the window says when indexing continues.
#[tauri::command]
pub fn index_progress(state: State<'_, AppState>) -> Result<IndexProgressDto, IpcError> {
    let Some(engine) = state.all_engines().into_iter().next() else {
        return Ok(IndexProgressDto {
            indexed: 0,
            messages: 0,
        });
    };
    let progress = engine.index_progress()?;
    Ok(IndexProgressDto {
        indexed: count(progress.indexed() as usize),
        messages: count(progress.messages as usize),
    })
}

/// The first of each list, then the second of each, … (each list keeps its order).
fn interleave<T>(lists: Vec<Vec<T>>, limit: usize) -> Vec<T> {
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    while out.len() < limit {
        let before = out.len();
        for iter in &mut iters {
            if out.len() == limit {
                break;
            }
            if let Some(item) = iter.next() {
                out.push(item);
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// Conversations with messages in `folder`, newest activity first (at most `limit`).
#[tauri::command]
pub fn threads(
    state: State<'_, AppState>,
    account: String,
    folder: String,
    limit: u32,
) -> Result<Vec<ConversationDto>, IpcError> {
    let engine = state.engine_of(&account)?;
    let email = engine.account().email.clone();
    let mut conversations = engine.threads(&folder)?;
    conversations.sort_by_key(|conversation| std::cmp::Reverse(conversation.latest_date()));
    conversations.truncate(limit.min(MAX_THREADS) as usize);
    Ok(conversations
        .into_iter()
        .map(|conversation| {
            let latest = conversation.latest_date();
            let unread = count(conversation.unread());
            let mut messages = conversation.messages;
            messages.sort_by_key(|row| row.message.date);
            ConversationDto {
                subject: messages
                    .first()
                    .map(|row| row.message.subject.clone())
                    .unwrap_or_default(),
                unread,
                latest,
                messages: messages
                    .into_iter()
                    .map(|row| SearchHitDto {
                        account: email.clone(),
                        message: MessageRowDto::of(&email, &row.folder, row.message),
                        folder: row.folder,
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Where saved attachments go: the OS Downloads folder (or the home directory).
fn downloads() -> Result<PathBuf, IpcError> {
    directories::UserDirs::new()
        .and_then(|dirs| {
            dirs.download_dir()
                .map(PathBuf::from)
                .or_else(|| Some(dirs.home_dir().to_path_buf()))
        })
        .ok_or_else(|| IpcError::new(ErrorCode::Other, "Cannot find the Downloads folder"))
}

/// `name`, or `name (2)`, `name (3)`… — the first that does not exist in `dir`.
pub fn free_name(dir: &std::path::Path, name: &str) -> PathBuf {
    let candidate = dir.join(name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){extension}")))
        .find(|path| !path.exists())
        .unwrap_or(candidate)
}

/// Saves attachment `index` into Downloads under a name that replaces nothing; returns
/// the path written.
#[tauri::command]
pub async fn save_attachment(
    state: State<'_, AppState>,
    account: String,
    folder: String,
    uid: u64,
    index: u32,
    name: String,
) -> Result<String, IpcError> {
    let engine = state.engine_of(&account)?;
    let dir = downloads()?;
    std::fs::create_dir_all(&dir).map_err(|error| {
        IpcError::new(
            ErrorCode::Other,
            format!("Cannot create {}: {error}", dir.display()),
        )
    })?;
    let target = free_name(&dir, &mail_message::safe_file_name(&name, "attachment"));
    let written = engine
        .save_attachment(&folder, uid, index as usize, &target, false)
        .await?;
    Ok(written.display().to_string())
}

/// Always (or no longer) load remote images from this sender.
#[tauri::command]
pub fn allow_remote_from(
    state: State<'_, AppState>,
    account: String,
    sender: String,
    allowed: bool,
) -> Result<(), IpcError> {
    let engine = state.engine_of(&account)?;
    engine.allow_remote_content_from(&sender, allowed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_takes_each_accounts_hits_in_turn() {
        assert_eq!(
            interleave(vec![vec![1, 2, 3], vec![10], vec![20, 21]], 10),
            vec![1, 10, 20, 2, 21, 3]
        );
        assert_eq!(
            interleave(vec![vec![1, 2, 3], vec![10, 11]], 3),
            vec![1, 10, 2]
        );
        assert_eq!(interleave::<u8>(vec![vec![], vec![]], 5), Vec::<u8>::new());
    }

    #[test]
    fn saved_files_never_replace_others() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(free_name(dir.path(), "a.pdf"), dir.path().join("a.pdf"));
        std::fs::write(dir.path().join("a.pdf"), b"x").expect("write");
        assert_eq!(free_name(dir.path(), "a.pdf"), dir.path().join("a (2).pdf"));
        std::fs::write(dir.path().join("a (2).pdf"), b"x").expect("write");
        assert_eq!(free_name(dir.path(), "a.pdf"), dir.path().join("a (3).pdf"));
        std::fs::write(dir.path().join("README"), b"x").expect("write");
        assert_eq!(
            free_name(dir.path(), "README"),
            dir.path().join("README (2)")
        );
    }
}
