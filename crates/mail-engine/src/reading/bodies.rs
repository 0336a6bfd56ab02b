//! Message bodies for reading: from the cache, or fetched with BODY.PEEK[] (never setting
//! \Seen; large messages text first) and kept within the body budget; attachments from the
//! cached bytes or, when a text-first fetch left them on the server, fetched alone.

use std::collections::HashMap;

use imap_proto::{AttributeValue, Response};
use mail_message::{attachment_bytes, decode_part, parse_message, RemoteParts};
use mail_store::{Folder, MissingBody};
use mail_sync::{compress_uids, Uid};

use super::render::search_text;
use super::service::Reading;
use crate::connection::{ImapConnection, SelectMode};
use crate::error::{EngineError, ErrorKind, Result};
use crate::response_limits::body_limit;
use crate::store_access::{unix_now, with_store};

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
pub(super) async fn ensure_selected(connection: &mut ImapConnection, folder: &str) -> Result<()> {
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
pub(super) async fn fetch_bodies(
    connection: &mut ImapConnection,
    folder: &str,
    wanted: &[MissingBody],
) -> Result<Vec<(u32, Vec<u8>)>> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
    let batches = [wanted];
    let fetching = async move {
        let stream = Stream {
            depth: 1,
            yield_now: &|| false,
            still_missing: &|batch: &[MissingBody]| batch.to_vec(),
            deliver: &sender,
        };
        let fetched = stream_body_batches(connection, folder, &batches, stream).await;
        // Nothing more comes: an answer without bodies ends the wait too.
        drop(sender);
        fetched
    };
    // One batch: its bodies are delivered once, after its answer.
    let (fetched, delivered) = tokio::join!(fetching, receiver.recv());
    fetched?;
    Ok(delivered.unwrap_or_default())
}

/// Where a download's bodies go: each answered batch's bodies, to be kept.
pub(super) type Delivery = tokio::sync::mpsc::Sender<Vec<(u32, Vec<u8>)>>;

/// The UID FETCH of one batch of whole messages.
fn body_command(batch: &[MissingBody]) -> String {
    let uids: Vec<Uid> = batch.iter().map(|message| message.uid).collect();
    format!("UID FETCH {} (UID BODY.PEEK[])", compress_uids(&uids))
}

/// How a download streams: batches in flight, when to yield the connection, which of a
/// batch's messages still need their body when it is written, where bodies go.
#[derive(Clone, Copy)]
pub(super) struct Stream<'a> {
    pub depth: usize,
    pub yield_now: &'a (dyn Fn() -> bool + Sync),
    pub still_missing: &'a (dyn Fn(&[MissingBody]) -> Vec<MissingBody> + Sync),
    pub deliver: &'a Delivery,
}

/// [`fetch_bodies`] for a download: `batches` (one UID FETCH each) go out as a sliding
/// window of `depth` commands in flight — as each is answered, the bodies received so far go
/// to `deliver` and the next batch is written — until every batch is written or `yield_now`
/// says another request waits for the connection (what is in flight is then read to the end,
/// so the connection is handed over between commands). Returns how many batches were written,
/// each answered and delivered. Bodies are bounded by their announced sizes as in
/// [`fetch_bodies`]; answers for UIDs not asked for, and second answers, are dropped unread.
pub(super) async fn stream_body_batches(
    connection: &mut ImapConnection,
    folder: &str,
    batches: &[&[MissingBody]],
    stream: Stream<'_>,
) -> Result<usize> {
    let Stream {
        depth,
        yield_now,
        still_missing,
        deliver,
    } = stream;
    if batches.is_empty() {
        return Ok(0);
    }
    ensure_selected(connection, folder).await?;
    let limits: HashMap<u32, u64> = batches
        .iter()
        .flat_map(|batch| batch.iter())
        .map(|message| (message.uid.0, body_limit(message.size)))
        .collect();
    let largest = limits.values().copied().max().unwrap_or(0);
    let _raised = connection.expect_responses_up_to(largest + (64 << 10));
    let first = batches.len().min(depth.max(1));
    let commands: Vec<String> = batches[..first].iter().map(|b| body_command(b)).collect();
    let mut pending = connection.start_pipeline(&commands).await?;
    let mut written = first;
    let mut collected: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut seen: std::collections::HashSet<u32> = std::collections::HashSet::new();
    let outcome: Result<()> = async {
        loop {
            let mut handler = |_: usize, response: &Response<'_>| -> Result<()> {
                if let Response::Fetch(_, attributes) = response {
                    if let (Some(uid), Some(data)) = body_data(attributes) {
                        let Some(limit) = limits.get(&uid) else {
                            return Ok(());
                        };
                        if !seen.insert(uid) {
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
                        collected.push((uid, data.to_vec()));
                    }
                }
                Ok(())
            };
            let Some((_, tagged)) = connection.next_tagged(&mut pending, &mut handler).await?
            else {
                return Ok(());
            };
            tagged.require_ok(&format!("Fetching messages of {folder}"))?;
            if !collected.is_empty() {
                deliver
                    .send(std::mem::take(&mut collected))
                    .await
                    .map_err(|_| EngineError::new(ErrorKind::Other, "Keeping bodies stopped"))?;
            }
            // The next batch with something still missing (an empty one is written off).
            while written < batches.len() && !yield_now() {
                let batch = still_missing(batches[written]);
                written += 1;
                if !batch.is_empty() {
                    connection
                        .pipeline_more(&mut pending, &body_command(&batch))
                        .await?;
                    break;
                }
            }
        }
    }
    .await;
    if let Err(error) = outcome {
        // Answers may still be on their way: the stream cannot serve the next command.
        if !pending.finished() {
            connection.abandon(&format!("A download stopped mid-answer: {error}"));
        }
        return Err(error);
    }
    Ok(written)
}

impl Reading {
    /// The raw message: from the cache, or fetched (and kept) when not cached.
    pub(crate) async fn raw_message(&self, folder: &Folder, uid: u64) -> Result<RawMessage> {
        if let Some((raw, remote)) =
            with_store(self.core.store(), |store| store.cached_body(folder.id, uid))?
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
        if !with_store(self.core.store(), |store| store.has_message(folder.id, uid))? {
            return Err(EngineError::new(
                ErrorKind::Other,
                format!("No message with UID {uid} in {}", folder.name),
            ));
        }
        let name = folder.name.clone();
        let size = with_store(self.core.store(), |store| {
            store.message_size(folder.id, uid)
        })?;
        if u64::from(size.unwrap_or(0)) > self.core.options().large_message_bytes {
            let partial = self
                .core
                .with_retry(2, |connection, _| {
                    let name = name.clone();
                    Box::pin(async move {
                        ensure_selected(connection, &name).await?;
                        super::partial::fetch_text_first(connection, uid as u32).await
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
            .core
            .with_retry(2, |connection, _| {
                let name = name.clone();
                let wanted = [MissingBody {
                    uid: Uid(uid as u32),
                    size: size.unwrap_or(0),
                    internal_date: 0,
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
    pub(super) fn keep_body(
        &self,
        folder: &Folder,
        uid: u64,
        raw: &[u8],
        remote: &RemoteParts,
    ) -> Result<()> {
        let view = parse_message(raw);
        let text = search_text(&view);
        let preview = mail_message::preview(view.text.as_deref().unwrap_or_default());
        let remote = remote_parts_to_json(remote);
        let body = mail_store::FetchedBody {
            uid,
            raw,
            remote_parts: &remote,
            body_text: &text,
            preview: &preview,
        };
        with_store(self.core.store(), |store| {
            store.save_fetched(folder.id, &body, unix_now())?;
            store.evict_bodies(self.core.options().body_budget)
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
                    .core
                    .with_retry(2, |connection, _| {
                        let (name, part) = (name.clone(), part.clone());
                        Box::pin(async move {
                            ensure_selected(connection, &name).await?;
                            super::partial::fetch_section(
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
}
