//! Rebuilding a cache: what only exists locally is read out of the old one, put into a new
//! one, and the queued actions go back into the queue, in order, once their folders are
//! synced again.

use super::pending::{inbox_and_archive, two_folders};
use super::*;

#[test]
fn local_data_survives_a_rebuild_and_queued_actions_return_in_order() {
    let (old_dir, mut old, inbox, archive) = two_folders();
    let account = old.accounts().unwrap()[0].id;
    old.queue_action(inbox, &[2], &PendingKind::AddFlag("\\Flagged".into()), 5)
        .unwrap();
    let moved = old
        .queue_action(inbox, &[3], &PendingKind::Move { target: archive }, 6)
        .unwrap();
    let (_, local) = moved.moved[0];
    old.queue_action(archive, &[local], &PendingKind::AddFlag("\\Seen".into()), 7)
        .unwrap();
    old.enqueue_outgoing(
        account,
        &NewOutgoing {
            message_id: "out@x".into(),
            envelope_from: "alice@example.org".into(),
            recipients: vec!["bob@example.org".into()],
            subject: "Waiting".into(),
            raw: b"Subject: Waiting\r\n\r\nbinary \x00\xff".to_vec(),
            sent_copy: None,
            server_saves_sent: false,
        },
        8,
    )
    .unwrap();
    old.save_draft(
        account,
        None,
        "{\"text\":\"half written\"}",
        "Draft",
        "draft@x",
        9,
    )
    .unwrap();
    old.set_remote_allowed(account, "news@example.org", true, 10)
        .unwrap();
    let before = old.pending_ops(account).unwrap();
    drop(old);

    let data = salvage(&old_dir.path().join(DATABASE_FILE));
    assert!(data.unreadable.is_empty(), "{:?}", data.unreadable);
    assert_eq!(data.actions.len(), 3);

    let new_dir = tempfile::tempdir().unwrap();
    let mut new = Store::open_in_dir(new_dir.path()).unwrap();
    let restored = new.restore_local_data(&data).unwrap();
    assert_eq!(
        (
            restored.accounts,
            restored.outbox,
            restored.drafts,
            restored.actions
        ),
        (1, 1, 1, 3)
    );
    assert!(restored.refused.is_empty(), "{:?}", restored.refused);
    assert_eq!(new.outbox(account).unwrap()[0].subject, "Waiting");
    assert_eq!(
        new.outgoing_message(new.outbox(account).unwrap()[0].id)
            .unwrap()
            .unwrap(),
        b"Subject: Waiting\r\n\r\nbinary \x00\xff"
    );
    assert_eq!(new.drafts(account).unwrap().len(), 1);
    assert!(new.remote_allowed(account, "news@example.org").unwrap());
    assert_eq!(new.restored_waiting(account).unwrap(), 3);

    // Offline nothing happens; the actions wait.
    let (new_inbox, new_archive) = inbox_and_archive(&mut new, account);
    let folder = |store: &Store, name: &str| store.folder_by_name(account, name).unwrap().unwrap();
    let waiting = new.requeue_restored(&folder(&new, "INBOX"), 20).unwrap();
    assert_eq!(waiting.queued, 0);
    assert_eq!(new.restored_waiting(account).unwrap(), 3);

    // Archive synced first: its action waits for the move it follows.
    new.begin_initial_sync(new_archive, &meta(1)).unwrap();
    new.apply_initial_chunk(new_archive, &[], Uid(1), true, 1)
        .unwrap();
    let early = new.requeue_restored(&folder(&new, "Archive"), 20).unwrap();
    assert_eq!((early.queued, early.waiting), (0, 1));

    // INBOX synced (same UIDVALIDITY): the flag and the move are queued again.
    new.begin_initial_sync(new_inbox, &meta(5)).unwrap();
    let rows: Vec<MessageRow> = (1..=4).map(|uid| row(uid, "")).collect();
    new.apply_initial_chunk(new_inbox, &rows, Uid(1), true, 1)
        .unwrap();
    let first = new.requeue_restored(&folder(&new, "INBOX"), 20).unwrap();
    assert_eq!((first.queued, first.dropped.len()), (2, 0));
    let then = new.requeue_restored(&folder(&new, "Archive"), 20).unwrap();
    assert_eq!((then.queued, then.waiting), (1, 0));
    assert_eq!(new.restored_waiting(account).unwrap(), 0);

    let after = new.pending_ops(account).unwrap();
    let shape = |ops: &[PendingOp]| -> Vec<(String, String)> {
        ops.iter()
            .map(|op| {
                let kind = match &op.kind {
                    PendingKind::AddFlag(flag) => format!("+{flag}"),
                    PendingKind::RemoveFlag(flag) => format!("-{flag}"),
                    PendingKind::Move { .. } => format!("move to {:?}", op.target_name),
                    PendingKind::Expunge => "expunge".into(),
                };
                (op.folder_name.clone(), kind)
            })
            .collect()
    };
    assert_eq!(shape(&after), shape(&before));
    // The moved message is in Archive (under its new local UID), read as asked.
    let archived = new.list_messages(new_archive, 10).unwrap();
    assert_eq!(archived.len(), 1);
    assert!(archived[0].uid >= LOCAL_UID_BASE);
    assert!(archived[0].flags.is_seen());
}

#[test]
fn an_action_on_a_replaced_folder_or_a_gone_message_is_dropped_and_said() {
    let (old_dir, mut old, inbox, _) = two_folders();
    let account = old.accounts().unwrap()[0].id;
    old.queue_action(inbox, &[2], &PendingKind::AddFlag("\\Flagged".into()), 5)
        .unwrap();
    old.queue_action(inbox, &[4], &PendingKind::AddFlag("\\Flagged".into()), 5)
        .unwrap();
    drop(old);
    let data = salvage(&old_dir.path().join(DATABASE_FILE));
    let new_dir = tempfile::tempdir().unwrap();
    let mut new = Store::open_in_dir(new_dir.path()).unwrap();
    new.restore_local_data(&data).unwrap();
    let (new_inbox, _) = inbox_and_archive(&mut new, account);
    // Same UIDVALIDITY, but message 4 is gone from the server.
    new.begin_initial_sync(new_inbox, &meta(5)).unwrap();
    let rows: Vec<MessageRow> = (1..=3).map(|uid| row(uid, "")).collect();
    new.apply_initial_chunk(new_inbox, &rows, Uid(1), true, 1)
        .unwrap();
    let folder = new.folder_by_name(account, "INBOX").unwrap().unwrap();
    let outcome = new.requeue_restored(&folder, 20).unwrap();
    assert_eq!(outcome.queued, 1);
    assert_eq!(outcome.dropped.len(), 1);
    assert_eq!(outcome.dropped[0].uid, 4);
    assert!(
        outcome.dropped[0].reason.contains("no longer"),
        "{:?}",
        outcome.dropped
    );
}
