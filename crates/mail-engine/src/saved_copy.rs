//! Saving a copy of a message in a folder (a draft in Drafts, a sent message in Sent) and
//! learning its (UIDVALIDITY, UID), on the request connection with one retry.

use crate::core_handle::Core;
use crate::error::Result;

/// What a message with the same Message-ID already in the folder means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Existing {
    /// It is this very copy, appended before a crash: keep it and append nothing (Sent).
    IsThisCopy,
    /// It is an older version (a draft saved before): append anyway, and look the new copy up
    /// by Message-ID only when the server gives no APPENDUID (Drafts).
    IsOlder,
}

/// One message to put in a folder.
pub(crate) struct CopyToSave {
    pub folder: String,
    /// The APPEND flag list, e.g. `(\Seen)`.
    pub flags: &'static str,
    pub bytes: Vec<u8>,
    /// Without angle brackets.
    pub message_id: String,
    pub existing: Existing,
}

impl Core {
    /// Saves `copy`; returns where it is, when the server says (APPENDUID) or a search finds it.
    pub(crate) async fn save_copy(&self, copy: CopyToSave) -> Result<Option<(u32, u32)>> {
        let copy = &copy;
        self.with_retry_for(copy, 2, |copy, connection, _| {
            Box::pin(async move {
                if copy.existing == Existing::IsThisCopy {
                    let found = connection
                        .find_message_id(&copy.folder, &copy.message_id)
                        .await?;
                    if found.is_some() {
                        return Ok(found);
                    }
                }
                let appended = connection
                    .append(&copy.folder, copy.flags, &copy.bytes)
                    .await?;
                if appended.is_some() || copy.existing == Existing::IsThisCopy {
                    return Ok(appended);
                }
                // No APPENDUID: the newest message with this Message-ID is the copy.
                connection
                    .find_message_id(&copy.folder, &copy.message_id)
                    .await
            })
        })
        .await
    }
}
