//! Previews of messages whose bodies are not kept: which rows still want one, newest first,
//! and keeping those made from the first bytes of their text.

use anyhow::Context;
use rusqlite::params;

use crate::{FolderId, Store, LOCAL_UID_BASE};

impl Store {
    /// UIDs of `folder`'s messages whose preview is not known yet (no body kept, no preview
    /// fetched) between `above` and `below` (exclusive; `below` `None`: every server UID),
    /// newest first, at most `limit` — a pass continues below where its last batch ended, and
    /// a later pass need not walk again past what an earlier one finished. Local placeholders
    /// (moves not yet on the server) are left out: the server has nothing under their UIDs.
    pub fn previews_wanted(
        &self,
        folder: FolderId,
        above: u64,
        below: Option<u64>,
        limit: usize,
    ) -> anyhow::Result<Vec<u64>> {
        let below = below.unwrap_or(LOCAL_UID_BASE).min(LOCAL_UID_BASE);
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT uid FROM messages
                 WHERE folder_id = ?1 AND uid > ?2 AND uid < ?3 AND preview_known = 0
                 ORDER BY uid DESC LIMIT ?4",
            )
            .context("Preparing the list of messages wanting a preview")?;
        let rows = statement
            .query_map(
                params![folder.0, above as i64, below as i64, limit as i64],
                |row| row.get::<_, i64>(0),
            )
            .context("Listing messages wanting a preview")?;
        rows.map(|uid| uid.map(|uid| uid as u64))
            .collect::<rusqlite::Result<_>>()
            .context("Listing messages wanting a preview")
    }

    /// The highest server UID cached in `folder` (0: none).
    pub fn highest_server_uid(&self, folder: FolderId) -> anyhow::Result<u64> {
        let highest: Option<i64> = self
            .conn
            .prepare_cached("SELECT max(uid) FROM messages WHERE folder_id = ?1 AND uid < ?2")
            .and_then(|mut statement| {
                statement.query_row(params![folder.0, LOCAL_UID_BASE as i64], |row| row.get(0))
            })
            .context("Looking up the highest cached UID")?;
        Ok(highest.unwrap_or(0) as u64)
    }

    /// Keeps previews made without the body, `(uid, preview)` of `folder`, in one
    /// transaction; a row whose preview became known meanwhile (its body was kept) keeps
    /// that one. Returns how many rows took theirs.
    pub fn save_previews(
        &mut self,
        folder: FolderId,
        previews: &[(u64, String)],
    ) -> anyhow::Result<usize> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to keep previews")?;
        let mut saved = 0;
        {
            let mut statement = tx
                .prepare_cached(
                    "UPDATE messages SET preview = ?3, preview_known = 1
                     WHERE folder_id = ?1 AND uid = ?2 AND preview_known = 0",
                )
                .context("Preparing to keep previews")?;
            for (uid, preview) in previews {
                saved += statement
                    .execute(params![folder.0, *uid as i64, preview])
                    .context("Keeping a preview")?;
            }
        }
        tx.commit().context("Committing previews")?;
        Ok(saved)
    }
}
