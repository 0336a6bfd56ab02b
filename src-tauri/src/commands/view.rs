//! What the window tells the app: its settings, and the folder on screen (watched too, kept
//! as the last-viewed folder, and no notifications for it while focused).

use tauri::State;

use crate::dto::{IpcError, SettingsDto};
use crate::settings;
use crate::state::AppState;

/// Saves the person's choices (the last folder is kept by `show_folder`, not taken from here).
#[tauri::command]
pub fn set_settings(state: State<'_, AppState>, settings: SettingsDto) -> Result<(), IpcError> {
    let settings = SettingsDto {
        last_folder: state.settings().last_folder,
        ..settings
    };
    settings::save(&state.data_dir, &settings)?;
    if let Ok(mut current) = state.settings.lock() {
        *current = settings;
    }
    Ok(())
}

/// The window now shows `folder`.
#[tauri::command]
pub async fn show_folder(state: State<'_, AppState>, folder: String) -> Result<(), IpcError> {
    state.update_view(|view| view.folder = Some(folder.clone()));
    let mut settings = state.settings();
    if settings.last_folder.as_deref() != Some(folder.as_str()) {
        settings.last_folder = Some(folder.clone());
        if let Err(error) = settings::save(&state.data_dir, &settings) {
            tracing::warn!(error = %format!("{error:#}"), "last folder not saved");
        }
        if let Ok(mut current) = state.settings.lock() {
            *current = settings;
        }
    }
    // The window shows the first account's folders.
    if let Some(session) = state.sessions.lock().await.first_mut() {
        session.show_folder(&folder);
    }
    Ok(())
}

/// The window painted something worth timing (`first_rows` at start, `new_rows` after new
/// mail): logged with the wall clock (target `tern_app::paint`, level info) so start-up and
/// push-to-screen latency can be measured from outside (`scripts/bench-app.sh`).
#[tauri::command]
pub fn painted(state: State<'_, AppState>, what: String, rows: u32) {
    if what == "first_rows" || what == "setup" {
        state.mark_painted();
    }
    let unix_ms = crate::timing::unix_ms();
    tracing::info!(target: "tern_app::paint", what = %what, rows, unix_ms, since_start_ms = crate::timing::since_start_ms(), "painted");
}
