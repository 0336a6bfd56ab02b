//! The `messages` table: one row of headers and flags per cached message.

use anyhow::Context;
use mail_sync::{Flags, Uid};
use rusqlite::{params, Transaction};

use crate::{FolderId, Store};

/// Everything the cache keeps about a message before its body is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub uid: Uid,
    pub flags: Flags,
    pub subject: String,
    pub from_name: String,
    pub from_address: String,
    pub to_list: String,
    pub cc_list: String,
    /// The Date header, Unix seconds.
    pub date: Option<i64>,
    /// INTERNALDATE, Unix seconds.
    pub internal_date: i64,
    pub size: u32,
    pub message_id: String,
    pub in_reply_to: String,
    /// Message-IDs of the References header, space-separated.
    pub references: String,
    /// Top-level multipart/mixed: likely has attachments (the list's mark).
    pub attachments: bool,
    /// What Gmail (X-GM-EXT-1) says of it; None on other servers.
    pub gmail: Option<GmailIds>,
}

/// A Gmail message's identity across its label folders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GmailIds {
    /// X-GM-MSGID: the same in every folder the message shows in.
    pub msgid: u64,
    /// X-GM-THRID: its conversation.
    pub thrid: Option<u64>,
    /// X-GM-LABELS as the server sent them (`\Inbox`, `\Important`, `Work`, …).
    pub labels: Vec<String>,
}

impl GmailIds {
    /// The labels as stored (see [`stored_labels`]).
    pub fn stored_labels(&self) -> String {
        stored_labels(&self.labels)
    }
}

/// Labels as the `gm_labels` column keeps them: one per line (an IMAP string holds no line
/// break).
pub(crate) fn stored_labels(labels: &[String]) -> String {
    labels.join("\n")
}

/// Reads labels written by [`GmailIds::stored_labels`].
pub fn parse_stored_labels(stored: &str) -> Vec<String> {
    stored
        .split('\n')
        .filter(|label| !label.is_empty())
        .map(str::to_string)
        .collect()
}

/// A row of a message list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// The server UID, or a local UID (>= 2^32, see `LOCAL_UID_BASE`) for a message moved
    /// here whose move the server has not confirmed yet.
    pub uid: u64,
    pub subject: String,
    pub from_name: String,
    pub from_address: String,
    /// The Date header, or INTERNALDATE when there is none (Unix seconds).
    pub date: i64,
    pub flags: Flags,
    pub message_id: String,
    /// Likely has attachments (see [`MessageRow::attachments`]).
    pub attachments: bool,
    /// Gmail's labels (X-GM-LABELS); empty on other servers.
    pub labels: Vec<String>,
    /// The beginning of the sender's words (empty until the body has been cached).
    pub preview: String,
}

/// The labels in column `index` (NULL: none).
pub(crate) fn labels_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Vec<String>> {
    Ok(row
        .get::<_, Option<String>>(index)?
        .map(|stored| parse_stored_labels(&stored))
        .unwrap_or_default())
}

/// Inserts rows, or updates the ones already cached (keyed on folder and UID), and keeps
/// the folder's total and unread counts: this is the only path that inserts messages, so
/// it counts what it inserted (deletes and flag changes are counted by triggers).
/// Returns the UIDs that were not cached before.
pub(crate) fn upsert_messages(
    tx: &Transaction<'_>,
    folder: FolderId,
    rows: &[MessageRow],
) -> anyhow::Result<Vec<Uid>> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO messages (folder_id, uid, flags, seen, flagged, subject, from_name, from_address,
                                   to_list, cc_list, date, internal_date, size, message_id, in_reply_to, references_,
                                   attachments, gm_msgid, gm_thrid, gm_labels)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
             ON CONFLICT (folder_id, uid) DO NOTHING",
        )
        .context("Preparing message insert")?;
    let mut update = tx
        .prepare_cached(
            "UPDATE messages SET flags = ?3, seen = ?4, flagged = ?5, subject = ?6, from_name = ?7,
               from_address = ?8, to_list = ?9, cc_list = ?10, date = ?11, internal_date = ?12,
               size = ?13, message_id = ?14, in_reply_to = ?15, references_ = ?16, attachments = ?17,
               gm_msgid = ?18, gm_thrid = ?19, gm_labels = ?20
             WHERE folder_id = ?1 AND uid = ?2",
        )
        .context("Preparing message update")?;
    let mut inserted = Vec::new();
    let mut inserted_unread = 0i64;
    for row in rows {
        let values = params![
            folder.0,
            row.uid.0,
            row.flags.to_string(),
            row.flags.is_seen() as i64,
            row.flags.is_flagged() as i64,
            row.subject,
            row.from_name,
            row.from_address,
            row.to_list,
            row.cc_list,
            row.date,
            row.internal_date,
            row.size,
            row.message_id,
            row.in_reply_to,
            row.references,
            row.attachments,
            row.gmail.as_ref().map(|gmail| gmail.msgid as i64),
            row.gmail
                .as_ref()
                .and_then(|gmail| gmail.thrid)
                .map(|thrid| thrid as i64),
            row.gmail.as_ref().map(GmailIds::stored_labels),
        ];
        let added = insert
            .execute(values)
            .with_context(|| format!("Saving message UID {}", row.uid.0))?;
        if added == 1 {
            inserted.push(row.uid);
            inserted_unread += i64::from(!row.flags.is_seen());
        } else {
            update
                .execute(values)
                .with_context(|| format!("Updating message UID {}", row.uid.0))?;
        }
    }
    if !inserted.is_empty() {
        tx.execute(
            "UPDATE folders SET total = total + ?2, unread = unread + ?3 WHERE id = ?1",
            params![folder.0, inserted.len() as i64, inserted_unread],
        )
        .context("Counting inserted messages")?;
    }
    Ok(inserted)
}

/// Writes server flags; returns how many messages' cached flags actually changed.
pub(crate) fn set_flags(
    tx: &Transaction<'_>,
    folder: FolderId,
    changes: &[(Uid, Flags)],
) -> anyhow::Result<usize> {
    let mut changed = 0;
    for (uid, flags) in changes {
        if crate::pending_ops::write_flags(tx, folder, u64::from(uid.0), flags)
            .with_context(|| format!("Updating flags of UID {}", uid.0))?
        {
            changed += 1;
        }
    }
    Ok(changed)
}

pub(crate) fn remove_messages(
    tx: &Transaction<'_>,
    folder: FolderId,
    uids: &[Uid],
) -> anyhow::Result<()> {
    let mut statement = tx
        .prepare_cached("DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2")
        .context("Preparing message removal")?;
    for uid in uids {
        statement
            .execute(params![folder.0, uid.0])
            .with_context(|| format!("Removing UID {}", uid.0))?;
    }
    Ok(())
}

impl Store {
    /// The newest `limit` messages of a folder (by arrival), from the cache only.
    pub fn list_messages(
        &self,
        folder: FolderId,
        limit: u32,
    ) -> anyhow::Result<Vec<MessageSummary>> {
        self.message_page(folder, 0, limit)
    }

    /// `limit` messages of a folder starting at position `offset` of its newest-first
    /// order (a window of a virtual list), from the cache only.
    pub fn message_page(
        &self,
        folder: FolderId,
        offset: u32,
        limit: u32,
    ) -> anyhow::Result<Vec<MessageSummary>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid, subject, from_name, from_address, coalesce(date, internal_date), flags, message_id,
                        attachments, gm_labels, preview
                 FROM messages WHERE folder_id = ?1
                 ORDER BY internal_date DESC, uid DESC LIMIT ?2 OFFSET ?3",
            )
            .context("Listing messages")?;
        let rows = statement
            .query_map(params![folder.0, limit, offset], |row| {
                let flags: String = row.get(5)?;
                let uid: i64 = row.get(0)?;
                Ok(MessageSummary {
                    uid: uid as u64,
                    subject: row.get(1)?,
                    from_name: row.get(2)?,
                    from_address: row.get(3)?,
                    date: row.get(4)?,
                    flags: Flags::parse_stored(&flags),
                    message_id: row.get(6)?,
                    attachments: row.get(7)?,
                    labels: labels_at(row, 8)?,
                    preview: row.get(9)?,
                })
            })
            .context("Listing messages")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading messages")
    }

    /// Stores Gmail labels of cached messages of `folder` (by UID); returns how many rows'
    /// labels changed.
    pub fn set_gmail_labels(
        &mut self,
        folder: FolderId,
        labels: &std::collections::HashMap<Uid, Vec<String>>,
    ) -> anyhow::Result<usize> {
        let tx = self.conn.transaction().context("Starting a label update")?;
        let mut changed = 0;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE messages SET gm_labels = ?3
                     WHERE folder_id = ?1 AND uid = ?2 AND gm_msgid IS NOT NULL
                       AND gm_labels IS NOT ?3",
                )
                .context("Preparing a label update")?;
            for (uid, list) in labels {
                changed += update
                    .execute(params![folder.0, uid.0, stored_labels(list)])
                    .context("Updating labels")?;
            }
        }
        tx.commit().context("Saving labels")?;
        Ok(changed)
    }

    /// Whether any cached message of the account carries an X-GM-MSGID (its server is
    /// Gmail).
    pub fn has_gmail_ids(&self, account: crate::AccountId) -> anyhow::Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM messages m JOIN folders f ON f.id = m.folder_id
                                WHERE f.account_id = ?1 AND m.gm_msgid IS NOT NULL)",
                [account.0],
                |row| row.get(0),
            )
            .context("Looking for Gmail messages")
    }

    /// Every cached row of a folder with a server UID, ordered by UID (tests and consistency
    /// checks; messages moved in and not confirmed yet are left out).
    pub fn message_rows(&self, folder: FolderId) -> anyhow::Result<Vec<MessageRow>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid, flags, subject, from_name, from_address, to_list, cc_list, date, internal_date,
                        size, message_id, in_reply_to, references_, attachments,
                        gm_msgid, gm_thrid, gm_labels
                 FROM messages WHERE folder_id = ?1 AND uid < ?2 ORDER BY uid",
            )
            .context("Reading message rows")?;
        let rows = statement
            .query_map(params![folder.0, crate::LOCAL_UID_BASE as i64], |row| {
                let flags: String = row.get(1)?;
                Ok(MessageRow {
                    uid: Uid(row.get(0)?),
                    flags: Flags::parse_stored(&flags),
                    subject: row.get(2)?,
                    from_name: row.get(3)?,
                    from_address: row.get(4)?,
                    to_list: row.get(5)?,
                    cc_list: row.get(6)?,
                    date: row.get(7)?,
                    internal_date: row.get(8)?,
                    size: row.get(9)?,
                    message_id: row.get(10)?,
                    in_reply_to: row.get(11)?,
                    references: row.get(12)?,
                    attachments: row.get(13)?,
                    gmail: row.get::<_, Option<i64>>(14)?.map(|msgid| GmailIds {
                        msgid: msgid as u64,
                        thrid: row
                            .get::<_, Option<i64>>(15)
                            .ok()
                            .flatten()
                            .map(|id| id as u64),
                        labels: parse_stored_labels(
                            &row.get::<_, Option<String>>(16)
                                .ok()
                                .flatten()
                                .unwrap_or_default(),
                        ),
                    }),
                })
            })
            .context("Reading message rows")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading message rows")
    }
}
