//! The system tray item: an icon and label (XAyatanaLabel on Linux) saying Live / Connecting
//! / Offline with INBOX's unread count, and a menu: the newest unread messages of every INBOX
//! (up to five; choosing one opens it), Open Tern, Check mail now, Quit.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use crate::dto::Connectivity;
use crate::notify::Target;

pub const TRAY_ID: &str = "tern";
pub const MENU_OPEN: &str = "open";
pub const MENU_CHECK: &str = "check";
pub const MENU_QUIT: &str = "quit";
/// Menu ids `message:N` open the N-th listed message.
pub const MENU_MESSAGE: &str = "message:";
/// How many unread messages the menu lists.
pub const MENU_MESSAGES: u32 = 5;

const LIVE: &[u8] = include_bytes!("../../icons/tray-live.png");
const CONNECTING: &[u8] = include_bytes!("../../icons/tray-connecting.png");
const OFFLINE: &[u8] = include_bytes!("../../icons/tray-offline.png");

/// The tray's label: "Live", "Connecting…", "Offline" or "Sign-in needed", with the unread
/// count.
pub fn label(state: Connectivity, unread: u64) -> String {
    let state = match state {
        Connectivity::Live => "Live",
        Connectivity::Connecting => "Connecting…",
        Connectivity::Offline => "Offline",
        Connectivity::SignInNeeded => "Sign-in needed",
    };
    match unread {
        0 => state.to_string(),
        n => format!("{state} · {n} unread"),
    }
}

fn icon(state: Connectivity) -> tauri::Result<Image<'static>> {
    Image::from_bytes(match state {
        Connectivity::Live => LIVE,
        Connectivity::Connecting => CONNECTING,
        Connectivity::Offline | Connectivity::SignInNeeded => OFFLINE,
    })
}

/// What the tray shows for several accounts: the worst state (sign-in needed, offline,
/// connecting, live) and the unread mail of every INBOX summed. No account: offline.
pub fn summary(accounts: impl IntoIterator<Item = (Connectivity, u64)>) -> (Connectivity, u64) {
    let rank = |state: Connectivity| match state {
        Connectivity::SignInNeeded => 0,
        Connectivity::Offline => 1,
        Connectivity::Connecting => 2,
        Connectivity::Live => 3,
    };
    let mut worst: Option<Connectivity> = None;
    let mut unread = 0u64;
    for (state, count) in accounts {
        unread = unread.saturating_add(count);
        if worst.is_none_or(|current| rank(state) < rank(current)) {
            worst = Some(state);
        }
    }
    (worst.unwrap_or(Connectivity::Offline), unread)
}

/// One unread message as the menu lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuMessage {
    pub label: String,
    pub opens: Target,
}

/// A message's line in the menu: "Sender: Subject" on one line, at most `MAX` characters,
/// with `&` doubled (the menu library reads a single one as a keyboard mnemonic; it escapes
/// GTK's `_` itself).
pub fn message_label(from: &str, subject: &str) -> String {
    const MAX: usize = 60;
    let subject = if subject.trim().is_empty() {
        "(no subject)"
    } else {
        subject.trim()
    };
    let line = if from.trim().is_empty() {
        subject.to_string()
    } else {
        format!("{}: {subject}", from.trim())
    };
    let mut line: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() > MAX {
        line = line
            .chars()
            .take(MAX - 1)
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
    }
    line.replace('&', "&&")
}

/// The menu: the listed messages (each `message:N`), then Open / Check / Quit.
fn menu<R: Runtime>(app: &AppHandle<R>, messages: &[MenuMessage]) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for (index, message) in messages.iter().enumerate() {
        let id = format!("{MENU_MESSAGE}{index}");
        menu.append(&MenuItem::with_id(
            app,
            id,
            &message.label,
            true,
            None::<&str>,
        )?)?;
    }
    if !messages.is_empty() {
        menu.append(&tauri::menu::PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(
        app,
        MENU_OPEN,
        "Open Tern",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        MENU_CHECK,
        "Check mail now",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        MENU_QUIT,
        "Quit",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

/// The messages the menu lists now (what `message:N` opens).
#[derive(Default)]
pub struct Listed(pub std::sync::Mutex<Vec<MenuMessage>>);

/// Lists `messages` in the menu (no tray: nothing to do).
pub fn list_messages<R: Runtime>(app: &AppHandle<R>, messages: Vec<MenuMessage>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Some(listed) = app.try_state::<Listed>() {
        if let Ok(mut current) = listed.0.lock() {
            if *current == messages {
                return;
            }
            *current = messages.clone();
        }
    }
    if let Err(error) = menu(app, &messages).and_then(|menu| tray.set_menu(Some(menu))) {
        tracing::warn!(%error, "could not update the tray's menu");
    }
}

/// What the menu item `id` opens, when it is a listed message.
pub fn listed_target<R: Runtime>(app: &AppHandle<R>, id: &str) -> Option<Target> {
    let index: usize = id.strip_prefix(MENU_MESSAGE)?.parse().ok()?;
    let listed = app.try_state::<Listed>()?;
    let current = listed.0.lock().ok()?;
    current.get(index).map(|message| message.opens.clone())
}

/// Creates the tray item (a menu is required: without one, Linux publishes nothing).
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<TrayIcon<R>> {
    app.manage(Listed::default());
    let menu = menu(app, &[])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Connectivity::Offline)?)
        .title(label(Connectivity::Offline, 0))
        .tooltip("Tern")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .build(app)
}

/// Shows the account's state in the tray (no tray: nothing to do).
pub fn show<R: Runtime>(app: &AppHandle<R>, state: Connectivity, unread: u64) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let result = icon(state)
        .and_then(|image| tray.set_icon(Some(image)))
        .and_then(|()| tray.set_title(Some(label(state, unread))));
    if let Err(error) = result {
        tracing::warn!(%error, "could not update the tray");
    }
}

/// Brings the main window back (from the tray or a second launch).
pub fn open_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_message_is_one_short_line() {
        assert_eq!(message_label("Ann", "Lunch?"), "Ann: Lunch?");
        assert_eq!(message_label("", " "), "(no subject)");
        assert_eq!(message_label("snake_case", "a_b"), "snake_case: a_b");
        assert_eq!(message_label("Tom & Jerry", "R&D"), "Tom && Jerry: R&&D");
        assert_eq!(message_label("Eve", "line\nbreak"), "Eve: line break");
        let long = message_label("Ann", &"x".repeat(100));
        assert_eq!(long.chars().count(), 60);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn the_label_says_the_state_and_the_unread_count() {
        assert_eq!(label(Connectivity::Live, 0), "Live");
        assert_eq!(label(Connectivity::Live, 3), "Live · 3 unread");
        assert_eq!(label(Connectivity::Offline, 12), "Offline · 12 unread");
        assert_eq!(label(Connectivity::Connecting, 0), "Connecting…");
        assert_eq!(
            label(Connectivity::SignInNeeded, 2),
            "Sign-in needed · 2 unread"
        );
    }

    #[test]
    fn several_accounts_show_the_worst_state_and_all_unread_mail() {
        use Connectivity::*;
        type Account = (Connectivity, u64);
        let cases: [(&[Account], Account); 5] = [
            (&[], (Offline, 0)),
            (&[(Live, 3)], (Live, 3)),
            (&[(Live, 3), (Connecting, 1)], (Connecting, 4)),
            (&[(Live, 3), (Offline, 0), (Connecting, 2)], (Offline, 5)),
            (
                &[(SignInNeeded, 1), (Offline, 1), (Live, 1)],
                (SignInNeeded, 3),
            ),
        ];
        for (accounts, expected) in cases {
            assert_eq!(summary(accounts.iter().copied()), expected, "{accounts:?}");
        }
    }
}
