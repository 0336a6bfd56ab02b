//! Replaying pending operations on the server, oldest first, batched into one UID set per
//! folder and kind, always through a read-write SELECT (a STORE after EXAMINE is answered OK
//! and ignored). An operation is removed from the queue only after the server confirmed it,
//! or when it can never apply (its message is gone) or was refused (then undone locally).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use imap_proto::{MailboxDatum, Response, Status};
use mail_sync::flags::DELETED;
use mail_sync::Uid;
use serde::Serialize;

use super::batch::{self, Batch, BatchKind};
use super::Actions;
use crate::connection::ImapConnection;
use crate::core_handle::FolderChange;
use crate::error::{EngineError, ErrorKind, Result};
use crate::fetch::message_row;
use crate::mailbox_name::wire_argument;
use crate::profile_lock::ProfileLock;
use crate::response::copy_uid;
use crate::store_access::with_store;

/// What one replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Operations the server confirmed.
    pub confirmed: usize,
    /// Operations given up (message gone from the server, or refused).
    pub dropped: usize,
    /// Round trips to the server (a SELECT, and each pipelined batch of commands).
    pub round_trips: usize,
    /// Operations still waiting afterwards.
    pub pending: usize,
}

/// How long a replay waits for another process's replay of the same profile to finish.
const REPLAY_LOCK_PATIENCE: Duration = Duration::from_secs(20);

/// How the server answered one batch.
#[derive(Default)]
struct Answer {
    confirmed: Vec<i64>,
    /// Moves with the message's UID in the target, when the server said (COPYUID).
    moved: Vec<(i64, Option<Uid>)>,
    gone: Vec<i64>,
    refused: Option<String>,
    /// The server said "not now" (locked, busy, over quota): everything stays queued.
    later: Option<String>,
}

impl Actions {
    /// Sends every pending operation to the server (on the request connection). Connection
    /// failures leave the rest queued and are returned; refusals and vanished messages drop
    /// their operations with an `action_dropped` event.
    pub(crate) async fn replay_pending(&self) -> Result<ReplayReport> {
        self.core
            .with_retry_for(self, 2, |this, connection, _| {
                Box::pin(async move { this.replay_on(connection).await })
            })
            .await
    }

    pub(crate) async fn replay_on(&self, connection: &mut ImapConnection) -> Result<ReplayReport> {
        let account = self.core.account().id;
        let mut report = ReplayReport::default();
        let mut touched = false;
        if with_store(self.core.store(), |store| store.pending_count(account))? == 0 {
            return Ok(report);
        }
        // One replayer per profile: another process replaying the same queue would find the
        // messages this one is moving gone, and drop what this one is about to record. A
        // process that waits here finds the queue already sent when its turn comes.
        let database = with_store(self.core.store(), |store| Ok(store.path().to_path_buf()))?;
        let lock_path = crate::profile_lock::lock_path(&database, "replay-lock");
        let Some(_lock) = ProfileLock::take_within(&lock_path, REPLAY_LOCK_PATIENCE).await? else {
            tracing::info!("another Tern process is sending queued changes; they wait for it");
            report.pending = with_store(self.core.store(), |store| store.pending_count(account))?;
            return Ok(report);
        };
        // Every round completes or drops at least one operation, or returns an error.
        loop {
            let ops = with_store(self.core.store(), |store| store.pending_ops(account))?;
            if ops.is_empty() {
                break;
            }
            touched = true;
            let batches = batch::plan(&ops);
            if batches.is_empty() {
                // The oldest operation names a local UID whose move is no longer queued.
                let dropped = with_store(self.core.store(), |store| {
                    store.drop_ops(&[ops[0].id], true)
                })?;
                report.dropped += dropped.len();
                self.announce_dropped(&dropped, "the message it was for is gone");
                continue;
            }
            for batch in &batches {
                let result = self.replay_batch(connection, batch, &mut report).await;
                if let Err(error) = result {
                    let ids: Vec<i64> = batch.ops.iter().map(|op| op.id).collect();
                    let note = error.to_string();
                    let _ = with_store(self.core.store(), |store| store.note_attempt(&ids, &note));
                    self.core.pending_changed();
                    return Err(error.context("Replaying changes"));
                }
            }
        }
        report.pending = with_store(self.core.store(), |store| store.pending_count(account))?;
        if touched {
            self.core.pending_changed();
        }
        Ok(report)
    }

    async fn replay_batch(
        &self,
        connection: &mut ImapConnection,
        batch: &Batch,
        report: &mut ReplayReport,
    ) -> Result<()> {
        let before = connection.round_trips();
        let answer = match connection.ensure_writable(&batch.folder_name).await {
            Err(error) if error.is_connection_failure() => return Err(error),
            Err(error) if error.kind == ErrorKind::ServerBusy => Answer {
                later: Some(error.to_string()),
                ..Answer::default()
            },
            // Cannot be opened for writing (deleted, read-only): never will be by retrying.
            Err(error) => Answer {
                refused: Some(error.to_string()),
                ..Answer::default()
            },
            Ok(()) => match &batch.kind {
                BatchKind::Flag { add, flag } => flags(connection, batch, *add, flag).await?,
                BatchKind::Move { .. } => move_messages(connection, batch).await?,
                BatchKind::Expunge => {
                    let role = self
                        .core
                        .cached_folder(&batch.folder_name)
                        .ok()
                        .and_then(|folder| folder.role);
                    expunge(connection, batch, role).await?
                }
            },
        };
        report.round_trips += (connection.round_trips() - before) as usize;
        self.record(connection, batch, answer, report).await
    }

    /// Writes the batch's outcome to the queue and the cache, and tells subscribers.
    async fn record(
        &self,
        connection: &mut ImapConnection,
        batch: &Batch,
        answer: Answer,
        report: &mut ReplayReport,
    ) -> Result<()> {
        if let Some(reason) = answer.later {
            // Stays queued; the caller notes the attempt and the next replay tries again.
            return Err(EngineError::new(
                ErrorKind::ServerRefused,
                format!("The server cannot take the changes now: {reason}"),
            ));
        }
        if let Some(reason) = answer.refused {
            let ids: Vec<i64> = batch.ops.iter().map(|op| op.id).collect();
            let dropped = with_store(self.core.store(), |store| store.drop_ops(&ids, false))?;
            report.dropped += dropped.len();
            tracing::warn!(folder = %batch.folder_name, %reason, operations = dropped.len(), "the server refused queued changes");
            if batch.kind == BatchKind::Expunge {
                self.fetch_again(connection, batch).await;
            }
            self.announce_dropped(&dropped, &format!("the server refused it: {reason}"));
            self.announce_reverted(batch, dropped.len());
            return Ok(());
        }
        let (confirmed, moved, gone) = (answer.confirmed, answer.moved, answer.gone);
        let (dropped, gone_dropped) = with_store(self.core.store(), |store| {
            store.complete_ops(&confirmed)?;
            let mut dropped = Vec::new();
            for (op, uid) in &moved {
                dropped.extend(store.resolve_move(*op, *uid)?);
            }
            let gone_dropped = store.drop_ops(&gone, true)?;
            Ok((dropped, gone_dropped))
        })?;
        report.confirmed += confirmed.len() + moved.len();
        report.dropped += dropped.len() + gone_dropped.len();
        self.announce_dropped(&gone_dropped, "the message is gone from the server");
        self.announce_dropped(
            &dropped,
            "the moved message could not be found in its new folder",
        );
        Ok(())
    }

    /// A refused expunge removed the row; the message is still on the server: cache it again.
    async fn fetch_again(&self, connection: &mut ImapConnection, batch: &Batch) {
        let mut rows = Vec::new();
        let items = connection.header_items();
        let fetched = connection
            .execute(&format!("UID FETCH {} {items}", batch.set()), |response| {
                if let Response::Fetch(_, attributes) = response {
                    rows.extend(message_row(attributes));
                }
                Ok(())
            })
            .await;
        let cached = fetched.and_then(|_| {
            with_store(self.core.store(), |store| {
                store.add_arrivals(batch.folder, &rows)
            })
        });
        if let Err(error) = cached {
            tracing::warn!(folder = %batch.folder_name, %error, "could not restore messages after a refused delete; the next full sync will");
        }
    }

    /// A refused batch was undone in the cache: the folders it touched changed.
    fn announce_reverted(&self, batch: &Batch, count: usize) {
        let folders = [
            Some(batch.folder_name.as_str()),
            batch.target_name.as_deref(),
        ];
        let account = self.core.account().id;
        for name in folders.into_iter().flatten() {
            let counts = with_store(self.core.store(), |store| {
                let folder = store.folder_by_name(account, name)?;
                folder
                    .map(|folder| store.folder_counts(folder.id))
                    .transpose()
            });
            if let Ok(Some(counts)) = counts {
                self.core.folder_changed(
                    name,
                    FolderChange {
                        flags_changed: count,
                        ..FolderChange::counted(counts)
                    },
                );
            }
        }
    }
}

/// `UID STORE` of one flag, pipelined with a `UID SEARCH` of the same set: messages the
/// search does not find are gone (a STORE on them is answered OK and does nothing).
async fn flags(
    connection: &mut ImapConnection,
    batch: &Batch,
    add: bool,
    flag: &str,
) -> Result<Answer> {
    let set = batch.set();
    let sign = if add { '+' } else { '-' };
    let commands = [
        format!("UID STORE {set} {sign}FLAGS.SILENT ({flag})"),
        format!("UID SEARCH UID {set}"),
    ];
    let asked: HashSet<u32> = batch.ops.iter().map(|op| op.uid as u32).collect();
    let mut existing: HashSet<u32> = HashSet::new();
    let results = connection
        .pipeline(&commands, |_, response| {
            if let Response::MailboxData(MailboxDatum::Search(uids)) = response {
                // Only UIDs of the set searched can exist in the answer.
                if let Some(stray) = uids.iter().find(|uid| !asked.contains(uid)) {
                    return Err(EngineError::new(
                        ErrorKind::Protocol,
                        format!("UID SEARCH answered UID {stray}, which was not searched"),
                    ));
                }
                existing.extend(uids.iter().copied());
            }
            Ok(())
        })
        .await?;
    let (Some(store), Some(search)) = (results.first(), results.get(1)) else {
        return Err(EngineError::new(
            ErrorKind::Protocol,
            "A command got no answer",
        ));
    };
    if !store.is_ok() {
        return Ok(refused(store));
    }
    let mut answer = Answer::default();
    for op in &batch.ops {
        // Without a usable search answer, nothing is taken for gone.
        if search.is_ok() && !existing.contains(&(op.uid as u32)) {
            answer.gone.push(op.id);
        } else {
            answer.confirmed.push(op.id);
        }
    }
    Ok(answer)
}

fn refused(tagged: &crate::connection::Tagged) -> Answer {
    let reason = format!("{:?} {}", tagged.status, tagged.text);
    if crate::response::is_temporary_refusal(&tagged.text) {
        return Answer {
            later: Some(reason),
            ..Answer::default()
        };
    }
    Answer {
        refused: Some(reason),
        ..Answer::default()
    }
}

/// UID MOVE where offered, else COPY, then STORE \Deleted + UID EXPUNGE (only after the
/// COPY succeeded). COPYUID names each message's new UID; with UIDPLUS, a message the
/// answer leaves out was not there to move.
async fn move_messages(connection: &mut ImapConnection, batch: &Batch) -> Result<Answer> {
    let Some(target) = batch.target_name.as_deref() else {
        return Err(EngineError::new(
            ErrorKind::Other,
            "A move without a target",
        ));
    };
    let set = batch.set();
    // Servers may send several COPYUIDs (one per chunk they moved), untagged or tagged.
    let mut mappings = Vec::new();
    if connection.has_capability("MOVE") {
        let tagged = connection
            .execute(
                &format!("UID MOVE {set} {}", wire_argument(target)),
                |response| {
                    if let Response::Data {
                        status: Status::Ok,
                        outcome,
                    } = response
                    {
                        mappings.extend(copy_uid(outcome.code.as_ref()));
                    }
                    Ok(())
                },
            )
            .await?;
        if !tagged.is_ok() {
            return Ok(refused(&tagged));
        }
        mappings.extend(tagged.copy_uid);
    } else {
        let tagged = connection
            .execute(&format!("UID COPY {set} {}", wire_argument(target)), |_| {
                Ok(())
            })
            .await?;
        if !tagged.is_ok() {
            return Ok(refused(&tagged));
        }
        mappings.extend(tagged.copy_uid);
        remove_from_folder(connection, &set).await?;
    }
    let uidplus = connection.has_capability("UIDPLUS");
    let targets = copied_to(&mappings, batch)?;
    let mut answer = Answer::default();
    for op in &batch.ops {
        match targets.get(&(op.uid as u32)) {
            Some(uid) => answer.moved.push((op.id, Some(*uid))),
            None if uidplus => answer.gone.push(op.id),
            None => answer.moved.push((op.id, None)),
        }
    }
    Ok(answer)
}

/// Where each message of `batch` went, from the server's COPYUIDs; every UID they name must
/// be one that was moved, each once (anything else is a lying server, not a mapping).
fn copied_to(mappings: &[crate::response::CopyUid], batch: &Batch) -> Result<HashMap<u32, Uid>> {
    let asked: HashSet<u32> = batch.ops.iter().map(|op| op.uid as u32).collect();
    let mut targets = HashMap::new();
    for mapping in mappings {
        let pairs = mapping.pairs(&asked).map_err(|reason| {
            EngineError::new(
                ErrorKind::Protocol,
                format!("Moving messages from {}: {reason}", batch.folder_name),
            )
        })?;
        for (source, target) in pairs {
            if targets.insert(source.0, target).is_some() {
                return Err(EngineError::new(
                    ErrorKind::Protocol,
                    format!(
                        "Moving messages from {}: COPYUID names message {} twice",
                        batch.folder_name, source.0
                    ),
                ));
            }
        }
    }
    Ok(targets)
}

/// STORE \Deleted and expunge exactly `set` (UID EXPUNGE, UIDPLUS); a server without
/// UIDPLUS gets a plain EXPUNGE, which also removes other messages marked \Deleted.
async fn remove_from_folder(connection: &mut ImapConnection, set: &str) -> Result<()> {
    let expunge = if connection.has_capability("UIDPLUS") {
        format!("UID EXPUNGE {set}")
    } else {
        "EXPUNGE".to_string()
    };
    let commands = [
        format!("UID STORE {set} +FLAGS.SILENT ({DELETED})"),
        expunge,
    ];
    let results = connection.pipeline(&commands, |_, _| Ok(())).await?;
    for result in &results {
        result.require_ok("Removing moved messages from their old folder")?;
    }
    Ok(())
}

/// Deleting for good: \Deleted + UID EXPUNGE. Messages already gone are what was asked.
/// On Gmail, out of a label folder (archiving from INBOX): the label's removal instead
/// (`mail_sync::gmail`).
async fn expunge(
    connection: &mut ImapConnection,
    batch: &Batch,
    role: Option<mail_sync::FolderRole>,
) -> Result<Answer> {
    let label_removal = connection
        .has_capability("X-GM-EXT-1")
        .then(|| {
            mail_sync::gmail::remove_from_label_command(&batch.folder_name, role, &batch.set())
        })
        .flatten();
    let removed = match label_removal {
        Some(command) => connection
            .execute(&command, |_| Ok(()))
            .await
            .and_then(|tagged| tagged.require_ok("Removing a Gmail label")),
        None => remove_from_folder(connection, &batch.set()).await,
    };
    match removed {
        Ok(()) => Ok(Answer {
            confirmed: batch.ops.iter().map(|op| op.id).collect(),
            ..Answer::default()
        }),
        Err(error) if error.kind == ErrorKind::ServerBusy => Ok(Answer {
            later: Some(error.to_string()),
            ..Answer::default()
        }),
        Err(error) if error.kind == ErrorKind::ServerRefused => Ok(Answer {
            refused: Some(error.to_string()),
            ..Answer::default()
        }),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Tagged, TaggedStatus};

    fn no(text: &str) -> Tagged {
        Tagged {
            status: TaggedStatus::No,
            read_only: None,
            text: text.into(),
            copy_uid: None,
            append_uid: None,
        }
    }

    #[test]
    fn a_locked_folder_is_a_refusal_for_later() {
        let locked = no("[INUSE] Mailbox is locked").require_ok("Selecting INBOX");
        assert_eq!(locked.unwrap_err().kind, ErrorKind::ServerBusy);
        assert!(refused(&no("[INUSE] Mailbox is locked")).later.is_some());
        let gone = no("Mailbox doesn't exist").require_ok("Selecting Old");
        assert_eq!(gone.unwrap_err().kind, ErrorKind::ServerRefused);
        assert!(refused(&no("Mailbox doesn't exist")).refused.is_some());
    }
}
