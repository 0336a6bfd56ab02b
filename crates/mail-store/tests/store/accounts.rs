//! Several accounts in one cache: the From name and signature of each, the unified inbox,
//! and removing an account without a trace.

use super::*;

/// The cache files' bytes (database and write-ahead log), to look for what must be gone.
fn cache_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in [DATABASE_FILE.to_string(), format!("{DATABASE_FILE}-wal")] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// An account `login` with an INBOX of `count` messages whose subjects and bodies carry
/// `marker`, arriving at `first_date`, `first_date + step`, …; bodies kept and indexed.
fn account_with_inbox(
    store: &mut Store,
    login: &str,
    marker: &str,
    first_date: i64,
    step: i64,
    count: u32,
) -> (AccountId, FolderId) {
    let account = tern_testkit::add_account(store, login, 143)
        .expect("account")
        .id;
    let folder = inbox(store, account);
    store
        .begin_initial_sync(folder, &meta(count + 1))
        .expect("begin");
    let rows: Vec<MessageRow> = (1..=count)
        .map(|uid| MessageRow {
            subject: format!("{marker} subject {uid}"),
            internal_date: first_date + step * i64::from(uid),
            ..row(uid, if uid % 2 == 0 { "\\Seen" } else { "" })
        })
        .collect();
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .expect("rows");
    for uid in 1..=count {
        let text = format!("{marker}body words of message {uid}");
        let raw = format!("Subject: {marker} subject {uid}\r\n\r\n{text}\r\n");
        store
            .save_body(folder, u64::from(uid), raw.as_bytes(), &text, 1)
            .expect("body");
    }
    store.index_all_for_search().expect("index");
    (account, folder)
}

#[test]
fn name_and_signature_are_kept_per_account_and_blank_means_none() {
    let (_dir, mut store, alice) = store_with_account();
    let bob = tern_testkit::add_account(&mut store, "bob", 143)
        .expect("bob")
        .id;
    store
        .set_display_name(alice, Some("  Alice Example "))
        .unwrap();
    store
        .set_signature(alice, Some("Alice\r\nhttps://alice.example\r\n\r\n"))
        .unwrap();
    store.set_signature(bob, Some("   \n ")).unwrap();
    assert_eq!(
        store.display_name(alice).unwrap().as_deref(),
        Some("Alice Example")
    );
    assert_eq!(
        store.signature(alice).unwrap().as_deref(),
        Some("Alice\nhttps://alice.example")
    );
    assert_eq!(store.signature(bob).unwrap(), None);
    assert_eq!(store.display_name(bob).unwrap(), None);
    store.set_signature(alice, None).unwrap();
    assert_eq!(store.signature(alice).unwrap(), None);
    assert!(
        store.set_signature(AccountId(999), Some("x")).is_err(),
        "no such account"
    );
}

#[test]
fn the_unified_inbox_merges_every_inbox_newest_first_page_by_page() {
    let (_dir, mut store) = temp_store();
    // Alice's mail arrives at even seconds, Bob's at odd ones: the merge interleaves them.
    let (alice, alice_inbox) = account_with_inbox(&mut store, "alice", "A", 1_000, 2, 5);
    let (bob, bob_inbox) = account_with_inbox(&mut store, "bob", "B", 1_001, 2, 5);
    // Another folder's mail is not in the unified inbox.
    let archive = tern_testkit::add_folders(
        &mut store,
        alice,
        &[
            ("INBOX", Some(FolderRole::Inbox)),
            ("Archive", Some(FolderRole::Archive)),
        ],
    )
    .expect("archive")[1];
    store.begin_initial_sync(archive, &meta(2)).unwrap();
    store
        .apply_initial_chunk(
            archive,
            &[MessageRow {
                internal_date: 9_999,
                ..row(1, "")
            }],
            Uid(1),
            true,
            1,
        )
        .unwrap();

    let all = store.unified_inbox(0, 100).unwrap();
    let order: Vec<(String, u64)> = all
        .iter()
        .map(|row| (row.email.clone(), row.message.uid))
        .collect();
    let mut expected = Vec::new();
    for uid in (1..=5).rev() {
        expected.push(("bob@tern.test".to_string(), uid));
        expected.push(("alice@tern.test".to_string(), uid));
    }
    assert_eq!(order, expected);
    assert!(all
        .iter()
        .all(|row| (row.account == alice && row.folder == alice_inbox)
            || (row.account == bob && row.folder == bob_inbox)));
    assert_eq!(all[0].message.subject, "B subject 5");

    // Pages are windows of the same order.
    let page = store.unified_inbox(3, 4).unwrap();
    let paged: Vec<(String, u64)> = page
        .iter()
        .map(|row| (row.email.clone(), row.message.uid))
        .collect();
    assert_eq!(paged, expected[3..7].to_vec());
    assert!(store.unified_inbox(10, 5).unwrap().is_empty());
    // Unread: UIDs 1, 3, 5 of each inbox; the newest of them, for the tray.
    assert_eq!(store.unified_unread().unwrap(), 6);
    let unread: Vec<(String, u64)> = store
        .newest_unread(4)
        .unwrap()
        .iter()
        .map(|row| (row.email.clone(), row.message.uid))
        .collect();
    assert_eq!(
        unread,
        [
            ("bob@tern.test", 5),
            ("alice@tern.test", 5),
            ("bob@tern.test", 3),
            ("alice@tern.test", 3)
        ]
        .map(|(email, uid)| (email.to_string(), uid))
    );
    assert!(store
        .newest_unread(10)
        .unwrap()
        .iter()
        .all(|row| !row.message.flags.is_seen()));
    assert_eq!(store.unified_counts().unwrap(), (expected.len() as u64, 6));
}

#[test]
fn the_unified_inbox_of_a_profile_without_accounts_is_empty() {
    let (_dir, store) = temp_store();
    assert!(store.unified_inbox(0, 50).unwrap().is_empty());
    assert_eq!(store.unified_unread().unwrap(), 0);
    assert_eq!(store.unified_counts().unwrap(), (0, 0));
}

#[test]
fn removing_an_account_names_what_waits_and_leaves_nothing_of_it_in_the_files() {
    let (dir, mut store) = temp_store();
    let (alice, alice_inbox) =
        account_with_inbox(&mut store, "alice", "zqxalicemarker", 1_000, 1, 40);
    let (bob, _) = account_with_inbox(&mut store, "bob", "zqxbobmarker", 1_000, 1, 40);
    store
        .queue_action(
            alice_inbox,
            &[1, 3],
            &PendingKind::AddFlag("\\Seen".into()),
            5,
        )
        .unwrap();
    store
        .save_draft(
            alice,
            None,
            "{}",
            "zqxalicemarker draft",
            "<d1@tern.test>",
            5,
        )
        .unwrap();
    store
        .set_signature(alice, Some("zqxalicemarker signature"))
        .unwrap();

    let waiting = store.waiting_changes(alice).unwrap();
    assert_eq!(
        waiting,
        WaitingChanges {
            pending: 2,
            outbox: 0,
            drafts: 1
        }
    );
    assert_eq!(
        waiting.describe(),
        "2 changes not yet on the server and 1 draft"
    );
    assert!(store.waiting_changes(bob).unwrap().is_empty());
    assert!(
        contains(&cache_bytes(dir.path()), "zqxalicemarker"),
        "the control: it was there"
    );

    store.remove_account(alice).unwrap();

    assert!(store.account_by_email("alice@tern.test").unwrap().is_none());
    assert!(store.folder_summaries(alice).unwrap().is_empty());
    assert!(store.drafts(alice).unwrap().is_empty());
    assert_eq!(store.pending_count(alice).unwrap(), 0);
    assert_eq!(
        store.search(alice, "zqxalicemarkerbody", 10).unwrap().len(),
        0
    );
    // Bob's mail is untouched and still found.
    assert_eq!(
        store.search(bob, "zqxbobmarkerbody", 100).unwrap().len(),
        40
    );
    assert_eq!(store.unified_inbox(0, 100).unwrap().len(), 40);
    drop(store);
    assert!(
        !contains(&cache_bytes(dir.path()), "zqxalicemarker"),
        "alice's mail is still readable in the cache files"
    );
    assert!(contains(&cache_bytes(dir.path()), "zqxbobmarker"));
    assert!(Store::open_in_dir(dir.path())
        .unwrap()
        .remove_account(alice)
        .is_err());
}

#[test]
fn an_account_holds_four_connections_until_told_otherwise_and_never_zero() {
    let (_dir, mut store) = temp_store();
    let account = tern_testkit::add_account(&mut store, "alice", 143).expect("account");
    assert_eq!(account.max_connections, mail_store::DEFAULT_MAX_CONNECTIONS);
    assert_eq!(mail_store::DEFAULT_MAX_CONNECTIONS, 4);

    store.set_max_connections(account.id, 2).expect("two");
    let read = store
        .account_by_email(&account.email)
        .expect("read")
        .expect("found");
    assert_eq!(read.max_connections, 2);

    for refused in [0, mail_store::MAX_CONNECTIONS_LIMIT + 1] {
        let error = store
            .set_max_connections(account.id, refused)
            .expect_err("refused");
        assert!(error.to_string().contains("between 1 and"), "{error}");
    }
    let read = store
        .account_by_email(&account.email)
        .expect("read")
        .expect("found");
    assert_eq!(read.max_connections, 2, "a refused value changes nothing");
}
