//! One module per `tern` command; `run` dispatches.

mod account;
mod folders;
mod list;
mod sync;
mod watch;

use crate::cli::{AccountCommand, Args, Command};

pub async fn run(args: Args) -> anyhow::Result<()> {
    let account = args.account.as_deref();
    match args.command {
        Command::Account(AccountCommand::Add(add)) => account::add(args.data_dir, add).await,
        Command::Account(AccountCommand::List { json }) => account::list(args.data_dir, json),
        Command::Folders { json } => folders::run(args.data_dir, account, json).await,
        Command::Sync {
            folders,
            strategy,
            json,
        } => sync::run(args.data_dir, account, folders, strategy, json).await,
        Command::Watch { folders, json } => watch::run(args.data_dir, account, folders, json).await,
        Command::List {
            folder,
            limit,
            json,
        } => list::run(args.data_dir, account, &folder, limit, json),
    }
}
