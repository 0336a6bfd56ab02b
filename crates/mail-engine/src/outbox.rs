//! Sending mail, offline first: a message is written to the outbox (with its Message-ID
//! and Date) before any attempt; one drainer at a time (a lock file next to the cache, so
//! the app and `tern` never both send) submits due messages over SMTP, retries temporary
//! failures with backoff, keeps permanent ones with the server's words, and never sends a
//! message twice (see ARCHITECTURE.md: "Sending"). Sent messages are then appended to the
//! Sent folder (LITERAL+, APPENDUID recorded) unless the server files them itself.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mail_message::{Address, Draft};
use mail_store::{NewOutgoing, OutboxEntry, OutboxId, Recovered, SmtpServer};
use mail_sync::FolderRole;

use crate::engine::Engine;
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::EngineEvent;
use crate::profile_lock::ProfileLock;
use crate::smtp::{self, Submission, SubmitError};
use crate::sync::with_store;

/// First retry after a temporary failure (a server restarting, a hiccup of its password
/// check): soon; then doubling per attempt up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(5);
const MAX_RETRY: Duration = Duration::from_secs(60 * 60);
/// How long one SMTP step may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// A message written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: OutboxId,
    /// Without angle brackets.
    pub message_id: String,
}

/// The background drainer started by [`Engine::spawn_outbox`].
pub struct OutboxWorker {
    task: tokio::task::JoinHandle<()>,
    closing: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
}

impl OutboxWorker {
    /// Stops after the send in progress, if any (up to [`STOP_GRACE`]): a message cut off
    /// after its final dot would have to be marked uncertain.
    pub async fn stop(self) {
        self.closing.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            tracing::warn!("the outbox did not stop in time; cutting it off");
            task.abort();
        }
    }
}

/// How long stopping waits for a send in progress.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// What happened to one message in a drain.
#[derive(Debug, Clone, PartialEq)]
pub enum SendOutcome {
    /// Accepted; `answer` is the server's reply, `ms` the time from connecting to it.
    Sent { answer: String, ms: f64 },
    /// Temporary failure: waits in the outbox until `retry_at` (Unix seconds).
    Deferred { error: String, retry_at: i64 },
    /// Permanent failure: kept for editing, not retried.
    Failed { error: String },
    /// May have been delivered: kept, not retried by itself.
    Uncertain { error: String },
}

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrainReport {
    /// Another process (the app, or another `tern`) is draining this outbox right now.
    pub busy: bool,
    pub recovered: Recovered,
    pub outcomes: Vec<(OutboxId, String, SendOutcome)>,
    /// Copies appended to (or found in) the Sent folder.
    pub sent_copies: usize,
    /// Why Sent copies could not be saved now (they are tried again next time).
    pub sent_copy_error: Option<String>,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether `prefix` starts the address or a word of the name (case-insensitive).
fn matches_prefix(name: &str, address: &str, prefix: &str) -> bool {
    let prefix = prefix.trim().to_lowercase();
    address.to_lowercase().starts_with(&prefix)
        || name
            .to_lowercase()
            .split_whitespace()
            .any(|word| word.trim_matches('"').starts_with(&prefix))
}

/// Senders plus the matching recipients of sent mail, counted, most frequent first.
fn merge_suggestions(
    senders: Vec<mail_store::KnownAddress>,
    sent_lists: &[String],
    prefix: &str,
    limit: usize,
) -> Vec<mail_store::KnownAddress> {
    let mut all = senders;
    for list in sent_lists {
        let parsed = mail_message::parse_address_list(list).unwrap_or_else(|_| {
            list.split(',')
                .filter_map(|one| mail_message::parse_address_list(one).ok())
                .flatten()
                .collect()
        });
        for address in parsed {
            if !matches_prefix(&address.name, &address.address, prefix) {
                continue;
            }
            match all
                .iter_mut()
                .find(|known| known.address.eq_ignore_ascii_case(&address.address))
            {
                Some(known) => {
                    known.messages += 1;
                    if known.name.is_empty() {
                        known.name = address.name;
                    }
                }
                None => all.push(mail_store::KnownAddress {
                    name: address.name,
                    address: address.address,
                    messages: 1,
                }),
            }
        }
    }
    all.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.address.cmp(&b.address))
    });
    all.truncate(limit);
    all
}

/// Backoff before retry number `attempts` + 1.
pub fn retry_delay(attempts: u32) -> Duration {
    let doubling = attempts.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doubling).min(MAX_RETRY)
}

impl Engine {
    /// Who the account's mail is from: its display name and address.
    pub fn identity(&self) -> Result<Address> {
        let account = self.account();
        let name = with_store(self.store(), |store| store.display_name(account.id))?;
        Ok(Address {
            name: name.unwrap_or_default(),
            address: account.email.clone(),
        })
    }

    /// The account's SMTP server, or a clear error when none is set.
    pub fn smtp_server(&self) -> Result<SmtpServer> {
        let account = self.account();
        with_store(self.store(), |store| store.smtp_server(account.id))?.ok_or_else(|| {
            EngineError::new(
                ErrorKind::Other,
                format!(
                    "No SMTP server is set for {}: add it with `tern account smtp --host HOST` (or add the account again with --smtp-host)",
                    account.email
                ),
            )
        })
    }

    /// Builds `draft` (From = the account) and writes it to the outbox, durably, due now.
    /// Sending happens in [`Engine::drain_outbox`] (at once when a drainer is running).
    pub fn queue_message(&self, draft: &Draft) -> Result<QueuedMessage> {
        let server = self.smtp_server()?;
        let mut draft = draft.clone();
        draft.from = Some(self.identity()?);
        let from = draft
            .from
            .as_ref()
            .map(|from| from.address.clone())
            .unwrap_or_default();
        let message_id = mail_message::new_message_id(&from);
        let composed = mail_message::compose(&draft, &message_id, SystemTime::now())
            .map_err(|error| EngineError::new(ErrorKind::Other, error.to_string()))?;
        let outgoing = NewOutgoing {
            message_id: composed.message_id.clone(),
            envelope_from: composed.envelope_from,
            recipients: composed.recipients,
            subject: draft.subject.clone(),
            sent_copy: (composed.sent_copy != composed.wire).then_some(composed.sent_copy),
            raw: composed.wire,
            server_saves_sent: server.saves_sent,
        };
        let account = self.account().id;
        let id = with_store(self.store(), |store| {
            store.enqueue_outgoing(account, &outgoing, now_unix())
        })?;
        tracing::info!(message_id = %composed.message_id, "message written to the outbox");
        self.outbox_changed();
        self.outbox_wake.notify_one();
        Ok(QueuedMessage {
            id,
            message_id: composed.message_id,
        })
    }

    /// A reply (or reply-all) to a cached or fetchable message, to edit and queue.
    pub async fn reply_draft(&self, folder: &str, uid: u64, all: bool) -> Result<Draft> {
        let folder = self.cached_message_folder(folder)?;
        let message = self.raw_message(&folder, uid).await?;
        let view = mail_message::parse_message(&message.raw);
        Ok(mail_message::reply_draft(&view, &self.identity()?, all))
    }

    /// A forward of a message (its text inline, its attachments attached), to address.
    pub async fn forward_draft(&self, folder: &str, uid: u64) -> Result<Draft> {
        let folder = self.cached_message_folder(folder)?;
        let message = self.raw_message(&folder, uid).await?;
        let view = mail_message::parse_message(&message.raw);
        // Attachments a text-first fetch left on the server are fetched now: a forward
        // carries them whole.
        let mut attachments = Vec::with_capacity(view.attachments.len());
        for attachment in &view.attachments {
            attachments.push(Some(
                self.attachment_data(&folder, uid, &message, attachment.index)
                    .await?,
            ));
        }
        Ok(mail_message::forward_draft_with(
            &view,
            attachments,
            &self.identity()?,
        ))
    }

    /// Addresses from the cache for completing To/Cc/Bcc: people who wrote (senders) and
    /// people written to (recipients of sent mail), matching `prefix` at the start of the
    /// address or of a word of the name, most frequent first.
    pub fn address_suggestions(
        &self,
        prefix: &str,
        limit: usize,
    ) -> Result<Vec<mail_store::KnownAddress>> {
        let account = self.account().id;
        let (senders, sent_lists) = with_store(self.store(), |store| {
            Ok((
                store.address_suggestions(account, prefix, limit)?,
                store.sent_recipient_lists(account, prefix, 500)?,
            ))
        })?;
        Ok(merge_suggestions(senders, &sent_lists, prefix, limit))
    }

    /// The account's outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let account = self.account().id;
        with_store(self.store(), |store| store.outbox(account))
    }

    /// Puts a failed or uncertain message back in the queue, due now (the user's decision).
    pub fn retry_outgoing(&self, id: OutboxId) -> Result<()> {
        with_store(self.store(), |store| store.outgoing_retry(id, now_unix()))?;
        self.outbox_changed();
        self.outbox_wake.notify_one();
        Ok(())
    }

    /// Removes a message that is not being sent.
    pub fn discard_outgoing(&self, id: OutboxId) -> Result<()> {
        with_store(self.store(), |store| store.outgoing_discard(id))?;
        self.outbox_changed();
        Ok(())
    }

    fn outbox_changed(&self) {
        let account = self.account().id;
        if let Ok(entries) = with_store(self.store(), |store| store.outbox(account)) {
            let waiting = entries
                .iter()
                .filter(|entry| {
                    matches!(
                        entry.state,
                        mail_store::OutboxState::Queued
                            | mail_store::OutboxState::Sending
                            | mail_store::OutboxState::Committing
                    )
                })
                .count();
            let attention = entries
                .iter()
                .filter(|entry| {
                    matches!(
                        entry.state,
                        mail_store::OutboxState::Failed | mail_store::OutboxState::Uncertain
                    )
                })
                .count();
            self.send_event(EngineEvent::OutboxChanged {
                account: self.account().email.clone(),
                waiting,
                attention,
            });
        }
    }

    fn lock_path(&self) -> Result<PathBuf> {
        let database = with_store(self.store(), |store| Ok(store.path().to_path_buf()))?;
        Ok(crate::profile_lock::lock_path(&database, "outbox-lock"))
    }

    /// Sends what is due (everything queued when `force`), then saves Sent copies. Returns
    /// at once with `busy` when another process holds the outbox.
    pub async fn drain_outbox(&self, force: bool) -> Result<DrainReport> {
        let Some(_lock) = ProfileLock::try_take(&self.lock_path()?)? else {
            return Ok(DrainReport {
                busy: true,
                ..DrainReport::default()
            });
        };
        let account = self.account().id;
        let mut report = DrainReport {
            recovered: with_store(self.store(), |store| store.recover_outbox(account))?,
            ..DrainReport::default()
        };
        if report.recovered != Recovered::default() {
            tracing::warn!(
                requeued = report.recovered.requeued,
                uncertain = report.recovered.uncertain,
                "recovered the outbox after an interrupted send"
            );
            self.outbox_changed();
        }
        let pending_copies = with_store(self.store(), |store| store.sent_copies_due(account))?;
        let mut server = None;
        loop {
            let due_by = if force { i64::MAX } else { now_unix() };
            let Some(claimed) =
                with_store(self.store(), |store| store.claim_outgoing(account, due_by))?
            else {
                break;
            };
            if server.is_none() {
                server = Some(self.smtp_server()?);
            }
            let Some(server) = server.as_ref() else { break };
            let outcome = self.submit_claimed(server, &claimed).await?;
            self.outbox_changed();
            let stop = matches!(outcome, SendOutcome::Deferred { .. });
            report
                .outcomes
                .push((claimed.id, claimed.message_id.clone(), outcome));
            // A temporary failure (server unreachable) would hit the next message too.
            if stop {
                break;
            }
        }
        let sent_any = report
            .outcomes
            .iter()
            .any(|(_, _, outcome)| matches!(outcome, SendOutcome::Sent { .. }));
        if sent_any || !pending_copies.is_empty() {
            match self.save_sent_copies().await {
                Ok(saved) => report.sent_copies = saved,
                Err(error) => {
                    tracing::info!(%error, "Sent copies not saved now");
                    report.sent_copy_error = Some(error.to_string());
                }
            }
        }
        Ok(report)
    }

    async fn submit_claimed(
        &self,
        server: &SmtpServer,
        claimed: &mail_store::Claimed,
    ) -> Result<SendOutcome> {
        let account = self.account();
        let username = server
            .username
            .clone()
            .unwrap_or_else(|| account.username.clone());
        let ca_file = account.ca_file.as_ref().map(PathBuf::from);
        let submission = Submission {
            server,
            username: &username,
            password: self.password(),
            ca_file: ca_file.as_deref(),
            timeout: SMTP_TIMEOUT,
        };
        let envelope = smtp::Envelope {
            from: &claimed.envelope_from,
            recipients: &claimed.recipients,
            raw: &claimed.raw,
        };
        let store = self.store().clone();
        let id = claimed.id;
        let started = Instant::now();
        let result = smtp::submit(&submission, &envelope, move || {
            let mut guard = store
                .lock()
                .map_err(|_| anyhow::anyhow!("the cache lock was poisoned"))?;
            guard.outgoing_committing(id)
        })
        .await;
        let outcome = match result {
            Ok(answer) => {
                with_store(self.store(), |store| store.outgoing_sent(id, now_unix()))?;
                tracing::info!(message_id = %claimed.message_id, %answer, "message sent");
                SendOutcome::Sent {
                    answer,
                    ms: started.elapsed().as_secs_f64() * 1e3,
                }
            }
            Err(SubmitError::Temporary(error)) => {
                let retry_at = now_unix()
                    + i64::try_from(retry_delay(claimed.attempts).as_secs()).unwrap_or(3600);
                with_store(self.store(), |store| {
                    store.outgoing_deferred(id, &error, retry_at)
                })?;
                tracing::info!(message_id = %claimed.message_id, %error, retry_at, "message not sent now; it stays in the outbox");
                SendOutcome::Deferred { error, retry_at }
            }
            Err(SubmitError::Permanent(error)) => {
                with_store(self.store(), |store| store.outgoing_failed(id, &error))?;
                tracing::warn!(message_id = %claimed.message_id, %error, "message refused");
                SendOutcome::Failed { error }
            }
            Err(SubmitError::Uncertain(error)) => {
                with_store(self.store(), |store| store.outgoing_uncertain(id, &error))?;
                tracing::warn!(message_id = %claimed.message_id, %error, "message may have been sent");
                SendOutcome::Uncertain { error }
            }
        };
        Ok(outcome)
    }

    /// Appends sent messages to the Sent folder: first looks for the Message-ID there (a
    /// copy appended before a crash is not appended again), then APPENDs with LITERAL+ and
    /// records the APPENDUID. Returns how many copies are now in Sent.
    pub async fn save_sent_copies(&self) -> Result<usize> {
        let account = self.account().id;
        let due = with_store(self.store(), |store| store.sent_copies_due(account))?;
        if due.is_empty() {
            return Ok(0);
        }
        let sent = self
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
            let name = sent.name.clone();
            let bytes = copy.bytes.clone();
            let message_id = copy.message_id.clone();
            let uid = self
                .with_retry(2, move |_, connection, _| {
                    let name = name.clone();
                    let bytes = bytes.clone();
                    let message_id = message_id.clone();
                    Box::pin(async move {
                        // A copy appended before a crash is found, not appended again.
                        if let Some(copy) = connection.find_message_id(&name, &message_id).await? {
                            return Ok(Some(copy));
                        }
                        connection.append(&name, "(\\Seen)", &bytes).await
                    })
                })
                .await
                .map_err(|error| error.context("Saving a copy in Sent"))?;
            with_store(self.store(), |store| store.sent_copy_done(copy.id, uid))?;
            saved += 1;
        }
        Ok(saved)
    }

    /// The cached selectable folder with `role` (\\Sent, \\Drafts, \\Archive, …).
    pub(crate) fn cached_folder_with_role(
        &self,
        role: FolderRole,
    ) -> Result<Option<mail_store::Folder>> {
        let account = self.account().id;
        Ok(with_store(self.store(), |store| store.folders(account))?
            .into_iter()
            .find(|folder| folder.role == Some(role) && folder.selectable))
    }

    /// Like [`Self::cached_folder_with_role`], but a profile that never listed its folders
    /// (a first `tern send`) lists them now. None when the server marks no such folder.
    pub(crate) async fn listed_folder_with_role(
        &self,
        role: FolderRole,
    ) -> Result<Option<mail_store::Folder>> {
        if let Some(folder) = self.cached_folder_with_role(role)? {
            return Ok(Some(folder));
        }
        self.refresh_folders().await?;
        self.cached_folder_with_role(role)
    }

    /// Drains the outbox in the background: at once, whenever a message is queued or
    /// retried (or a draft saved), when the next deferred message is due, and every minute
    /// (the network may be back). Drains of another process are waited out. Draft copies in
    /// the Drafts folder are brought up to date on the same turns.
    pub fn spawn_outbox(self: &Arc<Self>) -> OutboxWorker {
        let engine = Arc::clone(self);
        let closing = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&closing);
        let task = tokio::spawn(async move {
            while !closing.load(Ordering::SeqCst) {
                let drained = engine.drain_outbox(false).await;
                if closing.load(Ordering::SeqCst) {
                    break;
                }
                if let Err(error) = engine.sync_drafts().await {
                    tracing::info!(%error, "drafts not copied to the server now");
                }
                let wait = match drained {
                    Ok(report) if report.busy => Duration::from_secs(5),
                    Ok(_) => {
                        let account = engine.account().id;
                        let next =
                            with_store(engine.store(), |store| store.outbox_next_due(account))
                                .ok()
                                .flatten();
                        match next {
                            Some(due) => Duration::from_secs(
                                u64::try_from((due - now_unix()).max(1))
                                    .unwrap_or(60)
                                    .min(60),
                            ),
                            None => Duration::from_secs(60),
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the outbox could not be drained");
                        Duration::from_secs(60)
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = engine.outbox_wake.notified() => {}
                }
            }
        });
        OutboxWorker {
            task,
            closing: stop,
            wake: Arc::clone(&self.outbox_wake),
        }
    }

    /// Wakes the background drainer (for example when the network is back).
    pub fn wake_outbox(&self) {
        self.outbox_wake.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_add_the_people_written_to() {
        let senders = vec![mail_store::KnownAddress {
            name: "Bob Builder".into(),
            address: "bob@x".into(),
            messages: 1,
        }];
        let sent = vec![
            "Bobby Tables <tables@x>, carol@x, ".to_string(),
            "bob@x, \"Roberts, Bo\" <bo@x>".to_string(),
            "Bobby Tables <tables@x>".to_string(),
        ];
        let merged = merge_suggestions(senders, &sent, "bo", 10);
        let found: Vec<(&str, u64)> = merged
            .iter()
            .map(|known| (known.address.as_str(), known.messages))
            .collect();
        assert_eq!(found, vec![("bob@x", 2), ("tables@x", 2), ("bo@x", 1)]);
        assert_eq!(merged[0].name, "Bob Builder", "the sender's name is kept");
        assert_eq!(
            merge_suggestions(vec![], &sent, "bo", 1).len(),
            1,
            "limited"
        );
    }

    #[test]
    fn retries_back_off_and_stop_growing_at_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(5));
        assert_eq!(retry_delay(2), Duration::from_secs(10));
        assert_eq!(retry_delay(5), Duration::from_secs(80));
        assert_eq!(retry_delay(40), MAX_RETRY);
    }

    #[tokio::test]
    async fn a_stopped_worker_ends_without_waiting_for_its_next_turn() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = mail_store::Store::open_in_dir(dir.path()).unwrap();
        let id = store
            .upsert_account(
                &mail_store::NewAccount {
                    email: "alice@tern.test".into(),
                    imap_host: "127.0.0.1".into(),
                    imap_port: 1,
                    security: mail_store::Security::Plain,
                    username: "alice".into(),
                    ca_file: None,
                    password_source: mail_store::PasswordSource::Env("UNUSED".into()),
                    allow_plaintext: false,
                },
                0,
            )
            .unwrap();
        let account = store
            .accounts()
            .unwrap()
            .into_iter()
            .find(|a| a.id == id)
            .unwrap();
        let engine = Arc::new(Engine::new(
            Arc::new(std::sync::Mutex::new(store)),
            account,
            crate::Password::new("x"),
            crate::EngineOptions::default(),
        ));
        let worker = engine.spawn_outbox();
        let started = Instant::now();
        worker.stop().await;
        // Its next turn would be a minute away: it stopped when told.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
}
