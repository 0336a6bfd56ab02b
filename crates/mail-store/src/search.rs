//! Full-text search (SQLite FTS5) over subjects, senders and recipients, and body text of
//! cached messages. The index is filled in batches by [`Store::index_for_search`] (after
//! syncs, so a first sync does not pay for it), kept current when bodies arrive or are
//! evicted, and rows leave it with their messages (a trigger).

use anyhow::Context;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::messages::MessageSummary;
use crate::{AccountId, Store};

/// A message summary from the eight columns at `first`: uid, subject, from_name,
/// from_address, date, flags, message_id, attachments; its labels in column `labels`, its
/// preview in column `preview` (none: left empty).
fn summary_at(
    row: &rusqlite::Row<'_>,
    first: usize,
    labels: usize,
    preview: Option<usize>,
) -> rusqlite::Result<MessageSummary> {
    let uid: i64 = row.get(first)?;
    let flags: String = row.get(first + 5)?;
    Ok(MessageSummary {
        uid: uid as u64,
        subject: row.get(first + 1)?,
        from_name: row.get(first + 2)?,
        from_address: row.get(first + 3)?,
        date: row.get(first + 4)?,
        flags: mail_sync::Flags::parse_stored(&flags),
        message_id: row.get(first + 6)?,
        attachments: row.get(first + 7)?,
        labels: crate::messages::labels_at(row, labels)?,
        preview: match preview {
            Some(column) => row.get(column)?,
            None => String::new(),
        },
    })
}

/// A search result: a message and the folder it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub folder: String,
    pub message: MessageSummary,
}

/// The text of message `id` for the index: (subject, people, body).
fn document(
    tx: &Transaction<'_>,
    id: i64,
) -> anyhow::Result<Option<(i64, String, String, String)>> {
    tx.query_row(
        "SELECT m.internal_date, m.subject,
                m.from_name || ' ' || m.from_address || ' ' || m.to_list || ' ' || m.cc_list,
                coalesce(b.body_text, '')
         FROM messages m LEFT JOIN bodies b ON b.message_id = m.id WHERE m.id = ?1",
        [id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
    .optional()
    .context("Reading a message for the index")
}

/// Adds or replaces message `id` in the index under a document number that sorts by arrival.
fn index_message(tx: &Transaction<'_>, id: i64) -> anyhow::Result<bool> {
    let Some((date, subject, people, body)) = document(tx, id)? else {
        return Ok(false);
    };
    let existing: Option<i64> = tx
        .query_row(
            "SELECT doc FROM search_docs WHERE message_id = ?1",
            [id],
            |row| row.get(0),
        )
        .optional()
        .context("Looking up a document")?;
    let doc = match existing {
        Some(doc) => doc,
        None => {
            // Newest first (FTS5 reads doclists forward: the newest matches of even the most
            // common word come first and a search stops after a few hundred), then a
            // tie-breaker; on the rare collision, the next free number.
            let mut doc = (((1i64 << 42) - date.clamp(0, 1 << 42)) << 20) | (id & 0xF_FFFF);
            loop {
                let taken = tx
                    .execute(
                        "INSERT INTO search_docs (doc, message_id) VALUES (?1, ?2) ON CONFLICT (doc) DO NOTHING",
                        params![doc, id],
                    )
                    .context("Numbering a document")?
                    == 0;
                if !taken {
                    break doc;
                }
                doc += 1;
            }
        }
    };
    tx.execute(
        "INSERT OR REPLACE INTO search (rowid, subject, people, body) VALUES (?1, ?2, ?3, ?4)",
        params![doc, subject, people, body],
    )
    .context("Indexing a message")?;
    Ok(true)
}

/// Marks message `id`'s document out of date when the indexer has passed it (its body
/// arrived or was evicted): the indexer replaces it with its next batch. Storing a body
/// never waits for FTS5.
pub(crate) fn mark_stale(tx: &Transaction<'_>, id: i64) -> anyhow::Result<()> {
    tx.prepare_cached(
        "INSERT INTO search_stale (message_id)
         SELECT ?1 WHERE ?1 <= (SELECT indexed_up_to FROM search_state WHERE id = 1)
         ON CONFLICT DO NOTHING",
    )
    .and_then(|mut statement| statement.execute([id]))
    .context("Marking a document out of date")?;
    Ok(())
}

/// The document number of message `m` (the SQL of [`index_message`]'s numbering).
const DOC_NUMBER: &str =
    "(((1 << 42) - max(0, min(m.internal_date, 1 << 42))) << 20) | (m.id & 1048575)";

/// The columns FTS5 indexes, from `messages m` joined to `search_docs d` and (left)
/// `bodies b`.
const DOC_COLUMNS: &str = "d.doc, m.subject,
     m.from_name || ' ' || m.from_address || ' ' || m.to_list || ' ' || m.cc_list,
     coalesce(b.body_text, '')";

/// Indexes one by one the messages `query` lists (those without a document number: the
/// odd collision, which the set-wise numbering skipped).
fn index_unnumbered(
    tx: &Transaction<'_>,
    query: &str,
    arguments: impl rusqlite::Params,
) -> anyhow::Result<()> {
    let ids: Vec<i64> = {
        let mut statement = tx
            .prepare_cached(query)
            .context("Finding unnumbered documents")?;
        let ids = statement
            .query_map(arguments, |row| row.get(0))
            .context("Finding unnumbered documents")?
            .collect::<rusqlite::Result<_>>()
            .context("Finding unnumbered documents")?;
        ids
    };
    for id in ids {
        index_message(tx, id)?;
    }
    Ok(())
}

/// Indexes the messages with ids in `(from, upto]` in three statements (numbering, the odd
/// collision one by one, then the documents), not one round of queries per message.
fn index_range(tx: &Transaction<'_>, from: i64, upto: i64) -> anyhow::Result<usize> {
    tx.execute(
        &format!(
            "INSERT INTO search_docs (doc, message_id)
             SELECT {DOC_NUMBER}, m.id FROM messages m WHERE m.id > ?1 AND m.id <= ?2
             ON CONFLICT DO NOTHING"
        ),
        params![from, upto],
    )
    .context("Numbering documents")?;
    index_unnumbered(
        tx,
        "SELECT m.id FROM messages m WHERE m.id > ?1 AND m.id <= ?2
           AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.message_id = m.id)",
        params![from, upto],
    )?;
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO search (rowid, subject, people, body)
             SELECT {DOC_COLUMNS}
             FROM messages m JOIN search_docs d ON d.message_id = m.id
             LEFT JOIN bodies b ON b.message_id = m.id
             WHERE m.id > ?1 AND m.id <= ?2"
        ),
        params![from, upto],
    )
    .context("Indexing messages")
}

/// Replaces up to `batch` out-of-date documents (bodies arrived or evicted); returns how many.
fn index_stale(tx: &Transaction<'_>, batch: usize) -> anyhow::Result<usize> {
    let upto: Option<i64> = tx
        .query_row(
            "SELECT max(message_id) FROM
               (SELECT message_id FROM search_stale ORDER BY message_id LIMIT ?1)",
            [batch as i64],
            |row| row.get(0),
        )
        .context("Choosing out-of-date documents")?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    index_unnumbered(
        tx,
        "SELECT s.message_id FROM search_stale s WHERE s.message_id <= ?1
           AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.message_id = s.message_id)",
        params![upto],
    )?;
    tx.execute(
        &format!(
            "INSERT OR REPLACE INTO search (rowid, subject, people, body)
             SELECT {DOC_COLUMNS}
             FROM search_stale s JOIN messages m ON m.id = s.message_id
             JOIN search_docs d ON d.message_id = m.id
             LEFT JOIN bodies b ON b.message_id = m.id
             WHERE s.message_id <= ?1"
        ),
        [upto],
    )
    .context("Re-indexing messages")?;
    tx.execute("DELETE FROM search_stale WHERE message_id <= ?1", [upto])
        .context("Clearing out-of-date documents")
}

/// How far the search index is behind the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct IndexProgress {
    /// Messages in the cache (every account).
    pub messages: u64,
    /// Messages not yet searchable, or searchable without the body that has since arrived.
    pub waiting: u64,
}

impl IndexProgress {
    pub fn done(&self) -> bool {
        self.waiting == 0
    }

    /// Messages whose documents are current.
    pub fn indexed(&self) -> u64 {
        self.messages.saturating_sub(self.waiting)
    }
}

/// How many of the newest matches a search ranks: a word in nearly every message must not
/// make every search read every message.
const RANKED_MATCHES: i64 = 500;

/// Prefixes up to this many characters are answered from FTS5 prefix indexes (the table's
/// `prefix` option). A longer last word is matched whole: a prefix query without an index
/// reads every match of the term, which for a word in most messages costs tens of ms.
const MAX_PREFIX_CHARS: usize = 6;

/// Turns what a user typed into an FTS5 query: every word must match, the last one as a
/// prefix while it is short (results come while typing) unless the text ends with a space;
/// FTS5 syntax characters are taken literally.
pub fn fts_query(typed: &str) -> Option<String> {
    let finished = typed.ends_with(char::is_whitespace);
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
                if i == last && !finished && word.chars().count() <= MAX_PREFIX_CHARS {
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
    /// Indexes up to `batch` messages not yet indexed or, when there are none, replaces up
    /// to `batch` out-of-date documents; returns how many (0: all done). One transaction:
    /// with small batches, readers never wait long for the cache.
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
        let added = match upto {
            Some(upto) => {
                let added = index_range(&tx, from, upto)?;
                tx.execute(
                    "UPDATE search_state SET indexed_up_to = ?1 WHERE id = 1",
                    [upto],
                )
                .context("Recording index progress")?;
                added
            }
            None => index_stale(&tx, batch)?,
        };
        tx.commit().context("Committing the index")?;
        Ok(added)
    }

    /// Indexes in batches of `batch` until done or `deadline` passes (a search that must
    /// answer soon indexes what it can first); says how far the index got.
    pub fn index_for_search_until(
        &mut self,
        deadline: std::time::Instant,
        batch: usize,
    ) -> anyhow::Result<IndexProgress> {
        while std::time::Instant::now() < deadline {
            if self.index_for_search(batch)? == 0 {
                break;
            }
        }
        self.index_progress()
    }

    /// How many messages wait to be indexed (new, or with a body that arrived or went since).
    pub fn index_progress(&self) -> anyhow::Result<IndexProgress> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM messages),
                        (SELECT count(*) FROM messages
                          WHERE id > (SELECT indexed_up_to FROM search_state WHERE id = 1))
                        + (SELECT count(*) FROM search_stale)",
                [],
                |row| {
                    Ok(IndexProgress {
                        messages: row.get::<_, i64>(0)?.max(0) as u64,
                        waiting: row.get::<_, i64>(1)?.max(0) as u64,
                    })
                },
            )
            .context("Measuring index progress")
    }

    /// One step of merging the index's segments (about `pages` leaf pages of work), which
    /// keeps searches fast after many small batches; false when there was nothing to merge.
    /// Small steps, unlike one `optimize`, never hold the cache long.
    pub fn merge_search_index(&mut self, pages: u32) -> anyhow::Result<bool> {
        let before = self.conn.total_changes();
        self.conn
            .execute(
                "INSERT INTO search (search, rank) VALUES ('merge', ?1)",
                [-i64::from(pages.max(1))],
            )
            .context("Merging the search index")?;
        Ok(self.conn.total_changes() - before >= 2)
    }

    /// Indexes everything not yet indexed. After a large batch (a first sync), the index's
    /// segments are merged into one, which keeps searches fast.
    pub fn index_all_for_search(&mut self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let added = self.index_for_search(1_000)?;
            if added == 0 {
                break;
            }
            total += added;
        }
        if total >= 10_000 {
            self.optimize_search_index()?;
        }
        Ok(total)
    }

    /// Merges the search index's segments into one (FTS5 `optimize`): the fastest queries,
    /// at the cost of rewriting the whole index at once.
    pub fn optimize_search_index(&mut self) -> anyhow::Result<()> {
        self.conn
            .execute("INSERT INTO search (search) VALUES ('optimize')", [])
            .context("Merging the search index")?;
        Ok(())
    }

    /// The account's messages matching `typed` (every word, the last as a prefix): of the
    /// newest 500 matches, the best first (subject and people weigh more than the body),
    /// newest first among equally good ones.
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
                // A Gmail message shows in several label folders (one X-GM-MSGID): one hit,
                // from INBOX or a label folder rather than All Mail.
                "SELECT name, uid, subject, from_name, from_address, shown_date, flags,
                        message_id, attachments, gm_labels, preview
                 FROM (SELECT f.name, m.uid, m.subject, m.from_name, m.from_address,
                              coalesce(m.date, m.internal_date) AS shown_date, m.flags,
                              m.message_id, m.attachments, m.gm_labels, m.preview, s.score, m.internal_date AS arrived,
                              m.id AS row_id,
                              row_number() OVER (
                                  PARTITION BY coalesce(m.gm_msgid, -m.id)
                                  ORDER BY f.role IS 'all', f.role IS NOT 'inbox', m.id) AS copy
                       FROM (SELECT rowid AS doc, round(bm25(search, 4.0, 2.0, 1.0), 1) AS score
                             FROM search WHERE search MATCH ?1 ORDER BY rowid LIMIT ?4) s
                       JOIN search_docs d ON d.doc = s.doc
                       JOIN messages m ON m.id = d.message_id
                       JOIN folders f ON f.id = m.folder_id
                       WHERE f.account_id = ?2)
                 WHERE copy = 1
                 ORDER BY score, arrived DESC, row_id DESC
                 LIMIT ?3",
            )
            .context("Preparing a search")?;
        let rows = statement
            .query_map(params![query, account.0, limit, RANKED_MATCHES], |row| {
                Ok(SearchHit {
                    folder: row.get(0)?,
                    message: summary_at(row, 1, 9, Some(10))?,
                })
            })
            .context("Searching")?;
        rows.collect::<rusqlite::Result<_>>().context("Searching")
    }
}

/// One message as conversation threading needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRow {
    pub folder: String,
    pub message: MessageSummary,
    pub in_reply_to: String,
    /// Message-IDs of References, oldest first.
    pub references: Vec<String>,
    /// Gmail's X-GM-MSGID (one message in several label folders) and X-GM-THRID.
    pub gm_msgid: Option<u64>,
    pub gm_thrid: Option<u64>,
}

impl Store {
    /// Every cached message of the account with its threading headers.
    pub fn thread_rows(&self, account: AccountId) -> anyhow::Result<Vec<ThreadRow>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT f.name, m.uid, m.subject, m.from_name, m.from_address,
                        coalesce(m.date, m.internal_date), m.flags, m.message_id, m.attachments,
                        m.in_reply_to, m.references_, m.gm_msgid, m.gm_thrid, m.gm_labels
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.account_id = ?1",
            )
            .context("Preparing the threading query")?;
        let rows = statement
            .query_map([account.0], |row| {
                let references: String = row.get(10)?;
                Ok(ThreadRow {
                    folder: row.get(0)?,
                    // Threading reads every message: no previews (the rows show none).
                    message: summary_at(row, 1, 13, None)?,
                    in_reply_to: row.get(9)?,
                    references: references.split_whitespace().map(str::to_string).collect(),
                    gm_msgid: row.get::<_, Option<i64>>(11)?.map(|id| id as u64),
                    gm_thrid: row.get::<_, Option<i64>>(12)?.map(|id| id as u64),
                })
            })
            .context("Reading messages for threading")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading messages for threading")
    }
}
