//! The unified inbox: every account's INBOX merged newest first, each row with its account
//! and folder. Each inbox is read through its own arrival index, so a page costs
//! O(accounts x (offset + limit)), never a sort of every cached message.

use anyhow::Context;
use mail_sync::Flags;
use rusqlite::params_from_iter;

use crate::{AccountId, FolderId, MessageSummary, Store};

/// A row of the unified inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedSummary {
    pub account: AccountId,
    /// The account's address.
    pub email: String,
    pub folder: FolderId,
    /// The inbox's name on its server (usually `INBOX`).
    pub folder_name: String,
    pub message: MessageSummary,
}

impl Store {
    /// `limit` rows of the unified inbox from position `offset` (newest first by arrival;
    /// ties by account, then UID, newest first).
    pub fn unified_inbox(&self, offset: u32, limit: u32) -> anyhow::Result<Vec<UnifiedSummary>> {
        self.inbox_rows(offset, limit, false)
    }

    /// The `limit` newest unread messages of every INBOX, newest first (the tray's menu).
    pub fn newest_unread(&self, limit: u32) -> anyhow::Result<Vec<UnifiedSummary>> {
        self.inbox_rows(0, limit, true)
    }

    fn inbox_rows(
        &self,
        offset: u32,
        limit: u32,
        unread_only: bool,
    ) -> anyhow::Result<Vec<UnifiedSummary>> {
        let inboxes: Vec<i64> = {
            let mut statement = self
                .conn
                .prepare_cached("SELECT id FROM folders WHERE role = 'inbox' ORDER BY account_id")
                .context("Finding the inboxes")?;
            let rows = statement
                .query_map([], |row| row.get(0))
                .context("Finding the inboxes")?;
            rows.collect::<rusqlite::Result<_>>()
                .context("Finding the inboxes")?
        };
        if inboxes.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let window = i64::from(offset) + i64::from(limit);
        // One index-ordered, limited read per inbox, merged.
        // Unread only: still read in arrival order (the index), skipping read rows until the
        // limit; no index of its own (each costs every sync its writes).
        let per_inbox = format!(
            "SELECT * FROM (SELECT m.folder_id, m.uid, m.subject, m.from_name, m.from_address,
                                coalesce(m.date, m.internal_date), m.flags, m.message_id,
                                m.attachments, m.internal_date, m.gm_labels, m.preview
                         FROM messages m WHERE m.folder_id = ? {}
                         ORDER BY m.internal_date DESC, m.uid DESC LIMIT ?)",
            if unread_only { "AND m.seen = 0" } else { "" }
        );
        let sql = format!(
            "SELECT u.*, f.account_id, a.email, f.name FROM ({}) u
             JOIN folders f ON f.id = u.folder_id JOIN accounts a ON a.id = f.account_id
             ORDER BY u.internal_date DESC, f.account_id, u.uid DESC LIMIT ? OFFSET ?",
            vec![per_inbox.as_str(); inboxes.len()].join(" UNION ALL ")
        );
        let mut values: Vec<i64> = Vec::with_capacity(inboxes.len() * 2 + 2);
        for inbox in &inboxes {
            values.extend([*inbox, window]);
        }
        values.extend([i64::from(limit), i64::from(offset)]);
        let mut statement = self
            .conn
            .prepare(&sql)
            .context("Preparing the unified inbox")?;
        let rows = statement
            .query_map(params_from_iter(values), |row| {
                let uid: i64 = row.get(1)?;
                let flags: String = row.get(6)?;
                Ok(UnifiedSummary {
                    folder: FolderId(row.get(0)?),
                    account: AccountId(row.get(12)?),
                    email: row.get(13)?,
                    folder_name: row.get(14)?,
                    message: MessageSummary {
                        uid: uid as u64,
                        subject: row.get(2)?,
                        from_name: row.get(3)?,
                        from_address: row.get(4)?,
                        date: row.get(5)?,
                        flags: Flags::parse_stored(&flags),
                        message_id: row.get(7)?,
                        attachments: row.get(8)?,
                        labels: crate::messages::labels_at(row, 10)?,
                        preview: row.get(11)?,
                    },
                })
            })
            .context("Reading the unified inbox")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading the unified inbox")
    }

    /// Unread messages in every account's INBOX.
    pub fn unified_unread(&self) -> anyhow::Result<usize> {
        let (_, unread) = self.unified_counts()?;
        Ok(usize::try_from(unread).unwrap_or(usize::MAX))
    }

    /// Messages and unread messages in every account's INBOX (the folders' kept counts).
    pub fn unified_counts(&self) -> anyhow::Result<(u64, u64)> {
        let (total, unread): (i64, i64) = self
            .conn
            .query_row(
                "SELECT coalesce(sum(total), 0), coalesce(sum(unread), 0)
                 FROM folders WHERE role = 'inbox'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .context("Counting mail in the inboxes")?;
        Ok((total.max(0) as u64, unread.max(0) as u64))
    }
}
