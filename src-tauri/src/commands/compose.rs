//! Writing mail: start a new message, reply, reply-all or forward; send it (to the outbox,
//! which the session drains); the outbox; address completion.

use mail_engine::DraftStart;
use mail_message::Draft;
use mail_store::{DraftId, OutboxId};
use tauri::State;

use crate::compose_dto::{ComposeKind, DraftDto, OpenedDraftDto, OutboxEntryDto, QueuedDto};
use crate::dto::{AddressDto, ErrorCode, IpcError};
use crate::state::AppState;

/// The draft the compose form starts with.
#[tauri::command]
pub async fn compose(
    state: State<'_, AppState>,
    account: String,
    kind: ComposeKind,
    folder: Option<String>,
    uid: Option<u64>,
) -> Result<DraftDto, IpcError> {
    let engine = state.engine_of(&account)?;
    let source = || {
        folder
            .clone()
            .zip(uid)
            .ok_or_else(|| IpcError::new(ErrorCode::Invalid, "Which message? (folder and uid)"))
    };
    let start = match kind {
        ComposeKind::New => DraftStart::New,
        ComposeKind::Reply | ComposeKind::ReplyAll => {
            let (folder, uid) = source()?;
            DraftStart::Reply {
                folder,
                uid,
                all: kind == ComposeKind::ReplyAll,
            }
        }
        ComposeKind::Forward => {
            let (folder, uid) = source()?;
            DraftStart::Forward { folder, uid }
        }
    };
    let draft = engine.start_draft(&start, true).await?;
    Ok(DraftDto::of(&engine.account().email, draft))
}

/// The `mailto:` link Tern was started for (once): a new message from `account`, filled
/// from it. `None` when there is none, or it was taken.
#[tauri::command]
pub async fn take_mailto(
    state: State<'_, AppState>,
    account: String,
) -> Result<Option<DraftDto>, IpcError> {
    let link = state
        .pending_mailto
        .lock()
        .map_err(|_| IpcError::new(ErrorCode::Other, "The link's lock was poisoned"))?
        .take();
    let Some(link) = link else {
        return Ok(None);
    };
    let engine = state.engine_of(&account)?;
    let mut draft = engine.start_draft(&DraftStart::New, true).await?;
    link.fill(&mut draft);
    Ok(Some(DraftDto::of(&engine.account().email, draft)))
}

/// Writes the message to the outbox of the draft's account (and drops its draft); the
/// session sends it (at once when online).
#[tauri::command]
pub fn send_message(
    state: State<'_, AppState>,
    draft: DraftDto,
    draft_id: Option<i64>,
) -> Result<QueuedDto, IpcError> {
    let engine = state.engine_of(&draft.account)?;
    let draft = Draft::try_from(draft)?;
    if draft.to.is_empty() && draft.cc.is_empty() && draft.bcc.is_empty() {
        return Err(IpcError::new(ErrorCode::Invalid, "Add a recipient"));
    }
    let queued = match draft_id {
        Some(id) => engine.send_draft(DraftId(id), &draft)?,
        None => engine.queue_message(&draft)?,
    };
    Ok(QueuedDto {
        id: queued.id.0,
        message_id: queued.message_id,
    })
}

/// Every account's outbox, account by account.
#[tauri::command]
pub fn outbox(state: State<'_, AppState>) -> Result<Vec<OutboxEntryDto>, IpcError> {
    let mut entries = Vec::new();
    for engine in state.all_engines() {
        let email = engine.account().email.clone();
        entries.extend(
            engine
                .outbox()?
                .into_iter()
                .map(|entry| OutboxEntryDto::of(&email, entry)),
        );
    }
    Ok(entries)
}

/// Sends a refused or maybe-sent message again (the person decided).
#[tauri::command]
pub fn retry_outgoing(
    state: State<'_, AppState>,
    account: String,
    id: i64,
) -> Result<(), IpcError> {
    Ok(state.engine_of(&account)?.retry_outgoing(OutboxId(id))?)
}

#[tauri::command]
pub fn discard_outgoing(
    state: State<'_, AppState>,
    account: String,
    id: i64,
) -> Result<(), IpcError> {
    Ok(state.engine_of(&account)?.discard_outgoing(OutboxId(id))?)
}

/// Addresses from the cache starting with `prefix`, for To/Cc/Bcc completion.
#[tauri::command]
pub fn suggest_addresses(
    state: State<'_, AppState>,
    account: String,
    prefix: String,
) -> Result<Vec<AddressDto>, IpcError> {
    Ok(state
        .engine_of(&account)?
        .address_suggestions(&prefix, 8)?
        .into_iter()
        .map(|known| AddressDto {
            name: known.name,
            address: known.address,
        })
        .collect())
}

/// Saves the message being written (a new draft, or a new version of `id`); returns its id.
#[tauri::command]
pub fn save_draft(
    state: State<'_, AppState>,
    id: Option<i64>,
    draft: DraftDto,
) -> Result<i64, IpcError> {
    let engine = state.engine_of(&draft.account)?;
    let draft = Draft::try_from(draft)?;
    Ok(engine.save_draft(id.map(DraftId), &draft)?.0)
}

#[tauri::command]
pub fn discard_draft(state: State<'_, AppState>, account: String, id: i64) -> Result<(), IpcError> {
    Ok(state.engine_of(&account)?.discard_draft(DraftId(id))?)
}

/// A message in the Drafts folder, to continue writing.
#[tauri::command]
pub async fn open_draft(
    state: State<'_, AppState>,
    account: String,
    folder: String,
    uid: u64,
) -> Result<OpenedDraftDto, IpcError> {
    let engine = state.engine_of(&account)?;
    let (id, draft) = engine.draft_from_message(&folder, uid).await?;
    Ok(OpenedDraftDto {
        id: id.0,
        draft: DraftDto::of(&engine.account().email, draft),
    })
}

/// Takes a message that was not sent back out of the outbox as a draft, to edit and send.
#[tauri::command]
pub fn edit_outgoing(
    state: State<'_, AppState>,
    account: String,
    id: i64,
) -> Result<OpenedDraftDto, IpcError> {
    let engine = state.engine_of(&account)?;
    let (draft_id, draft) = engine.edit_outgoing(OutboxId(id))?;
    Ok(OpenedDraftDto {
        id: draft_id.0,
        draft: DraftDto::of(&engine.account().email, draft),
    })
}
