//! What an account says about its person: the name put in From and the signature.

use anyhow::Context;
use rusqlite::{params, OptionalExtension};

use crate::{AccountId, Store};

/// A text column of `accounts` (one of this file's, never input), `None` when empty.
fn read_text(
    store: &Store,
    account: AccountId,
    column: &'static str,
) -> anyhow::Result<Option<String>> {
    store
        .conn
        .query_row(
            &format!("SELECT {column} FROM accounts WHERE id = ?1"),
            [account.0],
            |row| row.get::<_, Option<String>>(0),
        )
        .optional()
        .map(Option::flatten)
        .with_context(|| format!("Reading the account's {column}"))
}

fn write_text(
    store: &mut Store,
    account: AccountId,
    column: &'static str,
    value: Option<&str>,
) -> anyhow::Result<()> {
    let changed = store
        .conn
        .execute(
            &format!("UPDATE accounts SET {column} = ?2 WHERE id = ?1"),
            params![account.0, value],
        )
        .with_context(|| format!("Saving the account's {column}"))?;
    if changed == 0 {
        anyhow::bail!("No such account (id {})", account.0);
    }
    Ok(())
}

impl Store {
    /// The name put in From (None: the address alone).
    pub fn set_display_name(
        &mut self,
        account: AccountId,
        name: Option<&str>,
    ) -> anyhow::Result<()> {
        let name = name.map(str::trim).filter(|name| !name.is_empty());
        write_text(self, account, "display_name", name)
    }

    pub fn display_name(&self, account: AccountId) -> anyhow::Result<Option<String>> {
        read_text(self, account, "display_name")
    }

    /// The signature (None or blank: none). Kept as written, trailing blank lines and
    /// Windows line ends removed.
    pub fn set_signature(
        &mut self,
        account: AccountId,
        signature: Option<&str>,
    ) -> anyhow::Result<()> {
        let signature = signature
            .map(|text| text.replace("\r\n", "\n").trim_end().to_string())
            .filter(|text| !text.trim().is_empty());
        write_text(self, account, "signature", signature.as_deref())
    }

    pub fn signature(&self, account: AccountId) -> anyhow::Result<Option<String>> {
        read_text(self, account, "signature")
    }
}
