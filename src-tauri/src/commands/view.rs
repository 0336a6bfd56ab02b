//! What the window tells the app: its settings, and the folder on screen (watched too, kept
//! as the last-viewed folder, and no notifications for it while focused).

use tauri::State;

use crate::dto::{IpcError, SettingsDto};
use crate::state::AppState;

/// Saves the person's choices (the last folder is kept by `show_folder`, not taken from here).
#[tauri::command]
pub fn set_settings(state: State<'_, AppState>, settings: SettingsDto) -> Result<(), IpcError> {
    let current = crate::commands::desktop::with_autostart(state.settings());
    if settings.start_at_login != current.start_at_login {
        crate::commands::desktop::set_autostart(&state, settings.start_at_login)?;
    }
    let settings = SettingsDto {
        last_folder: current.last_folder,
        last_account: current.last_account,
        last_unified: current.last_unified,
        ..settings
    };
    Ok(state.keep_settings(settings)?)
}

/// The window now shows `folder` of `account`, or (no account) the unified inbox.
#[tauri::command]
pub async fn show_folder(
    state: State<'_, AppState>,
    account: Option<String>,
    folder: String,
) -> Result<(), IpcError> {
    let unified = account.is_none();
    state.update_view(|view| {
        view.folder = Some(folder.clone());
        view.account = account.clone();
        view.unified = unified;
    });
    let mut settings = state.settings();
    let place = (Some(folder.clone()), account.clone(), unified);
    if (
        settings.last_folder.clone(),
        settings.last_account.clone(),
        settings.last_unified,
    ) != place
    {
        (
            settings.last_folder,
            settings.last_account,
            settings.last_unified,
        ) = place;
        if let Err(error) = state.keep_settings(settings) {
            tracing::warn!(error = %format!("{error:#}"), "last folder not saved");
        }
    }
    // That account watches the folder too (INBOX is always watched); the others need only
    // their INBOX.
    for session in state.sessions.lock().await.iter_mut() {
        let shown = account
            .as_deref()
            .is_some_and(|email| session.engine.account().email.eq_ignore_ascii_case(email));
        session.show_folder(if shown {
            &folder
        } else {
            crate::session::INBOX
        });
    }
    Ok(())
}

/// The window painted something worth timing (`first_rows` at start, `new_rows` after new
/// mail): logged with the wall clock (target `tern_app::paint`, level info) so start-up and
/// push-to-screen latency can be measured from outside (`scripts/bench-app.sh`).
#[tauri::command]
pub fn painted(state: State<'_, AppState>, what: String, rows: u32, marks: Option<String>) {
    if what == "first_rows" || what == "setup" {
        state.mark_painted();
    }
    let unix_ms = crate::timing::unix_ms();
    tracing::info!(target: "tern_app::paint", what = %what, rows, unix_ms, since_start_ms = crate::timing::since_start_ms(), "painted");
    // The page's own steps to it (the start-up benchmark's breakdown); at most a short line.
    if let Some(marks) = marks.filter(|marks| marks.len() <= 1024) {
        tracing::debug!(target: "tern_app::startup", %marks, "page marks");
    }
}
