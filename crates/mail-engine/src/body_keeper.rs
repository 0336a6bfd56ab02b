//! The body keeper of a long-running session (the app, `tern watch`): bodies kept offline as
//! the account's policy says whenever woken and after each burst of INBOX arrivals, previews
//! for the rest, then made searchable by the background indexer.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::engine::Engine;
use crate::events::EngineEvent;

/// Keeps bodies offline as the account's policy says (newest first; what is kept already
/// costs nothing), then has the background indexer make them searchable: after each folder
/// check pass (`wake`) and after each burst of INBOX arrivals (no arrival for a second).
/// Its own task, so a long download never holds up the checks; watchers bring new mail on
/// their own connections meanwhile, and a sync waiting for the request connection gets it
/// between batches.
pub async fn keep_bodies_offline(
    engine: Arc<Engine>,
    mut events: tokio::sync::broadcast::Receiver<EngineEvent>,
    wake: Arc<Notify>,
) {
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            settled = inbox_arrivals_settled(&mut events) => {
                if settled.is_none() {
                    return;
                }
            }
        }
        if let Err(error) = engine.keep_offline(None, None).await {
            tracing::info!(%error, "bodies not kept offline");
        }
        // What has no body kept gets its list preview from the first bytes of its text.
        if let Err(error) = engine.fill_previews(None, None).await {
            tracing::info!(%error, "previews not fetched");
        }
        engine.index_in_background();
    }
}

/// Waits for mail to arrive in INBOX and then for a second without arrivals (other events,
/// such as progress, do not prolong the wait); `None` once the engine is gone.
async fn inbox_arrivals_settled(
    events: &mut tokio::sync::broadcast::Receiver<EngineEvent>,
) -> Option<()> {
    use tokio::sync::broadcast::error::RecvError;
    let arrived = |event: &EngineEvent| {
        matches!(event, EngineEvent::FolderChanged { folder, added, .. }
            if *added > 0 && folder.eq_ignore_ascii_case("INBOX"))
    };
    loop {
        match events.recv().await {
            Ok(event) if arrived(&event) => break,
            Ok(_) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return None,
        }
    }
    let mut quiet_from = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        match tokio::time::timeout_at(quiet_from, events.recv()).await {
            Err(_) => return Some(()),
            Ok(Err(RecvError::Closed)) => return None,
            Ok(Ok(event)) if arrived(&event) => {
                quiet_from = tokio::time::Instant::now() + Duration::from_secs(1);
            }
            Ok(_) => {}
        }
    }
}
