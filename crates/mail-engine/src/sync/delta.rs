//! Delta sync with QRESYNC, CONDSTORE or the UID+flags method, pipelined into one round trip.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;

use imap_proto::Response;
use mail_store::{DeltaWrite, Folder, MessageRow};
use mail_sync::{
    compress_uids, delta_commands, reconcile, ExpungeSearch, FlagScope, LocalSnapshot,
    ReconcileError, Reconciled, ServerAnswer, Strategy, SyncMeta, Uid,
};

use crate::connection::{ImapConnection, SearchBound, SelectMode};
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::message_row;
use crate::response::{apply_count_change, apply_selection_code, fetch_uid_and_flags, range_len};
use crate::store_access::{unix_now, with_store, SharedStore};
use crate::sync::report::NewMessage;

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

/// Runs one delta of `folder` with `strategy` from the complete local state `meta`;
/// `scope` says which cached messages' flags the UID+flags method asks for.
pub(crate) async fn delta_sync(
    connection: &mut ImapConnection,
    store: &SharedStore,
    folder: &Folder,
    strategy: Strategy,
    meta: &SyncMeta,
    scope: FlagScope,
) -> Result<DeltaOutcome> {
    let counts = with_store(store, |store| store.sync_counts(folder.id))?;
    // The UID+flags method over the newest messages only: the listing is complete from
    // `window.0` to the highest cached UID, and says nothing below.
    let window: Option<(Uid, Uid)> = match (strategy, scope, counts.max_uid) {
        (Strategy::UidFlags, FlagScope::From(from), Some(max)) if from > Uid(1) && from <= max => {
            Some((from, max))
        }
        _ => None,
    };
    let planned = delta_commands(
        strategy,
        meta,
        counts.max_uid,
        connection.sync_capabilities(),
        connection.header_items(),
        connection.flag_items(),
        scope,
    );
    let new_from = planned.new_from;
    let mut commands = vec![ImapConnection::select_command(
        &folder.name,
        SelectMode::ReadOnly,
        planned.select_parameters.as_deref(),
    )];
    commands.extend(planned.fetches);

    let mut answer = ServerAnswer::default();
    let mut vanished_ranges: Vec<RangeInclusive<u32>> = Vec::new();
    let mut rows: HashMap<Uid, MessageRow> = HashMap::new();
    let mut listed: Vec<Uid> = Vec::new();
    // Gmail's labels of cached messages, as the flag fetch reported them.
    let mut labels_seen: HashMap<Uid, Vec<String>> = HashMap::new();
    let mut fetches = 0usize;
    connection.selection_starting();
    let results = connection
        .pipeline(&commands, |answered, response| {
            // The SELECT is answered first; codes after it (a UIDVALIDITY in the middle of
            // a FETCH) are not its answer and must not count as one.
            if answered == 0 {
                apply_selection_code(&mut answer.selected, response);
            }
            apply_count_change(&mut answer.selected, response);
            match response {
                Response::Vanished { uids, .. } => vanished_ranges.extend(uids.iter().cloned()),
                Response::Fetch(_, attributes) => {
                    // Each message is answered at most once per FETCH (plus the odd
                    // unsolicited flag update): more answers than messages is a lie that
                    // would otherwise grow without bound.
                    fetches += 1;
                    if fetches > fetch_budget(answer.selected.exists) {
                        return Err(EngineError::new(
                            ErrorKind::Protocol,
                            format!(
                                "{}: more FETCH answers than the {} messages announced",
                                folder.name, answer.selected.exists
                            ),
                        ));
                    }
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
                    if uid.0 < new_from {
                        if let Some(labels) = gmail_labels(attributes) {
                            labels_seen.insert(uid, labels);
                        }
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
    connection.selection_finished(
        &folder.name,
        SelectMode::ReadOnly,
        select_result,
        &answer.selected,
        false,
    )?;
    for result in rest {
        result.require_ok(&format!("Fetching changes of {}", folder.name))?;
    }
    let everything = strategy == Strategy::UidFlags && window.is_none();
    if let Some((from, max)) = window {
        // What is cached in the window and was not listed went.
        let listed: HashSet<Uid> = listed.into_iter().collect();
        let cached = with_store(store, |store| {
            store.server_uids_between(folder.id, from, max)
        })?;
        vanished_ranges.extend(
            cached
                .into_iter()
                .filter(|uid| !listed.contains(uid))
                .map(|uid| uid.0..=uid.0),
        );
    } else if everything {
        listed.extend(answer.fetched_new.iter().copied());
        answer.all_uids = Some(listed);
    }

    let mut local = local_snapshot(store, folder, meta, &answer, &vanished_ranges, everything)?;
    answer.vanished = expand_vanished(&vanished_ranges, &local);
    let reconciled = match reconcile(&local, strategy, &answer) {
        Ok(reconciled) => reconciled,
        Err(ReconcileError::UidValidityChanged) => return Ok(DeltaOutcome::UidValidityChanged),
        Err(ReconcileError::ModSeqUnusable) => return Ok(DeltaOutcome::ModSeqUnusable),
        Err(ReconcileError::NeedUidList { expected, exists }) => {
            // Messages went below the flag window: find them by listing UIDs in ranges.
            if let Some((from, _)) = window {
                let missing = expected.saturating_sub(exists as usize);
                match find_expunged(connection, store, folder, &answer, from, missing).await {
                    Ok(found) => {
                        tracing::debug!(folder = %folder.name, found = found.len(), "expunges below the flag window");
                        vanished_ranges.extend(found.into_iter().map(|uid| uid.0..=uid.0));
                        local =
                            local_snapshot(store, folder, meta, &answer, &vanished_ranges, false)?;
                        answer.vanished = expand_vanished(&vanished_ranges, &local);
                        if let Ok(reconciled) = reconcile(&local, strategy, &answer) {
                            let outcome =
                                apply(connection, store, folder, strategy, reconciled, rows)
                                    .await?;
                            return relabel(store, folder, &labels_seen, outcome);
                        }
                    }
                    Err(error) if error.is_connection_failure() => return Err(error),
                    Err(error) => {
                        tracing::info!(folder = %folder.name, %error, "listing every UID instead")
                    }
                }
            }
            tracing::debug!(folder = %folder.name, "message count differs; listing every UID");
            answer.all_uids = Some(
                connection
                    .uid_search("ALL", SearchBound::folder(&answer.selected))
                    .await?,
            );
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
    let outcome = apply(connection, store, folder, strategy, reconciled, rows).await?;
    relabel(store, folder, &labels_seen, outcome)
}

/// Keeps the Gmail labels the flag fetch reported (a label change moves no flag); the rows
/// whose labels changed count as flag changes, so the window shows them.
fn relabel(
    store: &SharedStore,
    folder: &Folder,
    labels: &HashMap<Uid, Vec<String>>,
    outcome: DeltaOutcome,
) -> Result<DeltaOutcome> {
    if labels.is_empty() {
        return Ok(outcome);
    }
    let changed = with_store(store, |store| store.set_gmail_labels(folder.id, labels))?;
    let mut outcome = outcome;
    if let DeltaOutcome::Applied { flags_changed, .. } = &mut outcome {
        *flags_changed += changed;
    }
    Ok(outcome)
}

/// The X-GM-LABELS of a FETCH answer, if it has them.
fn gmail_labels(attributes: &[imap_proto::AttributeValue<'_>]) -> Option<Vec<String>> {
    attributes.iter().find_map(|attribute| match attribute {
        imap_proto::AttributeValue::GmailLabels(labels) => {
            Some(labels.iter().map(|label| label.to_string()).collect())
        }
        _ => None,
    })
}

/// The `missing` messages expunged below `below` (cached, not in the answer's flag window),
/// found by listing the server's UIDs in ranges of cached messages, newest first.
async fn find_expunged(
    connection: &mut ImapConnection,
    store: &SharedStore,
    folder: &Folder,
    answer: &ServerAnswer,
    below: Uid,
    missing: usize,
) -> Result<Vec<Uid>> {
    let older = with_store(store, |store| {
        store.server_uids_between(folder.id, Uid(1), Uid(below.0.saturating_sub(1)))
    })?;
    let mut search = ExpungeSearch::new(older, missing);
    while let Some(range) = search.next_range() {
        let (low, high) = (*range.start(), *range.end());
        let listed = connection
            .uid_search(
                &format!("UID {low}:{high}"),
                SearchBound::range(&answer.selected, low, high),
            )
            .await?;
        search.on_listed(&listed).map_err(|error| {
            EngineError::new(ErrorKind::Protocol, format!("{}: {error}", folder.name))
        })?;
    }
    search
        .finish()
        .map_err(|error| EngineError::new(ErrorKind::Protocol, format!("{}: {error}", folder.name)))
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

/// The vanished UIDs that matter: all of them when few, else only the cached ones (found
/// by binary search in the merged ranges, so a hostile list of millions of ranges costs
/// O((ranges + cached) log ranges), not their product).
fn expand_vanished(ranges: &[RangeInclusive<u32>], local: &LocalSnapshot) -> Vec<Uid> {
    let total: u64 = ranges.iter().map(range_len).sum();
    if total <= 10_000 {
        return ranges
            .iter()
            .flat_map(|range| range.clone().map(Uid))
            .collect();
    }
    let merged = merge_ranges(ranges);
    local
        .flags
        .keys()
        .copied()
        .filter(|uid| in_ranges(&merged, uid.0))
        .collect()
}

/// `ranges` sorted and merged (reversed ranges count as empty).
fn merge_ranges(ranges: &[RangeInclusive<u32>]) -> Vec<(u32, u32)> {
    let mut sorted: Vec<(u32, u32)> = ranges
        .iter()
        .filter(|range| range.start() <= range.end())
        .map(|range| (*range.start(), *range.end()))
        .collect();
    sorted.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(sorted.len());
    for (low, high) in sorted {
        match merged.last_mut() {
            Some(last) if u64::from(low) <= u64::from(last.1) + 1 => last.1 = last.1.max(high),
            _ => merged.push((low, high)),
        }
    }
    merged
}

fn in_ranges(merged: &[(u32, u32)], uid: u32) -> bool {
    let index = merged.partition_point(|(low, _)| *low <= uid);
    index > 0 && merged[index - 1].1 >= uid
}

/// How many FETCH answers a delta may get when the folder holds `exists` messages: one per
/// message for the new-message fetch and one for the flags fetch, plus room for unsolicited
/// flag updates.
fn fetch_budget(exists: u32) -> usize {
    (exists.min(mail_sync::MAX_FOLDER_MESSAGES) as usize) * 2 + 1_000
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
        let asked: HashSet<Uid> = reconciled.missing_headers.iter().copied().collect();
        let items = connection.header_items();
        connection
            .execute(&format!("UID FETCH {set} {items}"), |response| {
                if let Response::Fetch(_, attributes) = response {
                    // Only what was asked for, once each.
                    if let Some(row) = message_row(attributes) {
                        if asked.contains(&row.uid) && !rows.contains_key(&row.uid) {
                            rows.insert(row.uid, row);
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use mail_sync::{Flags, SyncMeta, UidValidity};

    fn local(uids: &[u32]) -> LocalSnapshot {
        LocalSnapshot {
            meta: SyncMeta {
                uid_validity: UidValidity(1),
                uid_next: Uid(1),
                highest_modseq: None,
                initial_low_uid: None,
            },
            count: uids.len(),
            max_uid: uids.iter().max().copied().map(Uid),
            flags: uids.iter().map(|uid| (Uid(*uid), Flags::new())).collect(),
        }
    }

    #[test]
    fn vanished_ranges_expand_only_as_far_as_needed() {
        let few = expand_vanished(&[3..=5, 9..=9], &local(&[1]));
        assert_eq!(few, vec![Uid(3), Uid(4), Uid(5), Uid(9)]);
        // Four billion vanished: only the cached ones are named.
        let mut many = expand_vanished(&[1..=u32::MAX], &local(&[2, 7, 40_000]));
        many.sort_unstable();
        assert_eq!(many, vec![Uid(2), Uid(7), Uid(40_000)]);
        // Many overlapping, unordered and reversed ranges.
        let ranges: Vec<RangeInclusive<u32>> = (0..200_000u32)
            .map(|i| (i * 3)..=(i * 3 + 1))
            .chain([RangeInclusive::new(90, 10), 5_000_000..=4_000_000_000])
            .collect();
        let mut found = expand_vanished(
            &ranges,
            &local(&[
                2,
                3,
                4,
                5,
                599_998,
                599_999,
                600_001,
                4_000_000_001,
                4_000_000_000,
            ]),
        );
        found.sort_unstable();
        assert_eq!(
            found,
            vec![Uid(3), Uid(4), Uid(599_998), Uid(4_000_000_000)]
        );
    }

    #[test]
    fn merged_ranges_cover_exactly_their_union() {
        let merged = merge_ranges(&[
            5..=9,
            1..=2,
            3..=3,
            20..=25,
            8..=12,
            RangeInclusive::new(30, 29),
        ]);
        assert_eq!(merged, vec![(1, 3), (5, 12), (20, 25)]);
        for (uid, inside) in [
            (0, false),
            (1, true),
            (4, false),
            (12, true),
            (13, false),
            (25, true),
            (29, false),
        ] {
            assert_eq!(in_ranges(&merged, uid), inside, "{uid}");
        }
        assert_eq!(
            merge_ranges(&[u32::MAX..=u32::MAX, 0..=u32::MAX]),
            vec![(0, u32::MAX)]
        );
    }
}
