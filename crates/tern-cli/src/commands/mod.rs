//! One module per `tern` command; `run` dispatches.

mod account;
mod actions;
mod folders;
mod list;
mod pending;
mod sync;
mod watch;

use mail_engine::Action;

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
        Command::MarkRead(messages) => {
            actions::run(args.data_dir, account, &messages, Action::MarkRead).await
        }
        Command::MarkUnread(messages) => {
            actions::run(args.data_dir, account, &messages, Action::MarkUnread).await
        }
        Command::Flag(messages) => {
            actions::run(args.data_dir, account, &messages, Action::Flag).await
        }
        Command::Unflag(messages) => {
            actions::run(args.data_dir, account, &messages, Action::Unflag).await
        }
        Command::Archive(messages) => {
            actions::run(args.data_dir, account, &messages, Action::Archive).await
        }
        Command::Delete(messages) => {
            actions::run(args.data_dir, account, &messages, Action::Delete).await
        }
        Command::Move { messages, to } => {
            actions::run(args.data_dir, account, &messages, Action::Move { to }).await
        }
        Command::Pending { json } => pending::run(args.data_dir, account, json),
        Command::List {
            folder,
            limit,
            json,
        } => list::run(args.data_dir, account, &folder, limit, json),
    }
}
