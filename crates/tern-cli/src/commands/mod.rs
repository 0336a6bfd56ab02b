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
use crate::context::Target;

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target {
        data_dir: args.data_dir,
        account: args.account,
    };
    match args.command {
        Command::Account(AccountCommand::Add(add)) => account::add(&target, add).await,
        Command::Account(AccountCommand::List { json }) => account::list(&target, json),
        Command::Account(AccountCommand::Smtp(smtp)) => account::smtp(&target, smtp),
        Command::Account(AccountCommand::Discover {
            email,
            ca_file,
            allow_http,
            json,
        }) => account::discover(&email, ca_file.as_deref(), allow_http, json).await,
        Command::Account(AccountCommand::Signin { email, device_code }) => {
            account::signin(&target, &email, device_code).await
        }
        Command::Account(AccountCommand::Signature(signature)) => {
            account::signature(&target, signature)
        }
        Command::Account(AccountCommand::Connections { most }) => {
            account::connections(&target, most)
        }
        Command::Account(AccountCommand::Offline { policy, max_size }) => {
            account::offline(&target, policy, max_size)
        }
        Command::Account(AccountCommand::Remove { email, force }) => {
            account::remove(&target, &email, force).await
        }
        Command::Send(send) => send::run(&target, send).await,
        Command::Outbox {
            flush,
            retry,
            discard,
            json,
        } => outbox::run(&target, flush, retry, discard, json).await,
        Command::Folders { json } => folders::run(&target, json).await,
        Command::Cache(CacheCommand::Rebuild { json }) => cache::rebuild(&target, json).await,
        Command::Cache(CacheCommand::Check) => cache::check(&target),
        Command::Sync {
            folders,
            strategy,
            bodies,
            prefetch_days,
            json,
        } => {
            let bodies = match prefetch_days {
                Some(days) => sync::Bodies::InboxDays(days),
                None => sync::Bodies::Policy(bodies),
            };
            sync::run(&target, folders, strategy, bodies, json).await
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
            reading::show(&target, &folder, uid, format, allow_remote).await
        }
        Command::SaveAttachment {
            folder,
            uid,
            index,
            to,
            overwrite,
        } => reading::save_attachment(&target, &folder, uid, index, &to, overwrite).await,
        Command::Threads {
            folder,
            limit,
            json,
        } => reading::threads(&target, &folder, limit, json),
        Command::Search {
            query,
            limit,
            wait,
            json,
        } => reading::search(&target, &query, limit, wait, json),
        Command::Watch {
            folders,
            json,
            connections,
            check_every,
        } => {
            let budget = watch::Budget {
                connections,
                check_every: std::time::Duration::from_secs(check_every),
            };
            watch::run(&target, folders, json, budget).await
        }
        Command::MarkRead(messages) => actions::run(&target, &messages, Action::MarkRead).await,
        Command::MarkUnread(messages) => actions::run(&target, &messages, Action::MarkUnread).await,
        Command::Flag(messages) => actions::run(&target, &messages, Action::Flag).await,
        Command::Unflag(messages) => actions::run(&target, &messages, Action::Unflag).await,
        Command::Archive(messages) => actions::run(&target, &messages, Action::Archive).await,
        Command::Delete(messages) => actions::run(&target, &messages, Action::Delete).await,
        Command::Move { messages, to } => {
            actions::run(&target, &messages, Action::Move { to }).await
        }
        Command::RemoteImages(command) => {
            let (address, allowed) = match command {
                RemoteImagesCommand::Allow { address } => (address, true),
                RemoteImagesCommand::Block { address } => (address, false),
                RemoteImagesCommand::List { json } => {
                    return reading::remote_images_list(&target, json)
                }
            };
            reading::remote_images_set(&target, &address, allowed)
        }
        Command::Pending { json } => pending::run(&target, json),
        Command::List {
            folder,
            unified,
            limit,
            json,
        } => match folder {
            Some(folder) if !unified => list::run(&target, &folder, limit, json),
            _ => list::unified(&target, limit, json),
        },
    }
}
