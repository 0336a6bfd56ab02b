//! `tern watch`: runs folder watchers and prints every engine event (one JSON object per
//! line with `--json`) until SIGINT or SIGTERM.

use std::io::Write;

use crate::context::Target;
use mail_engine::{ConnectivityState, EngineEvent, ErrorKind};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::broadcast::error::RecvError;

pub async fn run(target: &Target, folders: Vec<String>, json: bool) -> anyhow::Result<()> {
    let engine = target.engine().await?;
    let folders = if folders.is_empty() {
        vec!["INBOX".to_string()]
    } else {
        folders
    };
    // A folder that does not exist is a mistake to report now; an unreachable server is
    // not: the watchers keep trying and say so in connectivity events.
    for name in &folders {
        if let Err(error) = engine.folder(name).await {
            if !error.is_connection_failure() && error.kind != ErrorKind::Authentication {
                anyhow::bail!("{error}");
            }
        }
    }
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    // Subscribe before watching: events sent before subscribing are not replayed.
    let mut events = engine.subscribe();
    let heartbeat = engine.spawn_keepalive();
    let subscriptions: Vec<_> = folders.iter().map(|name| engine.watch(name)).collect();
    // Recent INBOX mail is kept readable offline, in the background.
    let prefetch = tokio::spawn({
        let engine = engine.clone();
        async move {
            if let Err(error) = engine.prefetch_bodies("INBOX", 30).await {
                tracing::info!(%error, "bodies not prefetched");
            }
        }
    });
    // Mail written offline goes out while watching (when the account can send).
    let outbox = engine.smtp_server().is_ok().then(|| engine.spawn_outbox());
    let mut stdout = std::io::stdout();
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
        };
        match event {
            Ok(event) => {
                let line = if json {
                    serde_json::to_string(&event)?
                } else {
                    describe(&event)
                };
                // A closed stdout (the reader went away) ends the watch.
                if writeln!(stdout, "{line}")
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    break;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "fell behind the engine's events; the cache is current"
                );
            }
            Err(RecvError::Closed) => break,
        }
    }
    drop(subscriptions);
    if let Some(outbox) = outbox {
        outbox.stop().await; // a send in progress finishes first
    }
    prefetch.abort();
    heartbeat.abort();
    engine.shutdown().await;
    Ok(())
}

fn describe(event: &EngineEvent) -> String {
    match event {
        EngineEvent::NewMail {
            folder,
            uid,
            from,
            from_address,
            subject,
            ..
        } => {
            let sender = if from.is_empty() { from_address } else { from };
            format!("new mail in {folder}: {sender} — {subject} (UID {uid})")
        }
        EngineEvent::FolderChanged {
            folder,
            added,
            removed,
            flags_changed,
            resync,
            total,
            unread,
            ..
        } => format!(
            "{folder}: +{added} -{removed} ~{flags_changed}{} ({total} messages, {unread} unread)",
            if *resync { ", full resync" } else { "" }
        ),
        EngineEvent::PendingChanged { pending, .. } => match pending {
            0 => "every change is on the server".to_string(),
            1 => "1 change waiting for the server".to_string(),
            n => format!("{n} changes waiting for the server"),
        },
        EngineEvent::ActionDropped {
            folder,
            uid,
            action,
            reason,
            ..
        } => format!("gave up {action} of UID {uid} in {folder}: {reason}"),
        EngineEvent::SyncProgress {
            folder,
            synced,
            total,
            ..
        } => format!("{folder}: first sync, {synced} of {total} messages"),
        EngineEvent::OutboxChanged {
            waiting, attention, ..
        } => match (waiting, attention) {
            (0, 0) => "outbox: everything sent".to_string(),
            (waiting, 0) => format!("outbox: {waiting} waiting to be sent"),
            (waiting, attention) => format!(
                "outbox: {waiting} waiting to be sent, {attention} not sent (see `tern outbox`)"
            ),
        },
        EngineEvent::Connectivity { state, reason, .. } => {
            let state = match state {
                ConnectivityState::SignInNeeded => "sign-in needed",
                ConnectivityState::Offline => "offline",
                ConnectivityState::Connecting => "connecting",
                ConnectivityState::Live => "live",
            };
            match reason {
                Some(reason) => format!("{state} ({reason})"),
                None => state.to_string(),
            }
        }
    }
}
