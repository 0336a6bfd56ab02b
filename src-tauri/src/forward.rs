//! Engine events -> the window (Tauri event `engine`), the tray, and notifications.

use std::time::Duration;

use mail_engine::EngineEvent;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
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
        }
        EngineEvent::NewMail {
            account,
            folder,
            from,
            from_address,
            subject,
            ..
        } => {
            let attention = state.attention();
            let arrival = Arrival {
                folder: folder.clone(),
                from: if from.is_empty() {
                    from_address.clone()
                } else {
                    from.clone()
                },
                subject: subject.clone(),
                account: account.clone(),
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
        for notice in notify::notices(&burst, several) {
            let notice = notice.for_server();
            let shown = app
                .notification()
                .builder()
                .title(&notice.title)
                .body(&notice.body)
                .show();
            if let Err(error) = shown {
                tracing::warn!(%error, "could not show a notification");
            }
        }
    }
}
