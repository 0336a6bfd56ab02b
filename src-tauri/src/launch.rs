//! What one start of `tern-app` asks for, and one running app per profile: the `mailto:`
//! link among the arguments (the desktop's mail handler starts `tern-app mailto:…`), the
//! single-instance name of the profile on the session bus (a second start hands its
//! arguments to the running app and exits). The profile's session lock, for where no session
//! bus could tell two starts apart, is `tern_profile::hold_session` (shared with `tern watch`).

use std::path::Path;

use mail_message::Mailto;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::dto::AppEvent;
use crate::state::AppState;

/// What `tern-app --version` and `--help` print (no window opens); `None` for a start.
pub fn answer_without_window<S: AsRef<str>>(args: &[S]) -> Option<String> {
    let asked = |flags: &[&str]| args.iter().skip(1).any(|arg| flags.contains(&arg.as_ref()));
    if asked(&["--version", "-V"]) {
        return Some(format!("tern-app {}", env!("CARGO_PKG_VERSION")));
    }
    if asked(&["--help", "-h"]) {
        return Some(
            "Tern, the mail app.\n\n\
             Usage: tern-app [--data-dir DIR] [--hidden] [mailto:LINK]\n\n\
             \x20 --data-dir DIR  the profile (default: $TERN_DATA_DIR, else the user's data directory)\n\
             \x20 --hidden        start in the tray, the window closed (as at login)\n\
             \x20 mailto:LINK     open a message to write, filled from the link (RFC 6068)\n\n\
             Started while Tern runs on the same profile, the running window comes forward.\n\
             The command-line client is `tern` (tern --help)."
                .to_string(),
        );
    }
    None
}

/// Why no window can open here (no display server to draw on), said before GTK would panic.
pub fn no_display(display: Option<&str>, wayland: Option<&str>) -> Option<&'static str> {
    let set = |value: Option<&str>| value.is_some_and(|value| !value.is_empty());
    (!set(display) && !set(wayland)).then_some(
        "tern-app needs a graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set); \
         the command-line client `tern` works without one",
    )
}

/// `--hidden`: start in the tray without showing the window (the autostart entry's start).
pub fn hidden_argument<S: AsRef<str>>(args: &[S]) -> bool {
    args.iter().skip(1).any(|arg| arg.as_ref() == "--hidden")
}

/// The first argument that is a `mailto:` link (the program's own name skipped).
pub fn mailto_argument<S: AsRef<str>>(args: &[S]) -> Option<Mailto> {
    args.iter()
        .skip(1)
        .find_map(|arg| mail_message::parse_mailto(arg.as_ref()))
}

/// The D-Bus name stem of the app running on `data_dir`: one per profile, so a start for
/// another data directory is an app of its own. (`.SingleInstance` is added by the plugin.)
pub fn instance_id(data_dir: &Path) -> String {
    let canonical = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    format!(
        "org.tern.app.profile_{:016x}",
        fnv1a(canonical.as_os_str().as_encoded_bytes())
    )
}

/// FNV-1a, 64 bits: stable across builds and Rust versions (the name must match between the
/// running app and a newer binary started beside it).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Keeps `link` for the window, which takes it (`take_mailto`) when it is told, or at load.
pub fn offer_mailto<R: Runtime>(app: &AppHandle<R>, link: Mailto) {
    if let Ok(mut pending) = app.state::<AppState>().pending_mailto.lock() {
        *pending = Some(link);
    }
    let _ = app.emit(crate::forward::EVENT, AppEvent::MailtoOpened);
}

/// Another start of the app on this profile: its window comes forward, with a compose form
/// when it was started for a link.
pub fn second_start<R: Runtime>(app: &AppHandle<R>, args: Vec<String>) {
    tracing::info!("tern-app started again: the running window comes forward");
    crate::tray::open_window(app);
    if let Some(link) = mailto_argument(&args) {
        offer_mailto(app, link);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_help_answer_without_a_window() {
        assert_eq!(
            answer_without_window(&["tern-app", "--version"]),
            Some(format!("tern-app {}", env!("CARGO_PKG_VERSION")))
        );
        assert!(answer_without_window(&["tern-app", "-h"])
            .is_some_and(|help| help.contains("mailto:LINK")));
        assert_eq!(answer_without_window(&["tern-app", "mailto:a@b"]), None);
        assert_eq!(answer_without_window(&["--version"]), None);
    }

    #[test]
    fn without_a_display_the_app_says_so() {
        assert!(no_display(None, None).is_some());
        assert!(no_display(Some(""), None).is_some());
        assert_eq!(no_display(Some(":0"), None), None);
        assert_eq!(no_display(None, Some("wayland-0")), None);
    }

    #[test]
    fn the_link_is_found_among_the_arguments() {
        let found = mailto_argument(&[
            "tern-app",
            "--data-dir",
            "/x",
            "MAILTO:bob@tern.test?subject=Hi&attach=/etc/passwd",
        ])
        .expect("a link");
        assert_eq!(found.to, ["bob@tern.test"]);
        assert_eq!(found.subject.as_deref(), Some("Hi"));
        assert_eq!(mailto_argument(&["tern-app", "--data-dir", "/x"]), None);
        assert!(hidden_argument(&["tern-app", "--hidden"]));
        assert!(!hidden_argument(&["tern-app", "mailto:a@b"]));
        // The program's own path is never taken for a link.
        assert_eq!(mailto_argument(&["mailto:x@y"]), None);
    }

    #[test]
    fn each_profile_has_its_own_bus_name() {
        let one = tempfile::tempdir().expect("dir");
        let two = tempfile::tempdir().expect("dir");
        let id = instance_id(one.path());
        assert_eq!(id, instance_id(&one.path().join(".")), "the same directory");
        assert_ne!(id, instance_id(two.path()));
        // A valid D-Bus name: elements of letters, digits and `_`, none starting with a digit.
        for element in id.split('.') {
            assert!(!element.starts_with(|c: char| c.is_ascii_digit()), "{id}");
            assert!(
                element
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{id}"
            );
        }
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c, "FNV-1a as published");
    }
}
