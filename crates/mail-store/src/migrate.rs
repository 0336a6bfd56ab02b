//! Embedded, ordered SQL migrations; the schema version lives in `PRAGMA user_version`.

use anyhow::Context;
use rusqlite::Connection;

/// Every migration, in order; index + 1 is the schema version it produces.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        include_str!("../../../migrations/0001_init.sql"),
    ),
    (
        "0002_counts_per_batch.sql",
        include_str!("../../../migrations/0002_counts_per_batch.sql"),
    ),
    (
        "0003_pending_ops.sql",
        include_str!("../../../migrations/0003_pending_ops.sql"),
    ),
    (
        "0004_bodies_and_search.sql",
        include_str!("../../../migrations/0004_bodies_and_search.sql"),
    ),
    (
        "0005_remote_content.sql",
        include_str!("../../../migrations/0005_remote_content.sql"),
    ),
    (
        "0006_attachment_mark.sql",
        include_str!("../../../migrations/0006_attachment_mark.sql"),
    ),
    (
        "0007_outbox.sql",
        include_str!("../../../migrations/0007_outbox.sql"),
    ),
    (
        "0008_drafts.sql",
        include_str!("../../../migrations/0008_drafts.sql"),
    ),
    (
        "0009_remote_parts.sql",
        include_str!("../../../migrations/0009_remote_parts.sql"),
    ),
    (
        "0010_restored_actions.sql",
        include_str!("../../../migrations/0010_restored_actions.sql"),
    ),
    (
        "0011_account_signature.sql",
        include_str!("../../../migrations/0011_account_signature.sql"),
    ),
    (
        "0012_account_sign_in.sql",
        include_str!("../../../migrations/0012_account_sign_in.sql"),
    ),
    (
        "0013_account_connections.sql",
        include_str!("../../../migrations/0013_account_connections.sql"),
    ),
    (
        "0014_gmail_ids.sql",
        include_str!("../../../migrations/0014_gmail_ids.sql"),
    ),
    (
        "0015_gmail_shared_body.sql",
        include_str!("../../../migrations/0015_gmail_shared_body.sql"),
    ),
    (
        "0016_bodies_total.sql",
        include_str!("../../../migrations/0016_bodies_total.sql"),
    ),
    (
        "0017_offline_policy.sql",
        include_str!("../../../migrations/0017_offline_policy.sql"),
    ),
    (
        "0018_moved_body_reindexed.sql",
        include_str!("../../../migrations/0018_moved_body_reindexed.sql"),
    ),
    (
        "0019_message_preview.sql",
        include_str!("../../../migrations/0019_message_preview.sql"),
    ),
    (
        "0020_preview_known.sql",
        include_str!("../../../migrations/0020_preview_known.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database was written by a newer Tern; opening it could corrupt it.
#[derive(Debug, thiserror::Error)]
#[error(
    "The cache was written by a newer version of Tern (schema {found}, this build knows up to {supported}); upgrade Tern or use another data directory"
)]
pub struct SchemaTooNew {
    pub found: i64,
    pub supported: i64,
}

pub(crate) fn current_version(conn: &Connection) -> anyhow::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .context("Reading the schema version")
}

pub(crate) fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let found = current_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= found {
            continue;
        }
        let tx = conn
            .transaction()
            .with_context(|| format!("Starting migration {name}"))?;
        tx.execute_batch(sql)
            .with_context(|| format!("Applying migration {name}"))?;
        tx.pragma_update(None, "user_version", version)
            .with_context(|| format!("Recording schema version {version}"))?;
        tx.commit()
            .with_context(|| format!("Committing migration {name}"))?;
        tracing::info!(migration = name, version, "applied cache migration");
    }
    Ok(())
}
