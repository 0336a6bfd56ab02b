//! Mail commands: list windows, open, act, refresh, search, save attachments.

use std::path::PathBuf;

use mail_engine::Action;
use tauri::State;

use crate::dto::{
    count, ActionInput, ActionResultDto, AddressDto, AttachmentDto, ConversationDto, ErrorCode,
    IpcError, MessageDto, MessagePageDto, SearchHitDto, SyncResultDto,
};
use crate::state::AppState;

/// Rows a list window may ask for at once.
const MAX_PAGE: u32 = 1000;

/// Conversations the threaded view loads at most.
const MAX_THREADS: u32 = 5000;

/// `limit` rows of `folder` from position `offset`, newest first (cache only).
#[tauri::command]
pub fn messages(
    state: State<'_, AppState>,
    folder: String,
    offset: u32,
    limit: u32,
) -> Result<MessagePageDto, IpcError> {
    let engine = state.engine()?;
    let page = engine.message_page(&folder, offset, limit.min(MAX_PAGE))?;
    tracing::debug!(target: "tern_app::startup", %folder, offset, since_start_ms = crate::timing::since_start_ms(), "page served");
    Ok(page.into())
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
    folder: String,
    uid: u64,
    allow_remote: bool,
) -> Result<MessageDto, IpcError> {
    let engine = state.engine()?;
    let opened = engine.open_message(&folder, uid, allow_remote).await?;
    let view = opened.view;
    Ok(MessageDto {
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
    folder: String,
    uids: Vec<u64>,
    action: ActionInput,
) -> Result<ActionResultDto, IpcError> {
    if uids.is_empty() {
        return Err(IpcError::new(ErrorCode::Invalid, "No message chosen"));
    }
    let engine = state.engine()?;
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

/// Sends queued changes and delta-syncs the folder now (the refresh button, `r`).
#[tauri::command]
pub async fn refresh(
    state: State<'_, AppState>,
    folder: String,
) -> Result<SyncResultDto, IpcError> {
    let engine = state.engine()?;
    let report = engine.sync_folder(&folder, None).await?;
    Ok(SyncResultDto {
        folder: report.folder,
        added: count(report.added),
        removed: count(report.removed),
        flags_changed: count(report.flags_changed),
    })
}

/// Searches the local index (offline).
#[tauri::command]
pub fn search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Result<Vec<SearchHitDto>, IpcError> {
    let engine = state.engine()?;
    Ok(engine
        .search(&query, limit.min(MAX_PAGE))?
        .into_iter()
        .map(|hit| SearchHitDto {
            folder: hit.folder,
            message: hit.message.into(),
        })
        .collect())
}

/// Conversations with messages in `folder`, newest activity first (at most `limit`).
#[tauri::command]
pub fn threads(
    state: State<'_, AppState>,
    folder: String,
    limit: u32,
) -> Result<Vec<ConversationDto>, IpcError> {
    let engine = state.engine()?;
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
                        folder: row.folder,
                        message: row.message.into(),
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
    folder: String,
    uid: u64,
    index: u32,
    name: String,
) -> Result<String, IpcError> {
    let engine = state.engine()?;
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
    sender: String,
    allowed: bool,
) -> Result<(), IpcError> {
    let engine = state.engine()?;
    engine.allow_remote_content_from(&sender, allowed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
