//! Store tests on real SQLite files: migrations, folder replacement, atomic sync writes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mail_sync::{FolderRole, ModSeq};

use mail_store::*;
use mail_sync::{Flags, Strategy, SyncMeta, Uid, UidValidity};

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_in_dir(dir.path()).expect("open store");
    (dir, store)
}

/// A cache in a temporary directory with alice's account.
fn store_with_account() -> (tempfile::TempDir, Store, AccountId) {
    let (dir, mut store) = temp_store();
    let account = account(&mut store);
    (dir, store, account)
}

fn account(store: &mut Store) -> AccountId {
    tern_testkit::add_account(store, "alice", 143)
        .expect("account")
        .id
}

fn inbox(store: &mut Store, account: AccountId) -> FolderId {
    tern_testkit::add_folders(store, account, &[("INBOX", Some(FolderRole::Inbox))])
        .expect("folders")[0]
}

fn row(uid: u32, flags: &str) -> MessageRow {
    MessageRow {
        uid: Uid(uid),
        flags: Flags::parse_stored(flags),
        subject: format!("Message {uid}"),
        from_name: "Bob".into(),
        from_address: "bob@example.org".into(),
        to_list: "alice@example.org".into(),
        cc_list: String::new(),
        date: Some(1_700_000_000 + uid as i64),
        internal_date: 1_700_000_000 + uid as i64,
        size: 100,
        message_id: format!("<{uid}@example.org>"),
        in_reply_to: String::new(),
        references: String::new(),
        attachments: false,
        gmail: None,
    }
}

/// An account with an INBOX of `count` messages (UIDs 1..=count) with bodies, initial sync
/// complete: a cache of some size for tests of the file itself.
fn seed_folder(store: &mut Store, count: u32) -> FolderId {
    let account = account(store);
    let folder = inbox(store, account);
    store
        .begin_initial_sync(folder, &meta(count + 1))
        .expect("begin");
    let rows: Vec<MessageRow> = (1..=count).map(|uid| row(uid, "")).collect();
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("rows");
    for uid in 1..=count {
        let body = format!("Subject: Message {uid}\r\n\r\n{}", "body text ".repeat(40));
        store
            .save_body(folder, u64::from(uid), body.as_bytes(), "body text", 1)
            .expect("body");
    }
    folder
}

fn meta(uid_next: u32) -> SyncMeta {
    SyncMeta {
        uid_validity: UidValidity(42),
        uid_next: Uid(uid_next),
        highest_modseq: Some(ModSeq(7)),
        initial_low_uid: None,
    }
}

#[test]
fn migrates_from_empty_and_records_the_version() {
    let (dir, store) = temp_store();
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    drop(store);
    // Reopening an up-to-date cache is a no-op.
    let store = Store::open_in_dir(dir.path()).expect("reopen");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
}

#[test]
fn a_version_1_cache_is_upgraded_and_counts_stay_right() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(DATABASE_FILE);
    {
        let old = rusqlite::Connection::open(&path).expect("old cache");
        old.execute_batch(include_str!("../../../../migrations/0001_init.sql"))
            .expect("schema 1");
        old.pragma_update(None, "user_version", 1)
            .expect("version 1");
    }
    let mut store = Store::open(&path).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
    let triggers: i64 = rusqlite::Connection::open(&path)
        .expect("a second connection")
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'messages_count_insert'",
            [],
            |row| row.get(0),
        )
        .expect("schema query");
    assert_eq!(triggers, 0, "inserts are counted once, by upsert_messages");
    let account = account(&mut store);
    let folder = inbox(&mut store, account);
    store.begin_initial_sync(folder, &meta(4)).expect("begin");
    let rows = vec![row(1, ""), row(2, "\\Seen"), row(3, "")];
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("rows");
    let summary = &store.folder_summaries(account).expect("summaries")[0];
    assert_eq!((summary.total, summary.unread), (3, 2));
}

#[test]
fn refuses_a_cache_from_a_newer_version() {
    let (dir, store) = temp_store();
    drop(store);
    rusqlite::Connection::open(dir.path().join(DATABASE_FILE))
        .expect("the cache file")
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump version");
    let error = match Store::open_in_dir(dir.path()) {
        Ok(_) => panic!("a newer schema must be refused"),
        Err(error) => error,
    };
    let too_new = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<SchemaTooNew>())
        .expect("SchemaTooNew in the chain");
    assert_eq!(too_new.found, SCHEMA_VERSION + 1);
    assert!(format!("{error:#}").contains("newer version of Tern"));
}

#[test]
fn folder_list_is_replaced_and_vanished_folders_dropped() {
    let (_dir, mut store, account) = store_with_account();
    let listed = |names: &[&str]| -> Vec<ListedFolder> {
        names
            .iter()
            .map(|name| ListedFolder {
                name: (*name).into(),
                delimiter: Some("/".into()),
                attributes: vec![],
                role: mail_sync::role_from_name(name, Some("/")),
                selectable: true,
            })
            .collect()
    };
    store
        .replace_folders(account, &listed(&["INBOX", "Sent", "Old"]))
        .expect("first");
    store
        .replace_folders(account, &listed(&["INBOX", "Sent", "Trash"]))
        .expect("second");
    let names: Vec<String> = store
        .folder_summaries(account)
        .expect("summaries")
        .into_iter()
        .map(|folder| folder.name)
        .collect();
    assert_eq!(names, vec!["INBOX", "Sent", "Trash"]);
    assert!(
        store.replace_folders(account, &[]).is_err(),
        "an empty LIST is refused"
    );
    assert_eq!(store.folders(account).expect("folders").len(), 3);
}

#[test]
fn initial_sync_is_resumable_by_low_water_mark() {
    let (_dir, mut store, account) = store_with_account();
    let folder = inbox(&mut store, account);
    store.begin_initial_sync(folder, &meta(11)).expect("begin");
    assert_eq!(
        store
            .sync_meta(folder)
            .expect("meta")
            .expect("some")
            .initial_low_uid,
        Some(Uid(11))
    );
    let newest: Vec<MessageRow> = (6..=10).map(|uid| row(uid, "")).collect();
    store
        .apply_initial_chunk(folder, &newest, Uid(6), false, 5)
        .expect("chunk");
    let state = store.sync_meta(folder).expect("meta").expect("some");
    assert_eq!(state.initial_low_uid, Some(Uid(6)));
    assert!(!state.initial_sync_complete());
    let oldest: Vec<MessageRow> = (1..=5).map(|uid| row(uid, "\\Seen")).collect();
    // A chunk replayed after a crash is harmless (upsert by UID).
    store
        .apply_initial_chunk(folder, &oldest, Uid(1), false, 6)
        .expect("chunk");
    store
        .apply_initial_chunk(folder, &oldest, Uid(1), true, 6)
        .expect("last chunk");
    let state = store.sync_meta(folder).expect("meta").expect("some");
    assert!(state.initial_sync_complete());
    assert_eq!(
        store.folder_counts(folder).expect("counts"),
        FolderCounts {
            count: 10,
            unread: 5,
            max_uid: Some(Uid(10))
        }
    );
    let listed = store.list_messages(folder, 3).expect("list");
    assert_eq!(
        listed.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![10, 9, 8]
    );
    // A window further down the list, as a virtual list asks for it.
    let page = store.message_page(folder, 4, 3).expect("page");
    assert_eq!(
        page.iter().map(|m| m.uid).collect::<Vec<_>>(),
        vec![6, 5, 4]
    );
    let summary = &store.folder_summaries(account).expect("summaries")[0];
    assert_eq!((summary.total, summary.unread), (10, 5));
}

#[test]
fn a_failed_delta_changes_nothing() {
    let (_dir, mut store, account) = store_with_account();
    let folder = inbox(&mut store, account);
    store.begin_initial_sync(folder, &meta(4)).expect("begin");
    let rows: Vec<MessageRow> = (1..=3).map(|uid| row(uid, "")).collect();
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("initial");
    let before_rows = store.message_rows(folder).expect("rows");
    let before_meta = store.sync_meta(folder).expect("meta");

    // UID 0 violates the schema: the whole delta, meta included, must roll back.
    let bad = vec![row(9, ""), row(0, "")];
    let new_meta = meta(10);
    let result = store.apply_delta(
        folder,
        &DeltaWrite {
            added: &bad,
            removed: &[Uid(1)],
            flags_changed: &[(Uid(2), Flags::parse_stored("\\Seen"))],
            new_meta: &new_meta,
            strategy: Strategy::Qresync,
            now: 9,
        },
    );
    assert!(result.is_err());
    assert_eq!(store.message_rows(folder).expect("rows"), before_rows);
    assert_eq!(store.sync_meta(folder).expect("meta"), before_meta);

    // The same delta without the bad row applies completely.
    let good = vec![row(9, "")];
    store
        .apply_delta(
            folder,
            &DeltaWrite {
                added: &good,
                removed: &[Uid(1)],
                flags_changed: &[(Uid(2), Flags::parse_stored("\\Seen"))],
                new_meta: &new_meta,
                strategy: Strategy::Qresync,
                now: 9,
            },
        )
        .expect("delta");
    let uids: Vec<u32> = store
        .message_rows(folder)
        .expect("rows")
        .iter()
        .map(|r| r.uid.0)
        .collect();
    assert_eq!(uids, vec![2, 3, 9]);
    assert_eq!(store.sync_meta(folder).expect("meta"), Some(new_meta));
    let flags = store.flags_of(folder, &[Uid(2), Uid(77)]).expect("flags");
    assert_eq!(flags.len(), 1);
    assert!(flags[&Uid(2)].is_seen());
}

#[test]
fn accounts_round_trip_without_a_password_column() {
    let (_dir, mut store) = temp_store();
    let id = account(&mut store);
    let found = store
        .account_by_email("ALICE@tern.test")
        .expect("lookup")
        .expect("found");
    assert_eq!(found.id, id);
    assert_eq!(
        found.password_source,
        PasswordSource::Env("TERN_TEST_PASSWORD".into())
    );
    let columns: Vec<String> = rusqlite::Connection::open(store.path())
        .expect("a second connection")
        .prepare("SELECT name FROM pragma_table_info('accounts')")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("columns");
    assert!(columns
        .iter()
        .all(|column| !column.contains("password") || column.starts_with("password_")));
}

#[test]
fn cached_counts_follow_every_change() {
    let (_dir, mut store, account) = store_with_account();
    let folder = inbox(&mut store, account);
    let check = |store: &Store| {
        let (total, unread): (i64, i64) = rusqlite::Connection::open(store.path())
            .expect("a second connection")
            .query_row(
                "SELECT count(*), coalesce(sum(1 - seen), 0) FROM messages WHERE folder_id = ?1",
                [folder.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("count");
        let summary = &store.folder_summaries(account).expect("summaries")[0];
        assert_eq!(
            (summary.total as i64, summary.unread as i64),
            (total, unread)
        );
        assert_eq!(
            store.folder_counts(folder).expect("counts").count as i64,
            total
        );
    };
    store.begin_initial_sync(folder, &meta(6)).expect("begin");
    let rows: Vec<MessageRow> = (1..=5)
        .map(|uid| row(uid, if uid % 2 == 0 { "\\Seen" } else { "" }))
        .collect();
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("initial");
    check(&store);
    // Re-upserting the same rows (a replayed batch) must not double-count.
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("replay");
    check(&store);
    // A batch mixing rows already cached (with changed flags) and new ones.
    let mixed = vec![row(1, "\\Seen"), row(2, ""), row(5, ""), row(9, "")];
    store
        .apply_initial_chunk(folder, &mixed, Uid(1), true, 1)
        .expect("mixed");
    check(&store);
    assert_eq!(
        store.folder_summaries(account).expect("summaries")[0].unread,
        4
    );
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("back");
    check(&store);
    let new_meta = meta(10);
    let added = vec![row(6, ""), row(7, "\\Seen")];
    store
        .apply_delta(
            folder,
            &DeltaWrite {
                added: &added,
                removed: &[Uid(1), Uid(2)],
                flags_changed: &[
                    (Uid(3), Flags::parse_stored("\\Seen")),
                    (Uid(4), Flags::new()),
                ],
                new_meta: &new_meta,
                strategy: Strategy::UidFlags,
                now: 2,
            },
        )
        .expect("delta");
    check(&store);
    assert_eq!(
        store.folder_summaries(account).expect("summaries")[0].total,
        6
    );
    // A resync drops everything.
    store.begin_initial_sync(folder, &meta(9)).expect("resync");
    check(&store);
    assert_eq!(
        store.folder_summaries(account).expect("summaries")[0].total,
        0
    );
}

mod accounts;
mod bodies;
mod outbox;
mod pending;
mod salvage;

#[test]
fn the_attachment_mark_is_kept_and_listed() {
    let (_dir, mut store, account) = store_with_account();
    let folder = inbox(&mut store, account);
    let rows = vec![
        MessageRow {
            attachments: true,
            gmail: None,
            ..row(2, "")
        },
        row(1, ""),
    ];
    store.begin_initial_sync(folder, &meta(3)).expect("begin");
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 5)
        .expect("chunk");
    let listed = store.list_messages(folder, 10).expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|m| (m.uid, m.attachments))
            .collect::<Vec<_>>(),
        vec![(2, true), (1, false)]
    );
}

#[test]
fn a_cut_short_or_scribbled_cache_is_damaged_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open_in_dir(dir.path()).unwrap();
        seed_folder(&mut store, 300);
    }
    let path = dir.path().join(DATABASE_FILE);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 64 << 10, "{} bytes", bytes.len());

    // Cut in half.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let error = Store::open_in_dir(dir.path()).map(|_| ()).unwrap_err();
    match cache_problem(&error) {
        Some(CacheProblem::Damaged { reason }) => assert!(
            reason.contains("cut short") || reason.contains("malformed"),
            "{reason}"
        ),
        other => panic!("not taken for damage: {other:?} ({error:#})"),
    }

    // The header scribbled over.
    let mut scribbled = bytes.clone();
    for byte in scribbled.iter_mut().take(100) {
        *byte = 0x5a;
    }
    std::fs::write(&path, &scribbled).unwrap();
    let error = Store::open_in_dir(dir.path()).map(|_| ()).unwrap_err();
    assert!(
        matches!(cache_problem(&error), Some(CacheProblem::Damaged { .. })),
        "{error:#}"
    );
    let sentence = cache_problem(&error).unwrap().explain(dir.path());
    assert!(sentence.contains("tern cache rebuild"), "{sentence}");
}

/// Another process opens the cache, reads, and closes it (as a `tern` command does).
fn another_process_reads(path: &std::path::Path) {
    let status = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM sqlite_master').fetchall(); c.close()")
        .arg(path)
        .status()
        .expect("python3 runs");
    assert!(status.success());
}

#[test]
fn opening_the_cache_again_in_the_same_process_keeps_the_first_handles_locks() {
    let (dir, first) = temp_store();
    drop(first);
    let path = dir.path().join(DATABASE_FILE);
    let wal = dir.path().join(format!("{DATABASE_FILE}-wal"));
    // A first handle of this process, in WAL mode with something in the log.
    let hold = rusqlite::Connection::open(&path).expect("a first handle");
    hold.execute_batch(
        "PRAGMA journal_mode=WAL; CREATE TABLE probe (x); INSERT INTO probe VALUES (1);",
    )
    .expect("written");
    another_process_reads(&path);
    assert!(
        wal.exists(),
        "the control: a closing reader leaves a log others still use"
    );
    // The same process opens the cache again (as a second account's engine would) …
    drop(Store::open(&path).expect("opens again"));
    // … and a closing reader elsewhere must still see this process as a user of the log.
    another_process_reads(&path);
    assert!(
        wal.exists(),
        "opening the file again dropped this process's locks: the log was deleted under it"
    );
    let count: i64 = hold
        .query_row("SELECT count(*) FROM probe", [], |row| row.get(0))
        .expect("the first handle still reads");
    assert_eq!(count, 1);
}
