//! `wire-floor`: the raw FETCH a sync cannot beat, for benchmarks that compare whole
//! processes with it (`scripts/bench-offline.sh`): connects and logs in as alice on a
//! loopback server (or a delay proxy in front of it), EXAMINEs INBOX, streams `UID FETCH 1:*`
//! of the list headers Tern fetches (`headers`), of every whole message (`bodies`), or of
//! both in one pass (`everything`: what a first sync that keeps every body must fetch, as
//! mbsync does) through the same IMAP parser, keeps nothing, logs out, and prints `seconds
//! messages bytes` — the seconds from connecting to logging out, what any client must
//! spend. Asserts nothing.

use std::time::Instant;

use imap_proto::{AttributeValue, Response};
use mail_engine::SelectMode;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut port: Option<u16> = None;
    let mut what = "headers".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()),
            "headers" | "bodies" | "everything" => what = arg,
            other => anyhow::bail!(
                "usage: wire-floor --port PORT headers|bodies|everything (not {other})"
            ),
        }
    }
    let port = port.ok_or_else(|| anyhow::anyhow!("--port PORT is required"))?;
    let everything = format!(
        "{} BODY.PEEK[])",
        mail_engine::HEADER_ITEMS.trim_end_matches(')')
    );
    let items = match what.as_str() {
        "bodies" => "(UID BODY.PEEK[])",
        "everything" => everything.as_str(),
        _ => mail_engine::HEADER_ITEMS,
    };
    let started = Instant::now();
    let mut connection = tern_bench::connect(port).await?;
    connection.select("INBOX", SelectMode::ReadOnly).await?;
    let _raised = connection.expect_responses_up_to(64 << 20);
    let (mut messages, mut bytes) = (0u64, 0u64);
    connection
        .execute(&format!("UID FETCH 1:* {items}"), |response| {
            if let Response::Fetch(_, attributes) = response {
                messages += 1;
                for attribute in attributes {
                    if let AttributeValue::BodySection {
                        data: Some(data), ..
                    } = attribute
                    {
                        bytes += data.len() as u64;
                    }
                }
            }
            Ok(())
        })
        .await?
        .require_ok("raw fetch")?;
    connection.logout().await;
    let elapsed = started.elapsed();
    println!("{:.3} {messages} {bytes}", elapsed.as_secs_f64());
    Ok(())
}
