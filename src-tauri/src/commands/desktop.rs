//! The settings that reach outside the app: starting at login (the XDG autostart entry) and
//! being the desktop's mail app (the `mailto:` handler).

use std::path::PathBuf;

use tauri::State;

use crate::desktop::{self, Xdg};
use crate::dto::{ErrorCode, IpcError, SettingsDto};
use crate::state::AppState;

fn xdg() -> Result<Xdg, IpcError> {
    Xdg::from_env()
        .ok_or_else(|| IpcError::new(ErrorCode::Other, "No home directory (HOME is not set)"))
}

fn this_app() -> Result<PathBuf, IpcError> {
    std::env::current_exe()
        .map_err(|error| IpcError::new(ErrorCode::Other, format!("Where is this program? {error}")))
}

/// The settings as saved, with `start_at_login` as the desktop has it (the entry may have
/// been removed in the desktop's own settings).
pub fn with_autostart(settings: SettingsDto) -> SettingsDto {
    SettingsDto {
        start_at_login: Xdg::from_env().is_some_and(|xdg| xdg.autostart_file().is_file()),
        ..settings
    }
}

/// Writes (or removes) the autostart entry for this app and profile.
pub fn set_autostart(state: &AppState, on: bool) -> Result<(), IpcError> {
    let data_dir = state
        .data_dir
        .canonicalize()
        .unwrap_or_else(|_| state.data_dir.clone());
    desktop::set_autostart(&xdg()?, on, &this_app()?, &data_dir)
        .map_err(|error| IpcError::new(ErrorCode::Other, format!("{error:#}")))
}

/// Whether the desktop hands `mailto:` links to Tern.
#[tauri::command]
pub async fn mail_handler() -> Result<bool, IpcError> {
    tauri::async_runtime::spawn_blocking(desktop::is_default_mail_app)
        .await
        .map_err(|error| IpcError::new(ErrorCode::Other, error.to_string()))
}

/// Makes Tern the desktop's mail app; says what the desktop answers.
#[tauri::command]
pub async fn make_default_mail_app(state: State<'_, AppState>) -> Result<String, IpcError> {
    let xdg = xdg()?;
    let exe = this_app()?;
    let data_dir = state
        .data_dir
        .canonicalize()
        .unwrap_or_else(|_| state.data_dir.clone());
    let default_profile = tern_profile::data_dir(None)
        .ok()
        .and_then(|dir| dir.canonicalize().ok())
        .is_some_and(|dir| dir == data_dir);
    tauri::async_runtime::spawn_blocking(move || {
        desktop::make_default_mail_app(&xdg, &exe, &data_dir, default_profile)
    })
    .await
    .map_err(|error| IpcError::new(ErrorCode::Other, error.to_string()))?
    .map_err(|error| IpcError::new(ErrorCode::Other, format!("{error:#}")))
}
