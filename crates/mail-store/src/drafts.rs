//! The `drafts` and `draft_removals` tables: messages being written, saved locally at every
//! change and copied to the server's Drafts folder (a new copy replaces the previous one,
//! whose removal is queued here until the server confirms it).

use anyhow::Context;
use rusqlite::{params, OptionalExtension, Row};

use crate::{AccountId, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DraftId(pub i64);

/// A saved draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDraft {
    pub id: DraftId,
    /// The draft as JSON (the engine's format).
    pub content: String,
    pub subject: String,
    pub message_id: String,
    pub version: i64,
    pub server_version: i64,
    /// (UIDVALIDITY, UID) of the copy in the Drafts folder.
    pub server_copy: Option<(u32, u32)>,
    pub updated_at: i64,
}

fn draft_from_row(row: &Row<'_>) -> rusqlite::Result<StoredDraft> {
    let validity: Option<i64> = row.get(6)?;
    let uid: Option<i64> = row.get(7)?;
    Ok(StoredDraft {
        id: DraftId(row.get(0)?),
        content: row.get(1)?,
        subject: row.get(2)?,
        message_id: row.get(3)?,
        version: row.get(4)?,
        server_version: row.get(5)?,
        server_copy: validity.zip(uid).and_then(|(validity, uid)| {
            Some((u32::try_from(validity).ok()?, u32::try_from(uid).ok()?))
        }),
        updated_at: row.get(8)?,
    })
}

const COLUMNS: &str = "id, content, subject, message_id, version, server_version, server_uidvalidity, server_uid, updated_at";

impl Store {
    /// Saves a draft: a new one (`id` None) or a new version of `id`. Returns its id.
    pub fn save_draft(
        &mut self,
        account: AccountId,
        id: Option<DraftId>,
        content: &str,
        subject: &str,
        message_id: &str,
        now: i64,
    ) -> anyhow::Result<DraftId> {
        match id {
            Some(id) => {
                let changed = self
                    .conn
                    .execute(
                        "UPDATE drafts SET content = ?2, subject = ?3, version = version + 1, updated_at = ?4
                         WHERE id = ?1 AND account_id = ?5",
                        params![id.0, content, subject, now, account.0],
                    )
                    .context("Saving the draft")?;
                if changed == 0 {
                    anyhow::bail!("The draft {} no longer exists (sent or discarded)", id.0);
                }
                Ok(id)
            }
            None => {
                self.conn
                    .execute(
                        "INSERT INTO drafts (account_id, content, subject, message_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![account.0, content, subject, message_id, now],
                    )
                    .context("Saving a new draft")?;
                Ok(DraftId(self.conn.last_insert_rowid()))
            }
        }
    }

    pub fn draft(&self, id: DraftId) -> anyhow::Result<Option<StoredDraft>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM drafts WHERE id = ?1"),
                [id.0],
                draft_from_row,
            )
            .optional()
            .context("Reading a draft")
    }

    /// The draft whose server copy (or origin) has this Message-ID.
    pub fn draft_by_message_id(
        &self,
        account: AccountId,
        message_id: &str,
    ) -> anyhow::Result<Option<StoredDraft>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM drafts WHERE account_id = ?1 AND message_id = ?2"),
                params![account.0, message_id],
                draft_from_row,
            )
            .optional()
            .context("Finding a draft")
    }

    /// The account's drafts, most recently changed first.
    pub fn drafts(&self, account: AccountId) -> anyhow::Result<Vec<StoredDraft>> {
        let mut statement = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM drafts WHERE account_id = ?1 ORDER BY updated_at DESC, id DESC"))
            .context("Preparing the drafts query")?;
        let rows = statement
            .query_map([account.0], draft_from_row)
            .context("Reading drafts")?;
        rows.collect::<Result<_, _>>().context("Reading a draft")
    }

    /// Drafts whose newest version is not on the server yet.
    pub fn drafts_to_upload(&self, account: AccountId) -> anyhow::Result<Vec<StoredDraft>> {
        Ok(self
            .drafts(account)?
            .into_iter()
            .filter(|draft| draft.version > draft.server_version)
            .collect())
    }

    /// Version `version` is in the Drafts folder at `copy`; the copy it replaces (if any) is
    /// queued for removal, in the same transaction.
    pub fn draft_uploaded(
        &mut self,
        account: AccountId,
        id: DraftId,
        version: i64,
        copy: Option<(u32, u32)>,
    ) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to record a draft copy")?;
        queue_copy_removal(&tx, account, id)?;
        let (validity, uid) =
            copy.map_or((None, None), |(validity, uid)| (Some(validity), Some(uid)));
        tx.execute(
            "UPDATE drafts SET server_version = max(server_version, ?2), server_uidvalidity = ?3, server_uid = ?4 WHERE id = ?1",
            params![id.0, version, validity, uid],
        )
        .context("Recording the draft copy")?;
        tx.commit().context("Committing the draft copy")?;
        Ok(())
    }

    /// Forgets a draft (sent or discarded); its server copy, if any, is queued for removal.
    pub fn delete_draft(&mut self, account: AccountId, id: DraftId) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to delete a draft")?;
        queue_copy_removal(&tx, account, id)?;
        tx.execute("DELETE FROM drafts WHERE id = ?1", [id.0])
            .context("Deleting the draft")?;
        tx.commit().context("Committing the draft deletion")?;
        Ok(())
    }

    /// Server copies waiting to be removed: (UIDVALIDITY, UID).
    pub fn draft_removals(&self, account: AccountId) -> anyhow::Result<Vec<(u32, u32)>> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT uidvalidity, uid FROM draft_removals WHERE account_id = ?1 ORDER BY id",
            )
            .context("Preparing the draft removals query")?;
        let rows = statement
            .query_map([account.0], |row| {
                Ok((
                    u32::try_from(row.get::<_, i64>(0)?).unwrap_or(0),
                    u32::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })
            .context("Reading draft removals")?;
        rows.collect::<Result<_, _>>()
            .context("Reading a draft removal")
    }

    /// The server removed (or no longer has) this copy.
    pub fn draft_removal_done(
        &mut self,
        account: AccountId,
        copy: (u32, u32),
    ) -> anyhow::Result<()> {
        self.conn
            .execute(
                "DELETE FROM draft_removals WHERE account_id = ?1 AND uidvalidity = ?2 AND uid = ?3",
                params![account.0, copy.0, copy.1],
            )
            .context("Recording a draft removal")?;
        Ok(())
    }
}

/// Queues the removal of the draft's current server copy, if it has one.
fn queue_copy_removal(
    tx: &rusqlite::Transaction<'_>,
    account: AccountId,
    id: DraftId,
) -> anyhow::Result<()> {
    let copy: Option<(Option<i64>, Option<i64>)> = tx
        .query_row(
            "SELECT server_uidvalidity, server_uid FROM drafts WHERE id = ?1 AND account_id = ?2",
            params![id.0, account.0],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .context("Reading the draft's server copy")?;
    if let Some((Some(validity), Some(uid))) = copy {
        tx.execute(
            "INSERT OR IGNORE INTO draft_removals (account_id, uidvalidity, uid) VALUES (?1, ?2, ?3)",
            params![account.0, validity, uid],
        )
        .context("Queueing the draft copy's removal")?;
    }
    Ok(())
}
