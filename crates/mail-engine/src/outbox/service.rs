//! The outbox service: messages written to the outbox (durably, with their Message-ID and
//! Date, before any attempt), listed, retried or discarded by the user; sending is in
//! `drain.rs`, Sent copies in `sent_copies.rs`, the background worker in `worker.rs`.

use std::sync::Arc;
use std::time::SystemTime;

use mail_message::Draft;
use mail_store::{NewOutgoing, OutboxEntry, OutboxId};
use tokio::sync::Notify;

use crate::core_handle::Core;
use crate::error::{EngineError, ErrorKind, Result};
use crate::events::EngineEvent;
use crate::identity::{identity, smtp_server};
use crate::store_access::{unix_now, with_store};

/// A message written to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: OutboxId,
    /// Without angle brackets.
    pub message_id: String,
}

pub(crate) struct Outbox {
    pub(super) core: Arc<Core>,
    /// Wakes the background drainer (`worker.rs`) after a message is queued.
    pub(super) wake: Arc<Notify>,
}

impl Outbox {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Outbox {
            core,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Builds `draft` (From = the account) and writes it to the outbox, durably, due now.
    /// Sending happens in [`Outbox::drain_outbox`] (at once when a drainer is running).
    pub(crate) fn queue_message(&self, draft: &Draft) -> Result<QueuedMessage> {
        let server = smtp_server(&self.core)?;
        let mut draft = draft.clone();
        draft.from = Some(identity(&self.core)?);
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
        let account = self.core.account().id;
        let id = with_store(self.core.store(), |store| {
            store.enqueue_outgoing(account, &outgoing, unix_now())
        })?;
        tracing::info!(message_id = %composed.message_id, "message written to the outbox");
        self.changed();
        self.wake.notify_one();
        Ok(QueuedMessage {
            id,
            message_id: composed.message_id,
        })
    }

    /// The account's outbox, oldest first.
    pub(crate) fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let account = self.core.account().id;
        with_store(self.core.store(), |store| store.outbox(account))
    }

    /// Puts a failed or uncertain message back in the queue, due now (the user's decision).
    pub(crate) fn retry_outgoing(&self, id: OutboxId) -> Result<()> {
        with_store(self.core.store(), |store| {
            store.outgoing_retry(id, unix_now())
        })?;
        self.changed();
        self.wake.notify_one();
        Ok(())
    }

    /// Removes a message that is not being sent.
    pub(crate) fn discard_outgoing(&self, id: OutboxId) -> Result<()> {
        with_store(self.core.store(), |store| store.outgoing_discard(id))?;
        self.changed();
        Ok(())
    }

    pub(super) fn changed(&self) {
        let account = self.core.account().id;
        if let Ok(entries) = with_store(self.core.store(), |store| store.outbox(account)) {
            let counts = mail_store::OutboxCounts::of(&entries);
            self.core.send(EngineEvent::OutboxChanged {
                account: self.core.account().email.clone(),
                waiting: counts.waiting,
                attention: counts.attention,
            });
        }
    }

    /// Wakes the background drainer (for example when the network is back).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }
}
