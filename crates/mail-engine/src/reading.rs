//! Reading mail: bodies fetched with BODY.PEEK[] (never setting \Seen) on open or by the
//! prefetcher, kept in the cache for offline reading within a size budget, decoded and made
//! safe by mail-message; attachments saved; local full-text search.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use imap_proto::{AttributeValue, Response};
use mail_message::{
    attachment_bytes, decode_part, inline_images, parse_message, safe_file_name, sanitize_html,
    text_to_html, MessageView, RemoteParts, SafeHtml,
};
use mail_store::{Folder, MissingBody, SearchHit};
use mail_sync::{compress_uids, Uid};
use serde::Serialize;

use crate::connection::{ImapConnection, SelectMode};
use crate::engine::Engine;
use crate::error::{EngineError, ErrorKind, Result};
use crate::sync::{unix_now, with_store};

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

/// A message's bytes as cached (or just fetched) and where its left-out parts are.
pub(crate) struct RawMessage {
    pub raw: Vec<u8>,
    /// Attachments a text-first fetch left on the server.
    pub remote: RemoteParts,
    pub from_cache: bool,
}

/// The cache keeps [`RemoteParts`] as JSON beside the bytes; unreadable JSON (never
/// written by Tern) means nothing is known to be on the server.
fn remote_parts_from_json(text: &str) -> RemoteParts {
    if text.is_empty() {
        return RemoteParts::default();
    }
    serde_json::from_str(text).unwrap_or_else(|error| {
        tracing::warn!(%error, "unreadable remote part list in the cache");
        RemoteParts::default()
    })
}

fn remote_parts_to_json(remote: &RemoteParts) -> String {
    if remote.is_empty() {
        return String::new();
    }
    serde_json::to_string(remote).unwrap_or_default()
}

/// What one prefetch pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrefetchReport {
    pub fetched: usize,
    pub bytes: u64,
    /// Bodies evicted to stay within the budget.
    pub evicted: usize,
}

/// Bodies fetched per command by the prefetcher: small enough that an interactive request
/// waiting for the connection gets it soon.
const PREFETCH_BATCH_BYTES: u64 = 2 << 20;
const PREFETCH_BATCH_MESSAGES: usize = 50;

fn body_data<'a>(attributes: &'a [AttributeValue<'a>]) -> (Option<u32>, Option<&'a [u8]>) {
    let mut uid = None;
    let mut data = None;
    for attribute in attributes {
        match attribute {
            AttributeValue::Uid(value) => uid = Some(*value),
            AttributeValue::BodySection {
                section: None,
                data: Some(bytes),
                ..
            } => data = Some(bytes.as_ref()),
            _ => {}
        }
    }
    (uid, data)
}

/// Selects `folder` for reading unless it is already selected (either mode will do).
async fn ensure_selected(connection: &mut ImapConnection, folder: &str) -> Result<()> {
    if connection
        .selected()
        .is_some_and(|selected| selected.name == folder)
    {
        return Ok(());
    }
    connection.select(folder, SelectMode::ReadOnly).await?;
    Ok(())
}

/// Fetches whole messages with BODY.PEEK[] (the server does not set \Seen). `wanted` pairs
/// each UID with the size the server announced for it (RFC822.SIZE): a body may be at most
/// [`body_limit`] of that, so a server lying about a size cannot make us hold more. Answers
/// for UIDs not asked for, and second answers, are dropped unread.
async fn fetch_bodies(
    connection: &mut ImapConnection,
    folder: &str,
    wanted: &[MissingBody],
) -> Result<Vec<(u32, Vec<u8>)>> {
    ensure_selected(connection, folder).await?;
    let limits: HashMap<u32, u64> = wanted
        .iter()
        .map(|message| (message.uid.0, body_limit(message.size)))
        .collect();
    let largest = limits.values().copied().max().unwrap_or(0);
    let _raised = connection.expect_responses_up_to(largest + (64 << 10));
    let uids: Vec<Uid> = wanted.iter().map(|message| message.uid).collect();
    let mut bodies: Vec<(u32, Vec<u8>)> = Vec::new();
    connection
        .execute(
            &format!("UID FETCH {} (UID BODY.PEEK[])", compress_uids(&uids)),
            |response| {
                if let Response::Fetch(_, attributes) = response {
                    if let (Some(uid), Some(data)) = body_data(attributes) {
                        let Some(limit) = limits.get(&uid) else {
                            return Ok(());
                        };
                        if bodies.iter().any(|(known, _)| *known == uid) {
                            return Ok(());
                        }
                        if data.len() as u64 > *limit {
                            return Err(EngineError::new(
                                ErrorKind::Protocol,
                                format!(
                                    "The server sent {} bytes for message {uid} of {folder}, announced much smaller",
                                    data.len()
                                ),
                            ));
                        }
                        bodies.push((uid, data.to_vec()));
                    }
                }
                Ok(())
            },
        )
        .await?
        .require_ok(&format!("Fetching messages of {folder}"))?;
    Ok(bodies)
}

/// The most a body announced as `size` bytes may really take: servers count line ends and
/// encodings differently, so twice the size and a little more, never less than 1 MiB.
pub(crate) fn body_limit(size: u32) -> u64 {
    (u64::from(size) * 2 + (64 << 10)).max(1 << 20)
}

fn search_text(view: &MessageView) -> String {
    let mut text = view.text.clone().unwrap_or_default();
    for attachment in &view.attachments {
        text.push(' ');
        text.push_str(&attachment.name);
    }
    text
}

/// Decodes a raw message for display.
pub fn render(raw: &[u8], allow_remote: bool) -> (MessageView, SafeHtml) {
    let view = parse_message(raw);
    let safe_html = safe_html(raw, &view, allow_remote);
    (view, safe_html)
}

/// What a reader may show of `view`'s body.
fn safe_html(raw: &[u8], view: &MessageView, allow_remote: bool) -> SafeHtml {
    match &view.html_unsafe {
        Some(html) => {
            let inline = inline_images(raw);
            sanitize_html(html, &inline, allow_remote)
        }
        None => SafeHtml {
            html: text_to_html(view.text.as_deref().unwrap_or("")),
            remote_blocked: 0,
        },
    }
}

impl Engine {
    pub(crate) fn cached_message_folder(&self, name: &str) -> Result<Folder> {
        let account = self.account().id;
        with_store(self.store(), |store| store.folder_by_name(account, name))?.ok_or_else(|| {
            EngineError::new(
                ErrorKind::Other,
                format!("There is no folder named {name} in the cache"),
            )
        })
    }

    /// The raw message: from the cache, or fetched (and kept) when not cached.
    pub(crate) async fn raw_message(&self, folder: &Folder, uid: u64) -> Result<RawMessage> {
        if let Some((raw, remote)) =
            with_store(self.store(), |store| store.cached_body(folder.id, uid))?
        {
            return Ok(RawMessage {
                raw,
                remote: remote_parts_from_json(&remote),
                from_cache: true,
            });
        }
        if uid >= mail_store::LOCAL_UID_BASE {
            return Err(EngineError::new(
                ErrorKind::Other,
                "This message was moved here while offline and its body was not cached; it opens once the move reaches the server",
            ));
        }
        if !with_store(self.store(), |store| store.has_message(folder.id, uid))? {
            return Err(EngineError::new(
                ErrorKind::Other,
                format!("No message with UID {uid} in {}", folder.name),
            ));
        }
        let name = folder.name.clone();
        let size = with_store(self.store(), |store| store.message_size(folder.id, uid))?;
        if u64::from(size.unwrap_or(0)) > self.options().large_message_bytes {
            let partial = self
                .with_retry(2, |_, connection, _| {
                    let name = name.clone();
                    Box::pin(async move {
                        ensure_selected(connection, &name).await?;
                        crate::partial::fetch_text_first(connection, uid as u32).await
                    })
                })
                .await?;
            if let Some((raw, remote)) = partial {
                self.keep_opened_body(folder, uid, &raw, &remote);
                return Ok(RawMessage {
                    raw,
                    remote,
                    from_cache: false,
                });
            }
        }
        let fetched = self
            .with_retry(2, |_, connection, _| {
                let name = name.clone();
                let wanted = [MissingBody {
                    uid: Uid(uid as u32),
                    size: size.unwrap_or(0),
                }];
                Box::pin(async move { fetch_bodies(connection, &name, &wanted).await })
            })
            .await?;
        let Some((_, raw)) = fetched
            .into_iter()
            .find(|(found, _)| u64::from(*found) == uid)
        else {
            return Err(EngineError::new(
                ErrorKind::Other,
                format!(
                    "The server no longer has UID {uid} in {}; sync to update the cache",
                    folder.name
                ),
            ));
        };
        let remote = RemoteParts::default();
        self.keep_opened_body(folder, uid, &raw, &remote);
        Ok(RawMessage {
            raw,
            remote,
            from_cache: false,
        })
    }

    /// Keeps a fetched body in the cache (and evicts down to the budget).
    fn keep_body(&self, folder: &Folder, uid: u64, raw: &[u8], remote: &RemoteParts) -> Result<()> {
        let text = search_text(&parse_message(raw));
        let remote = remote_parts_to_json(remote);
        with_store(self.store(), |store| {
            store.save_partial_body(folder.id, uid, raw, &remote, &text, unix_now())?;
            store.evict_bodies(self.options().body_budget)
        })
        .map(|_| ())
    }

    /// [`Self::keep_body`] for a message being opened: it is shown even when it cannot be
    /// kept (a full disk), just not offline.
    fn keep_opened_body(&self, folder: &Folder, uid: u64, raw: &[u8], remote: &RemoteParts) {
        if let Err(error) = self.keep_body(folder, uid, raw, remote) {
            tracing::warn!(folder = %folder.name, uid, %error, "could not cache a body");
        }
    }

    /// The decoded bytes of attachment `index` of a message: from the cached bytes, or (for
    /// one a text-first fetch left on the server) fetched now, just that part.
    pub(crate) async fn attachment_data(
        &self,
        folder: &Folder,
        uid: u64,
        message: &RawMessage,
        index: usize,
    ) -> Result<Vec<u8>> {
        let bytes = match message.remote.get(index) {
            Some(part) => {
                let name = folder.name.clone();
                let part = part.clone();
                let fetched = self
                    .with_retry(2, |_, connection, _| {
                        let (name, part) = (name.clone(), part.clone());
                        Box::pin(async move {
                            ensure_selected(connection, &name).await?;
                            crate::partial::fetch_section(
                                connection,
                                uid as u32,
                                &part.section,
                                part.size,
                            )
                            .await
                        })
                    })
                    .await?;
                decode_part(&fetched)
            }
            None => attachment_bytes(&message.raw, index),
        };
        bytes.ok_or_else(|| {
            EngineError::new(ErrorKind::Other, "The attachment could not be decoded")
        })
    }

    /// Lets (or stops letting) messages from `sender` load remote content when opened.
    pub fn allow_remote_content_from(&self, sender: &str, allowed: bool) -> Result<()> {
        let account = self.account().id;
        with_store(self.store(), |store| {
            store.set_remote_allowed(account, sender, allowed, unix_now())
        })
    }

    /// Opens a message for reading: the cached body at once, or fetched with BODY.PEEK[]
    /// (opening never marks it read on the server; that is [`crate::Action::MarkRead`]).
    /// Remote content loads when `allow_remote` (this message) or when its sender is allowed
    /// ([`Engine::allow_remote_content_from`]).
    pub async fn open_message(
        &self,
        folder: &str,
        uid: u64,
        allow_remote: bool,
    ) -> Result<OpenedMessage> {
        let folder = self.cached_message_folder(folder)?;
        let RawMessage {
            raw,
            remote,
            from_cache,
        } = self.raw_message(&folder, uid).await?;
        let _ = with_store(self.store(), |store| {
            store.mark_opened(folder.id, uid, unix_now())
        });
        let view = parse_message(&raw).with_remote_parts(&remote);
        let sender = view
            .from
            .first()
            .map(|from| from.address.as_str())
            .unwrap_or("");
        let account = self.account().id;
        let sender_allowed = !sender.is_empty()
            && with_store(self.store(), |store| store.remote_allowed(account, sender))?;
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

    /// Writes attachment `index` of a message to `path` (a directory gets the attachment's
    /// safe name). An existing file is never replaced unless `overwrite`. Returns the path
    /// written.
    pub async fn save_attachment(
        &self,
        folder: &str,
        uid: u64,
        index: usize,
        path: &Path,
        overwrite: bool,
    ) -> Result<PathBuf> {
        let folder = self.cached_message_folder(folder)?;
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

    /// Fetches and caches the bodies of `folder`'s messages that arrived in the last `days`
    /// days, newest first, in small batches (an interactive request waiting for the
    /// connection gets it between batches), then evicts down to the budget.
    pub async fn prefetch_bodies(&self, folder: &str, days: u32) -> Result<PrefetchReport> {
        let folder = self.cached_message_folder(folder)?;
        let since = unix_now() - i64::from(days) * 86_400;
        let mut report = PrefetchReport::default();
        loop {
            let missing = with_store(self.store(), |store| {
                store.messages_without_body(folder.id, since, 500)
            })?;
            // Too big to keep within the budget: skip (opened on demand instead).
            let budget = self.options().body_budget;
            let wanted: Vec<_> = missing
                .into_iter()
                .filter(|message| u64::from(message.size) <= budget / 10)
                .collect();
            if wanted.is_empty() {
                break;
            }
            let mut batch = Vec::new();
            let mut bytes = 0u64;
            for message in &wanted {
                if !batch.is_empty()
                    && (bytes + u64::from(message.size) > PREFETCH_BATCH_BYTES
                        || batch.len() >= PREFETCH_BATCH_MESSAGES)
                {
                    break;
                }
                bytes += u64::from(message.size);
                batch.push(*message);
            }
            let name = folder.name.clone();
            let fetched = self
                .with_retry(2, |_, connection, _| {
                    let name = name.clone();
                    let batch = batch.clone();
                    Box::pin(async move { fetch_bodies(connection, &name, &batch).await })
                })
                .await?;
            if fetched.is_empty() {
                // Gone from the server: the next sync removes them; do not loop on them.
                break;
            }
            for (uid, raw) in &fetched {
                report.bytes += raw.len() as u64;
                // A body that cannot be kept (a full disk) ends the prefetch: fetching it
                // again and again would only spin.
                self.keep_body(&folder, u64::from(*uid), raw, &RemoteParts::default())?;
            }
            report.fetched += fetched.len();
            if with_store(self.store(), |store| store.bodies_size())? >= budget {
                break;
            }
        }
        report.evicted = with_store(self.store(), |store| {
            store.evict_bodies(self.options().body_budget)
        })?;
        Ok(report)
    }

    /// Brings the search index up to date with the cache.
    pub fn index_for_search(&self) -> Result<usize> {
        with_store(self.store(), |store| store.index_all_for_search())
    }

    /// Searches the cached messages of the account (offline): every word, the last as a
    /// prefix; best first, newest first among equals.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.index_for_search()?;
        let account = self.account().id;
        with_store(self.store(), |store| store.search(account, query, limit))
    }
}

/// A conversation: messages from any folder of the account, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub messages: Vec<mail_store::ThreadRow>,
}

impl Conversation {
    pub fn latest_date(&self) -> i64 {
        self.messages
            .iter()
            .map(|row| row.message.date)
            .max()
            .unwrap_or(0)
    }

    pub fn unread(&self) -> usize {
        self.messages
            .iter()
            .filter(|row| !row.message.flags.is_seen())
            .count()
    }
}

impl Engine {
    /// The conversations that have at least one message in `folder`, newest activity
    /// first, each with its messages from every folder of the account. Computed from the
    /// cache (offline), so it follows every sync and action.
    pub fn threads(&self, folder: &str) -> Result<Vec<Conversation>> {
        let folder = self.cached_message_folder(folder)?;
        let account = self.account().id;
        let rows = with_store(self.store(), |store| store.thread_rows(account))?;
        Ok(conversations(rows, &folder.name))
    }
}

/// Threads `rows` and keeps the conversations touching `folder`.
pub fn conversations(rows: Vec<mail_store::ThreadRow>, folder: &str) -> Vec<Conversation> {
    let inputs: Vec<mail_message::ThreadInput> = rows
        .iter()
        .map(|row| {
            let mut parents = row.references.clone();
            if !row.in_reply_to.is_empty() && !parents.contains(&row.in_reply_to) {
                parents.push(row.in_reply_to.clone());
            }
            mail_message::ThreadInput {
                message_id: row.message.message_id.clone(),
                parents,
                subject: row.message.subject.clone(),
                date: row.message.date,
            }
        })
        .collect();
    mail_message::thread(&inputs)
        .into_iter()
        .filter(|group| group.iter().any(|&index| rows[index].folder == folder))
        .map(|group| Conversation {
            messages: group.into_iter().map(|index| rows[index].clone()).collect(),
        })
        .collect()
}
