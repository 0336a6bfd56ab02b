//! `discover-bench`: how long finding an address's servers takes when the answer comes
//! from each source (table, autoconfig, MX to a provider, MX to the mail host's autoconfig,
//! SRV, guesses) and when nothing is found, against the pretend Internet (DNS, HTTPS and TLS
//! services on a private loopback address) with an added latency on every answer (50 ms by
//! default, `DISCOVER_BENCH_LATENCY_MS`). Baseline in the same run: one bare DNS question to
//! the same server (one round trip). Prints numbers; asserts nothing. Needs root (ports 443,
//! 993, 587 on the private address).

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use mail_discover::{discover, DiscoverOptions, Source};
use tern_bench::stats;
use tern_testkit::internet::{Internet, Service};

const RUNS: usize = 15;

fn document(domain: &str) -> String {
    format!(
        r#"<clientConfig version="1.1"><emailProvider id="{domain}">
  <incomingServer type="imap"><hostname>imap.{domain}</hostname><port>993</port>
    <socketType>SSL</socketType><authentication>password-cleartext</authentication>
    <username>%EMAILADDRESS%</username></incomingServer>
  <outgoingServer type="smtp"><hostname>smtp.{domain}</hostname><port>587</port>
    <socketType>STARTTLS</socketType><authentication>password-cleartext</authentication>
  </outgoingServer></emailProvider></clientConfig>"#
    )
}

/// One bare DNS question (an A record) to the fixture: one round trip.
fn bare_question(server: std::net::SocketAddr, id: u16) -> anyhow::Result<Duration> {
    let socket = UdpSocket::bind(("127.0.0.1", 0))?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    // A query for "imap.guess.test" A, recursion desired.
    let mut query = vec![(id >> 8) as u8, id as u8, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["imap", "guess", "test"] {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 1, 0, 1]);
    let started = Instant::now();
    socket.send_to(&query, server)?;
    let mut answer = [0u8; 512];
    socket.recv_from(&mut answer).context("no DNS answer")?;
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let latency_ms: u64 = std::env::var("DISCOVER_BENCH_LATENCY_MS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(50);
    let mut internet = Internet::start(&[
        "autoconfig.acme.test",
        "autoconfig.hoster.test",
        "imap.guess.test",
        "smtp.guess.test",
    ])
    .await?;
    internet
        .serve_https(&[
            (
                "autoconfig.acme.test/mail/config-v1.1.xml",
                &document("acme.test"),
            ),
            (
                "autoconfig.hoster.test/mail/config-v1.1.xml",
                &document("hoster.test"),
            ),
        ])
        .await?;
    internet.serve(993, Service::ImapTls).await?;
    internet.serve(587, Service::SmtpStartTls).await?;
    internet.dns.edit(|zone| {
        zone.mx(
            "contoso.test",
            0,
            "contoso-test.mail.protection.outlook.com",
        )?;
        zone.mx("smallshop.test", 10, "mx1.hoster.test")?;
        zone.srv("_imaps._tcp.srv.test", 0, 1, 993, "imap.srv.test")?;
        zone.srv("_submission._tcp.srv.test", 0, 1, 587, "smtp.srv.test")
    })?;
    internet.set_latency(Duration::from_millis(latency_ms))?;
    let options = DiscoverOptions {
        name_servers: Some(vec![internet.dns.addr]),
        ..DiscoverOptions::new(Arc::clone(&internet.client_tls()?))
    };

    // (label, address, the sequential round trips that source needs at the least)
    let cases = [
        ("table", "a@gmail.com", 0u32),
        ("autoconfig", "a@acme.test", 2),
        ("MX -> provider", "a@contoso.test", 1),
        ("MX -> mail host's autoconfig", "a@smallshop.test", 3),
        ("SRV", "a@srv.test", 1),
        ("guess", "a@guess.test", 2),
        ("nothing found", "a@nowhere.test", 1),
    ];
    println!(
        "discover-bench: {RUNS} searches per source, {latency_ms} ms added to every DNS answer, HTTP response and TLS service"
    );
    let mut round_trips = Vec::new();
    for run in 0..RUNS {
        round_trips.push(bare_question(internet.dns.addr, run as u16)?);
    }
    let rtt = stats(&round_trips);
    println!(
        "baseline: one bare DNS question p50 {:.1} ms (max {:.1})",
        rtt.p50, rtt.max
    );
    println!(
        "{:<30} {:>9} {:>9} {:>12} {:>14}  source",
        "answer from", "p50 ms", "max ms", "round trips", "p50 / floor"
    );
    for (label, email, trips) in cases {
        let mut samples = Vec::new();
        let mut source = String::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let discovery = discover(email, &options).await?;
            samples.push(started.elapsed());
            source = match discovery.found.map(|found| found.source) {
                Some(Source::Table) => "table".into(),
                Some(Source::Autoconfig { .. }) => "autoconfig".into(),
                Some(Source::MxProvider { .. }) => "mx-provider".into(),
                Some(Source::MxAutoconfig { .. }) => "mx-autoconfig".into(),
                Some(Source::Srv) => "srv".into(),
                Some(Source::Guess) => "guess".into(),
                None => "none".into(),
            };
        }
        let found = stats(&samples);
        let floor = f64::from(trips) * rtt.p50;
        let ratio = if floor > 0.0 {
            format!("{:.2}", found.p50 / floor)
        } else {
            "-".to_string()
        };
        println!(
            "{label:<30} {:>9.1} {:>9.1} {:>12} {:>14}  {source}",
            found.p50, found.max, trips, ratio
        );
    }
    Ok(())
}
