//! `delay-proxy`: a TCP proxy on 127.0.0.1 in front of a local server that adds a round
//! trip of latency without limiting throughput (`tern_testkit::Proxy`), for benchmarks of
//! whole processes over a slow link (`scripts/bench-offline.sh`). Prints its port, then runs
//! until its standard input closes.

use std::time::Duration;

use std::io::Read;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut to: Option<u16> = None;
    let mut rtt_ms: u64 = 50;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--to" => to = args.next().and_then(|p| p.parse().ok()),
            "--rtt-ms" => rtt_ms = args.next().and_then(|p| p.parse().ok()).unwrap_or(50),
            other => anyhow::bail!("usage: delay-proxy --to PORT [--rtt-ms 50] (not {other})"),
        }
    }
    let to = to.ok_or_else(|| anyhow::anyhow!("--to PORT is required"))?;
    let proxy = tern_testkit::Proxy::start(to).await?;
    proxy.set_round_trip(Duration::from_millis(rtt_ms));
    println!("{}", proxy.port);
    tokio::task::spawn_blocking(|| {
        let mut sink = [0u8; 64];
        while std::io::stdin().read(&mut sink).is_ok_and(|read| read > 0) {}
    })
    .await?;
    drop(proxy);
    Ok(())
}
