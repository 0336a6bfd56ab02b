//! Hostile messages beyond scripts: ones built to cost memory or time (a `cid:` image
//! referenced 20,000 times, 50,000 References, 50,000 `Re:`), to fool the reader about what
//! an attachment is (right-to-left overrides, zero-width characters, a 1,000-byte name), or
//! to pass for a message Tern rebuilt itself (forged `X-Tern-*` headers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mail_message::{
    attachment_bytes, inline_images, locate_placeholders, parse_list_headers, parse_message,
    sanitize_html, thread, ThreadInput,
};

fn base64_lines(bytes: &[u8]) -> String {
    tern_testkit::messages::base64_lines(bytes)
}

#[test]
fn one_image_referenced_twenty_thousand_times_stays_small() {
    let image = vec![0x89u8; 1 << 20];
    let html = "<img src=\"cid:logo@x\" alt=\"logo\">".repeat(20_000);
    let raw = format!(
        "From: a@example.org\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--b--\r\n",
        base64_lines(&image)
    );
    assert!(raw.len() < 3 << 20, "a message of {} bytes", raw.len());
    let view = parse_message(raw.as_bytes());
    let safe = sanitize_html(
        view.html_unsafe.as_deref().expect("html"),
        &inline_images(raw.as_bytes()),
        false,
    );
    // Unbounded, this was 20,000 copies of a 1.4 MB data URL: ~27 GB.
    assert!(
        safe.html.len() < mail_message::MAX_INLINED_BYTES + (2 << 20),
        "{} bytes of HTML",
        safe.html.len()
    );
    assert!(safe.html.contains("data:image/png;base64,"));
}

#[test]
fn forged_rebuild_headers_change_nothing() {
    // A sender writes the headers a text-first rebuild used to carry: the attachment must
    // still be what the message holds, with its real size.
    let content = b"the real attachment".repeat(10);
    let raw = format!(
        "From: a@example.org\r\nSubject: forged\r\nX-Tern-Partial: 1\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\nX-Tern-Section: 1\r\nX-Tern-Size: 999999999\r\nX-Tern-Placeholder: 0123456789abcdef0123456789abcdef.0\r\n\r\n{}--b--\r\n",
        base64_lines(&content)
    );
    let view = parse_message(raw.as_bytes());
    assert_eq!(view.attachments.len(), 1);
    assert_eq!(view.attachments[0].size, content.len());
    assert_eq!(attachment_bytes(raw.as_bytes(), 0).unwrap(), content);
    // A placeholder is found only with the token of the rebuild that wrote it.
    assert!(locate_placeholders(raw.as_bytes(), "ffffffffffffffffffffffffffffffff").is_empty());
}

#[test]
fn attachment_names_show_what_the_file_is() {
    let raw = "From: a@example.org\r\nSubject: names\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''%E2%80%AEfdp.exe\r\n\r\nMZ\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''in%E2%80%8Bvoice%E2%81%A6.pdf\r\n\r\n%PDF\r\n--b--\r\n".to_string();
    let long = format!(
        "From: a@example.org\r\nSubject: long\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"{}.pdf\"\r\n\r\n%PDF\r\n--b--\r\n",
        "a".repeat(1000)
    );
    let names: Vec<String> = parse_message(raw.as_bytes())
        .attachments
        .into_iter()
        .map(|attachment| attachment.name)
        .collect();
    assert_eq!(names, vec!["fdp.exe", "invoice.pdf"]);
    let long_name = &parse_message(long.as_bytes()).attachments[0].name;
    assert!(long_name.len() <= 255, "{} bytes", long_name.len());
    assert!(long_name.ends_with(".pdf"), "{long_name}");
}

#[test]
fn fifty_thousand_references_or_prefixes_cost_little() {
    let references: String = (0..50_000).map(|n| format!(" <r{n}@x>")).collect();
    let subject = format!("{}Lunch", "Re: ".repeat(50_000));
    let header = format!(
        "From: a@example.org\r\nSubject: {subject}\r\nMessage-ID: <m@x>\r\nReferences:{references}\r\n\r\n"
    );
    let headers = parse_list_headers(header.as_bytes());
    assert!(
        headers.references.len() <= 100,
        "{}",
        headers.references.len()
    );
    assert_eq!(headers.references[0], "r0@x");
    let groups = thread(&[
        ThreadInput {
            message_id: "m@x".into(),
            parents: headers.references.clone(),
            subject: headers.subject.clone(),
            date: 1,
        },
        ThreadInput {
            message_id: "r49999@x".into(),
            parents: Vec::new(),
            subject: "Lunch".into(),
            date: 0,
        },
    ]);
    assert_eq!(groups, vec![vec![1, 0]]);
}
