//! `tern watch`: runs folder watchers and prints every engine event (one JSON object per
//! line with `--json`) until SIGINT or SIGTERM, within a connection budget: the first folders
//! get IDLE, the others are checked by STATUS from time to time.

use std::io::Write;

use crate::context::Target;
use mail_engine::{ConnectivityState, EngineEvent, ErrorKind};
use mail_sync::ProgressPhase;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::broadcast::error::RecvError;

/// How many connections the watch may hold, and how often the folders without one are checked.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// None: the account's setting.
    pub connections: Option<u16>,
    pub check_every: std::time::Duration,
}

/// Checks `folders` by STATUS now and every `every` (changes become the usual events), then
/// wakes the body keeper (`checked`).
async fn check_regularly(
    engine: std::sync::Arc<mail_engine::Engine>,
    folders: Vec<String>,
    every: std::time::Duration,
    checked: std::sync::Arc<tokio::sync::Notify>,
) {
    loop {
        match engine.check_folders(&folders).await {
            Ok(report) => {
                report.log_failures();
                checked.notify_one();
            }
            Err(error) => tracing::info!(%error, "folders not checked now"),
        }
        tokio::time::sleep(every).await;
    }
}

pub async fn run(
    target: &Target,
    folders: Vec<String>,
    json: bool,
    budget: Budget,
) -> anyhow::Result<()> {
    let (_session, store) = target.hold_session()?;
    let engine = target
        .engine_within(
            store,
            mail_engine::EngineOptions::default(),
            budget.connections,
        )
        .await?;
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
    // With NOTIFY one connection watches every folder; without, the request connection
    // plus one IDLE connection per folder as far as the budget goes, the other folders
    // checked by STATUS. Offline, the plan assumes IDLE (the watchers keep trying).
    let offered = engine.check_capabilities().await.unwrap_or_default();
    let preferred: Vec<&str> = folders.iter().map(String::as_str).collect();
    let plan = mail_sync::plan_watch(
        usize::from(engine.account().max_connections),
        offered,
        &folders,
        &preferred,
    );
    let mut subscriptions: Vec<_> = plan.idle.iter().map(|name| engine.watch(name)).collect();
    if let Some(selected) = &plan.notify_selected {
        tracing::info!(%selected, "NOTIFY: one connection for every folder");
        subscriptions.push(engine.watch_with_notify(selected, &folders));
    }
    // Bodies are kept offline as the account's policy says (see `tern account offline`): from
    // the start, after each check of the other folders and after each burst of INBOX mail.
    let keep_offline = std::sync::Arc::new(tokio::sync::Notify::new());
    keep_offline.notify_one();
    let keeper = tokio::spawn(mail_engine::keep_bodies_offline(
        engine.clone(),
        engine.subscribe(),
        keep_offline.clone(),
    ));
    let checker = (!plan.polled.is_empty()).then(|| {
        tracing::info!(idle = ?plan.idle, checked = ?plan.polled, "more folders than connections");
        tokio::spawn(check_regularly(
            engine.clone(),
            plan.polled.clone(),
            budget.check_every,
            keep_offline.clone(),
        ))
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
    if let Some(checker) = checker {
        checker.abort();
    }
    if let Some(outbox) = outbox {
        outbox.stop().await; // a send in progress finishes first
    }
    keeper.abort();
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
            let sender = mail_message::sender_label(from, from_address);
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
            phase,
            ..
        } => match phase {
            ProgressPhase::Headers => format!("{folder}: first sync, {synced} of {total} messages"),
            ProgressPhase::Bodies => {
                format!("{folder}: {synced} of {total} bodies kept for offline reading")
            }
            ProgressPhase::Indexing => format!("search index: {synced} of {total} messages"),
        },
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
