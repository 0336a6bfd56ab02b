//! Deterministic, varied test messages: plain, non-ASCII headers, attachments, HTML, threads.

/// The Message-ID (without brackets) of generated message `index`.
pub fn message_id(index: u64) -> String {
    format!("seed-{index}@tern.test")
}

/// The subject generated message `index` decodes to.
pub fn subject(index: u64) -> String {
    match index % 5 {
        1 => format!("Grüße aus Köln — Nachricht {index}"),
        3 => format!("Re: Project thread {}", index / 10),
        _ => format!("Test message {index}"),
    }
}

/// Generated message `index` as RFC 5322 bytes with CRLF line ends. `date` is Unix seconds.
pub fn message(index: u64, date: i64) -> Vec<u8> {
    let date_header = rfc2822_date(date);
    let id = message_id(index);
    let mut headers = String::new();
    let body: String = match index % 5 {
        1 => {
            headers.push_str("From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>\r\n");
            headers.push_str(&format!(
                "Subject: {}\r\n",
                encode_utf8_word(&subject(index))
            ));
            headers.push_str(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
            );
            format!("Hallo Alice,\r\n\r\nschöne Grüße, Nachricht {index}.\r\n")
        }
        2 => {
            headers.push_str("From: Carol Sender <carol@example.com>\r\n");
            headers.push_str(&format!("Subject: {}\r\n", subject(index)));
            headers.push_str("Content-Type: multipart/mixed; boundary=\"b1\"\r\n");
            let attachment: String = (0..24)
                .map(|line| format!("VGVybiB0ZXN0IGF0dGFjaG1lbnQgbGluZSB7bGluZX0gb2YgbWVzc2FnZSB7aW5kZXh9IQ{line:02}\r\n"))
                .collect();
            format!(
                "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attached report {index}.\r\n--b1\r\nContent-Type: application/octet-stream; name=\"report-{index}.bin\"\r\nContent-Disposition: attachment; filename=\"report-{index}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{attachment}--b1--\r\n"
            )
        }
        3 => {
            let parent = index.saturating_sub(1);
            let root = index.saturating_sub(3);
            headers.push_str("From: Dave <dave@example.net>\r\n");
            headers.push_str(&format!("Subject: {}\r\n", subject(index)));
            headers.push_str(&format!("In-Reply-To: <{}>\r\n", message_id(parent)));
            headers.push_str(&format!(
                "References: <{}>\r\n <{}>\r\n",
                message_id(root),
                message_id(parent)
            ));
            headers.push_str("Content-Type: text/plain; charset=us-ascii\r\n");
            format!("> earlier text\r\n\r\nReply number {index}.\r\n")
        }
        4 => {
            headers.push_str("From: \"Newsletter\" <news@example.org>\r\n");
            headers.push_str(&format!("Subject: {}\r\n", subject(index)));
            headers.push_str("Content-Type: multipart/alternative; boundary=\"alt\"\r\n");
            format!(
                "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIssue {index} in plain text.\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Issue <b>{index}</b></p><img src=\"https://tracker.example/{index}.png\"></body></html>\r\n--alt--\r\n"
            )
        }
        _ => {
            headers.push_str("From: Bob Example <bob@example.org>\r\n");
            headers.push_str(&format!("Subject: {}\r\n", subject(index)));
            headers.push_str("Content-Type: text/plain; charset=us-ascii\r\n");
            format!("Hello Alice,\r\n\r\nThis is test message {index}.\r\n\r\nBob\r\n")
        }
    };
    let mut out = String::with_capacity(headers.len() + body.len() + 200);
    out.push_str(&format!("Date: {date_header}\r\nMessage-ID: <{id}>\r\nTo: Alice <alice@tern.test>\r\nMIME-Version: 1.0\r\n"));
    out.push_str(&headers);
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

fn encode_utf8_word(text: &str) -> String {
    format!("=?UTF-8?B?{}?=", base64(text.as_bytes()))
}

/// Standard base64, on one line.
pub fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                encoded.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// Base64 for a MIME body: lines of 76 characters, CRLF between them.
pub fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64(bytes);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|line| std::str::from_utf8(line).unwrap_or(""))
        .collect();
    lines.join("\r\n")
}

/// Formats Unix seconds as an RFC 2822 date in UTC.
pub fn rfc2822_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_words() {
        assert_eq!(rfc2822_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc2822_date(1_709_251_199),
            "Thu, 29 Feb 2024 23:59:59 +0000"
        );
        assert_eq!(encode_utf8_word("ü"), "=?UTF-8?B?w7w=?=");
    }

    #[test]
    fn messages_vary() {
        let kinds: Vec<String> = (0..5)
            .map(|index| String::from_utf8(message(index, 0)).expect("utf8"))
            .collect();
        assert!(kinds[1].contains("=?UTF-8?B?"));
        assert!(kinds[2].contains("multipart/mixed"));
        assert!(kinds[3].contains("References: <seed-0@tern.test>"));
        assert!(kinds[4].contains("text/html"));
    }
}
