//! The outbox state machine: claim, commit, sent / deferred / failed / uncertain, recovery
//! after a dead drainer, Sent copies, SMTP settings.

use super::*;

fn outgoing(id: &str) -> NewOutgoing {
    NewOutgoing {
        message_id: id.into(),
        envelope_from: "alice@example.org".into(),
        recipients: vec!["bob@example.org".into(), "carol@example.org".into()],
        subject: format!("Subject {id}"),
        raw: format!("Message-ID: <{id}>\r\n\r\nhi\r\n").into_bytes(),
        sent_copy: None,
        server_saves_sent: false,
    }
}

/// Queues `outgoing(id)` at `now`, which must succeed.
fn queue(store: &mut Store, account: AccountId, id: &str, now: i64) -> OutboxId {
    store
        .enqueue_outgoing(account, &outgoing(id), now)
        .expect("queued")
}

#[test]
fn a_message_goes_from_queued_to_sent_once() {
    let (_dir, mut store, account) = store_with_account();
    let id = queue(&mut store, account, "m1@x", 100);
    assert!(
        store
            .enqueue_outgoing(account, &outgoing("m1@x"), 100)
            .is_err(),
        "the same Message-ID is queued once"
    );
    assert_eq!(store.outbox_waiting(account).unwrap(), 1);
    let claimed = store.claim_outgoing(account, 100).unwrap().unwrap();
    assert_eq!(claimed.id, id);
    assert_eq!(
        claimed.recipients,
        vec!["bob@example.org", "carol@example.org"]
    );
    assert_eq!(claimed.attempts, 1);
    assert!(
        store.claim_outgoing(account, 100).unwrap().is_none(),
        "claimed once"
    );
    assert!(
        store.outgoing_sent(id, 101).is_err(),
        "sent only after committing"
    );
    store.outgoing_committing(id).unwrap();
    store.outgoing_sent(id, 101).unwrap();
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Sent);
    assert_eq!(entry.sent_at, Some(101));
    assert_eq!(store.outbox_waiting(account).unwrap(), 0);
    assert!(
        store.outgoing_retry(id, 102).is_err(),
        "a sent message is not sent again"
    );
}

#[test]
fn temporary_failures_wait_and_permanent_ones_stay_failed() {
    let (_dir, mut store, account) = store_with_account();
    let id = queue(&mut store, account, "m2@x", 100);
    store.claim_outgoing(account, 100).unwrap().unwrap();
    store
        .outgoing_deferred(id, "connection refused", 160)
        .unwrap();
    assert!(
        store.claim_outgoing(account, 159).unwrap().is_none(),
        "not due yet"
    );
    assert_eq!(store.outbox_next_due(account).unwrap(), Some(160));
    let again = store.claim_outgoing(account, 160).unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    store.outgoing_failed(id, "550 5.1.1 unknown user").unwrap();
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Failed);
    assert_eq!(entry.last_error.as_deref(), Some("550 5.1.1 unknown user"));
    assert!(
        store.claim_outgoing(account, 10_000).unwrap().is_none(),
        "never retried by itself"
    );
    store.outgoing_retry(id, 200).unwrap();
    assert!(
        store.claim_outgoing(account, 200).unwrap().is_some(),
        "retried when asked"
    );
}

#[test]
fn recovery_requeues_uncommitted_and_marks_committing_uncertain() {
    let (_dir, mut store, account) = store_with_account();
    let claimed_only = queue(&mut store, account, "a@x", 1);
    let committing = queue(&mut store, account, "b@x", 1);
    store.claim_outgoing(account, 1).unwrap();
    store.claim_outgoing(account, 1).unwrap();
    store.outgoing_committing(committing).unwrap();
    let recovered = store.recover_outbox(account).unwrap();
    assert_eq!(
        recovered,
        Recovered {
            requeued: 1,
            uncertain: 1
        }
    );
    assert_eq!(
        store.outbox_entry(claimed_only).unwrap().unwrap().state,
        OutboxState::Queued
    );
    let uncertain = store.outbox_entry(committing).unwrap().unwrap();
    assert_eq!(uncertain.state, OutboxState::Uncertain);
    assert!(uncertain.last_error.unwrap().contains("may have been sent"));
    // Only the requeued one is sent again.
    assert_eq!(
        store.claim_outgoing(account, 2).unwrap().unwrap().id,
        claimed_only
    );
    assert!(store.claim_outgoing(account, 2).unwrap().is_none());
}

#[test]
fn sent_copies_are_due_until_recorded_unless_the_server_saves_them() {
    let (_dir, mut store, account) = store_with_account();
    let mut with_bcc = outgoing("c@x");
    with_bcc.sent_copy = Some(b"Bcc: dan@example.org\r\nMessage-ID: <c@x>\r\n\r\nhi\r\n".to_vec());
    let copied = store.enqueue_outgoing(account, &with_bcc, 1).unwrap();
    let mut saved_by_server = outgoing("d@x");
    saved_by_server.server_saves_sent = true;
    let not_copied = store
        .enqueue_outgoing(account, &saved_by_server, 1)
        .unwrap();
    for id in [copied, not_copied] {
        store.claim_outgoing(account, 1).unwrap();
        store.outgoing_committing(id).unwrap();
        store.outgoing_sent(id, 5).unwrap();
    }
    let due = store.sent_copies_due(account).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, copied);
    assert!(due[0].bytes.starts_with(b"Bcc: dan@example.org"));
    store.sent_copy_done(copied, Some((7, 42))).unwrap();
    assert!(store.sent_copies_due(account).unwrap().is_empty());
    assert_eq!(
        store.outbox_entry(copied).unwrap().unwrap().sent_folder,
        SentFolderCopy::Done
    );
    assert_eq!(
        store.outbox_entry(not_copied).unwrap().unwrap().sent_folder,
        SentFolderCopy::None
    );
}

#[test]
fn smtp_settings_and_display_name_round_trip() {
    let (_dir, mut store, account) = store_with_account();
    assert_eq!(store.smtp_server(account).unwrap(), None);
    let server = SmtpServer {
        host: "smtp.example.org".into(),
        port: 587,
        security: Security::StartTls,
        username: None,
        allow_plaintext: false,
        saves_sent: true,
    };
    store.set_smtp_server(account, &server).unwrap();
    assert_eq!(store.smtp_server(account).unwrap(), Some(server));
    store.set_display_name(account, Some(" Alice ")).unwrap();
    assert_eq!(
        store.display_name(account).unwrap().as_deref(),
        Some("Alice")
    );
    store.set_display_name(account, Some("")).unwrap();
    assert_eq!(store.display_name(account).unwrap(), None);
}

#[test]
fn a_message_being_sent_cannot_be_discarded() {
    let (_dir, mut store, account) = store_with_account();
    let id = queue(&mut store, account, "e@x", 1);
    store.claim_outgoing(account, 1).unwrap();
    assert!(store.outgoing_discard(id).is_err());
    store.outgoing_deferred(id, "busy", 2).unwrap();
    store.outgoing_discard(id).unwrap();
    assert!(store.outbox(account).unwrap().is_empty());
}

#[test]
fn address_suggestions_match_address_or_name_words_most_frequent_first() {
    let (_dir, mut store, account) = store_with_account();
    let inbox = inbox(&mut store, account);
    let mut rows = Vec::new();
    for (uid, name, address) in [
        (1, "Bob Builder", "bob@example.org"),
        (2, "Bob Builder", "bob@example.org"),
        (3, "Roberta Bobbins", "rb@example.org"),
        (4, "", "bobcat_100%@example.org"),
        (5, "Carol", "carol@example.org"),
    ] {
        let mut row = row(uid, "");
        row.from_name = name.into();
        row.from_address = address.into();
        rows.push(row);
    }
    store.add_arrivals(inbox, &rows).unwrap();
    let found: Vec<String> = store
        .address_suggestions(account, "bob", 10)
        .unwrap()
        .into_iter()
        .map(|known| known.address)
        .collect();
    assert_eq!(
        found,
        vec![
            "bob@example.org",
            "bobcat_100%@example.org",
            "rb@example.org"
        ]
    );
    assert_eq!(
        store
            .address_suggestions(account, "bobcat_1", 10)
            .unwrap()
            .len(),
        1,
        "_ is literal"
    );
    assert_eq!(
        store.address_suggestions(account, "car", 10).unwrap()[0].name,
        "Carol"
    );
    assert!(store
        .address_suggestions(account, " ", 10)
        .unwrap()
        .is_empty());
}

#[test]
fn drafts_version_and_queue_the_removal_of_replaced_and_deleted_copies() {
    let (_dir, mut store, account) = store_with_account();
    let id = store
        .save_draft(account, None, "{\"v\":1}", "Plans", "d1@x", 10)
        .unwrap();
    assert_eq!(store.drafts_to_upload(account).unwrap().len(), 1);
    store
        .draft_uploaded(account, id, 1, Some((7, 100)))
        .unwrap();
    assert!(store.drafts_to_upload(account).unwrap().is_empty());
    assert!(
        store.draft_removals(account).unwrap().is_empty(),
        "nothing replaced yet"
    );
    store
        .save_draft(account, Some(id), "{\"v\":2}", "Plans!", "d1@x", 11)
        .unwrap();
    let draft = store.draft(id).unwrap().unwrap();
    assert_eq!((draft.version, draft.server_version), (2, 1));
    assert_eq!(draft.content, "{\"v\":2}");
    store
        .draft_uploaded(account, id, 2, Some((7, 101)))
        .unwrap();
    assert_eq!(
        store.draft_removals(account).unwrap(),
        vec![(7, 100)],
        "the old copy goes"
    );
    store.draft_removal_done(account, (7, 100)).unwrap();
    assert_eq!(
        store
            .draft_by_message_id(account, "d1@x")
            .unwrap()
            .unwrap()
            .id,
        id
    );
    store.delete_draft(account, id).unwrap();
    assert_eq!(
        store.draft_removals(account).unwrap(),
        vec![(7, 101)],
        "the sent draft's copy goes"
    );
    assert!(store.draft(id).unwrap().is_none());
    assert!(
        store
            .save_draft(account, Some(id), "{}", "", "d1@x", 12)
            .is_err(),
        "a deleted draft stays deleted"
    );
}

#[test]
fn sent_recipient_lists_come_from_the_sent_folder_only() {
    let (_dir, mut store, account) = store_with_account();
    let folder = |name: &str, role| ListedFolder {
        name: name.into(),
        delimiter: Some("/".into()),
        attributes: vec![],
        role: Some(role),
        selectable: true,
    };
    store
        .replace_folders(
            account,
            &[
                folder("INBOX", FolderRole::Inbox),
                folder("Sent", FolderRole::Sent),
            ],
        )
        .unwrap();
    let sent = store.folder_by_name(account, "Sent").unwrap().unwrap().id;
    let inbox = store.folder_by_name(account, "INBOX").unwrap().unwrap().id;
    let mut to_bobby = row(1, "");
    to_bobby.to_list = "Bobby Tables <tables@x>".into();
    to_bobby.cc_list = "carol@x".into();
    store.add_arrivals(sent, &[to_bobby.clone()]).unwrap();
    store.add_arrivals(inbox, &[to_bobby]).unwrap();
    let lists = store.sent_recipient_lists(account, "bob", 10).unwrap();
    assert_eq!(lists, vec!["Bobby Tables <tables@x>, carol@x"]);
    assert!(store
        .sent_recipient_lists(account, "zed", 10)
        .unwrap()
        .is_empty());
}
