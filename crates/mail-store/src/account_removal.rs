//! Removing an account: what would be lost (changes not yet on the server, unsent mail,
//! drafts), and the removal itself — every row of the account gone in one transaction, then
//! the search index merged and the file rebuilt (VACUUM) and the log truncated, so nothing of
//! the account stays readable in the data directory (SQLite leaves moved and deleted cells
//! in pages' free space even with `secure_delete`).

use anyhow::Context;

use crate::{AccountId, OutboxCounts, Store};

/// What removing an account would throw away that exists nowhere else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitingChanges {
    /// Actions (read, flag, move, delete) not yet sent to the server.
    pub pending: usize,
    /// Messages in the outbox not sent (waiting, refused, or maybe sent).
    pub outbox: usize,
    /// Drafts kept in this cache (a copy may be in the server's Drafts folder).
    pub drafts: usize,
}

impl WaitingChanges {
    pub fn is_empty(&self) -> bool {
        *self == WaitingChanges::default()
    }

    /// "2 changes not yet on the server, 1 unsent message and 1 draft", or "" when empty.
    pub fn describe(&self) -> String {
        let part = |count: usize, one: &str, many: &str| match count {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        };
        let parts: Vec<String> = [
            part(
                self.pending,
                "change not yet on the server",
                "changes not yet on the server",
            ),
            part(self.outbox, "unsent message", "unsent messages"),
            part(self.drafts, "draft", "drafts"),
        ]
        .into_iter()
        .flatten()
        .collect();
        match parts.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }
}

impl Store {
    /// What removing `account` would lose.
    pub fn waiting_changes(&self, account: AccountId) -> anyhow::Result<WaitingChanges> {
        let outbox = OutboxCounts::of(&self.outbox(account)?);
        Ok(WaitingChanges {
            pending: self.pending_count(account)?,
            outbox: outbox.waiting + outbox.attention,
            drafts: self.drafts(account)?.len(),
        })
    }

    /// Removes the account and everything cached for it (folders, messages, bodies, search
    /// entries, queued actions, outbox, drafts, settings), then rebuilds the file so its mail
    /// cannot be read back from it. Takes time and free space in proportion to the cache.
    pub fn remove_account(&mut self, account: AccountId) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction()
            .context("Starting to remove an account")?;
        let removed = tx
            .execute("DELETE FROM accounts WHERE id = ?1", [account.0])
            .context("Removing the account's rows")?;
        if removed == 0 {
            anyhow::bail!("No such account (id {})", account.0);
        }
        tx.commit().context("Committing the account's removal")?;
        // The rows are gone; what follows only scrubs their traces, and says so if it fails.
        let scrub = || -> anyhow::Result<()> {
            // The index keeps a deleted document's terms until its segments are merged.
            self.conn
                .execute("INSERT INTO search (search) VALUES ('optimize')", [])
                .context("Merging the search index")?;
            self.conn
                .execute_batch("VACUUM")
                .context("Rebuilding the cache file")?;
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .context("Truncating the write-ahead log")?;
            Ok(())
        };
        scrub().context(
            "The account was removed, but traces of its mail may remain in the cache file until the next removal",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::WaitingChanges;

    #[test]
    fn what_waits_is_named_in_one_sentence() {
        let cases = [
            ((0, 0, 0), ""),
            ((1, 0, 0), "1 change not yet on the server"),
            ((0, 2, 0), "2 unsent messages"),
            ((0, 0, 1), "1 draft"),
            (
                (3, 1, 0),
                "3 changes not yet on the server and 1 unsent message",
            ),
            (
                (1, 1, 2),
                "1 change not yet on the server, 1 unsent message and 2 drafts",
            ),
        ];
        for ((pending, outbox, drafts), expected) in cases {
            let waiting = WaitingChanges {
                pending,
                outbox,
                drafts,
            };
            assert_eq!(waiting.describe(), expected, "{waiting:?}");
            assert_eq!(waiting.is_empty(), expected.is_empty());
        }
    }
}
