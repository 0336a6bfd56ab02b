//! Delta sync with QRESYNC, CONDSTORE or the UID+flags method, pipelined into one round trip.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

use imap_proto::Response;
use mail_store::{DeltaWrite, Folder, MessageRow};
use mail_sync::{
    compress_uids, reconcile, LocalSnapshot, ReconcileError, Reconciled, ServerAnswer, Strategy,
    SyncMeta, Uid,
};

use crate::connection::{ImapConnection, SelectMode};
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::{message_row, HEADER_ITEMS};
use crate::response::{apply_mailbox_data, fetch_uid_and_flags, range_len};
use crate::sync::{unix_now, with_store, NewMessage, SharedStore};

/// How a delta ended.
pub(crate) enum DeltaOutcome {
    Applied {
        added: usize,
        removed: usize,
        flags_changed: usize,
        uid_validity: u32,
        new_messages: Vec<NewMessage>,
        /// Pending operations on messages the server no longer has.
        dropped: Vec<mail_store::PendingOp>,
    },
    /// UIDVALIDITY changed: the folder needs a full resync.
    UidValidityChanged,
    /// The server's modseqs cannot be used for this folder: redo with UID+flags.
    ModSeqUnusable,
}

/// Runs one delta of `folder` with `strategy` from the complete local state `meta`.
pub(crate) async fn delta_sync(
    connection: &mut ImapConnection,
    store: &SharedStore,
    folder: &Folder,
    strategy: Strategy,
    meta: &SyncMeta,
) -> Result<DeltaOutcome> {
    let counts = with_store(store, |store| store.sync_counts(folder.id))?;
    let max_known = counts.max_uid.map_or(0, |uid| uid.0);
    let new_from = match strategy {
        Strategy::UidFlags | Strategy::Initial => max_known + 1,
        Strategy::Qresync | Strategy::Condstore => meta.uid_next.0.max(1),
    };
    let select_parameters = match strategy {
        Strategy::Qresync => Some(format!(
            "(QRESYNC ({} {}))",
            meta.uid_validity.0,
            meta.highest_modseq.map_or(0, |modseq| modseq.0)
        )),
        Strategy::Condstore if !connection.sync_capabilities().qresync_enabled => {
            Some("(CONDSTORE)".to_string())
        }
        _ => None,
    };
    // With modseqs, CHANGEDSINCE keeps `n:*` from returning the newest old message (and the
    // server from reading its headers): every new message has a higher modseq.
    let new_fetch = match (strategy, meta.highest_modseq) {
        (Strategy::Qresync | Strategy::Condstore, Some(modseq)) => {
            format!(
                "UID FETCH {new_from}:* {HEADER_ITEMS} (CHANGEDSINCE {})",
                modseq.0
            )
        }
        _ => format!("UID FETCH {new_from}:* {HEADER_ITEMS}"),
    };
    let mut commands = vec![
        ImapConnection::select_command(
            &folder.name,
            SelectMode::ReadOnly,
            select_parameters.as_deref(),
        ),
        new_fetch,
    ];
    match strategy {
        Strategy::Condstore if new_from > 1 => commands.push(format!(
            "UID FETCH 1:{} (UID FLAGS) (CHANGEDSINCE {})",
            new_from - 1,
            meta.highest_modseq.map_or(0, |modseq| modseq.0)
        )),
        Strategy::UidFlags if max_known > 0 => {
            commands.push(format!("UID FETCH 1:{max_known} (UID FLAGS)"))
        }
        _ => {}
    }

    let mut answer = ServerAnswer::default();
    let mut vanished_ranges: Vec<RangeInclusive<u32>> = Vec::new();
    let mut rows: HashMap<Uid, MessageRow> = HashMap::new();
    let mut listed: Vec<Uid> = Vec::new();
    connection.selection_starting();
    let results = connection
        .pipeline(&commands, |_, response| {
            apply_mailbox_data(&mut answer.selected, response);
            match response {
                Response::Vanished { uids, .. } => vanished_ranges.extend(uids.iter().cloned()),
                Response::Fetch(_, attributes) => {
                    let (uid, flags) = fetch_uid_and_flags(attributes);
                    let Some(uid) = uid else { return Ok(()) };
                    // Pipelined answers may interleave: go by content, not by command.
                    if uid.0 >= new_from {
                        if let Some(row) = message_row(attributes) {
                            answer.fetched_new.push(uid);
                            rows.insert(uid, row);
                        }
                    } else if strategy == Strategy::UidFlags && flags.is_some() {
                        listed.push(uid);
                    }
                    if let Some(flags) = flags {
                        answer.flags.push((uid, flags));
                    }
                }
                _ => {}
            }
            Ok(())
        })
        .await?;
    let Some((select_result, rest)) = results.split_first() else {
        return Err(EngineError::new(ErrorKind::Protocol, "No answer to SELECT"));
    };
    connection.selection_finished(&folder.name, SelectMode::ReadOnly, select_result)?;
    for result in rest {
        result.require_ok(&format!("Fetching changes of {}", folder.name))?;
    }
    if strategy == Strategy::UidFlags {
        listed.extend(answer.fetched_new.iter().copied());
        answer.all_uids = Some(listed);
    }

    let mut local = local_snapshot(
        store,
        folder,
        meta,
        &answer,
        &vanished_ranges,
        strategy == Strategy::UidFlags,
    )?;
    answer.vanished = expand_vanished(&vanished_ranges, &local);
    let reconciled = match reconcile(&local, strategy, &answer) {
        Ok(reconciled) => reconciled,
        Err(ReconcileError::UidValidityChanged) => return Ok(DeltaOutcome::UidValidityChanged),
        Err(ReconcileError::ModSeqUnusable) => return Ok(DeltaOutcome::ModSeqUnusable),
        Err(ReconcileError::NeedUidList) => {
            tracing::debug!(folder = %folder.name, "message count differs; listing every UID");
            answer.all_uids = Some(connection.uid_search("ALL").await?);
            local = local_snapshot(store, folder, meta, &answer, &vanished_ranges, true)?;
            answer.vanished = expand_vanished(&vanished_ranges, &local);
            reconcile(&local, strategy, &answer).map_err(|error| {
                EngineError::new(ErrorKind::Protocol, format!("{}: {error}", folder.name))
            })?
        }
        Err(error) => {
            return Err(EngineError::new(
                ErrorKind::Protocol,
                format!("{}: {error}", folder.name),
            ))
        }
    };
    apply(connection, store, folder, strategy, reconciled, rows).await
}

/// The cached state the answer is reconciled against. The count and the flags are read
/// together, so an arrival cached meanwhile (by a watch connection) is in both or neither.
fn local_snapshot(
    store: &SharedStore,
    folder: &Folder,
    meta: &SyncMeta,
    answer: &ServerAnswer,
    vanished: &[RangeInclusive<u32>],
    everything: bool,
) -> Result<LocalSnapshot> {
    let vanished_total: u64 = vanished.iter().map(range_len).sum();
    let named = (!everything && vanished_total <= 10_000).then(|| {
        let mut named: Vec<Uid> = answer.flags.iter().map(|(uid, _)| *uid).collect();
        named.extend(vanished.iter().flat_map(|range| range.clone().map(Uid)));
        named.sort_unstable();
        named.dedup();
        named
    });
    let (counts, flags) = with_store(store, |store| {
        let flags = match &named {
            Some(named) => store.flags_of(folder.id, named)?,
            None => store.all_flags(folder.id)?,
        };
        Ok((store.sync_counts(folder.id)?, flags))
    })?;
    Ok(LocalSnapshot {
        meta: meta.clone(),
        count: counts.count,
        max_uid: counts.max_uid,
        flags,
    })
}

/// The vanished UIDs that matter: all of them when few, else only the cached ones.
fn expand_vanished(ranges: &[RangeInclusive<u32>], local: &LocalSnapshot) -> Vec<Uid> {
    let total: u64 = ranges.iter().map(range_len).sum();
    if total <= 10_000 {
        return ranges
            .iter()
            .flat_map(|range| range.clone().map(Uid))
            .collect();
    }
    local
        .flags
        .keys()
        .copied()
        .filter(|uid| ranges.iter().any(|range| range.contains(&uid.0)))
        .collect()
}

async fn apply(
    connection: &mut ImapConnection,
    store: &SharedStore,
    folder: &Folder,
    strategy: Strategy,
    reconciled: Reconciled,
    mut rows: HashMap<Uid, MessageRow>,
) -> Result<DeltaOutcome> {
    if !reconciled.missing_headers.is_empty() {
        // Messages listed by the server but not cached (a hole): fetch their headers too.
        let set = compress_uids(&reconciled.missing_headers);
        connection
            .execute(&format!("UID FETCH {set} {HEADER_ITEMS}"), |response| {
                if let Response::Fetch(_, attributes) = response {
                    if let Some(row) = message_row(attributes) {
                        rows.insert(row.uid, row);
                    }
                }
                Ok(())
            })
            .await?
            .require_ok(&format!("Fetching missing headers of {}", folder.name))?;
    }
    // A message expunged between listing and fetching has no row: the next delta drops it.
    let added: Vec<MessageRow> = reconciled
        .added
        .iter()
        .filter_map(|uid| rows.remove(uid))
        .collect();
    let write = DeltaWrite {
        added: &added,
        removed: &reconciled.removed,
        flags_changed: &reconciled.flags_changed,
        new_meta: &reconciled.new_meta,
        strategy,
        now: unix_now(),
    };
    let applied = with_store(store, |store| store.apply_delta(folder.id, &write))?;
    // Arrivals a watch connection cached ahead of this delta were announced then.
    let inserted: HashSet<Uid> = applied.inserted.into_iter().collect();
    Ok(DeltaOutcome::Applied {
        added: inserted.len(),
        removed: reconciled.removed.len(),
        flags_changed: applied.flags_changed,
        dropped: applied.dropped,
        uid_validity: reconciled.new_meta.uid_validity.0,
        new_messages: added
            .iter()
            .filter(|row| inserted.contains(&row.uid))
            .map(NewMessage::from_row)
            .collect(),
    })
}
