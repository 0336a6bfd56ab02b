//! Draining the outbox: one drainer at a time (a lock file next to the cache, so the app
//! and `tern` never both send) submits due messages over SMTP, retries temporary failures
//! with backoff, keeps permanent ones with the server's words, and never sends a message
//! twice (see ARCHITECTURE.md: "Sending").

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mail_store::{OutboxId, Recovered, SmtpServer};

use super::service::Outbox;
use crate::error::Result;
use crate::identity::smtp_server;
use crate::profile_lock::ProfileLock;
use crate::smtp::{self, Submission, SubmitError};
use crate::store_access::{unix_now, with_store};

/// First retry after a temporary failure (a server restarting, a hiccup of its password
/// check): soon; then doubling per attempt up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(5);
const MAX_RETRY: Duration = Duration::from_secs(60 * 60);
/// How long one SMTP step may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

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

/// Backoff before retry number `attempts` + 1.
pub fn retry_delay(attempts: u32) -> Duration {
    let doubling = attempts.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doubling).min(MAX_RETRY)
}

impl Outbox {
    fn lock_path(&self) -> Result<PathBuf> {
        let database = with_store(self.core.store(), |store| Ok(store.path().to_path_buf()))?;
        Ok(crate::profile_lock::lock_path(&database, "outbox-lock"))
    }

    /// Sends what is due (everything queued when `force`), then saves Sent copies. Returns
    /// at once with `busy` when another process holds the outbox.
    pub(crate) async fn drain_outbox(&self, force: bool) -> Result<DrainReport> {
        let Some(_lock) = ProfileLock::try_take(&self.lock_path()?)? else {
            return Ok(DrainReport {
                busy: true,
                ..DrainReport::default()
            });
        };
        let account = self.core.account().id;
        let mut report = DrainReport {
            recovered: with_store(self.core.store(), |store| store.recover_outbox(account))?,
            ..DrainReport::default()
        };
        if report.recovered != Recovered::default() {
            tracing::warn!(
                requeued = report.recovered.requeued,
                uncertain = report.recovered.uncertain,
                "recovered the outbox after an interrupted send"
            );
            self.changed();
        }
        let pending_copies = with_store(self.core.store(), |store| store.sent_copies_due(account))?;
        let mut server = None;
        loop {
            let due_by = if force { i64::MAX } else { unix_now() };
            let Some(claimed) = with_store(self.core.store(), |store| {
                store.claim_outgoing(account, due_by)
            })?
            else {
                break;
            };
            if server.is_none() {
                server = Some(smtp_server(&self.core)?);
            }
            let Some(server) = server.as_ref() else { break };
            let outcome = self.submit_claimed(server, &claimed).await?;
            self.changed();
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
        let account = self.core.account();
        let username = server
            .username
            .clone()
            .unwrap_or_else(|| account.username.clone());
        let ca_file = account.ca_file.as_ref().map(PathBuf::from);
        let envelope = smtp::Envelope {
            from: &claimed.envelope_from,
            recipients: &claimed.recipients,
            raw: &claimed.raw,
        };
        let started = Instant::now();
        let mut refreshed = false;
        let result = loop {
            let secret = match self.core.secret(refreshed).await {
                Ok(secret) => secret,
                // No token now: nothing was sent; the message waits (for a sign-in, or the
                // provider to answer again).
                Err(error) => break Err(SubmitError::Temporary(error.to_string())),
            };
            let submission = Submission {
                server,
                username: &username,
                secret: &secret,
                ca_file: ca_file.as_deref(),
                timeout: SMTP_TIMEOUT,
            };
            let store = self.core.store().clone();
            let id = claimed.id;
            let result = smtp::submit(&submission, &envelope, move || {
                let mut guard = store
                    .lock()
                    .map_err(|_| anyhow::anyhow!("the cache lock was poisoned"))?;
                guard.outgoing_committing(id)
            })
            .await;
            match result {
                // A refused access token may have expired: one fresh one is worth a try.
                Err(SubmitError::SignInRefused(_)) if self.core.uses_oauth2() && !refreshed => {
                    refreshed = true;
                }
                Err(SubmitError::SignInRefused(error)) if self.core.uses_oauth2() => {
                    break Err(SubmitError::Temporary(format!(
                        "{error} (even with a fresh access token: sign in again)"
                    )))
                }
                Err(SubmitError::SignInRefused(error)) => break Err(SubmitError::Permanent(error)),
                other => break other,
            }
        };
        let id = claimed.id;
        let outcome = match result {
            Ok(answer) => {
                with_store(self.core.store(), |store| {
                    store.outgoing_sent(id, unix_now())
                })?;
                tracing::info!(message_id = %claimed.message_id, %answer, "message sent");
                SendOutcome::Sent {
                    answer,
                    ms: started.elapsed().as_secs_f64() * 1e3,
                }
            }
            Err(SubmitError::Temporary(error)) => {
                let retry_at = unix_now()
                    + i64::try_from(retry_delay(claimed.attempts).as_secs()).unwrap_or(3600);
                with_store(self.core.store(), |store| {
                    store.outgoing_deferred(id, &error, retry_at)
                })?;
                tracing::info!(message_id = %claimed.message_id, %error, retry_at, "message not sent now; it stays in the outbox");
                SendOutcome::Deferred { error, retry_at }
            }
            Err(SubmitError::Permanent(error)) | Err(SubmitError::SignInRefused(error)) => {
                with_store(self.core.store(), |store| store.outgoing_failed(id, &error))?;
                tracing::warn!(message_id = %claimed.message_id, %error, "message refused");
                SendOutcome::Failed { error }
            }
            Err(SubmitError::Uncertain(error)) => {
                with_store(self.core.store(), |store| {
                    store.outgoing_uncertain(id, &error)
                })?;
                tracing::warn!(message_id = %claimed.message_id, %error, "message may have been sent");
                SendOutcome::Uncertain { error }
            }
        };
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop_growing_at_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(5));
        assert_eq!(retry_delay(2), Duration::from_secs(10));
        assert_eq!(retry_delay(5), Duration::from_secs(80));
        assert_eq!(retry_delay(40), MAX_RETRY);
    }
}
