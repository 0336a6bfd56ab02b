//! `tern outbox`: what waits to be sent, what was refused or may have been sent, and what
//! went out; `--flush` sends now, `--retry` / `--discard` decide about a message.

use crate::output::{say, say_err};

use mail_engine::SendOutcome;
use mail_store::OutboxId;
use serde::Serialize;

use crate::context::Target;
use crate::output::{print_json, rfc3339};

#[derive(Serialize)]
struct OutboxJson {
    id: i64,
    /// Without angle brackets.
    message_id: String,
    subject: String,
    recipients: Vec<String>,
    /// `queued`, `sending`, `committing`, `sent`, `failed` or `uncertain`.
    state: &'static str,
    attempts: u32,
    last_error: Option<String>,
    created: String,
    /// When a queued message is tried next.
    next_attempt: Option<String>,
    sent: Option<String>,
    /// The copy in Sent: `pending`, `done`, or `none` (the server files it itself).
    sent_folder: &'static str,
    size: usize,
}

pub async fn run(
    target: &Target,
    flush: bool,
    retry: Option<i64>,
    discard: Option<i64>,
    json: bool,
) -> anyhow::Result<()> {
    let engine = target.engine().await?;
    if let Some(id) = retry {
        engine.retry_outgoing(OutboxId(id))?;
        say_err!("Message {id} is queued again.");
    }
    if let Some(id) = discard {
        engine.discard_outgoing(OutboxId(id))?;
        say_err!("Message {id} removed from the outbox.");
    }
    if flush || retry.is_some() {
        let report = engine.drain_outbox(true).await?;
        if report.busy {
            say_err!("Another Tern process is sending the outbox right now.");
        }
        for (id, message_id, outcome) in &report.outcomes {
            match outcome {
                SendOutcome::Sent { ms, .. } => {
                    say_err!("{}: sent {message_id} ({ms:.0} ms)", id.0)
                }
                SendOutcome::Deferred { error, .. } => say_err!("{}: not sent yet: {error}", id.0),
                SendOutcome::Failed { error } => say_err!("{}: refused: {error}", id.0),
                SendOutcome::Uncertain { error } => {
                    say_err!("{}: may have been sent: {error}", id.0)
                }
            }
        }
        if let Some(error) = &report.sent_copy_error {
            say_err!("Copies for Sent wait: {error}");
        }
    }
    let entries: Vec<OutboxJson> = engine
        .outbox()?
        .into_iter()
        .map(|entry| OutboxJson {
            id: entry.id.0,
            message_id: entry.message_id,
            subject: entry.subject,
            recipients: entry.recipients,
            state: entry.state.as_str(),
            attempts: entry.attempts,
            last_error: entry.last_error,
            created: rfc3339(entry.created_at),
            next_attempt: (entry.state == mail_store::OutboxState::Queued)
                .then(|| rfc3339(entry.next_attempt_at)),
            sent: entry.sent_at.map(rfc3339),
            sent_folder: entry.sent_folder.as_str(),
            size: entry.size,
        })
        .collect();
    engine.shutdown().await;
    if json {
        return print_json(&entries);
    }
    if entries.is_empty() {
        say!("The outbox is empty.");
        return Ok(());
    }
    for entry in entries {
        let detail = match (entry.state, &entry.last_error) {
            ("sent", _) => format!("sent {}", entry.sent.unwrap_or_default()),
            ("queued", Some(error)) => format!(
                "waiting (next try {}): {error}",
                entry.next_attempt.unwrap_or_default()
            ),
            (state, Some(error)) => format!("{state}: {error}"),
            (state, None) => state.to_string(),
        };
        say!(
            "{:>4}  {}  to {}  — {}",
            entry.id,
            entry.subject,
            entry.recipients.join(", "),
            detail
        );
    }
    Ok(())
}
