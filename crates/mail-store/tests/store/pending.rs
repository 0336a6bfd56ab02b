//! Pending operations: optimistic changes, the server view deltas see, layering over server
//! writes, moves with local UIDs, and undoing refused or impossible operations.

use super::*;

/// INBOX (UIDs 1..=4, unread) and Archive (empty), both fully synced.
/// The account's folders INBOX and Archive (listed, not synced).
pub(super) fn inbox_and_archive(store: &mut Store, account: AccountId) -> (FolderId, FolderId) {
    let ids = tern_testkit::add_folders(
        store,
        account,
        &[
            ("INBOX", Some(FolderRole::Inbox)),
            ("Archive", Some(FolderRole::Archive)),
        ],
    )
    .expect("folders");
    (ids[0], ids[1])
}

pub(super) fn two_folders() -> (tempfile::TempDir, Store, FolderId, FolderId) {
    let (dir, mut store) = temp_store();
    let account = account(&mut store);
    let (inbox, archive) = inbox_and_archive(&mut store, account);
    store.begin_initial_sync(inbox, &meta(5)).unwrap();
    let rows: Vec<MessageRow> = (1..=4).map(|uid| row(uid, "")).collect();
    store
        .apply_initial_chunk(inbox, &rows, Uid(1), true, 1)
        .unwrap();
    store.begin_initial_sync(archive, &meta(1)).unwrap();
    store
        .apply_initial_chunk(archive, &[], Uid(1), true, 1)
        .unwrap();
    (dir, store, inbox, archive)
}

/// Flags message `uid` of `folder` (queued at `now`).
fn flag(store: &mut Store, folder: FolderId, uid: u64, now: i64) {
    store
        .queue_action(
            folder,
            &[uid],
            &PendingKind::AddFlag("\\Flagged".into()),
            now,
        )
        .unwrap();
}

fn seen() -> PendingKind {
    PendingKind::AddFlag("\\Seen".into())
}

fn flags_of(store: &Store, folder: FolderId, uid: u64) -> Option<String> {
    store
        .list_messages(folder, 100)
        .unwrap()
        .into_iter()
        .find(|message| message.uid == uid)
        .map(|message| message.flags.to_string())
}

fn delta<'a>(
    added: &'a [MessageRow],
    removed: &'a [Uid],
    flags: &'a [(Uid, Flags)],
    new_meta: &'a SyncMeta,
) -> DeltaWrite<'a> {
    DeltaWrite {
        added,
        removed,
        flags_changed: flags,
        new_meta,
        strategy: Strategy::Qresync,
        now: 2,
    }
}

#[test]
fn an_action_changes_the_cache_and_queues_in_one_step() {
    let (_dir, mut store, inbox, _) = two_folders();
    let queued = store.queue_action(inbox, &[1, 2, 99], &seen(), 5).unwrap();
    assert_eq!(queued.changed, vec![1, 2]);
    assert_eq!(queued.missing, vec![99]);
    assert_eq!(flags_of(&store, inbox, 1).as_deref(), Some("\\Seen"));
    assert_eq!(store.folder_counts(inbox).unwrap().unread, 2);
    let account = store.accounts().unwrap()[0].id;
    let pending = store.pending_ops(account).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].prior_flags, Flags::new());
    // Already read, nothing pending on it: nothing to do.
    let again = store
        .queue_action(inbox, &[3], &PendingKind::RemoveFlag("\\Seen".into()), 6)
        .unwrap();
    assert_eq!(again.unchanged, vec![3]);
    assert_eq!(store.pending_count(account).unwrap(), 2);
}

#[test]
fn a_delta_that_still_says_unread_does_not_undo_a_pending_read() {
    let (_dir, mut store, inbox, _) = two_folders();
    store.queue_action(inbox, &[1], &seen(), 5).unwrap();
    let new_meta = meta(5);
    // The server has not seen the read yet, and flagged the message meanwhile.
    let server = [(Uid(1), Flags::parse_stored("\\Flagged"))];
    let applied = store
        .apply_delta(inbox, &delta(&[], &[], &server, &new_meta))
        .unwrap();
    assert_eq!(
        flags_of(&store, inbox, 1).as_deref(),
        Some("\\Flagged \\Seen")
    );
    assert_eq!(applied.flags_changed, 1);
    // Reported again, still unread on the server: nothing visible changes.
    let applied = store
        .apply_delta(inbox, &delta(&[], &[], &server, &new_meta))
        .unwrap();
    assert_eq!(applied.flags_changed, 0);
    assert_eq!(
        flags_of(&store, inbox, 1).as_deref(),
        Some("\\Flagged \\Seen")
    );
}

#[test]
fn a_moved_message_stays_in_the_server_view_until_replayed() {
    let (_dir, mut store, inbox, archive) = two_folders();
    let queued = store
        .queue_action(inbox, &[2], &PendingKind::Move { target: archive }, 5)
        .unwrap();
    let (_, local) = queued.moved[0];
    assert!(local >= LOCAL_UID_BASE);
    assert_eq!(flags_of(&store, inbox, 2), None);
    assert_eq!(flags_of(&store, archive, local).as_deref(), Some(""));
    assert_eq!(store.folder_counts(inbox).unwrap().count, 3);
    assert_eq!(store.folder_counts(archive).unwrap().count, 1);
    // Deltas see the server's view: INBOX still has 4, Archive has none yet.
    assert_eq!(store.sync_counts(inbox).unwrap().count, 4);
    assert!(store.all_flags(inbox).unwrap().contains_key(&Uid(2)));
    assert_eq!(store.sync_counts(archive).unwrap().count, 0);
    assert!(store.all_flags(archive).unwrap().is_empty());
    // A delta racing the move must not bring the message back.
    let new_meta = meta(5);
    store
        .apply_delta(inbox, &delta(&[row(2, "")], &[], &[], &new_meta))
        .unwrap();
    assert_eq!(flags_of(&store, inbox, 2), None);

    // Flag it in its new folder while the move is pending, then the server confirms the move.
    flag(&mut store, archive, local, 6);
    let account = store.accounts().unwrap()[0].id;
    let ops = store.pending_ops(account).unwrap();
    let dropped = store.resolve_move(ops[0].id, Some(Uid(70))).unwrap();
    assert!(dropped.is_empty());
    assert_eq!(flags_of(&store, archive, 70).as_deref(), Some("\\Flagged"));
    let ops = store.pending_ops(account).unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!((ops[0].folder, ops[0].uid), (archive, 70));
    assert_eq!(store.sync_counts(inbox).unwrap().count, 3);
}

#[test]
fn a_refused_move_puts_the_message_back() {
    let (_dir, mut store, inbox, archive) = two_folders();
    store.queue_action(inbox, &[1], &seen(), 4).unwrap();
    let queued = store
        .queue_action(inbox, &[1], &PendingKind::Move { target: archive }, 5)
        .unwrap();
    let (_, local) = queued.moved[0];
    flag(&mut store, archive, local, 6);
    let account = store.accounts().unwrap()[0].id;
    let move_id = store.pending_ops(account).unwrap()[1].id;
    let dropped = store.drop_ops(&[move_id], false).unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!(
        flags_of(&store, inbox, 1).as_deref(),
        Some("\\Flagged \\Seen")
    );
    assert_eq!(store.folder_counts(archive).unwrap().count, 0);
    // The read and the flag still go to the server, on the message where it is.
    let ops = store.pending_ops(account).unwrap();
    assert_eq!(ops.len(), 2);
    assert!(ops.iter().all(|op| (op.folder, op.uid) == (inbox, 1)));
}

#[test]
fn a_refused_flag_change_is_undone_and_later_ones_kept() {
    let (_dir, mut store, inbox, _) = two_folders();
    store.queue_action(inbox, &[3], &seen(), 4).unwrap();
    store
        .queue_action(inbox, &[3], &PendingKind::AddFlag("\\Flagged".into()), 5)
        .unwrap();
    let account = store.accounts().unwrap()[0].id;
    let first = store.pending_ops(account).unwrap()[0].id;
    store.drop_ops(&[first], false).unwrap();
    assert_eq!(flags_of(&store, inbox, 3).as_deref(), Some("\\Flagged"));
}

#[test]
fn operations_on_a_message_gone_from_the_server_are_dropped_but_a_move_waits_for_its_replay() {
    let (_dir, mut store, inbox, archive) = two_folders();
    store.queue_action(inbox, &[2], &seen(), 4).unwrap();
    let queued = store
        .queue_action(inbox, &[3], &PendingKind::Move { target: archive }, 5)
        .unwrap();
    let (_, local) = queued.moved[0];
    store.queue_action(archive, &[local], &seen(), 6).unwrap();
    let new_meta = meta(5);
    let applied = store
        .apply_delta(inbox, &delta(&[], &[Uid(2), Uid(3)], &[], &new_meta))
        .unwrap();
    let dropped: Vec<(u64, &str)> = applied
        .dropped
        .iter()
        .map(|op| (op.uid, if op.kind.removes() { "move" } else { "flag" }))
        .collect();
    assert_eq!(dropped, vec![(2, "flag")]);
    // UID 3 leaving INBOX is what the move does (its replay, maybe in another process, is
    // about to record where it went): the moved message stays in sight meanwhile.
    let account = store.accounts().unwrap()[0].id;
    assert_eq!(store.pending_count(account).unwrap(), 2);
    assert_eq!(store.folder_counts(archive).unwrap().count, 1);
    // As far as the cache knows, the server still has it in INBOX until the move is done.
    assert_eq!(store.sync_counts(inbox).unwrap().count, 3);
    // A replay that finds the message really gone drops the move and what depended on it.
    let move_id = store
        .pending_ops(account)
        .unwrap()
        .into_iter()
        .find(|op| op.kind.removes())
        .unwrap()
        .id;
    let dropped = store.drop_ops(&[move_id], true).unwrap();
    assert_eq!(dropped.len(), 2);
    assert_eq!(store.pending_count(account).unwrap(), 0);
    assert_eq!(
        store.folder_counts(archive).unwrap().count,
        0,
        "the placeholder went too"
    );
    assert_eq!(store.sync_counts(inbox).unwrap().count, 2);
}

#[test]
fn a_deleted_message_leaves_the_cache_but_not_the_server_view() {
    let (_dir, mut store, inbox, _) = two_folders();
    store
        .queue_action(inbox, &[4], &PendingKind::Expunge, 5)
        .unwrap();
    assert_eq!(flags_of(&store, inbox, 4), None);
    assert_eq!(store.folder_counts(inbox).unwrap().count, 3);
    assert_eq!(store.sync_counts(inbox).unwrap().count, 4);
    assert_eq!(store.sync_counts(inbox).unwrap().max_uid, Some(Uid(4)));
}
