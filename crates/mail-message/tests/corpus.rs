//! The message corpus under `tests/corpus/` (written for Tern): each file decodes to the
//! expected display model, and sanitizing its HTML leaves nothing executable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use mail_message::{attachment_bytes, inline_images, parse_message, sanitize_html, MessageView};

fn load(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn view(name: &str) -> MessageView {
    parse_message(&load(name))
}

fn names(addresses: &[mail_message::Address]) -> Vec<(&str, &str)> {
    addresses
        .iter()
        .map(|a| (a.name.as_str(), a.address.as_str()))
        .collect()
}

#[test]
fn utf8_base64_with_encoded_words_and_address_lists() {
    let v = view("01-plain-utf8-base64.eml");
    assert_eq!(v.subject, "Grüße aus Köln");
    assert_eq!(
        names(&v.from),
        vec![("Jürgen Müller", "juergen@example.de")]
    );
    assert_eq!(
        names(&v.to),
        vec![("Alice", "alice@tern.test"), ("", "bob@example.org")]
    );
    assert_eq!(names(&v.cc), vec![("Carol, C.", "carol@example.com")]);
    assert_eq!(v.date, Some(1_700_000_000));
    assert_eq!(v.message_id, "plain-1@example.de");
    assert_eq!(
        v.text.as_deref(),
        Some("Hallo Alice,\nviele Grüße aus Köln!\n")
    );
    assert!(v.html_unsafe.is_none() && v.attachments.is_empty() && v.warnings.is_empty());
}

#[test]
fn latin1_quoted_printable_with_soft_breaks() {
    let v = view("02-latin1-quoted-printable.eml");
    assert_eq!(v.subject, "Café");
    let text = v.text.unwrap();
    assert!(text.contains("Un café crème, s'il vous plaît."), "{text}");
    assert!(text.contains("coupée par un saut doux"), "{text}");
}

#[test]
fn iso_2022_jp() {
    let v = view("03-iso-2022-jp.eml");
    assert_eq!(v.subject, "こんにちは");
    assert_eq!(v.from[0].name, "山田");
    assert_eq!(v.text.unwrap().trim(), "こんにちは");
}

#[test]
fn eight_bit_headers_and_a_missing_charset_still_show_something() {
    let v = view("04-missing-charset-8bit-header.eml");
    assert_eq!(v.subject, "Naïve résumé");
    assert_eq!(v.from[0].name, "Zoë");
    assert!(!v.warnings.is_empty(), "says it guessed");
    assert_eq!(v.from[0].address, "zoe@example.org");
    let text = v.text.unwrap();
    assert_eq!(text.trim(), "Grüße ohne charset.");
}

#[test]
fn nested_alternative_related_mixed_with_inline_image_and_attachment() {
    let raw = load("05-alternative-related-mixed.eml");
    let v = parse_message(&raw);
    assert!(v.text.as_deref().unwrap().contains("Plain version"));
    let html = v.html_unsafe.clone().unwrap();
    assert!(html.contains("<h1>News</h1>"));
    assert_eq!(v.attachments.len(), 2, "{:#?}", v.attachments);
    let logo = v
        .attachments
        .iter()
        .find(|a| a.inline)
        .expect("inline logo");
    assert_eq!(logo.content_type, "image/png");
    assert_eq!(logo.content_id.as_deref(), Some("logo@example.org"));
    assert_eq!(logo.size, 32);
    let pdf = v.attachments.iter().find(|a| !a.inline).expect("the pdf");
    assert_eq!(pdf.name, "report.pdf", "no path traversal");
    assert_eq!(pdf.content_type, "application/pdf");
    assert_eq!(attachment_bytes(&raw, pdf.index).unwrap(), b"%PDF-1.4 fake");

    let inline = inline_images(&raw);
    let safe = sanitize_html(&html, &inline, false);
    assert!(
        safe.html
            .contains("src=\"data:image/png;base64,iVBORw0KGgo"),
        "{}",
        safe.html
    );
    assert_eq!(safe.remote_blocked, 1, "the tracking pixel");
    assert!(!safe.html.contains("tracker.example"));
}

#[test]
fn an_attached_message_is_an_attachment_named_after_its_subject() {
    let raw = load("06-message-rfc822.eml");
    let v = parse_message(&raw);
    assert_eq!(
        v.text.as_deref().map(str::trim),
        Some("See the attached message.")
    );
    assert_eq!(v.attachments.len(), 1);
    let attached = &v.attachments[0];
    assert_eq!(attached.content_type, "message/rfc822");
    assert_eq!(attached.name, "Original.eml");
    let bytes = attachment_bytes(&raw, 0).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("The original body."));
}

#[test]
fn a_missing_end_boundary_keeps_the_body() {
    let v = view("07-broken-boundary.eml");
    assert!(v.text.unwrap().contains("survives a missing end boundary"));
}

#[test]
fn very_long_lines_and_headers() {
    let v = view("08-long-lines-and-headers.eml");
    assert_eq!(v.to.len(), 300);
    assert!(v.subject.starts_with("Long Long"));
    assert!(v.text.unwrap().trim().len() >= 200_000);
}

#[test]
fn an_empty_body() {
    let v = view("09-empty-body.eml");
    assert_eq!(v.subject, "Empty");
    assert!(v.text.as_deref().unwrap_or("").trim().is_empty());
    assert!(v.attachments.is_empty());
}

#[test]
fn html_only_windows_1252_gets_a_text_version_and_loses_its_script() {
    let v = view("10-html-only-windows-1252.eml");
    let html = v.html_unsafe.clone().unwrap();
    assert!(
        html.contains("\u{201c}Smart quotes\u{201d}") && html.contains('\u{20ac}'),
        "{html}"
    );
    assert!(v.text.unwrap().contains("Smart quotes"));
    let safe = sanitize_html(&html, &HashMap::new(), false);
    assert!(!safe.html.contains("script") && !safe.html.contains("alert"));
}

#[test]
fn garbage_never_panics() {
    let v = view("11-no-headers-garbage.eml");
    assert!(v.text.is_some() || !v.warnings.is_empty());
}

#[test]
fn a_25_mb_attachment() {
    let payload: Vec<u8> = (0..25 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut raw = b"From: a@example.org\r\nSubject: Big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=big\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--big\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    let encoded = tern_testkit::messages::base64_lines(&payload);
    raw.extend_from_slice(encoded.as_bytes());
    raw.extend_from_slice(b"\r\n--big--\r\n");
    let v = parse_message(&raw);
    assert_eq!(v.attachments.len(), 1);
    assert_eq!(v.attachments[0].name, "big.bin");
    assert_eq!(v.attachments[0].size, payload.len());
    assert_eq!(attachment_bytes(&raw, 0).unwrap(), payload);
}

#[test]
fn many_charsets_in_headers_and_bodies() {
    let v = view("12-many-charsets.eml");
    assert_eq!(v.subject, "Тема件名Łódź");
    assert_eq!(v.from[0].name, "王小明");
    let text = v.text.unwrap();
    for expected in [
        "Привет из Москвы",
        "Здравствуйте, коллеги",
        "東京からこんにちは",
        "北京欢迎你",
        "台北你好",
        "서울에서 안녕하세요",
        "Dobrý den z Brna, Łódź",
        "Prix: 10 € net",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text:?}");
    }
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
}
