//! Links clicked in a message open in the person's browser (or mail program), never inside
//! Tern: the message frame may only navigate the top window on a click
//! (`allow-top-navigation-by-user-activation`), and every navigation away from the app's own
//! pages is stopped here and handed to the desktop's opener (`xdg-open`, or `TERN_OPENER`).

use tauri::Url;

/// Whether `url` is one of the app's own pages, which the window may load: the bundled UI at
/// its own origin (`tauri://localhost` on Linux and macOS; `http(s)://tauri.localhost` on
/// Windows, where the webview serves it so), exactly, on no other port; and in debug builds
/// the Vite dev server. Anything else on those host names (`http://tauri.localhost:8080/`)
/// is a page someone else serves.
pub fn is_app_page(url: &Url) -> bool {
    is_app_page_for(url, cfg!(windows), cfg!(debug_assertions))
}

fn is_app_page_for(url: &Url, windows: bool, debug: bool) -> bool {
    let no_credentials = url.username().is_empty() && url.password().is_none();
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost") && url.port().is_none() && no_credentials,
        "http" | "https" if windows => {
            url.host_str() == Some("tauri.localhost") && url.port().is_none() && no_credentials
        }
        "http" if debug => {
            url.host_str() == Some("localhost") && url.port() == Some(5173) && no_credentials
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
        match handed_over(url) {
            Some(target) => open_externally(&target),
            None => tracing::warn!("refused a malformed mail link"),
        }
    } else {
        tracing::warn!(scheme = url.scheme(), "refused a link");
    }
    false
}

/// What goes to the desktop for an openable link: web links as they are; `mailto:` links
/// rebuilt from the fields a compose form may take (`attach=` and the like, which some mail
/// programs turn into a local file attached without asking, never leave Tern).
pub fn handed_over(url: &Url) -> Option<String> {
    if url.scheme() == "mailto" {
        return mail_message::parse_mailto(url.as_str()).map(|mailto| mailto.to_uri());
    }
    Some(url.as_str().to_string())
}

fn open_externally(url: &str) {
    let opener = std::env::var("TERN_OPENER").unwrap_or_else(|_| "xdg-open".to_string());
    match std::process::Command::new(&opener)
        .arg(url)
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
        // (url, linux release, windows release, linux debug)
        let cases = [
            ("tauri://localhost/index.html", true, true, true),
            ("tauri://localhost/", true, true, true),
            ("about:srcdoc", true, true, true),
            ("about:blank", true, true, true),
            ("http://tauri.localhost/", false, true, false),
            ("https://tauri.localhost/index.html", false, true, false),
            // Someone else's page on the app's host names.
            ("http://tauri.localhost:8080/", false, false, false),
            ("https://tauri.localhost:4443/", false, false, false),
            ("http://ipc.localhost/", false, false, false),
            ("http://ipc.localhost:9000/", false, false, false),
            ("tauri://localhost:1234/", false, false, false),
            ("tauri://evil.example/", false, false, false),
            ("http://user@tauri.localhost/", false, false, false),
            // The dev server, in debug builds only.
            ("http://localhost:5173/", false, false, true),
            ("http://localhost:8080/", false, false, false),
            ("https://example.org/", false, false, false),
            ("file:///etc/passwd", false, false, false),
        ];
        for (text, linux, windows, debug) in cases {
            let parsed = url(text);
            assert_eq!(
                is_app_page_for(&parsed, false, false),
                linux,
                "{text} on Linux"
            );
            assert_eq!(
                is_app_page_for(&parsed, true, false),
                windows,
                "{text} on Windows"
            );
            assert_eq!(
                is_app_page_for(&parsed, false, true),
                debug,
                "{text} in debug"
            );
        }
    }

    #[test]
    fn only_web_and_mail_links_leave_for_the_desktop() {
        assert!(is_openable(&url("https://example.org/a?b")));
        assert!(is_openable(&url("mailto:someone@example.org")));
        assert!(!is_openable(&url("file:///etc/passwd")));
        assert!(!is_openable(&url("javascript:alert(1)")));
        assert!(!is_openable(&url("smb://host/share")));
    }

    #[test]
    fn mail_links_leave_without_attachments() {
        let handed = handed_over(&url(
            "mailto:bob@example.org?subject=Hi&attach=/etc/passwd&attachment=~/.ssh/id_rsa",
        ))
        .expect("a mail link");
        assert_eq!(handed, "mailto:bob@example.org?subject=Hi");
        assert_eq!(
            handed_over(&url("https://example.org/a?b=c")).as_deref(),
            Some("https://example.org/a?b=c")
        );
    }
}
