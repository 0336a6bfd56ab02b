//! What the window tells the app: its settings, and the folder on screen (watched too, kept
//! as the last-viewed folder, and no notifications for it while focused).

use tauri::State;

use crate::dto::{IpcError, SettingsDto};
use crate::settings;
use crate::state::AppState;

#[tauri::command]
pub fn set_settings(state: State<'_, AppState>, settings: SettingsDto) -> Result<(), IpcError> {
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
    let settings = {
        let mut settings = state.settings();
        settings.last_folder = Some(folder.clone());
        settings
    };
    if let Err(error) = settings::save(&state.data_dir, &settings) {
        tracing::warn!(error = %format!("{error:#}"), "last folder not saved");
    }
    if let Ok(mut current) = state.settings.lock() {
        *current = settings;
    }
    if let Some(session) = state.session.lock().await.as_mut() {
        session.show_folder(&folder);
    }
    Ok(())
}
