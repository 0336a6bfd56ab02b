//! The `outbox` and `smtp_servers` tables: messages written to be sent, moving through
//! queued -> sending -> committing -> sent (or failed / uncertain), and each account's SMTP
//! server. State changes that decide whether a message may be sent again are written with
//! `synchronous=FULL`, so not even a power cut forgets them.

use anyhow::Context;
use rusqlite::{params, OptionalExtension, Row};

use crate::outbox_state::{OutboxEvent, OutboxState, ALL_STATES};
use crate::{AccountId, Security, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutboxId(pub i64);

/// The copy in the Sent folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentFolderCopy {
    Pending,
    Done,
    /// The server files sent mail itself.
    None,
}

impl SentFolderCopy {
    fn parse(text: &str) -> Self {
        match text {
            "done" => SentFolderCopy::Done,
            "none" => SentFolderCopy::None,
            _ => SentFolderCopy::Pending,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SentFolderCopy::Pending => "pending",
            SentFolderCopy::Done => "done",
            SentFolderCopy::None => "none",
        }
    }
}

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutgoing {
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub raw: Vec<u8>,
    pub sent_copy: Option<Vec<u8>>,
    /// The server files sent mail itself: no copy to append.
    pub server_saves_sent: bool,
}

/// One outbox row, without the message bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: OutboxId,
    pub message_id: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub state: OutboxState,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub sent_folder: SentFolderCopy,
    pub size: usize,
}

/// How many messages of an outbox are on their way, and how many wait for the person to
/// decide (the window's indicator, the `outbox_changed` event).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub waiting: usize,
    pub attention: usize,
}

impl OutboxCounts {
    pub fn of(entries: &[OutboxEntry]) -> Self {
        let count = |wanted: fn(OutboxState) -> bool| {
            entries.iter().filter(|entry| wanted(entry.state)).count()
        };
        OutboxCounts {
            waiting: count(OutboxState::is_waiting),
            attention: count(OutboxState::needs_attention),
        }
    }
}

/// A claimed message, with what sending it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: OutboxId,
    pub message_id: String,
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    pub attempts: u32,
}

/// A sent message whose copy still has to go to the Sent folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentCopyDue {
    pub id: OutboxId,
    pub message_id: String,
    pub bytes: Vec<u8>,
    pub sent_at: i64,
}

/// What recovery found after a drainer died (see [`Store::recover_outbox`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Claimed but never committed: safe to send, back in the queue.
    pub requeued: usize,
    /// Died between "about to commit" and the server's answer: maybe delivered.
    pub uncertain: usize,
}

/// An account's SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// None: the account's IMAP user name.
    pub username: Option<String>,
    pub allow_plaintext: bool,
    pub saves_sent: bool,
}

const ENTRY_COLUMNS: &str = "id, message_id, recipients, subject, state, attempts, next_attempt_at, last_error, created_at, sent_at, sent_folder, length(raw)";

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let recipients: String = row.get(2)?;
    let state: String = row.get(4)?;
    let sent_folder: String = row.get(10)?;
    Ok(OutboxEntry {
        id: OutboxId(row.get(0)?),
        message_id: row.get(1)?,
        recipients: split_lines(&recipients),
        subject: row.get(3)?,
        state: OutboxState::parse(&state),
        attempts: u32::try_from(row.get::<_, i64>(5)?).unwrap_or(u32::MAX),
        next_attempt_at: row.get(6)?,
        last_error: row.get(7)?,
        created_at: row.get(8)?,
        sent_at: row.get(9)?,
        sent_folder: SentFolderCopy::parse(&sent_folder),
        size: usize::try_from(row.get::<_, i64>(11)?).unwrap_or(0),
    })
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

impl Store {
    /// Runs `change` with `synchronous=FULL` (durable at once, even across a power cut).
    fn durably<T>(
        &mut self,
        change: impl FnOnce(&rusqlite::Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .context("Setting synchronous=FULL")?;
        let result = change(&self.conn);
        let restored = self
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .context("Setting synchronous=NORMAL");
        let value = result?;
        restored?;
        Ok(value)
    }

    /// Writes a message to the outbox, due now. The Message-ID is unique per account: the
    /// same message queued twice is refused.
    pub fn enqueue_outgoing(
        &mut self,
        account: AccountId,
        message: &NewOutgoing,
        now: i64,
    ) -> anyhow::Result<OutboxId> {
        let recipients = message.recipients.join("\n");
        let sent_folder = if message.server_saves_sent {
            SentFolderCopy::None
        } else {
            SentFolderCopy::Pending
        };
        self.durably(|conn| {
            conn.execute(
                "INSERT INTO outbox (account_id, message_id, envelope_from, recipients, subject, raw, sent_copy, state, next_attempt_at, created_at, sent_folder)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?8, ?9)",
                params![
                    account.0,
                    message.message_id,
                    message.envelope_from,
                    recipients,
                    message.subject,
                    message.raw,
                    message.sent_copy,
                    now,
                    sent_folder.as_str()
                ],
            )
            .with_context(|| format!("Putting message {} in the outbox", message.message_id))?;
            Ok(OutboxId(conn.last_insert_rowid()))
        })
    }

    /// The account's outbox, oldest first (sent messages too, until pruned).
    pub fn outbox(&self, account: AccountId) -> anyhow::Result<Vec<OutboxEntry>> {
        let mut statement = self
            .conn
            .prepare(&format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE account_id = ?1 ORDER BY id"
            ))
            .context("Preparing the outbox query")?;
        let rows = statement
            .query_map([account.0], entry_from_row)
            .context("Reading the outbox")?;
        rows.collect::<Result<_, _>>()
            .context("Reading an outbox row")
    }

    pub fn outbox_entry(&self, id: OutboxId) -> anyhow::Result<Option<OutboxEntry>> {
        self.conn
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"),
                [id.0],
                entry_from_row,
            )
            .optional()
            .context("Reading an outbox row")
    }

    /// Messages waiting to be sent (queued, due or not).
    pub fn outbox_waiting(&self, account: AccountId) -> anyhow::Result<usize> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM outbox WHERE account_id = ?1 AND state IN ('queued', 'sending', 'committing')",
                [account.0],
                |row| row.get(0),
            )
            .context("Counting the outbox")?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// When the next queued message is due (None: nothing queued).
    pub fn outbox_next_due(&self, account: AccountId) -> anyhow::Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT min(next_attempt_at) FROM outbox WHERE account_id = ?1 AND state = 'queued'",
                [account.0],
                |row| row.get(0),
            )
            .context("Reading the outbox's next due time")
    }

    /// After a drainer died (the caller holds the outbox lock, so no other drainer runs):
    /// claimed-but-uncommitted messages go back to the queue (the server never got their
    /// final dot); committing ones become uncertain.
    pub fn recover_outbox(&mut self, account: AccountId) -> anyhow::Result<Recovered> {
        let requeued_to = OutboxState::Sending.on(OutboxEvent::Recover);
        let uncertain_to = OutboxState::Committing.on(OutboxEvent::Recover);
        self.durably(|conn| {
            let requeued = conn
                .execute(
                    "UPDATE outbox SET state = ?2 WHERE account_id = ?1 AND state = 'sending'",
                    params![account.0, requeued_to.map(OutboxState::as_str)],
                )
                .context("Requeueing claimed messages")?;
            let uncertain = conn
                .execute(
                    "UPDATE outbox SET state = ?2,
                       last_error = 'Tern stopped while the server was accepting this message: it may have been sent'
                     WHERE account_id = ?1 AND state = 'committing'",
                    params![account.0, uncertain_to.map(OutboxState::as_str)],
                )
                .context("Marking interrupted messages uncertain")?;
            Ok(Recovered {
                requeued,
                uncertain,
            })
        })
    }

    /// Claims the oldest message due at `now` for sending (queued -> sending).
    pub fn claim_outgoing(
        &mut self,
        account: AccountId,
        now: i64,
    ) -> anyhow::Result<Option<Claimed>> {
        let claimed = OutboxState::Queued
            .on(OutboxEvent::Claim)
            .map(OutboxState::as_str);
        self.durably(|conn| {
            conn.query_row(
                "UPDATE outbox SET state = ?3, attempts = attempts + 1
                 WHERE id = (SELECT id FROM outbox WHERE account_id = ?1 AND state = 'queued' AND next_attempt_at <= ?2 ORDER BY id LIMIT 1)
                 RETURNING id, message_id, envelope_from, recipients, raw, attempts",
                params![account.0, now, claimed],
                |row| {
                    let recipients: String = row.get(3)?;
                    Ok(Claimed {
                        id: OutboxId(row.get(0)?),
                        message_id: row.get(1)?,
                        envelope_from: row.get(2)?,
                        recipients: split_lines(&recipients),
                        raw: row.get(4)?,
                        attempts: u32::try_from(row.get::<_, i64>(5)?).unwrap_or(u32::MAX),
                    })
                },
            )
            .optional()
            .context("Claiming a message to send")
        })
    }

    /// Applies `event` to message `id` as a compare-and-set: from each state the table
    /// (`OutboxState::on`) allows, to the state it names, setting `sql_set` too (`?1` is the
    /// id, `?2` the new state, the `values` follow). Fails when the message is in no state
    /// the event may happen in.
    fn transition(
        &mut self,
        id: OutboxId,
        event: OutboxEvent,
        sql_set: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> anyhow::Result<()> {
        let mut changed = 0;
        for from in ALL_STATES {
            let Some(to) = from.on(event) else { continue };
            let sql = format!(
                "UPDATE outbox SET state = ?2{}{sql_set} WHERE id = ?1 AND state = '{}'",
                if sql_set.is_empty() { "" } else { ", " },
                from.as_str()
            );
            let to_text = to.as_str();
            let mut all: Vec<&dyn rusqlite::ToSql> = vec![&id.0, &to_text];
            all.extend_from_slice(values);
            changed += self.durably(|conn| {
                conn.execute(&sql, all.as_slice())
                    .context("Updating an outbox message")
            })?;
            if changed > 0 {
                break;
            }
        }
        if changed == 0 {
            anyhow::bail!("Outbox message {} is not in a state that allows this", id.0);
        }
        Ok(())
    }

    /// The server accepted DATA; the final dot goes next (sending -> committing).
    pub fn outgoing_committing(&mut self, id: OutboxId) -> anyhow::Result<()> {
        self.transition(id, OutboxEvent::DataAccepted, "", &[])
    }

    /// The server accepted the message (committing -> sent).
    pub fn outgoing_sent(&mut self, id: OutboxId, now: i64) -> anyhow::Result<()> {
        self.transition(
            id,
            OutboxEvent::Accepted,
            "sent_at = ?3, last_error = NULL",
            &[&now],
        )
    }

    /// A temporary failure before committing: back to the queue until `retry_at`.
    pub fn outgoing_deferred(
        &mut self,
        id: OutboxId,
        error: &str,
        retry_at: i64,
    ) -> anyhow::Result<()> {
        self.transition(
            id,
            OutboxEvent::Deferred,
            "last_error = ?3, next_attempt_at = ?4",
            &[&error, &retry_at],
        )
    }

    /// A permanent failure: kept, not retried.
    pub fn outgoing_failed(&mut self, id: OutboxId, error: &str) -> anyhow::Result<()> {
        self.transition(id, OutboxEvent::Refused, "last_error = ?3", &[&error])
    }

    /// The connection was lost after the final dot, before the answer: maybe delivered.
    pub fn outgoing_uncertain(&mut self, id: OutboxId, error: &str) -> anyhow::Result<()> {
        self.transition(id, OutboxEvent::LostAfterDot, "last_error = ?3", &[&error])
    }

    /// The user asks to send a failed or uncertain message again (queued, due now).
    pub fn outgoing_retry(&mut self, id: OutboxId, now: i64) -> anyhow::Result<()> {
        self.transition(id, OutboxEvent::Retry, "next_attempt_at = ?3", &[&now])
    }

    /// Removes a message that is not being sent (queued, failed, uncertain or sent).
    pub fn outgoing_discard(&mut self, id: OutboxId) -> anyhow::Result<()> {
        let removable: Vec<String> = ALL_STATES
            .into_iter()
            .filter(|state| state.can_discard())
            .map(|state| format!("'{}'", state.as_str()))
            .collect();
        let changed = self
            .conn
            .execute(
                &format!(
                    "DELETE FROM outbox WHERE id = ?1 AND state IN ({})",
                    removable.join(", ")
                ),
                [id.0],
            )
            .context("Discarding an outbox message")?;
        if changed == 0 {
            anyhow::bail!("Outbox message {} is being sent or does not exist", id.0);
        }
        Ok(())
    }

    /// The message as written (with its Bcc header, for editing it again).
    pub fn outgoing_message(&self, id: OutboxId) -> anyhow::Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT coalesce(sent_copy, raw) FROM outbox WHERE id = ?1",
                [id.0],
                |row| row.get(0),
            )
            .optional()
            .context("Reading an outbox message")
    }

    /// Sent messages whose copy still has to be appended to the Sent folder.
    pub fn sent_copies_due(&self, account: AccountId) -> anyhow::Result<Vec<SentCopyDue>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT id, message_id, coalesce(sent_copy, raw), coalesce(sent_at, created_at) FROM outbox
                 WHERE account_id = ?1 AND state = 'sent' AND sent_folder = 'pending' ORDER BY id",
            )
            .context("Preparing the sent-copy query")?;
        let rows = statement
            .query_map([account.0], |row| {
                Ok(SentCopyDue {
                    id: OutboxId(row.get(0)?),
                    message_id: row.get(1)?,
                    bytes: row.get(2)?,
                    sent_at: row.get(3)?,
                })
            })
            .context("Reading sent copies due")?;
        rows.collect::<Result<_, _>>()
            .context("Reading a sent copy")
    }

    /// The copy is in the Sent folder (at UID `uid` when the server said so).
    pub fn sent_copy_done(&mut self, id: OutboxId, uid: Option<(u32, u32)>) -> anyhow::Result<()> {
        let (validity, uid) =
            uid.map_or((None, None), |(validity, uid)| (Some(validity), Some(uid)));
        self.conn
            .execute(
                "UPDATE outbox SET sent_folder = 'done', sent_uidvalidity = ?2, sent_uid = ?3 WHERE id = ?1",
                params![id.0, validity, uid],
            )
            .context("Recording the Sent copy")?;
        Ok(())
    }

    /// Sets (or replaces) the account's SMTP server.
    pub fn set_smtp_server(
        &mut self,
        account: AccountId,
        server: &SmtpServer,
    ) -> anyhow::Result<()> {
        self.conn
            .execute(
                "INSERT INTO smtp_servers (account_id, host, port, security, username, allow_plaintext, saves_sent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (account_id) DO UPDATE SET host = excluded.host, port = excluded.port,
                   security = excluded.security, username = excluded.username,
                   allow_plaintext = excluded.allow_plaintext, saves_sent = excluded.saves_sent",
                params![
                    account.0,
                    server.host,
                    server.port,
                    server.security.as_str(),
                    server.username,
                    server.allow_plaintext,
                    server.saves_sent
                ],
            )
            .context("Saving the SMTP server")?;
        Ok(())
    }

    pub fn smtp_server(&self, account: AccountId) -> anyhow::Result<Option<SmtpServer>> {
        self.conn
            .query_row(
                "SELECT host, port, security, username, allow_plaintext, saves_sent FROM smtp_servers WHERE account_id = ?1",
                [account.0],
                |row| {
                    let port: i64 = row.get(1)?;
                    let security: String = row.get(2)?;
                    Ok(SmtpServer {
                        host: row.get(0)?,
                        port: u16::try_from(port).unwrap_or(0),
                        security: Security::parse(&security).unwrap_or(Security::Tls),
                        username: row.get(3)?,
                        allow_plaintext: row.get::<_, i64>(4)? != 0,
                        saves_sent: row.get::<_, i64>(5)? != 0,
                    })
                },
            )
            .optional()
            .context("Reading the SMTP server")
    }
}

/// An address seen in the cache, for completing To/Cc/Bcc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAddress {
    pub name: String,
    pub address: String,
    /// How many cached messages came from it (the most frequent first).
    pub messages: u64,
}

fn like_prefix(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 1);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped.push('%');
    escaped
}

impl Store {
    /// The To and Cc lists ("Name <a@b>, c@d") of the account's sent mail that mention
    /// `fragment` (case-insensitive), newest first, at most `limit`: the people one writes to.
    pub fn sent_recipient_lists(
        &self,
        account: AccountId,
        fragment: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<String>> {
        let fragment = fragment.trim();
        if fragment.is_empty() {
            return Ok(Vec::new());
        }
        let mut like = String::from("%");
        like.push_str(&like_prefix(fragment));
        let mut statement = self
            .conn
            .prepare(
                "SELECT m.to_list || ', ' || m.cc_list FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.account_id = ?1 AND f.role = 'sent'
                   AND (m.to_list LIKE ?2 ESCAPE '\\' OR m.cc_list LIKE ?2 ESCAPE '\\')
                 ORDER BY m.internal_date DESC LIMIT ?3",
            )
            .context("Preparing the sent recipients query")?;
        let rows = statement
            .query_map(
                params![account.0, like, i64::try_from(limit).unwrap_or(500)],
                |row| row.get(0),
            )
            .context("Finding sent recipients")?;
        rows.collect::<Result<_, _>>()
            .context("Reading sent recipients")
    }

    /// Senders in the account's cache whose address, or a word of whose name, starts with
    /// `prefix` (case-insensitive), most frequent first.
    pub fn address_suggestions(
        &self,
        account: AccountId,
        prefix: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<KnownAddress>> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        let starts = like_prefix(prefix);
        let word = format!("% {starts}");
        let mut statement = self
            .conn
            .prepare(
                "SELECT max(m.from_name), m.from_address, count(*) AS n FROM messages m
                 JOIN folders f ON f.id = m.folder_id
                 WHERE f.account_id = ?1 AND m.from_address <> ''
                   AND (m.from_address LIKE ?2 ESCAPE '\\' OR m.from_name LIKE ?2 ESCAPE '\\' OR m.from_name LIKE ?3 ESCAPE '\\')
                 GROUP BY lower(m.from_address) ORDER BY n DESC, m.from_address LIMIT ?4",
            )
            .context("Preparing the address query")?;
        let rows = statement
            .query_map(
                params![account.0, starts, word, i64::try_from(limit).unwrap_or(50)],
                |row| {
                    Ok(KnownAddress {
                        name: row.get(0)?,
                        address: row.get(1)?,
                        messages: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                    })
                },
            )
            .context("Finding addresses")?;
        rows.collect::<Result<_, _>>().context("Reading an address")
    }
}
