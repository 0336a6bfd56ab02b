//! `tern-mock-idp`: the mock OAuth2 authorization server (`tern_testkit::oauth::MockIdp`) as
//! a process, for the end-to-end tests of the real window. Prints `issuer=URL` and
//! `introspection=URL`, then serves until its standard input closes.

use std::io::{BufRead, Write};

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let mut client = "tern-e2e-client".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--client-id" => client = args.next().context("--client-id needs a value")?,
            "--help" | "-h" => {
                println!("usage: tern-mock-idp [--client-id ID]  (serves until stdin closes)");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other} (see --help)"),
        }
    }
    let runtime = tokio::runtime::Runtime::new().context("Starting the runtime")?;
    let idp = runtime.block_on(tern_testkit::oauth::MockIdp::start(&client))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "issuer={}", idp.issuer())?;
    writeln!(out, "introspection={}", idp.introspection_url())?;
    out.flush()?;
    drop(out);
    // Serves (on the runtime's threads) until the test closes our standard input.
    for line in std::io::stdin().lock().lines() {
        if line.is_err() {
            break;
        }
    }
    drop(idp);
    Ok(())
}
