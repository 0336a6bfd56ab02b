//! Opening a message to read it (remote content only when allowed) and saving its
//! attachments to disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use mail_message::{parse_message, safe_file_name, MessageView, SafeHtml};
use serde::Serialize;

use super::bodies::RawMessage;
use super::render::safe_html;
use super::service::Reading;
use crate::error::{EngineError, ErrorKind, Result};
use crate::store_access::{unix_now, with_store};

/// A message as the reader shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenedMessage {
    pub folder: String,
    pub uid: u64,
    #[serde(flatten)]
    pub view: MessageView,
    /// The HTML body made safe (scripts, forms, frames gone; remote content blocked unless
    /// allowed), or the text body as escaped, linkified HTML when there is no HTML part.
    pub safe_html: SafeHtml,
    /// Whether remote content was let through (asked for this message, or its sender is
    /// allowed): a window shows remote images only then.
    pub remote_allowed: bool,
    /// Whether the body came from the cache (no network).
    pub from_cache: bool,
}

impl Reading {
    /// Lets (or stops letting) messages from `sender` load remote content when opened.
    pub(crate) fn allow_remote_content_from(&self, sender: &str, allowed: bool) -> Result<()> {
        let account = self.core.account().id;
        with_store(self.core.store(), |store| {
            store.set_remote_allowed(account, sender, allowed, unix_now())
        })
    }

    /// Opens a message for reading: the cached body at once, or fetched with BODY.PEEK[]
    /// (opening never marks it read on the server; that is [`crate::Action::MarkRead`]).
    /// Remote content loads when `allow_remote` (this message) or when its sender is allowed
    /// ([`Engine::allow_remote_content_from`]).
    pub(crate) async fn open_message(
        &self,
        folder: &str,
        uid: u64,
        allow_remote: bool,
    ) -> Result<OpenedMessage> {
        let folder = self.core.cached_folder(folder)?;
        let RawMessage {
            raw,
            remote,
            from_cache,
        } = self.raw_message(&folder, uid).await?;
        let _ = with_store(self.core.store(), |store| {
            store.mark_opened(folder.id, uid, unix_now())
        });
        let view = parse_message(&raw).with_remote_parts(&remote);
        let sender = view
            .from
            .first()
            .map(|from| from.address.as_str())
            .unwrap_or("");
        let account = self.core.account().id;
        let sender_allowed = !sender.is_empty()
            && with_store(self.core.store(), |store| {
                store.remote_allowed(account, sender)
            })?;
        let remote_allowed = allow_remote || sender_allowed;
        let safe_html = safe_html(&raw, &view, remote_allowed);
        Ok(OpenedMessage {
            folder: folder.name,
            uid,
            view,
            safe_html,
            remote_allowed,
            from_cache,
        })
    }

    /// [`crate::Engine::save_attachment`].
    pub(crate) async fn save_attachment(
        &self,
        folder: &str,
        uid: u64,
        index: usize,
        path: &Path,
        overwrite: bool,
    ) -> Result<PathBuf> {
        let folder = self.core.cached_folder(folder)?;
        let message = self.raw_message(&folder, uid).await?;
        let view = parse_message(&message.raw);
        let Some(attachment) = view.attachments.get(index) else {
            return Err(EngineError::new(
                ErrorKind::Other,
                format!(
                    "The message has {} attachment(s); there is no index {index}",
                    view.attachments.len()
                ),
            ));
        };
        let bytes = self.attachment_data(&folder, uid, &message, index).await?;
        let target = if path.is_dir() {
            path.join(safe_file_name(&attachment.name, "attachment"))
        } else {
            path.to_path_buf()
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true);
        if overwrite {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        let io = |error: std::io::Error| {
            let reason = if error.kind() == std::io::ErrorKind::AlreadyExists {
                "it already exists (pass --overwrite to replace it)".to_string()
            } else {
                error.to_string()
            };
            EngineError::new(
                ErrorKind::Other,
                format!("Cannot write {}: {reason}", target.display()),
            )
        };
        let mut file = options.open(&target).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(target)
    }
}
