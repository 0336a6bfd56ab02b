//! Links clicked in a message open in the person's browser (or mail program), never inside
//! Tern: the message frame may only navigate the top window on a click
//! (`allow-top-navigation-by-user-activation`), and every navigation away from the app's own
//! pages is stopped here and handed to the desktop's opener (`xdg-open`, or `TERN_OPENER`).

use tauri::Url;

/// Whether `url` is one of the app's own pages (the bundled UI, or the dev server in
/// development), which the window may load.
pub fn is_app_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => true,
        "http" | "https" => {
            matches!(
                url.host_str(),
                Some("tauri.localhost") | Some("ipc.localhost")
            ) || (cfg!(debug_assertions)
                && url.host_str() == Some("localhost")
                && url.port() == Some(5173))
        }
        "about" => url.as_str() == "about:blank" || url.as_str() == "about:srcdoc",
        _ => false,
    }
}

/// Whether a link may be handed to the desktop (web and mail links only).
pub fn is_openable(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "mailto")
}

/// The navigation policy of the main window: app pages load; openable links go to the
/// desktop's opener; anything else is refused.
pub fn allow_navigation(url: &Url) -> bool {
    if is_app_page(url) {
        return true;
    }
    if is_openable(url) {
        open_externally(url);
    } else {
        tracing::warn!(scheme = url.scheme(), "refused a link");
    }
    false
}

fn open_externally(url: &Url) {
    let opener = std::env::var("TERN_OPENER").unwrap_or_else(|_| "xdg-open".to_string());
    match std::process::Command::new(&opener)
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        // Reap it in the background so no zombie is left.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(error) => tracing::warn!(%opener, %error, "could not open a link"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn the_app_loads_only_its_own_pages() {
        assert!(is_app_page(&url("tauri://localhost/index.html")));
        assert!(is_app_page(&url("http://tauri.localhost/")));
        assert!(is_app_page(&url("about:srcdoc")));
        assert!(!is_app_page(&url("https://example.org/")));
        assert!(!is_app_page(&url("http://localhost:8080/")));
        assert!(!is_app_page(&url("file:///etc/passwd")));
    }

    #[test]
    fn only_web_and_mail_links_leave_for_the_desktop() {
        assert!(is_openable(&url("https://example.org/a?b")));
        assert!(is_openable(&url("mailto:someone@example.org")));
        assert!(!is_openable(&url("file:///etc/passwd")));
        assert!(!is_openable(&url("javascript:alert(1)")));
        assert!(!is_openable(&url("smb://host/share")));
    }
}
