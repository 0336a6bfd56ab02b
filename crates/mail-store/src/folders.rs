//! The `folders` table: the account's mailboxes as LIST reported them, with their roles.

use anyhow::Context;
use mail_sync::FolderRole;
use rusqlite::{params, OptionalExtension};

use crate::{AccountId, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FolderId(pub i64);

/// A folder as the server's LIST described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFolder {
    pub name: String,
    pub delimiter: Option<String>,
    pub attributes: Vec<String>,
    pub role: Option<FolderRole>,
    pub selectable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: FolderId,
    pub account_id: AccountId,
    pub name: String,
    pub delimiter: Option<String>,
    pub role: Option<FolderRole>,
    pub selectable: bool,
}

/// A folder with its cached message counts, for folder lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderSummary {
    pub id: FolderId,
    pub name: String,
    pub role: Option<FolderRole>,
    pub total: u64,
    pub unread: u64,
}

impl Store {
    /// Makes the cached folder list equal to `listed` (a complete LIST answer): new folders are
    /// added, known ones updated, and folders gone from the server removed with their messages.
    /// An empty list is refused: every account has at least an INBOX.
    pub fn replace_folders(
        &mut self,
        account: AccountId,
        listed: &[ListedFolder],
    ) -> anyhow::Result<()> {
        if listed.is_empty() {
            anyhow::bail!("Refusing to replace the folder list with an empty one");
        }
        let tx = self.conn.transaction().context("Starting folder update")?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO folders (account_id, name, delimiter, role, attributes, selectable)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (account_id, name) DO UPDATE SET delimiter = excluded.delimiter,
                       role = excluded.role, attributes = excluded.attributes, selectable = excluded.selectable",
                )
                .context("Preparing folder upsert")?;
            for folder in listed {
                upsert
                    .execute(params![
                        account.0,
                        folder.name,
                        folder.delimiter,
                        folder.role.map(FolderRole::as_str),
                        folder.attributes.join(" "),
                        folder.selectable as i64,
                    ])
                    .with_context(|| format!("Saving folder {}", folder.name))?;
            }
            let existing: Vec<(i64, String)> = {
                let mut statement = tx
                    .prepare_cached("SELECT id, name FROM folders WHERE account_id = ?1")
                    .context("Listing cached folders")?;
                let rows = statement
                    .query_map([account.0], |row| Ok((row.get(0)?, row.get(1)?)))
                    .context("Listing cached folders")?;
                rows.collect::<rusqlite::Result<_>>()
                    .context("Reading cached folders")?
            };
            for (id, name) in existing {
                if !listed.iter().any(|folder| folder.name == name) {
                    tracing::info!(folder = %name, "folder gone from the server; dropping it from the cache");
                    tx.execute("DELETE FROM folders WHERE id = ?1", [id])
                        .with_context(|| format!("Removing folder {name}"))?;
                }
            }
        }
        tx.commit().context("Committing folder update")
    }

    pub fn folder_by_name(&self, account: AccountId, name: &str) -> anyhow::Result<Option<Folder>> {
        // INBOX is case-insensitive (RFC 3501 §5.1); other names are exact.
        self.conn
            .query_row(
                "SELECT id, account_id, name, delimiter, role, selectable FROM folders
                 WHERE account_id = ?1 AND (name = ?2 OR (upper(name) = 'INBOX' AND upper(?2) = 'INBOX'))",
                params![account.0, name],
                folder_from_row,
            )
            .optional()
            .with_context(|| format!("Looking up folder {name}"))
    }

    /// Every folder of the account with cached totals, INBOX first, then by role, then by name.
    pub fn folder_summaries(&self, account: AccountId) -> anyhow::Result<Vec<FolderSummary>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT f.id, f.name, f.role, f.total, f.unread
                 FROM folders f WHERE f.account_id = ?1
                 ORDER BY CASE f.role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'sent' THEN 2
                          WHEN 'archive' THEN 3 WHEN 'junk' THEN 4 WHEN 'trash' THEN 5 ELSE 6 END, f.name",
            )
            .context("Listing folders")?;
        let rows = statement
            .query_map([account.0], |row| {
                let role: Option<String> = row.get(2)?;
                Ok(FolderSummary {
                    id: FolderId(row.get(0)?),
                    name: row.get(1)?,
                    role: role.as_deref().and_then(FolderRole::parse),
                    total: row.get::<_, i64>(3)?.max(0) as u64,
                    unread: row.get::<_, i64>(4)?.max(0) as u64,
                })
            })
            .context("Listing folders")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading folders")
    }

    /// Every folder of the account, in folder-list order.
    pub fn folders(&self, account: AccountId) -> anyhow::Result<Vec<Folder>> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT id, account_id, name, delimiter, role, selectable FROM folders WHERE account_id = ?1
                 ORDER BY CASE role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'sent' THEN 2
                          WHEN 'archive' THEN 3 WHEN 'junk' THEN 4 WHEN 'trash' THEN 5 ELSE 6 END, name",
            )
            .context("Listing folders")?;
        let rows = statement
            .query_map([account.0], folder_from_row)
            .context("Listing folders")?;
        rows.collect::<rusqlite::Result<_>>()
            .context("Reading folders")
    }
}

fn folder_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Folder> {
    let role: Option<String> = row.get(4)?;
    Ok(Folder {
        id: FolderId(row.get(0)?),
        account_id: AccountId(row.get(1)?),
        name: row.get(2)?,
        delimiter: row.get(3)?,
        role: role.as_deref().and_then(FolderRole::parse),
        selectable: row.get::<_, i64>(5)? != 0,
    })
}
