//! `read-bench`: reading mail. Parse + sanitize throughput over the message corpus; search
//! latency over 100,000 cached messages with bodies (FTS5, against a LIKE scan of the same
//! text in the same run); opening a cached message (against reading its raw bytes).
//! Prints numbers; asserts nothing.

use std::time::Instant;

use anyhow::Context;
use mail_store::{MessageRow, Store};
use mail_sync::{Flags, FolderRole, SyncMeta, Uid, UidValidity};
use tern_bench::{engine_over, stats};

const SPECIAL: &[&str] = &[
    "invoice",
    "meeting",
    "project",
    "budget",
    "holiday",
    "report",
    "Köln",
    "Grüße",
    "naïve",
    "café",
    "zürich",
    "østerbro",
];

/// A vocabulary of 5,000 words (pseudo-words from syllables plus some real ones) drawn
/// with a skewed, Zipf-like distribution: a few words are in almost every message, most
/// are rare, as in real mail.
struct Words {
    state: u64,
    vocabulary: Vec<String>,
}

impl Words {
    fn new(seed: u64) -> Words {
        const SYLLABLES: &[&str] = &[
            "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "gu", "she", "tro", "an",
            "el", "or", "ix", "um", "bra", "ple",
        ];
        let mut vocabulary: Vec<String> = SPECIAL.iter().map(|w| w.to_string()).collect();
        'outer: for a in SYLLABLES {
            for b in SYLLABLES {
                for c in SYLLABLES {
                    if vocabulary.len() >= 5_000 {
                        break 'outer;
                    }
                    vocabulary.push(format!("{a}{b}{c}"));
                }
            }
        }
        Words {
            state: seed,
            vocabulary,
        }
    }

    fn random(&mut self) -> f64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        (self.state >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> String {
        let skewed = self.random().powi(4);
        let index = (skewed * self.vocabulary.len() as f64) as usize;
        self.vocabulary[index.min(self.vocabulary.len() - 1)].clone()
    }

    fn sentence(&mut self, count: usize, tag: u64) -> String {
        let mut text: Vec<String> = (0..count).map(|_| self.next()).collect();
        text.push(format!("ref{tag}"));
        text.join(" ")
    }
}

fn corpus() -> anyhow::Result<Vec<Vec<u8>>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../mail-message/tests/corpus");
    let mut messages = Vec::new();
    for entry in std::fs::read_dir(dir).context("the corpus")? {
        messages.push(std::fs::read(entry?.path())?);
    }
    for index in 0..50 {
        messages.push(tern_testkit::messages::message(index, 1_700_000_000));
    }
    Ok(messages)
}

fn parse_throughput(messages: &[Vec<u8>]) {
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let rounds = 40;
    let started = Instant::now();
    for _ in 0..rounds {
        for raw in messages {
            let (view, safe) = mail_engine::render(raw, false);
            std::hint::black_box((view, safe));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count = messages.len() * rounds;
    println!(
        "\n| parse + sanitize (corpus: {} messages, {:.1} MB) | value |",
        messages.len(),
        bytes as f64 / 1e6
    );
    println!("| --- | --- |");
    println!("| messages/s | {:.0} |", count as f64 / elapsed);
    println!("| MB/s | {:.1} |", (bytes * rounds) as f64 / 1e6 / elapsed);
}

fn build_cache(dir: &std::path::Path, count: u32) -> anyhow::Result<(Store, mail_store::Account)> {
    let mut store = Store::open_in_dir(dir)?;
    let id = tern_testkit::add_account(&mut store, "alice", 1)?.id;
    let inbox =
        tern_testkit::add_folders(&mut store, id, &[("INBOX", Some(FolderRole::Inbox))])?[0];
    let meta = SyncMeta {
        uid_validity: UidValidity(1),
        uid_next: Uid(count + 1),
        highest_modseq: None,
        initial_low_uid: None,
    };
    store.begin_initial_sync(inbox, &meta)?;
    let mut words = Words::new(0x9E37_79B9_7F4A_7C15);
    let mut rows = Vec::new();
    // Newest first, as an initial sync stores them.
    for uid in (1..=count).rev() {
        rows.push(MessageRow {
            uid: Uid(uid),
            flags: Flags::new(),
            subject: words.sentence(4, u64::from(uid)),
            from_name: "Bob Example".into(),
            from_address: format!("bob{}@example.org", uid % 500),
            to_list: "Alice <alice@tern.test>".into(),
            cc_list: String::new(),
            date: Some(1_700_000_000 + i64::from(uid) * 60),
            internal_date: 1_700_000_000 + i64::from(uid) * 60,
            size: 2000,
            message_id: format!("m{uid}@example.org"),
            in_reply_to: String::new(),
            references: String::new(),
            attachments: uid % 7 == 0,
            gmail: None,
        });
        if rows.len() == 5000 || uid == 1 {
            store.apply_initial_chunk(inbox, &rows, Uid(uid), uid == 1, 1)?;
            rows.clear();
        }
    }
    for uid in (1..=count).rev() {
        let body = words.sentence(120, u64::from(uid));
        store.save_body(inbox, u64::from(uid), body.as_bytes(), &body, 1)?;
    }
    let account = store.accounts()?.remove(0);
    Ok((store, account))
}

fn search_latency(
    store: &mut Store,
    account: &mail_store::Account,
    count: u32,
) -> anyhow::Result<()> {
    // Indexed as the app's background indexer does it (`mail-engine`'s indexer.rs): batches
    // of 200, then FTS5 merge steps of 200 pages until a step merges nothing (at most 2,000).
    let started = Instant::now();
    while store.index_for_search(200)? > 0 {}
    let indexing = started.elapsed();
    let started = Instant::now();
    let mut steps = 0;
    while steps < 2_000 && store.merge_search_index(200)? {
        steps += 1;
    }
    let merging = started.elapsed();
    let mut words = Words::new(42);
    let queries: Vec<String> = (0..200)
        .map(|n| match n % 4 {
            0 if n % 8 == 0 => format!("{} ", words.next()),
            0 => words.next(),
            1 => format!("{} {}", words.next(), words.next()),
            2 => format!("ref{}", (n * 997) % count as usize),
            _ => words.next().chars().take(3).collect(),
        })
        .collect();
    let timed = |store: &Store| -> anyhow::Result<Vec<std::time::Duration>> {
        let mut took = Vec::new();
        for query in &queries {
            let started = Instant::now();
            std::hint::black_box(store.search(account.id, query, 50)?);
            took.push(started.elapsed());
        }
        Ok(took)
    };
    let background = stats(&timed(store)?);
    // Then merged into one segment (what `index_all_for_search` does after a large batch).
    store.optimize_search_index()?;
    let fts = timed(store)?;
    // Baseline: the same words found by scanning the text (what search costs without an index).
    let db = rusqlite::Connection::open(store.path())?;
    let mut scans = Vec::new();
    for query in queries.iter().take(20) {
        let word = query.split_whitespace().next().unwrap_or("");
        let started = Instant::now();
        let mut statement = db.prepare_cached(
            "SELECT m.id FROM messages m JOIN bodies b ON b.message_id = m.id
             WHERE m.subject LIKE ?1 OR b.body_text LIKE ?1
             ORDER BY m.internal_date DESC LIMIT 50",
        )?;
        let found: Vec<i64> = statement
            .query_map([format!("%{word}%")], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        std::hint::black_box(found);
        scans.push(started.elapsed());
    }
    for (kind, label) in [
        "one word",
        "two words",
        "a rare reference",
        "a 3-letter prefix",
    ]
    .iter()
    .enumerate()
    {
        let of_kind: Vec<_> = fts
            .iter()
            .enumerate()
            .filter(|(n, _)| n % 4 == kind)
            .map(|(_, d)| *d)
            .collect();
        let s = stats(&of_kind);
        eprintln!("  {label}: p50 {:.2} ms, p95 {:.2} ms", s.p50, s.p95);
    }
    if std::env::var("READ_BENCH_SLOWEST").is_ok() {
        let mut slowest: Vec<(std::time::Duration, &String)> =
            fts.iter().copied().zip(queries.iter()).collect();
        slowest.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        for (took, query) in slowest.iter().take(8) {
            let hits = store.search(account.id, query, 50)?.len();
            eprintln!(
                "  slow: {query:?} {:.1} ms ({hits} hits)",
                took.as_secs_f64() * 1e3
            );
        }
    }
    let (fts, scan) = (stats(&fts), stats(&scans));
    println!("\n| search over {count} cached messages with bodies (200 queries, top 50) | p50 | p95 | p99 |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| FTS5 (`Store::search`), as the background indexer leaves it ({steps} merge steps) | {:.2} ms | {:.2} ms | {:.2} ms |",
        background.p50, background.p95, background.p99
    );
    println!(
        "| FTS5 (`Store::search`), merged into one segment | {:.2} ms | {:.2} ms | {:.2} ms |",
        fts.p50, fts.p95, fts.p99
    );
    println!("| baseline: LIKE scan of subjects and bodies (20 queries) | {:.0} ms | {:.0} ms | {:.0} ms |", scan.p50, scan.p95, scan.p99);
    println!(
        "| indexing all {count} messages in batches of 200, then merge steps | {:.1} s + {:.1} s | | |",
        indexing.as_secs_f64(),
        merging.as_secs_f64()
    );
    Ok(())
}

async fn open_latency(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut store = Store::open_in_dir(dir)?;
    let account = store.accounts()?.remove(0);
    let folder = store
        .folder_by_name(account.id, "INBOX")?
        .context("inbox")?;
    // Real messages (the generated varied ones) as the bodies of the first 500 UIDs.
    for uid in 1..=500u64 {
        let raw = tern_testkit::messages::message(uid, 1_700_000_000);
        store.save_body(folder.id, uid, &raw, "", 1)?;
    }
    let engine = engine_over(Store::open_in_dir(dir)?, account);
    let mut opened = Vec::new();
    for uid in 1..=500u64 {
        let started = Instant::now();
        let message = engine.open_message("INBOX", uid, false).await?;
        opened.push(started.elapsed());
        std::hint::black_box(message);
    }
    let mut raw = Vec::new();
    for uid in 1..=500u64 {
        let started = Instant::now();
        std::hint::black_box(store.body(folder.id, uid)?);
        raw.push(started.elapsed());
    }
    let (open, read) = (stats(&opened), stats(&raw));
    println!("\n| open a cached message (500 messages) | p50 | p99 |");
    println!("| --- | --- | --- |");
    println!(
        "| `Engine::open_message` (read, parse, sanitize) | {:.3} ms | {:.3} ms |",
        open.p50, open.p99
    );
    println!(
        "| baseline: reading the raw bytes from the cache | {:.3} ms | {:.3} ms |",
        read.p50, read.p99
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut count = 100_000u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--messages" => count = args.next().context("--messages N")?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    println!("# read-bench");
    parse_throughput(&corpus()?);
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let (mut store, account) = build_cache(dir.path(), count)?;
    eprintln!(
        "built a cache of {count} messages with bodies in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    search_latency(&mut store, &account, count)?;
    let mut threading = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let conversations = mail_engine::conversations(store.thread_rows(account.id)?, "INBOX");
        threading.push(started.elapsed());
        std::hint::black_box(conversations);
    }
    let threading = stats(&threading);
    println!("\n| threads of a {count}-message folder, computed from the cache (3 runs) | p50 |");
    println!("| --- | --- |");
    println!(
        "| `thread_rows` + `conversations` | {:.0} ms |",
        threading.p50
    );
    drop(store);
    open_latency(dir.path()).await?;
    Ok(())
}
