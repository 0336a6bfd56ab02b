//! Drafts: saved locally at every change (cheap, offline), copied to the server's Drafts
//! folder by the outbox worker (each new version APPENDed with `\Draft`, the copy it replaces
//! deleted), continued from a message in the Drafts folder, removed there when sent or
//! discarded. Removals wait in the cache until the server has done them.

use std::sync::Arc;
use std::time::SystemTime;

use mail_message::Draft;
use mail_store::{DraftId, StoredDraft};
use mail_sync::{FolderRole, Uid};

use crate::connection::{FlagOperation, SelectMode};
use crate::core_handle::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::identity::identity;
use crate::outbox::{Outbox, QueuedMessage};
use crate::reading::Reading;
use crate::saved_copy::{CopyToSave, Existing};
use crate::store_access::{unix_now, with_store};

fn other(message: impl Into<String>) -> EngineError {
    EngineError::new(ErrorKind::Other, message)
}

fn decode(stored: &StoredDraft) -> Result<Draft> {
    serde_json::from_str(&stored.content).map_err(|error| {
        other(format!(
            "The saved draft {} cannot be read: {error}",
            stored.id.0
        ))
    })
}

/// A received or written message as a draft: its recipients (Bcc too, when the copy has
/// them), subject, text, threading headers and attachments.
fn draft_from_raw(raw: &[u8], view: &mail_message::MessageView) -> Draft {
    let attachments = view
        .attachments
        .iter()
        .filter_map(|attachment| {
            mail_message::attachment_bytes(raw, attachment.index).map(|data| {
                mail_message::OutgoingAttachment {
                    name: attachment.name.clone(),
                    content_type: attachment.content_type.clone(),
                    data,
                }
            })
        })
        .collect();
    Draft {
        from: None,
        to: view.to.clone(),
        cc: view.cc.clone(),
        bcc: mail_message::parse_address_list(
            &mail_message::header_value(raw, "Bcc").unwrap_or_default(),
        )
        .unwrap_or_default(),
        subject: view.subject.clone(),
        text: view.text.clone().unwrap_or_default().replace("\r\n", "\n"),
        html: None,
        in_reply_to: view.in_reply_to.last().cloned(),
        references: view.references.clone(),
        attachments,
    }
}

/// Drafts and their copies in the Drafts folder.
pub(crate) struct Drafts {
    core: Arc<Core>,
    reading: Arc<Reading>,
    /// Drafts leave for the outbox when sent; its worker copies them to the server.
    outbox: Arc<Outbox>,
}

impl Drafts {
    pub(crate) fn new(core: Arc<Core>, reading: Arc<Reading>, outbox: Arc<Outbox>) -> Self {
        Drafts {
            core,
            reading,
            outbox,
        }
    }

    /// A message of the outbox that was not sent (refused, uncertain, or still waiting),
    /// taken back for editing: it becomes a draft and leaves the outbox.
    pub(crate) fn edit_outgoing(&self, id: mail_store::OutboxId) -> Result<(DraftId, Draft)> {
        let entry = with_store(self.core.store(), |store| store.outbox_entry(id))?
            .ok_or_else(|| other(format!("There is no message {} in the outbox", id.0)))?;
        if entry.state == mail_store::OutboxState::Sent {
            return Err(other("This message was sent already"));
        }
        let raw = with_store(self.core.store(), |store| store.outgoing_message(id))?
            .ok_or_else(|| other(format!("There is no message {} in the outbox", id.0)))?;
        let view = mail_message::parse_message(&raw);
        let draft = draft_from_raw(&raw, &view);
        // Out of the outbox first: a message being sent right now is refused here.
        self.outbox.discard_outgoing(id)?;
        let draft_id = self.save_draft(None, &draft)?;
        Ok((draft_id, draft))
    }

    /// Saves a draft locally (a new one, or a new version of `id`); the outbox worker copies
    /// it to the Drafts folder. Returns its id.
    pub(crate) fn save_draft(&self, id: Option<DraftId>, draft: &Draft) -> Result<DraftId> {
        let account = self.core.account();
        let content = serde_json::to_string(draft)
            .map_err(|error| other(format!("Saving the draft: {error}")))?;
        let message_id = mail_message::new_message_id(&account.email);
        let account_id = account.id;
        let saved = with_store(self.core.store(), |store| {
            store.save_draft(
                account_id,
                id,
                &content,
                &draft.subject,
                &message_id,
                unix_now(),
            )
        })?;
        self.outbox.wake();
        Ok(saved)
    }

    pub(crate) fn load_draft(&self, id: DraftId) -> Result<Draft> {
        let stored = with_store(self.core.store(), |store| store.draft(id))?
            .ok_or_else(|| other(format!("There is no draft {}", id.0)))?;
        decode(&stored)
    }

    /// Drops a draft here and (soon) its copy in the Drafts folder.
    pub(crate) fn discard_draft(&self, id: DraftId) -> Result<()> {
        let account = self.core.account().id;
        with_store(self.core.store(), |store| store.delete_draft(account, id))?;
        self.outbox.wake();
        Ok(())
    }

    /// Sends a draft: into the outbox first, then the draft (and its server copy) goes.
    pub(crate) fn send_draft(&self, id: DraftId, draft: &Draft) -> Result<QueuedMessage> {
        let queued = self.outbox.queue_message(draft)?;
        self.discard_draft(id)?;
        Ok(queued)
    }

    /// A message in a Drafts folder as a draft to continue: the local draft it is a copy of
    /// (same Message-ID) when there is one, else a new local draft with its contents.
    pub(crate) async fn draft_from_message(
        &self,
        folder: &str,
        uid: u64,
    ) -> Result<(DraftId, Draft)> {
        let cached = self.core.cached_folder(folder)?;
        let raw = self.reading.raw_message(&cached, uid).await?.raw;
        let view = mail_message::parse_message(&raw);
        let account = self.core.account().id;
        if !view.message_id.is_empty() {
            let known = with_store(self.core.store(), |store| {
                store.draft_by_message_id(account, &view.message_id)
            })?;
            if let Some(stored) = known {
                return Ok((stored.id, decode(&stored)?));
            }
        }
        let draft = draft_from_raw(&raw, &view);
        let content = serde_json::to_string(&draft)
            .map_err(|error| other(format!("Saving the draft: {error}")))?;
        let message_id = if view.message_id.is_empty() {
            mail_message::new_message_id(&self.core.account().email)
        } else {
            view.message_id.clone()
        };
        // The server copy is this message: a new version will replace it.
        let validity = with_store(self.core.store(), |store| store.sync_meta(cached.id))?
            .map(|meta| meta.uid_validity.0);
        let id = with_store(self.core.store(), |store| {
            let id = store.save_draft(
                account,
                None,
                &content,
                &draft.subject,
                &message_id,
                unix_now(),
            )?;
            if let (Some(validity), Ok(uid)) = (validity, u32::try_from(uid)) {
                store.draft_uploaded(account, id, 1, Some((validity, uid)))?;
            }
            Ok(id)
        })?;
        Ok((id, draft))
    }

    async fn drafts_folder(&self) -> Result<String> {
        self.core
            .listed_folder_with_role(FolderRole::Drafts)
            .await?
            .map(|folder| folder.name)
            .ok_or_else(|| other("The account has no Drafts folder (none is marked \\Drafts)"))
    }

    /// Copies new draft versions to the Drafts folder and removes the copies they replace
    /// (and those of drafts sent or discarded). Returns how many copies changed.
    pub(crate) async fn sync_drafts(&self) -> Result<usize> {
        let account = self.core.account().id;
        let uploads = with_store(self.core.store(), |store| store.drafts_to_upload(account))?;
        let removals = with_store(self.core.store(), |store| store.draft_removals(account))?;
        if uploads.is_empty() && removals.is_empty() {
            return Ok(0);
        }
        let folder = self.drafts_folder().await?;
        let identity = identity(&self.core)?;
        let mut changed = 0;
        for stored in uploads {
            let mut draft = decode(&stored)?;
            draft.from = Some(identity.clone());
            let composed =
                mail_message::compose_draft(&draft, &stored.message_id, SystemTime::now())
                    .map_err(|error| other(error.to_string()))?;
            let copy = self
                .core
                .save_copy(CopyToSave {
                    folder: folder.clone(),
                    flags: "(\\Draft \\Seen)",
                    bytes: composed,
                    message_id: stored.message_id.clone(),
                    existing: Existing::IsOlder,
                })
                .await
                .map_err(|error| error.context("Saving a draft in Drafts"))?;
            with_store(self.core.store(), |store| {
                store.draft_uploaded(account, stored.id, stored.version, copy)
            })?;
            changed += 1;
        }
        let removals = with_store(self.core.store(), |store| store.draft_removals(account))?;
        for (validity, uid) in removals {
            let name = folder.clone();
            let gone = self
                .core
                .with_retry(2, move |connection, _| {
                    let name = name.clone();
                    Box::pin(async move {
                        let selected = connection.select(&name, SelectMode::ReadWrite).await?;
                        if selected.uid_validity.map(|v| v.0) != Some(validity) {
                            // The folder was recreated: that copy is gone already.
                            return Ok(());
                        }
                        connection
                            .uid_store(&name, &[Uid(uid)], FlagOperation::Add("\\Deleted"))
                            .await?;
                        connection
                            .execute(&format!("UID EXPUNGE {uid}"), |_| Ok(()))
                            .await?
                            .require_ok("Removing an old draft")
                    })
                })
                .await;
            match gone {
                Ok(()) => {
                    with_store(self.core.store(), |store| {
                        store.draft_removal_done(account, (validity, uid))
                    })?;
                    changed += 1;
                }
                Err(error) if error.is_connection_failure() => return Err(error),
                Err(error) => tracing::warn!(%error, uid, "an old draft copy was not removed"),
            }
        }
        Ok(changed)
    }
}
