//! `tern`: the command line over the mail engine (account setup, sync, folders, message lists).
//!
//! Every command takes `--data-dir DIR` (or `TERN_DATA_DIR`), exits 0 on success, and on
//! failure prints one line to stderr and exits 1. Flags and JSON fields are a public interface.

mod cli;
mod commands;
mod context;
mod output;
mod password;
mod progress;

use clap::Parser;

/// The cache problem behind `error`: in the store's own errors, or in an engine error's kind.
fn cache_problem(
    error: &anyhow::Error,
    data_dir: &std::path::Path,
) -> Option<mail_store::CacheProblem> {
    mail_store::cache_problem_at(error, data_dir).or_else(|| {
        error.chain().find_map(|cause| {
            let engine = cause.downcast_ref::<mail_engine::EngineError>()?;
            match engine.kind {
                mail_engine::ErrorKind::DiskFull => Some(mail_store::CacheProblem::DiskFull),
                mail_engine::ErrorKind::CacheDamaged => Some(mail_store::CacheProblem::Damaged {
                    reason: engine.to_string(),
                }),
                _ => None,
            }
        })
    })
}

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
    let data_dir = args.data_dir.clone();
    let result = runtime.block_on(commands::run(args));
    if let Err(error) = result {
        // A damaged cache, one from a newer Tern, or a full disk: one sentence that says
        // what to do, whatever command met it.
        let dir = tern_profile::data_dir(data_dir).unwrap_or_else(|_| "the data directory".into());
        let line = match cache_problem(&error, &dir) {
            Some(problem) => problem.explain(&dir),
            None => format!("{error:#}"),
        }
        .replace('\n', " ");
        output::say_err!("tern: {line}");
        std::process::exit(1);
    }
}
