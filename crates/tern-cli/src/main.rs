//! `tern`: the command line over the mail engine (account setup, sync, folders, message lists).
//!
//! Every command takes `--data-dir DIR` (or `TERN_DATA_DIR`), exits 0 on success, and on
//! failure prints one line to stderr and exits 1. Flags and JSON fields are a public interface.

mod cli;
mod commands;
mod context;
mod output;
mod password;

use clap::Parser;

fn main() {
    let args = cli::Args::parse();
    tern_profile::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tern: starting the async runtime: {error}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(commands::run(args));
    if let Err(error) = result {
        let line = format!("{error:#}").replace('\n', " ");
        output::say_err!("tern: {line}");
        std::process::exit(1);
    }
}
