//! The Tern desktop app: a thin Tauri shell over the mail engine. Commands (`commands`) call
//! one engine method each; engine events reach the window as the Tauri event `engine`
//! (`forward`), the tray (`tray`) and OS notifications (`notify`). The app shares the `tern`
//! CLI's data directory (`--data-dir DIR` or `TERN_DATA_DIR`).

pub mod commands;
pub mod compose_dto;
mod demo;
mod desktop;
pub mod dto;
mod error;
mod forward;
mod launch;
mod links;
pub mod notifier;
pub mod notify;
mod session;
mod settings;
mod state;
mod timing;
pub mod tray;
mod webview_drawing;

use std::path::PathBuf;

use tauri::{AppHandle, Manager, RunEvent, Runtime, WindowEvent};

use crate::state::AppState;

/// How long the network waits at start for the window to paint the cache first.
const CACHE_FIRST: std::time::Duration = std::time::Duration::from_millis(1500);

/// `--data-dir DIR` (or `--data-dir=DIR`) from the command line.
fn data_dir_argument(args: impl Iterator<Item = String>) -> Option<PathBuf> {
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return Some(PathBuf::from(dir));
        }
    }
    None
}

/// Stops the account's watchers cleanly, then exits.
fn quit<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let sessions = std::mem::take(&mut *app.state::<AppState>().sessions.lock().await);
        for session in sessions {
            session.stop().await;
        }
        app.exit(0);
    });
}

/// How long after start the whole cache is read to check it (damage that no screen has
/// read yet): once the window and the first syncs are done with the disk.
const CHECK_CACHE_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads the whole cache once, in the background on a connection of its own; damage found
/// is told to the window, which offers to rebuild.
async fn check_cache_later<R: Runtime>(app: AppHandle<R>) {
    tokio::time::sleep(CHECK_CACHE_AFTER).await;
    let path = app
        .state::<AppState>()
        .data_dir
        .join(mail_store::DATABASE_FILE);
    if !path.exists() {
        return;
    }
    let checked =
        tauri::async_runtime::spawn_blocking(move || mail_store::check_cache_file(&path)).await;
    if let Ok(Err(error)) = checked {
        let error = dto::IpcError::from(error);
        tracing::error!(message = %error.message, "the cache is damaged");
        let state = app.state::<AppState>();
        if let Ok(mut startup) = state.startup_error.lock() {
            *startup = Some(error.clone());
        }
        let _ = tauri::Emitter::emit(
            &app,
            forward::EVENT,
            dto::AppEvent::CacheDamaged {
                message: error.message,
            },
        );
    }
}

/// What a person invoked on a notification: its message or folder shown (the window comes
/// forward), or its message marked read through the action path (queued when offline).
fn invoked<R: Runtime>(app: &AppHandle<R>, invoked: notify::Invoked) {
    match invoked {
        notify::Invoked::Open(target) => {
            tray::open_window(app);
            let (account, folder, uid) = match target {
                notify::Target::Message {
                    account,
                    folder,
                    uid,
                } => (Some(account), folder, Some(uid)),
                notify::Target::Folder { account, folder } => (account, folder, None),
            };
            let _ = tauri::Emitter::emit(
                app,
                forward::EVENT,
                dto::AppEvent::Open {
                    account,
                    folder,
                    uid,
                },
            );
        }
        notify::Invoked::MarkRead {
            account,
            folder,
            uid,
        } => {
            let Some(engine) = app.state::<AppState>().engine_for(&account) else {
                tracing::warn!("mark as read from a notification: the account is gone");
                return;
            };
            if let Err(error) = engine.act(&folder, &[uid], &mail_engine::Action::MarkRead) {
                tracing::warn!(%error, "mark as read from a notification failed");
            }
        }
    }
}

/// "Check mail now": starts sessions for accounts added meanwhile (by `tern account add`),
/// then wakes every session's folder check (queued changes, LIST, every folder).
fn check_now<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let mut sessions = state.sessions.lock().await;
        if let Err(error) = commands::account::start(&app, &state, &mut sessions).await {
            tracing::warn!(message = %error.message, "accounts added elsewhere were not started");
        }
        if sessions.is_empty() {
            tracing::info!("check mail now: no account running");
        }
        for session in sessions.iter() {
            session.check_now();
        }
    });
}

pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(answer) = launch::answer_without_window(&args) {
        println!("{answer}");
        return;
    }
    let display = std::env::var("DISPLAY").ok();
    let wayland = std::env::var("WAYLAND_DISPLAY").ok();
    if let Some(reason) = launch::no_display(display.as_deref(), wayland.as_deref()) {
        eprintln!("{reason}");
        std::process::exit(1);
    }
    timing::mark_start();
    tern_profile::init_logging();
    let data_dir = match tern_profile::data_dir(data_dir_argument(args.iter().cloned())) {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("tern-app: {error:#}");
            std::process::exit(1);
        }
    };
    let settings = settings::load(&data_dir);
    let instance = launch::instance_id(&data_dir);
    let link = launch::mailto_argument(&args);
    let hidden = launch::hidden_argument(&args);
    let state = AppState::new(data_dir, settings, demo::DemoAccount::from_env());
    if let (Some(link), Ok(mut pending)) = (link, state.pending_mailto.lock()) {
        *pending = Some(link);
    }
    tracing::debug!(target: "tern_app::startup", since_start_ms = timing::since_start_ms(), "building the app");
    let result = tauri::Builder::default()
        // First: a second start on this profile hands its arguments over and exits here.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance.clone())
                .callback(|app, args, _cwd| launch::second_start(app, args))
                .build(),
        )
        // Size, position and maximized state come back at the next start, per profile (two
        // `--data-dir`s are two windows a person may place apart); whether the window shows
        // is the start's to decide (`--hidden`).
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_filename(format!(".window-state.{instance}.json"))
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::account::app_state,
            commands::account::provider,
            commands::account::discover,
            commands::account::test_connection,
            commands::account::add_account,
            commands::account::use_demo,
            commands::account::rebuild_cache,
            commands::account_settings::account_settings,
            commands::account_settings::update_account,
            commands::account_settings::remove_account,
            commands::account_settings::sign_in,
            commands::mail::messages,
            commands::mail::unified_messages,
            commands::mail::open_message,
            commands::mail::act,
            commands::mail::refresh,
            commands::mail::search,
            commands::mail::index_progress,
            commands::mail::threads,
            commands::mail::save_attachment,
            commands::mail::allow_remote_from,
            commands::view::set_settings,
            commands::desktop::mail_handler,
            commands::desktop::make_default_mail_app,
            commands::view::show_folder,
            commands::view::painted,
            commands::compose::compose,
            commands::compose::take_mailto,
            commands::compose::send_message,
            commands::compose::outbox,
            commands::compose::retry_outgoing,
            commands::compose::discard_outgoing,
            commands::compose::suggest_addresses,
            commands::compose::save_draft,
            commands::compose::discard_draft,
            commands::compose::open_draft,
            commands::compose::edit_outgoing,
        ])
        .setup(move |app| {
            tracing::debug!(target: "tern_app::startup", since_start_ms = timing::since_start_ms(), "setup");
            // Where no session bus tells two starts apart, the profile's lock does; it also
            // keeps `tern watch` from running this profile's watchers a second time.
            let data_dir = app.state::<AppState>().data_dir.clone();
            match tern_profile::hold_session(&data_dir)? {
                Some(held) => {
                    app.manage(held);
                }
                None => {
                    eprintln!("tern-app: {}", tern_profile::already_running(&data_dir));
                    std::process::exit(1);
                }
            }
            // The window is made here (not in tauri.conf.json) to give it its navigation
            // policy: links from messages open outside, nothing else loads.
            let window = tauri::WebviewWindowBuilder::new(
                app,
                "main",
                tauri::WebviewUrl::App("index.html".into()),
            )
            .title("Tern")
            .inner_size(1200.0, 760.0)
            .min_inner_size(720.0, 480.0)
            .on_navigation(links::allow_navigation)
            .initialization_script(webview_drawing::font_script(
                &webview_drawing::desktop_font_family().unwrap_or_default(),
            ))
            .visible(!hidden)
            .build()?;
            webview_drawing::apply(&window);
            tracing::debug!(target: "tern_app::startup", since_start_ms = timing::since_start_ms(), "window built");
            match notifier::Notifier::connect() {
                Ok(notifier) => {
                    let handle = app.handle().clone();
                    if let Err(error) = notifier.listen(move |what| invoked(&handle, what)) {
                        tracing::warn!(error = %format!("{error:#}"), "notifications will not act when clicked");
                    }
                    app.state::<AppState>().set_notifier(notifier);
                }
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "no notifications");
                }
            }
            tracing::debug!(target: "tern_app::startup", since_start_ms = timing::since_start_ms(), "notifications connected");
            match tray::build(app.handle()) {
                Ok(_) => {
                    tauri::async_runtime::spawn(forward::keep_tray_menu(app.handle().clone()));
                }
                Err(error) => {
                tracing::warn!(%error, "no tray icon");
                // Nothing would show that Tern runs: the window does.
                if hidden {
                    tray::open_window(app.handle());
                }
                }
            }
            tracing::debug!(target: "tern_app::startup", since_start_ms = timing::since_start_ms(), "tray built");
            let handle = app.handle().clone();
            // The account opens (cache, keyring) off the main thread while the window loads;
            // `app_state` waits for it. A keyring that asks for a password never freezes the UI.
            // The network starts once the window has painted the cache (or after CACHE_FIRST):
            // on a small machine, logins and syncs would otherwise slow the first paint.
            tauri::async_runtime::spawn(async move {
                let state = handle.state::<AppState>();
                let opened = commands::account::open(&handle, &state).await;
                state.mark_started();
                state.tray_menu_stale.notify_one();
                tracing::debug!(target: "tern_app::startup", since_start_ms = timing::since_start_ms(), "account opened");
                match opened {
                    Ok(engines) if !engines.is_empty() => {
                        state.wait_painted(CACHE_FIRST).await;
                        let mut sessions = state.sessions.lock().await;
                        commands::account::start_opened(&handle, &state, &mut sessions, engines);
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::error!(message = %error.message, "the account did not start");
                        if let Ok(mut startup) = state.startup_error.lock() {
                            *startup = Some(error);
                        }
                    }
                }
                check_cache_later(handle.clone()).await;
            });
            Ok(())
        })
        .on_menu_event(|app, event| match event.id().as_ref() {
            tray::MENU_OPEN => tray::open_window(app),
            tray::MENU_CHECK => check_now(app),
            tray::MENU_QUIT => quit(app),
            id => {
                if let Some(target) = tray::listed_target(app, id) {
                    invoked(app, notify::Invoked::Open(target));
                }
            }
        })
        .on_window_event(|window, event| match event {
            WindowEvent::CloseRequested { api, .. } => {
                let state = window.state::<AppState>();
                if state.settings().close_to_tray
                    && window.app_handle().tray_by_id(tray::TRAY_ID).is_some()
                {
                    api.prevent_close();
                    let _ = window.hide();
                    state.update_view(|view| view.window_focused = false);
                }
            }
            WindowEvent::Focused(focused) => {
                window
                    .state::<AppState>()
                    .update_view(|view| view.window_focused = *focused);
            }
            _ => {}
        })
        .build(tauri::generate_context!());
    let app = match result {
        Ok(app) => app,
        Err(error) => {
            eprintln!("tern-app: {error}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, code, .. } = event {
            // The last window closed without "close to tray": stop the watchers first.
            if code.is_none() {
                api.prevent_exit();
                quit(app);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_dir_argument_is_found_in_both_spellings() {
        let args = |list: &[&str]| {
            list.iter()
                .map(|arg| arg.to_string())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            data_dir_argument(args(&["tern-app", "--data-dir", "/x"])),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            data_dir_argument(args(&["tern-app", "--data-dir=/y"])),
            Some(PathBuf::from("/y"))
        );
        assert_eq!(data_dir_argument(args(&["tern-app"])), None);
    }
}
