//! Engine events -> the window (Tauri event `engine`), the tray, and notifications.

use std::time::Duration;

use mail_engine::EngineEvent;
use mail_message::sender_label;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::dto::{AppEvent, Connectivity};
use crate::notify::{self, Arrival};
use crate::state::AppState;
use crate::tray;

pub use crate::dto::EVENT;

/// Forwards every engine event until the engine goes away.
pub fn spawn<R: Runtime>(app: AppHandle<R>, mut events: Receiver<EngineEvent>) -> JoinHandle<()> {
    let (arrivals, burst) = mpsc::unbounded_channel();
    let notifier = tokio::spawn(notifier(app.clone(), burst));
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => deliver(&app, event, &arrivals),
                // Fell behind: the cache is the truth, so the window reloads from it.
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "fell behind the engine's events; reloading");
                    let _ = app.emit(EVENT, AppEvent::Reload);
                }
                Err(RecvError::Closed) => break,
            }
        }
        notifier.abort();
    })
}

fn deliver<R: Runtime>(
    app: &AppHandle<R>,
    event: EngineEvent,
    arrivals: &mpsc::UnboundedSender<Arrival>,
) {
    let state = app.state::<AppState>();
    match &event {
        EngineEvent::Connectivity {
            account,
            state: now,
            ..
        } => {
            let now = Connectivity::from(*now);
            let view = state.update_view(|view| view.account(account).connectivity = now);
            // Back online: the outbox need not wait for its next retry.
            if now == Connectivity::Live {
                if let Some(engine) = state.engine_for(account) {
                    engine.wake_outbox();
                }
            }
            let (shown, unread) = view.tray();
            tray::show(app, shown, unread);
        }
        EngineEvent::FolderChanged {
            account,
            folder,
            unread,
            ..
        } if folder.eq_ignore_ascii_case(crate::session::INBOX) => {
            let view =
                state.update_view(|view| view.account(account).inbox_unread = *unread as u64);
            let (shown, unread) = view.tray();
            tray::show(app, shown, unread);
            state.tray_menu_stale.notify_one();
        }
        EngineEvent::NewMail {
            account,
            folder,
            from,
            from_address,
            subject,
            uid,
            ..
        } => {
            let attention = state.attention();
            let arrival = Arrival {
                folder: folder.clone(),
                from: sender_label(from, from_address).to_string(),
                subject: subject.clone(),
                account: account.clone(),
                uid: u64::from(*uid),
            };
            if notify::wanted(&arrival, &attention) {
                let _ = arrivals.send(arrival);
            }
        }
        _ => {}
    }
    if let Err(error) = app.emit(EVENT, AppEvent::from(event)) {
        tracing::warn!(%error, "could not send an event to the window");
    }
}

/// Keeps the tray's menu listing the newest unread mail of every INBOX: read again from the
/// cache after INBOX changes, at most every `SETTLE`.
pub async fn keep_tray_menu<R: Runtime>(app: AppHandle<R>) {
    const SETTLE: Duration = Duration::from_millis(300);
    let stale = app.state::<AppState>().tray_menu_stale.clone();
    loop {
        stale.notified().await;
        tokio::time::sleep(SETTLE).await;
        let reader = app.clone();
        let rows = tokio::task::spawn_blocking(move || {
            reader
                .state::<AppState>()
                .with_cache(|store| store.newest_unread(tray::MENU_MESSAGES))
        })
        .await;
        let rows = match rows {
            Ok(Ok(rows)) => rows,
            Ok(Err(error)) => {
                tracing::warn!(message = %error.message, "the tray's unread mail was not read");
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "the tray's unread mail was not read");
                continue;
            }
        };
        let listed = rows
            .into_iter()
            .map(|row| {
                let from = sender_label(&row.message.from_name, &row.message.from_address);
                tray::MenuMessage {
                    label: tray::message_label(from, &row.message.subject),
                    opens: notify::Target::Message {
                        account: row.email,
                        folder: row.folder_name,
                        uid: row.message.uid,
                    },
                }
            })
            .collect();
        tray::list_messages(&app, listed);
    }
}

/// Collects arrivals into bursts (until none came for `BURST_WINDOW`, at most two seconds)
/// and shows each burst's notifications.
async fn notifier<R: Runtime>(app: AppHandle<R>, mut arrivals: mpsc::UnboundedReceiver<Arrival>) {
    while let Some(first) = arrivals.recv().await {
        let mut burst = vec![first];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let wait = notify::BURST_WINDOW
                .min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            match tokio::time::timeout(wait, arrivals.recv()).await {
                Ok(Some(arrival)) => burst.push(arrival),
                Ok(None) | Err(_) => break,
            }
        }
        let several = app.state::<AppState>().attention().several_accounts;
        let Some(notifier) = app.state::<AppState>().notifier() else {
            continue;
        };
        let notices: Vec<_> = notify::notices(&burst, several)
            .iter()
            .map(notify::Notice::for_server)
            .collect();
        let shown = tokio::task::spawn_blocking(move || {
            notices.iter().try_for_each(|notice| notifier.show(notice))
        })
        .await;
        match shown {
            Ok(Err(error)) => {
                tracing::warn!(error = %format!("{error:#}"), "could not show a notification")
            }
            Err(error) => tracing::warn!(%error, "could not show a notification"),
            Ok(Ok(())) => {}
        }
    }
}
