//! `send-bench`: sending on loopback through a private Postfix that delivers into Dovecot
//! over LMTP. Prints numbers; asserts nothing.
//!
//! For each message: Send (outbox write + drain: connect, AUTH, MAIL/RCPT/DATA, the final
//! dot) to the server's acceptance; and Send to the recipient's IDLE watcher announcing it
//! in their INBOX. Baseline in the same run, alternating with Tern: a bare SMTP client
//! (plain TCP, no AUTH: mail for the local domain) handing the same size of message to the
//! same Postfix, and the same watcher seeing that one arrive.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use mail_engine::{Engine, EngineEvent, SendOutcome};
use mail_message::{Address, Draft};
use tern_bench::{engine, stats};
use tern_testkit::{Dovecot, Postfix};
use tokio::sync::broadcast::Receiver;

fn bare_smtp(port: u16, subject: &str, body: &str) -> anyhow::Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    let mut expect = |code: &str| -> anyhow::Result<()> {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            anyhow::ensure!(line.starts_with(code), "expected {code}, got {line:?}");
            if line.as_bytes().get(3) == Some(&b' ') {
                return Ok(());
            }
        }
    };
    expect("220")?;
    for (command, code) in [
        ("EHLO bench.example".to_string(), "250"),
        ("MAIL FROM:<alice@tern.test>".to_string(), "250"),
        ("RCPT TO:<bob@tern.test>".to_string(), "250"),
        ("DATA".to_string(), "354"),
    ] {
        write!(writer, "{command}\r\n")?;
        expect(code)?;
    }
    write!(
        writer,
        "From: alice@tern.test\r\nTo: bob@tern.test\r\nSubject: {subject}\r\n\r\n{body}\r\n.\r\n"
    )?;
    expect("250")?;
    write!(writer, "QUIT\r\n")?;
    Ok(())
}

async fn heard(events: &mut Receiver<EngineEvent>, subject: &str) -> anyhow::Result<Instant> {
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(EngineEvent::NewMail { subject: seen, .. }) = events.recv().await {
                if seen == subject {
                    return Instant::now();
                }
            }
        }
    })
    .await
    .with_context(|| format!("the watcher never announced {subject}"))
}

fn bob(server: &Dovecot, data: &std::path::Path) -> anyhow::Result<Arc<Engine>> {
    tern_testkit::engine_for(data, "bob", server.port, tern_bench::options())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let samples: usize = std::env::args()
        .skip_while(|arg| arg != "--samples")
        .nth(1)
        .map(|value| value.parse())
        .transpose()?
        .unwrap_or(30);
    let dovecot = Dovecot::start_with_delivery()?;
    let postfix = Postfix::start(&dovecot)?;
    let alice_data = tempfile::tempdir()?;
    let alice = engine(alice_data.path(), dovecot.port)?;
    {
        let mut store = alice
            .store()
            .lock()
            .map_err(|_| anyhow::anyhow!("store lock"))?;
        store.set_smtp_server(
            alice.account().id,
            &tern_testkit::loopback_smtp(postfix.port),
        )?;
    }
    alice.refresh_folders().await?;
    let bob_data = tempfile::tempdir()?;
    let bob = bob(&dovecot, bob_data.path())?;
    let mut events = bob.subscribe();
    let _watch = bob.watch("INBOX");
    tern_testkit::wait_until("bob's watcher live", Duration::from_secs(30), || async {
        bob.snapshot()
            .ok()
            .and_then(|snapshot| snapshot.connectivity)
            == Some(mail_engine::ConnectivityState::Live)
    })
    .await?;
    let body = "A few lines of text, as a short message has.\r\n".repeat(20);

    let (mut accepted, mut arrived, mut bare_accepted, mut bare_arrived) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut written, mut submitted, mut whole_drain) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..=samples {
        let subject = format!("Tern {n}");
        let started = Instant::now();
        alice.queue_message(&Draft {
            to: vec![Address {
                name: "Bob".into(),
                address: "bob@tern.test".into(),
            }],
            subject: subject.clone(),
            text: body.clone(),
            ..Draft::default()
        })?;
        let write_done = Instant::now();
        let report = alice.drain_outbox(false).await?;
        let drained_at = Instant::now();
        let Some((_, _, SendOutcome::Sent { ms, .. })) = report.outcomes.first() else {
            anyhow::bail!("not sent: {report:?}");
        };
        let smtp = Duration::from_secs_f64(ms / 1e3);
        let heard_at = heard(&mut events, &subject).await?;

        let bare_subject = format!("Bare {n}");
        let bare_started = Instant::now();
        bare_smtp(postfix.port, &bare_subject, &body)?;
        let bare_accepted_at = Instant::now();
        let bare_heard = heard(&mut events, &bare_subject).await?;
        if n == 0 {
            continue; // warm-up
        }
        // Acceptance: the outbox write, then the drain up to the server's answer (the drain
        // goes on to append the copy to Sent, which is not part of sending).
        accepted.push(write_done.duration_since(started) + smtp);
        written.push(write_done.duration_since(started));
        submitted.push(smtp);
        whole_drain.push(drained_at.duration_since(write_done));
        arrived.push(heard_at.duration_since(started));
        bare_accepted.push(bare_accepted_at.duration_since(bare_started));
        bare_arrived.push(bare_heard.duration_since(bare_started));
    }
    let show = |label: &str, samples: &[Duration]| {
        let stats = stats(samples);
        println!(
            "{label:<58} p50 {:>7.1} ms  p90 {:>7.1}  p99 {:>7.1}  max {:>7.1}",
            stats.p50, stats.p90, stats.p99, stats.max
        );
        stats.p50
    };
    println!(
        "send-bench: {samples} messages of {} bytes each way, loopback Postfix -> LMTP -> Dovecot",
        body.len()
    );
    let tern_accept = show(
        "Tern: Send -> server accepted (outbox write + SMTP + AUTH)",
        &accepted,
    );
    show("  of which the durable outbox write", &written);
    show(
        "  of which SMTP: connect, EHLO, AUTH, MAIL/RCPT/DATA, dot",
        &submitted,
    );
    show(
        "  (whole drain incl. claim, records and the Sent APPEND)",
        &whole_drain,
    );
    let bare_accept = show(
        "baseline: bare SMTP client -> accepted (no AUTH, no TLS)",
        &bare_accepted,
    );
    let tern_arrive = show("Tern: Send -> recipient's IDLE watcher has it", &arrived);
    let bare_arrive = show("baseline: bare SMTP -> same watcher has it", &bare_arrived);
    println!(
        "ratios (p50): accepted {:.2}x, in the recipient's INBOX {:.2}x",
        tern_accept / bare_accept,
        tern_arrive / bare_arrive
    );
    drop(postfix);
    Ok(())
}
