//! Copies of sent messages in the Sent folder: looked for by Message-ID first (a copy
//! appended before a crash is not appended again), then APPENDed with LITERAL+ and the
//! APPENDUID recorded. Skipped when the server files sent mail itself.

use mail_sync::FolderRole;

use super::service::Outbox;
use crate::error::{EngineError, ErrorKind, Result};
use crate::saved_copy::{CopyToSave, Existing};
use crate::store_access::with_store;

impl Outbox {
    /// Appends sent messages to the Sent folder: first looks for the Message-ID there (a
    /// copy appended before a crash is not appended again), then APPENDs with LITERAL+ and
    /// records the APPENDUID. Returns how many copies are now in Sent.
    pub(crate) async fn save_sent_copies(&self) -> Result<usize> {
        let account = self.core.account().id;
        let due = with_store(self.core.store(), |store| store.sent_copies_due(account))?;
        if due.is_empty() {
            return Ok(0);
        }
        let sent = self
            .core
            .listed_folder_with_role(FolderRole::Sent)
            .await?
            .ok_or_else(|| {
                EngineError::new(
                    ErrorKind::Other,
                    "The account has no Sent folder (none is marked \\Sent): sent mail is not copied",
                )
            })?;
        let mut saved = 0;
        for copy in due {
            let uid = self
                .core
                .save_copy(CopyToSave {
                    folder: sent.name.clone(),
                    flags: "(\\Seen)",
                    bytes: copy.bytes.clone(),
                    message_id: copy.message_id.clone(),
                    existing: Existing::IsThisCopy,
                })
                .await
                .map_err(|error| error.context("Saving a copy in Sent"))?;
            with_store(self.core.store(), |store| {
                store.sent_copy_done(copy.id, uid)
            })?;
            saved += 1;
        }
        Ok(saved)
    }
}
