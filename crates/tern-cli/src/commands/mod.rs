//! One module per `tern` command; `run` dispatches.

mod account;
mod actions;
mod cache;
mod folders;
mod list;
mod outbox;
mod pending;
mod reading;
mod send;
mod sync;
mod watch;

use mail_engine::Action;

use crate::cli::{AccountCommand, Args, CacheCommand, Command, RemoteImagesCommand};

pub async fn run(args: Args) -> anyhow::Result<()> {
    let account = args.account.as_deref();
    match args.command {
        Command::Account(AccountCommand::Add(add)) => account::add(args.data_dir, add).await,
        Command::Account(AccountCommand::List { json }) => account::list(args.data_dir, json),
        Command::Account(AccountCommand::Smtp(smtp)) => account::smtp(args.data_dir, account, smtp),
        Command::Send(send) => send::run(args.data_dir, account, send).await,
        Command::Outbox {
            flush,
            retry,
            discard,
            json,
        } => outbox::run(args.data_dir, account, flush, retry, discard, json).await,
        Command::Folders { json } => folders::run(args.data_dir, account, json).await,
        Command::Cache(CacheCommand::Rebuild { json }) => cache::rebuild(args.data_dir, json).await,
        Command::Cache(CacheCommand::Check) => cache::check(args.data_dir),
        Command::Sync {
            folders,
            strategy,
            prefetch_days,
            json,
        } => {
            sync::run(
                args.data_dir,
                account,
                folders,
                strategy,
                prefetch_days,
                json,
            )
            .await
        }
        Command::Show {
            folder,
            uid,
            json,
            text,
            html,
            allow_remote,
        } => {
            let format = match (json, text, html) {
                (true, _, _) => reading::ShowFormat::Json,
                (_, true, _) => reading::ShowFormat::Text,
                (_, _, true) => reading::ShowFormat::Html,
                _ => reading::ShowFormat::Human,
            };
            reading::show(args.data_dir, account, &folder, uid, format, allow_remote).await
        }
        Command::SaveAttachment {
            folder,
            uid,
            index,
            to,
            overwrite,
        } => {
            reading::save_attachment(args.data_dir, account, &folder, uid, index, &to, overwrite)
                .await
        }
        Command::Threads {
            folder,
            limit,
            json,
        } => reading::threads(args.data_dir, account, &folder, limit, json),
        Command::Search { query, limit, json } => {
            reading::search(args.data_dir, account, &query, limit, json)
        }
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
        Command::RemoteImages(command) => {
            let (address, allowed) = match command {
                RemoteImagesCommand::Allow { address } => (address, true),
                RemoteImagesCommand::Block { address } => (address, false),
                RemoteImagesCommand::List { json } => {
                    return reading::remote_images_list(args.data_dir, account, json)
                }
            };
            reading::remote_images_set(args.data_dir, account, &address, allowed)
        }
        Command::Pending { json } => pending::run(args.data_dir, account, json),
        Command::List {
            folder,
            limit,
            json,
        } => list::run(args.data_dir, account, &folder, limit, json),
    }
}
