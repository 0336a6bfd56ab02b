//! Full-text search (SQLite FTS5) over subjects, senders and recipients, and body text of
//! cached messages. The index is filled in batches by [`Store::index_for_search`] (after
//! syncs, so a first sync does not pay for it), kept current when bodies arrive or are
//! evicted, and rows leave it with their messages (a trigger).

use anyhow::Context;
use rusqlite::{params, Transaction};

use crate::messages::MessageSummary;
use crate::{AccountId, Store};

/// A search result: a message and the folder it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub folder: String,
    pub message: MessageSummary,
}

const INDEX_ROW: &str = "INSERT OR REPLACE INTO search (rowid, subject, people, body)
     SELECT m.id, m.subject,
            m.from_name || ' ' || m.from_address || ' ' || m.to_list || ' ' || m.cc_list,
            coalesce(b.body_text, '')
     FROM messages m LEFT JOIN bodies b ON b.message_id = m.id";

/// Re-indexes message `id` when the indexer has passed it (its body changed).
pub(crate) fn reindex_if_indexed(tx: &Transaction<'_>, id: i64) -> anyhow::Result<()> {
    tx.execute(
        &format!(
            "{INDEX_ROW} WHERE m.id = ?1 AND m.id <= (SELECT indexed_up_to FROM search_state WHERE id = 1)"
        ),
        [id],
    )
    .context("Updating the search index")?;
    Ok(())
}

/// Turns what a user typed into an FTS5 query: every word must match (as a prefix for the
/// last one, so results come while typing); FTS5 syntax characters are taken literally.
pub fn fts_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed
        .split_whitespace()
        .map(|word| word.replace('"', "\"\""))
        .filter(|word| !word.is_empty())
        .collect();
    let last = words.len().checked_sub(1)?;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                if i == last {
                    format!("\"{word}\"*")
                } else {
                    format!("\"{word}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

impl Store {
    /// Adds up to `batch` messages not yet indexed; returns how many (0: all done).
    pub fn index_for_search(&mut self, batch: usize) -> anyhow::Result<usize> {
        let tx = self.conn.transaction().context("Starting to index")?;
        let from: i64 = tx
            .query_row(
                "SELECT indexed_up_to FROM search_state WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .context("Reading index progress")?;
        let upto: Option<i64> = tx
            .query_row(
                "SELECT max(id) FROM (SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2)",
                params![from, batch as i64],
                |row| row.get(0),
            )
            .context("Choosing what to index")?;
        let Some(upto) = upto else {
            return Ok(0);
        };
        let added = tx
            .execute(
                &format!("{INDEX_ROW} WHERE m.id > ?1 AND m.id <= ?2"),
                params![from, upto],
            )
            .context("Indexing messages")?;
        tx.execute(
            "UPDATE search_state SET indexed_up_to = ?1 WHERE id = 1",
            [upto],
        )
        .context("Recording index progress")?;
        tx.commit().context("Committing the index")?;
        Ok(added)
    }

    /// Indexes everything not yet indexed.
    pub fn index_all_for_search(&mut self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let added = self.index_for_search(5_000)?;
            if added == 0 {
                return Ok(total);
            }
            total += added;
        }
    }

    /// The account's messages matching `typed` (every word, the last as a prefix), best
    /// first, newest first among equally good ones.
    pub fn search(
        &self,
        account: AccountId,
        typed: &str,
        limit: u32,
    ) -> anyhow::Result<Vec<SearchHit>> {
        let Some(query) = fts_query(typed) else {
            return Ok(Vec::new());
        };
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT f.name, m.uid, m.subject, m.from_name, m.from_address,
                        coalesce(m.date, m.internal_date), m.flags, m.message_id
                 FROM (SELECT rowid, round(bm25(search, 4.0, 2.0, 1.0), 1) AS score FROM search
                       WHERE search MATCH ?1) s
                 JOIN messages m ON m.id = s.rowid
                 JOIN folders f ON f.id = m.folder_id
                 WHERE f.account_id = ?2
                 ORDER BY s.score, m.internal_date DESC, m.id DESC
                 LIMIT ?3",
            )
            .context("Preparing a search")?;
        let rows = statement
            .query_map(params![query, account.0, limit], |row| {
                let uid: i64 = row.get(1)?;
                let flags: String = row.get(6)?;
                Ok(SearchHit {
                    folder: row.get(0)?,
                    message: MessageSummary {
                        uid: uid as u64,
                        subject: row.get(2)?,
                        from_name: row.get(3)?,
                        from_address: row.get(4)?,
                        date: row.get(5)?,
                        flags: mail_sync::Flags::parse_stored(&flags),
                        message_id: row.get(7)?,
                    },
                })
            })
            .context("Searching")?;
        rows.collect::<rusqlite::Result<_>>().context("Searching")
    }
}
