//! Cached bodies and full-text search: indexing in batches, bodies found by their words,
//! eviction within a budget, and the index following deletes.

use super::*;

fn synced_inbox(count: u32) -> (tempfile::TempDir, Store, AccountId, FolderId) {
    let (dir, mut store) = temp_store();
    let account = account(&mut store);
    let folder = inbox(&mut store, account);
    store.begin_initial_sync(folder, &meta(count + 1)).unwrap();
    let rows: Vec<MessageRow> = (1..=count).map(|uid| row(uid, "")).collect();
    store
        .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
        .unwrap();
    (dir, store, account, folder)
}

fn found(store: &Store, account: AccountId, query: &str) -> Vec<u64> {
    store
        .search(account, query, 50)
        .unwrap()
        .into_iter()
        .map(|hit| hit.message.uid)
        .collect()
}

#[test]
fn subjects_people_and_bodies_are_found_once_indexed() {
    let (_dir, mut store, account, folder) = synced_inbox(3);
    assert!(
        found(&store, account, "Message").is_empty(),
        "not indexed yet"
    );
    assert_eq!(store.index_all_for_search().unwrap(), 3);
    // Newest first among equals.
    assert_eq!(found(&store, account, "message"), vec![3, 2, 1]);
    assert_eq!(found(&store, account, "bob@example"), vec![3, 2, 1]);
    // A body arriving after indexing waits for the indexer's next batch (storing it never
    // waits for FTS5), then is found.
    assert!(store
        .save_body(folder, 2, b"raw", "Die Grüße aus Köln, Quittung 4711", 5)
        .unwrap());
    assert_eq!(
        store.index_progress().unwrap(),
        IndexProgress {
            messages: 3,
            waiting: 1
        }
    );
    assert!(found(&store, account, "quittung").is_empty());
    assert_eq!(store.index_for_search(100).unwrap(), 1);
    assert!(store.index_progress().unwrap().done());
    assert_eq!(found(&store, account, "quittung"), vec![2]);
    assert_eq!(
        found(&store, account, "koln quittung"),
        vec![2],
        "diacritics folded"
    );
    assert_eq!(
        found(&store, account, "quit"),
        vec![2],
        "the last word is a prefix"
    );
    assert!(found(&store, account, "\"unbalanced").is_empty());
    assert_eq!(store.body(folder, 2).unwrap().as_deref(), Some(&b"raw"[..]));
}

#[test]
fn the_index_follows_deletes_even_when_ids_are_reused() {
    let (_dir, mut store, account, folder) = synced_inbox(3);
    store.index_all_for_search().unwrap();
    let new_meta = meta(10);
    let delta = |removed: &[Uid], added: &[MessageRow]| (removed.to_vec(), added.to_vec());
    let (removed, added) = delta(&[Uid(3)], &[]);
    store
        .apply_delta(
            folder,
            &DeltaWrite {
                added: &added,
                removed: &removed,
                flags_changed: &[],
                new_meta: &new_meta,
                strategy: Strategy::Qresync,
                now: 2,
            },
        )
        .unwrap();
    assert_eq!(found(&store, account, "message"), vec![2, 1]);
    // The next message may get the deleted row's id: it must still be indexed.
    let mut fresh = row(9, "");
    fresh.subject = "Fresh arrival".into();
    store
        .apply_delta(
            folder,
            &DeltaWrite {
                added: &[fresh],
                removed: &[],
                flags_changed: &[],
                new_meta: &new_meta,
                strategy: Strategy::Qresync,
                now: 3,
            },
        )
        .unwrap();
    store.index_all_for_search().unwrap();
    assert_eq!(found(&store, account, "fresh"), vec![9]);
}

#[test]
fn eviction_drops_the_oldest_bodies_first_and_keeps_headers_searchable() {
    let (_dir, mut store, account, folder) = synced_inbox(4);
    store.index_all_for_search().unwrap();
    for uid in 1..=4u64 {
        let body = vec![b'x'; 1000];
        store
            .save_body(folder, uid, &body, &format!("bodyword{uid}"), 1)
            .unwrap();
    }
    assert_eq!(store.bodies_size().unwrap(), 4000);
    store.index_all_for_search().unwrap();
    assert_eq!(found(&store, account, "bodyword1"), vec![1]);
    assert_eq!(store.evict_bodies(2500).unwrap(), 2);
    assert_eq!(
        store.index_progress().unwrap().waiting,
        2,
        "two documents lost their bodies"
    );
    store.index_all_for_search().unwrap();
    assert!(store.body(folder, 1).unwrap().is_none());
    assert!(store.body(folder, 2).unwrap().is_none());
    assert!(store.body(folder, 4).unwrap().is_some());
    assert!(found(&store, account, "bodyword1").is_empty());
    assert_eq!(found(&store, account, "bodyword4"), vec![4]);
    assert_eq!(found(&store, account, "message 1"), vec![1], "headers stay");
    let missing: Vec<u32> = store
        .messages_without_body(folder, 0, None, 10)
        .unwrap()
        .iter()
        .map(|m| m.uid.0)
        .collect();
    assert_eq!(missing, vec![2, 1], "newest first");
}

#[test]
fn typed_text_becomes_a_safe_fts_query() {
    assert_eq!(fts_query("  "), None);
    assert_eq!(
        fts_query("hello wor").as_deref(),
        Some("\"hello\" \"wor\"*")
    );
    assert_eq!(
        fts_query("a\"b OR c").as_deref(),
        Some("\"a\"\"b\" \"OR\" \"c\"*")
    );
}

#[test]
fn a_gmail_message_in_two_folders_keeps_one_body_and_is_not_prefetched_twice() {
    let (_dir, mut store) = temp_store();
    let account = account(&mut store);
    let folders = tern_testkit::add_folders(
        &mut store,
        account,
        &[("INBOX", Some(FolderRole::Inbox)), ("Work", None)],
    )
    .expect("folders");
    let gmail = |msgid: u64| {
        Some(mail_store::GmailIds {
            msgid,
            thrid: Some(msgid),
            labels: vec!["\\Inbox".to_string(), "Work".to_string()],
        })
    };
    for &folder in &folders {
        store.begin_initial_sync(folder, &meta(3)).unwrap();
        let rows = vec![
            MessageRow {
                gmail: gmail(77),
                ..row(1, "")
            },
            MessageRow {
                gmail: gmail(78),
                ..row(2, "")
            },
        ];
        store
            .apply_initial_chunk(folder, &rows, Uid(1), true, 1)
            .unwrap();
    }
    let (inbox, work) = (folders[0], folders[1]);
    store.index_all_for_search().unwrap();
    assert!(store
        .save_body(inbox, 1, b"the raw bytes", "movingword", 5)
        .unwrap());
    // Read back as stored, labels included.
    let rows = store.message_rows(work).unwrap();
    assert_eq!(rows[0].gmail, gmail(77));
    // The Work copy reads the INBOX copy's body; only message 78 is left to fetch, in each
    // folder (neither copy has it).
    assert_eq!(
        store.body(work, 1).unwrap().as_deref(),
        Some(&b"the raw bytes"[..])
    );
    let missing: Vec<u32> = store
        .messages_without_body(work, 0, None, 10)
        .unwrap()
        .into_iter()
        .map(|missing| missing.uid.0)
        .collect();
    assert_eq!(missing, vec![2]);
    assert_eq!(store.bodies_size().unwrap(), 13, "one body, kept once");
    // Archived out of INBOX (its row goes), the body stays with the Work copy.
    store
        .queue_action(inbox, &[1], &PendingKind::Expunge, 6)
        .unwrap();
    assert!(!store.has_message(inbox, 1).unwrap());
    assert_eq!(
        store.body(work, 1).unwrap().as_deref(),
        Some(&b"the raw bytes"[..])
    );
    assert_eq!(store.bodies_size().unwrap(), 13);
    // And its text is found with the Work copy once the indexer has been by (the copy was
    // indexed without it).
    store.index_all_for_search().unwrap();
    let found: Vec<(String, u64)> = store
        .search(account, "movingword", 10)
        .unwrap()
        .into_iter()
        .map(|hit| (hit.folder, hit.message.uid))
        .collect();
    assert_eq!(found, vec![("Work".to_string(), 1)]);
}

#[test]
fn the_running_total_of_body_bytes_stays_right_through_every_change() {
    let (_dir, mut store, account, folder) = synced_inbox(6);
    let both = |store: &Store| {
        (
            store.bodies_size().unwrap(),
            store.bodies_size_counted().unwrap(),
        )
    };
    assert_eq!(both(&store), (0, 0));
    for uid in 1..=5u64 {
        let body = vec![b'x'; 100 * uid as usize];
        store.save_body(folder, uid, &body, "text", 1).unwrap();
    }
    assert_eq!(both(&store), (1500, 1500));
    // A body saved again (a whole message replacing its text-first part) replaces its size.
    store.save_body(folder, 5, &[b'y'; 50], "text", 2).unwrap();
    assert_eq!(both(&store), (1050, 1050));
    // Eviction removes exactly the oldest beyond the budget.
    assert_eq!(store.evict_bodies(800).unwrap(), 2);
    assert!(store.body(folder, 1).unwrap().is_none() && store.body(folder, 2).unwrap().is_none());
    assert_eq!(both(&store), (750, 750));
    // A message expunged on the server (its row goes, and its body with it).
    let new_meta = meta(7);
    store
        .apply_delta(
            folder,
            &DeltaWrite {
                added: &[],
                removed: &[Uid(3)],
                flags_changed: &[],
                new_meta: &new_meta,
                strategy: Strategy::Qresync,
                now: 2,
            },
        )
        .unwrap();
    assert_eq!(both(&store), (450, 450));
    // A UIDVALIDITY reset drops the folder's cache.
    store.begin_initial_sync(folder, &meta(20)).unwrap();
    assert_eq!(both(&store), (0, 0));
    // And removing the account leaves nothing counted.
    store.save_body(folder, 6, b"late", "text", 3).unwrap();
    store.remove_account(account).unwrap();
    assert_eq!(both(&store), (0, 0));
}

#[test]
fn the_prefetch_list_continues_where_the_last_batch_ended() {
    let (_dir, store, _account, folder) = synced_inbox(5);
    let list = |below: Option<(i64, Uid)>| -> Vec<u32> {
        store
            .messages_without_body(folder, 0, below, 2)
            .unwrap()
            .iter()
            .map(|missing| missing.uid.0)
            .collect()
    };
    let first = store.messages_without_body(folder, 0, None, 2).unwrap();
    assert_eq!(list(None), vec![5, 4]);
    let end = first.last().map(|last| (last.internal_date, last.uid));
    assert_eq!(list(end), vec![3, 2]);
    assert_eq!(list(Some((i64::MIN, Uid(0)))), Vec::<u32>::new());
}

#[test]
fn a_batch_of_bodies_is_kept_at_once_and_messages_gone_meanwhile_are_skipped() {
    let (_dir, mut store, account, folder) = synced_inbox(3);
    store.index_all_for_search().unwrap();
    let body = |uid: u64, text: &'static str| FetchedBody {
        uid,
        raw: text.as_bytes(),
        remote_parts: "",
        body_text: text,
        preview: text,
    };
    let saved = store
        .save_bodies(
            folder,
            &[
                body(1, "first batchword"),
                body(9, "never cached"),
                body(3, "third batchword"),
            ],
            5,
        )
        .unwrap();
    assert_eq!(saved, 2);
    assert!(store.body(folder, 1).unwrap().is_some());
    assert!(store.body(folder, 2).unwrap().is_none());
    assert_eq!(store.index_progress().unwrap().waiting, 2);
    store.index_all_for_search().unwrap();
    assert_eq!(
        found(&store, account, "batchword"),
        vec![3, 1],
        "indexed with the indexer's next batch"
    );
    assert_eq!(
        store.bodies_size().unwrap(),
        store.bodies_size_counted().unwrap()
    );
    // A download's check before each batch: exactly the asked messages that have a body
    // (UID 2 has none, 3 was not asked, 9 is not cached), whatever the order asked in.
    assert_eq!(
        store.with_body(folder, &[9, 2, 1]).unwrap(),
        std::collections::HashSet::from([1])
    );
    assert_eq!(
        store.with_body(folder, &[3, 1]).unwrap(),
        std::collections::HashSet::from([1, 3])
    );
    assert!(store.with_body(folder, &[]).unwrap().is_empty());
    // The list shows each kept body's preview with its row; a row without a body has none.
    let previews: Vec<(u64, String)> = store
        .message_page(folder, 0, 10)
        .unwrap()
        .into_iter()
        .map(|message| (message.uid, message.preview))
        .collect();
    assert_eq!(
        previews,
        [(3, "third batchword"), (2, ""), (1, "first batchword")]
            .map(|(uid, text)| (uid, text.to_string()))
    );
    // A body kept again without a preview (a test's plain save) leaves the row's as it was.
    store.save_body(folder, 1, b"again", "again", 6).unwrap();
    assert_eq!(
        store.message_page(folder, 2, 1).unwrap()[0].preview,
        "first batchword"
    );
}

#[test]
fn the_indexer_takes_new_messages_first_then_out_of_date_documents_in_batches() {
    let (_dir, mut store, account, folder) = synced_inbox(5);
    assert_eq!(
        store.index_progress().unwrap(),
        IndexProgress {
            messages: 5,
            waiting: 5
        }
    );
    assert_eq!(store.index_for_search(2).unwrap(), 2);
    assert_eq!(store.index_progress().unwrap().indexed(), 2);
    // Bodies for an indexed message (1) and one not yet indexed (5): only 1 goes stale,
    // 5 is indexed with its body when its turn comes.
    store.save_body(folder, 1, b"raw", "alphaword", 5).unwrap();
    store.save_body(folder, 5, b"raw", "omegaword", 5).unwrap();
    assert_eq!(store.index_progress().unwrap().waiting, 4);
    assert_eq!(store.index_for_search(2).unwrap(), 2);
    assert_eq!(store.index_for_search(2).unwrap(), 1);
    assert_eq!(found(&store, account, "omegaword"), vec![5]);
    assert!(
        found(&store, account, "alphaword").is_empty(),
        "stale still"
    );
    assert_eq!(store.index_progress().unwrap().waiting, 1);
    assert_eq!(store.index_for_search(2).unwrap(), 1, "the stale document");
    assert_eq!(found(&store, account, "alphaword"), vec![1]);
    assert_eq!(store.index_for_search(2).unwrap(), 0);
    assert!(store.index_progress().unwrap().done());
    // A stale message deleted before its turn leaves nothing behind.
    store.save_body(folder, 2, b"raw", "betaword", 6).unwrap();
    let new_meta = meta(10);
    store
        .apply_delta(
            folder,
            &DeltaWrite {
                added: &[],
                removed: &[Uid(2)],
                flags_changed: &[],
                new_meta: &new_meta,
                strategy: Strategy::Qresync,
                now: 7,
            },
        )
        .unwrap();
    assert!(store.index_progress().unwrap().done());
    // Merging steps end.
    let mut steps = 0;
    while store.merge_search_index(64).unwrap() {
        steps += 1;
        assert!(steps < 1000, "merging never ends");
    }
    assert_eq!(found(&store, account, "omegaword"), vec![5]);
}

#[test]
fn eviction_keeps_recently_opened_bodies_and_drops_exactly_the_oldest() {
    let (_dir, mut store, _account, folder) = synced_inbox(6);
    for uid in 1..=6u64 {
        store.save_body(folder, uid, &[b'x'; 100], "", 1).unwrap();
    }
    // Message 1 arrived first but was opened late: it goes last.
    store.mark_opened(folder, 1, 1_000_000_000_000).unwrap();
    assert_eq!(store.evict_bodies(300).unwrap(), 3);
    let kept: Vec<u64> = (1..=6)
        .filter(|uid| store.body(folder, *uid).unwrap().is_some())
        .collect();
    assert_eq!(kept, vec![1, 5, 6]);
    assert_eq!(store.bodies_size().unwrap(), 300);
    assert_eq!(store.evict_bodies(300).unwrap(), 0, "within the budget");
    assert_eq!(store.evict_bodies(0).unwrap(), 3);
    assert_eq!(store.bodies_size_counted().unwrap(), 0);
}

#[test]
fn previews_are_wanted_newest_first_until_known_from_a_body_or_the_first_bytes() {
    let (_dir, mut store, _account, folder) = synced_inbox(5);
    assert_eq!(
        store.previews_wanted(folder, 0, None, 10).unwrap(),
        vec![5, 4, 3, 2, 1]
    );
    // A pass continues below where its last batch ended.
    assert_eq!(
        store.previews_wanted(folder, 0, None, 2).unwrap(),
        vec![5, 4]
    );
    assert_eq!(
        store.previews_wanted(folder, 0, Some(4), 2).unwrap(),
        vec![3, 2]
    );
    // A later pass starts above what an earlier one finished.
    assert_eq!(
        store.previews_wanted(folder, 3, None, 10).unwrap(),
        vec![5, 4]
    );
    assert_eq!(store.highest_server_uid(folder).unwrap(), 5);
    // A kept body makes its own preview known, even an empty one (only an attachment).
    assert!(store.save_body(folder, 4, b"raw", "", 5).unwrap());
    assert_eq!(
        store.previews_wanted(folder, 0, None, 10).unwrap(),
        vec![5, 3, 2, 1]
    );
    let kept = store
        .save_bodies(
            folder,
            &[FetchedBody {
                uid: 3,
                raw: b"raw",
                remote_parts: "",
                body_text: "the whole text",
                preview: "From the whole body",
            }],
            5,
        )
        .unwrap();
    assert_eq!(kept, 1);
    // Previews from the first bytes: the body's stays; unknown UIDs change nothing.
    let saved = store
        .save_previews(
            folder,
            &[
                (5, "Lunch on Friday?".to_string()),
                (3, "From the first bytes".to_string()),
                (2, String::new()),
                (99, "gone".to_string()),
            ],
        )
        .unwrap();
    assert_eq!(saved, 2);
    assert_eq!(store.previews_wanted(folder, 0, None, 10).unwrap(), vec![1]);
    let previews: Vec<(u64, String)> = store
        .list_messages(folder, 10)
        .unwrap()
        .into_iter()
        .map(|message| (message.uid, message.preview))
        .collect();
    assert!(
        previews.contains(&(5, "Lunch on Friday?".to_string())),
        "{previews:?}"
    );
    assert!(
        previews.contains(&(3, "From the whole body".to_string())),
        "{previews:?}"
    );
    assert!(previews.contains(&(2, String::new())), "{previews:?}");
}
