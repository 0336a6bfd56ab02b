//! The `bodies` table: whole messages kept for offline reading, within a size budget.

use anyhow::Context;
use mail_sync::Uid;
use rusqlite::{params, OptionalExtension};

use crate::message_column::message_column;
use crate::{FolderId, Store};

/// A body to keep: the raw message, where its parts left on the server are (JSON, empty for
/// a whole message) and its text for search.
#[derive(Debug, Clone, Copy)]
pub struct FetchedBody<'a> {
    pub uid: u64,
    pub raw: &'a [u8],
    pub remote_parts: &'a str,
    pub body_text: &'a str,
    /// The message list's preview (`mail_message::preview`); empty: keep the row's.
    pub preview: &'a str,
}

/// A message without a cached body, for prefetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingBody {
    pub uid: Uid,
    /// RFC822.SIZE as the server reported it.
    pub size: u32,
    /// INTERNALDATE (Unix seconds): with the UID, where the next listing continues.
    pub internal_date: i64,
}

/// The messages `m` of folder ?1 that arrived at or after ?2 (Unix seconds) and want a body:
/// not a local placeholder (UID below ?3), no body cached, nor — on Gmail — a copy in another
/// label folder of the account with one. What the prefetcher counts and lists.
const WANTS_BODY: &str = "m.folder_id = ?1 AND m.internal_date >= ?2 AND m.uid < ?3
    AND NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = m.id)
    AND (m.gm_msgid IS NULL OR NOT EXISTS (
         SELECT 1 FROM messages o JOIN bodies b ON b.message_id = o.id
         JOIN folders fo ON fo.id = o.folder_id
         WHERE o.gm_msgid = m.gm_msgid
           AND fo.account_id = (SELECT account_id FROM folders WHERE id = ?1)))";

impl Store {
    fn message_rowid(&self, folder: FolderId, uid: u64) -> anyhow::Result<Option<i64>> {
        message_column(&self.conn, "id", folder, uid)
    }

    /// Whether the message is cached.
    pub fn has_message(&self, folder: FolderId, uid: u64) -> anyhow::Result<bool> {
        Ok(self.message_rowid(folder, uid)?.is_some())
    }

    /// The message's size as the server reported it (RFC822.SIZE), if cached.
    pub fn message_size(&self, folder: FolderId, uid: u64) -> anyhow::Result<Option<u32>> {
        message_column(&self.conn, "size", folder, uid)
    }

    /// The cached raw message, if its body was fetched.
    pub fn body(&self, folder: FolderId, uid: u64) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.cached_body(folder, uid)?.map(|(raw, _)| raw))
    }

    /// The cached raw message and where its parts left on the server are (the engine's
    /// JSON, empty for a whole message).
    pub fn cached_body(
        &self,
        folder: FolderId,
        uid: u64,
    ) -> anyhow::Result<Option<(Vec<u8>, String)>> {
        let own = self
            .conn
            .query_row(
                "SELECT b.raw, b.remote_parts FROM bodies b JOIN messages m ON m.id = b.message_id
                 WHERE m.folder_id = ?1 AND m.uid = ?2",
                params![folder.0, uid as i64],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .context("Reading a cached body")?;
        if own.is_some() {
            return Ok(own);
        }
        // A Gmail message shows in several label folders (one X-GM-MSGID): its body is kept
        // once, with whichever copy fetched it.
        self.conn
            .query_row(
                "SELECT b.raw, b.remote_parts
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 JOIN messages o ON o.gm_msgid = m.gm_msgid AND o.id != m.id
                 JOIN folders fo ON fo.id = o.folder_id AND fo.account_id = f.account_id
                 JOIN bodies b ON b.message_id = o.id
                 WHERE m.folder_id = ?1 AND m.uid = ?2 AND m.gm_msgid IS NOT NULL
                 LIMIT 1",
                params![folder.0, uid as i64],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .context("Reading a Gmail message's body kept with another copy")
    }

    /// Keeps a fetched body (and its text for search). Returns false when the message is no
    /// longer cached (expunged meanwhile): nothing is stored.
    pub fn save_body(
        &mut self,
        folder: FolderId,
        uid: u64,
        raw: &[u8],
        body_text: &str,
        now: i64,
    ) -> anyhow::Result<bool> {
        self.save_fetched(
            folder,
            &FetchedBody {
                uid,
                raw,
                remote_parts: "",
                body_text,
                preview: "",
            },
            now,
        )
    }

    /// Keeps one fetched body (a message fetched text first: its `remote_parts` say where
    /// its attachments are on the server). False when the message is no longer cached.
    pub fn save_fetched(
        &mut self,
        folder: FolderId,
        body: &FetchedBody<'_>,
        now: i64,
    ) -> anyhow::Result<bool> {
        Ok(self.save_bodies(folder, std::slice::from_ref(body), now)? == 1)
    }

    /// Keeps several fetched bodies of `folder` in one transaction (a prefetch batch: one
    /// commit instead of one per body). Messages no longer cached are skipped; returns how
    /// many were kept.
    pub fn save_bodies(
        &mut self,
        folder: FolderId,
        bodies: &[FetchedBody<'_>],
        now: i64,
    ) -> anyhow::Result<usize> {
        let tx = self.conn.transaction().context("Starting to save bodies")?;
        let mut saved = 0;
        for body in bodies {
            let id: Option<i64> = message_column(&tx, "id", folder, body.uid)?;
            let Some(id) = id else {
                continue;
            };
            tx.prepare_cached(
                "INSERT INTO bodies (message_id, raw, size, body_text, fetched_at, remote_parts,
                                     evict_after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                         (SELECT internal_date FROM messages WHERE id = ?1))
                 ON CONFLICT (message_id) DO UPDATE SET raw = excluded.raw, size = excluded.size,
                   body_text = excluded.body_text, fetched_at = excluded.fetched_at,
                   remote_parts = excluded.remote_parts,
                   evict_after = max(evict_after, excluded.evict_after)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    id,
                    body.raw,
                    body.raw.len() as i64,
                    body.body_text,
                    now,
                    body.remote_parts
                ])
            })
            .context("Saving a body")?;
            // A kept body's preview is the whole text's; an empty one keeps the row's.
            tx.prepare_cached(
                "UPDATE messages
                 SET preview = CASE WHEN ?2 <> '' THEN ?2 ELSE preview END, preview_known = 1
                 WHERE id = ?1 AND (preview_known = 0 OR (?2 <> '' AND preview <> ?2))",
            )
            .and_then(|mut statement| statement.execute(params![id, body.preview]))
            .context("Keeping a message's preview")?;
            crate::search::mark_stale(&tx, id)?;
            saved += 1;
        }
        tx.commit().context("Committing bodies")?;
        Ok(saved)
    }

    /// Records that the user opened the message (recently read bodies are evicted last).
    pub fn mark_opened(&mut self, folder: FolderId, uid: u64, now: i64) -> anyhow::Result<()> {
        if let Some(id) = self.message_rowid(folder, uid)? {
            self.conn
                .execute(
                    "UPDATE bodies SET opened_at = ?2, evict_after = max(evict_after, ?2)
                     WHERE message_id = ?1",
                    params![id, now],
                )
                .context("Recording an opened message")?;
        }
        Ok(())
    }

    /// Bytes of cached bodies, all accounts: a running total kept by triggers (migration
    /// 0016), so asking costs nothing however many bodies are cached.
    pub fn bodies_size(&self) -> anyhow::Result<u64> {
        let size: i64 = self
            .conn
            .query_row("SELECT bytes FROM bodies_total WHERE id = 1", [], |row| {
                row.get(0)
            })
            .context("Measuring cached bodies")?;
        Ok(size.max(0) as u64)
    }

    /// Bytes of cached bodies counted body by body (what [`Store::bodies_size`] keeps;
    /// consistency checks and tests).
    pub fn bodies_size_counted(&self) -> anyhow::Result<u64> {
        let size: i64 = self
            .conn
            .query_row("SELECT coalesce(sum(size), 0) FROM bodies", [], |row| {
                row.get(0)
            })
            .context("Counting cached bodies")?;
        Ok(size.max(0) as u64)
    }

    /// Drops the bodies of the oldest messages (by arrival; opened ones by when they were
    /// opened) until the cache holds at most `budget` bytes of bodies. Headers stay; the
    /// search index keeps their subject and people. Returns how many were dropped. Reads
    /// only the index entries of the bodies it drops (`bodies_by_age`), however many stay.
    pub fn evict_bodies(&mut self, budget: u64) -> anyhow::Result<usize> {
        let mut total = self.bodies_size()?;
        if total <= budget {
            return Ok(0);
        }
        let tx = self.conn.transaction().context("Starting eviction")?;
        let victims: Vec<(i64, i64)> = {
            let mut statement = tx
                .prepare(
                    "SELECT message_id, size FROM bodies INDEXED BY bodies_by_age
                     ORDER BY evict_after ASC",
                )
                .context("Preparing eviction")?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .context("Choosing bodies to evict")?;
            let mut victims = Vec::new();
            for row in rows {
                let (id, size): (i64, i64) = row.context("Reading a body size")?;
                if total <= budget {
                    break;
                }
                total = total.saturating_sub(size.max(0) as u64);
                victims.push((id, size));
            }
            victims
        };
        for (id, _) in &victims {
            tx.execute("DELETE FROM bodies WHERE message_id = ?1", [id])
                .context("Evicting a body")?;
            crate::search::mark_stale(&tx, *id)?;
        }
        tx.commit().context("Committing eviction")?;
        Ok(victims.len())
    }

    /// Which of `uids` in `folder` have a cached body.
    pub fn with_body(
        &self,
        folder: FolderId,
        uids: &[u64],
    ) -> anyhow::Result<std::collections::HashSet<u64>> {
        let (Some(low), Some(high)) = (uids.iter().min(), uids.iter().max()) else {
            return Ok(std::collections::HashSet::new());
        };
        // One range scan (a download's batch is a run of nearby UIDs), then the asked ones.
        let wanted: std::collections::HashSet<u64> = uids.iter().copied().collect();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT m.uid FROM messages m JOIN bodies b ON b.message_id = m.id
                 WHERE m.folder_id = ?1 AND m.uid BETWEEN ?2 AND ?3",
            )
            .context("Preparing a body lookup")?;
        let mut kept = std::collections::HashSet::new();
        let rows = statement
            .query_map(params![folder.0, *low as i64, *high as i64], |row| {
                row.get::<_, i64>(0)
            })
            .context("Looking up bodies")?;
        for uid in rows {
            let uid = uid.context("Reading a body lookup")? as u64;
            if wanted.contains(&uid) {
                kept.insert(uid);
            }
        }
        Ok(kept)
    }

    /// How many messages of `folder` that arrived at or after `since` have no cached body
    /// (counted as [`Store::messages_without_body`] lists them; for progress).
    pub fn count_without_body(&self, folder: FolderId, since: i64) -> anyhow::Result<usize> {
        let count: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM messages m WHERE {WANTS_BODY}"
            ))
            .context("Preparing the prefetch count")?
            .query_row(
                params![folder.0, since, crate::LOCAL_UID_BASE as i64],
                |row| row.get(0),
            )
            .context("Counting messages without bodies")?;
        Ok(count.max(0) as usize)
    }

    /// Messages of `folder` that arrived at or after `since` (Unix seconds) and have no cached
    /// body (nor, on Gmail, a copy in another label folder with one), newest first, at most
    /// `limit`; with `below`, only those after that (INTERNALDATE, UID) in that order — a
    /// prefetch continues where its last batch ended instead of walking past every body it
    /// already fetched.
    pub fn messages_without_body(
        &self,
        folder: FolderId,
        since: i64,
        below: Option<(i64, Uid)>,
        limit: usize,
    ) -> anyhow::Result<Vec<MissingBody>> {
        let (below_date, below_uid) =
            below.map_or((i64::MAX, u32::MAX), |(date, uid)| (date, uid.0));
        let mut statement = self
            .conn
            .prepare_cached(&format!(
                "SELECT m.uid, m.size, m.internal_date FROM messages m
                 WHERE {WANTS_BODY} AND (m.internal_date, m.uid) < (?4, ?5)
                 ORDER BY m.internal_date DESC, m.uid DESC LIMIT ?6"
            ))
            .context("Preparing the prefetch list")?;
        let rows = statement
            .query_map(
                params![
                    folder.0,
                    since,
                    crate::LOCAL_UID_BASE as i64,
                    below_date,
                    i64::from(below_uid),
                    limit as i64
                ],
                |row| {
                    Ok(MissingBody {
                        uid: Uid(row.get(0)?),
                        size: row.get(1)?,
                        internal_date: row.get(2)?,
                    })
                },
            )
            .context("Listing messages without bodies")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Listing messages without bodies")
    }
}

impl Store {
    /// Lets (or stops letting) messages from `sender` load remote content when shown.
    pub fn set_remote_allowed(
        &mut self,
        account: crate::AccountId,
        sender: &str,
        allowed: bool,
        now: i64,
    ) -> anyhow::Result<()> {
        let sender = sender.trim().to_lowercase();
        if allowed {
            self.conn
                .execute(
                    "INSERT INTO remote_content_allowed (account_id, sender, created_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account_id, sender) DO NOTHING",
                    params![account.0, sender, now],
                )
                .context("Allowing remote content")?;
        } else {
            self.conn
                .execute(
                    "DELETE FROM remote_content_allowed WHERE account_id = ?1 AND sender = ?2",
                    params![account.0, sender],
                )
                .context("Blocking remote content")?;
        }
        Ok(())
    }

    /// Whether messages from `sender` may load remote content.
    pub fn remote_allowed(&self, account: crate::AccountId, sender: &str) -> anyhow::Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM remote_content_allowed WHERE account_id = ?1 AND sender = ?2)",
                params![account.0, sender.trim().to_lowercase()],
                |row| row.get(0),
            )
            .context("Checking remote content permission")
    }

    /// Senders allowed to load remote content, sorted.
    pub fn remote_allowed_senders(&self, account: crate::AccountId) -> anyhow::Result<Vec<String>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT sender FROM remote_content_allowed WHERE account_id = ?1 ORDER BY sender",
            )
            .context("Listing senders")?;
        let rows = statement
            .query_map([account.0], |row| row.get(0))
            .context("Listing senders")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Listing senders")
    }
}
