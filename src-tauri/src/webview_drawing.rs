//! How the window's web view draws: without GPU compositing unless the person asks for it,
//! and in the desktop's own font.
//!
//! WebKitGTK's accelerated compositing keeps a GL context and layer backing stores per web
//! process: measured on a 100k cache, the web process held ~200 MB with it and ~120 MB
//! without, and the first rows painted ~60 ms sooner without it. Tern's window is a list,
//! a reader and forms (no video, no 3D), which WebKit paints fine on the CPU. It is also
//! what many WebKitGTK apps do to avoid blank windows on some GPU drivers.
//! `TERN_WEBVIEW_GPU=1` turns compositing back on (WebKit's own default).

/// The variable that asks for WebKit's default, GPU-composited drawing.
pub const GPU_VARIABLE: &str = "TERN_WEBVIEW_GPU";

/// Whether the web view composites on the GPU, given `TERN_WEBVIEW_GPU`'s value.
pub fn gpu_wanted(value: Option<&str>) -> bool {
    matches!(
        value.map(str::trim).map(str::to_ascii_lowercase).as_deref(),
        Some("1" | "yes" | "true" | "on")
    )
}

/// Applies the drawing policy to `window`'s web view (before its page has drawn).
pub fn apply(window: &tauri::WebviewWindow) {
    let gpu = gpu_wanted(std::env::var(GPU_VARIABLE).ok().as_deref());
    if gpu {
        tracing::debug!("the web view composites on the GPU ({GPU_VARIABLE})");
        return;
    }
    #[cfg(target_os = "linux")]
    if let Err(error) = window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    }) {
        tracing::warn!(%error, "the web view keeps its default drawing");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// The desktop's UI font family as GTK's settings name it ("Cantarell 11" -> "Cantarell"),
/// read on the main thread before the window is built. The page uses it by name: CSS's
/// `system-ui` costs WebKitGTK ~25 ms of font lookups in a cold window's first layout.
pub fn desktop_font_family() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        use gtk::prelude::GtkSettingsExt;
        let name = gtk::Settings::default()?.gtk_font_name()?;
        let family = gtk::pango::FontDescription::from_string(&name).family()?;
        css_font_family(&family)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// `family` as the page should name it: fontconfig's aliases (GTK's default "Sans") as CSS's
/// generic families, which WebKitGTK resolves to the same fonts without looking a name up;
/// else the name itself when it can stand inside a CSS string as it is — letters, digits,
/// spaces and `-_.` only (GTK's settings are the person's own, but the page is no place to
/// find out).
pub fn css_font_family(family: &str) -> Option<String> {
    let family = family.trim();
    let generic = match family.to_ascii_lowercase().as_str() {
        "sans" | "sans serif" | "sans-serif" => Some("sans-serif"),
        "serif" => Some("serif"),
        "monospace" | "mono" => Some("monospace"),
        _ => None,
    };
    if let Some(generic) = generic {
        return Some(generic.to_string());
    }
    let fine = !family.is_empty()
        && family.chars().count() <= 64
        && family
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.'));
    fine.then(|| family.to_string())
}

/// The script run before the page's own: it tells the page the desktop's font family.
pub fn font_script(family: &str) -> String {
    // A JSON string is a JavaScript string literal.
    let literal = serde_json::to_string(family).unwrap_or_else(|_| "\"\"".to_string());
    format!("window.__TERN_DESKTOP_FONT__ = {literal};")
}

#[cfg(test)]
mod tests {
    use super::{css_font_family, font_script, gpu_wanted};

    #[test]
    fn font_families_fit_a_css_string_or_are_not_used() {
        for (family, kept) in [
            ("Cantarell", Some("Cantarell")),
            ("Sans", Some("sans-serif")),
            ("Sans Serif", Some("sans-serif")),
            ("Serif", Some("serif")),
            ("Monospace", Some("monospace")),
            (" Noto Sans ", Some("Noto Sans")),
            ("DejaVu Sans-Book_2.3", Some("DejaVu Sans-Book_2.3")),
            ("文泉驿正黑", Some("文泉驿正黑")),
            ("", None),
            ("Evil\"; } body { display: none", None),
            ("Back\\slash", None),
            ("Line\nbreak", None),
        ] {
            assert_eq!(css_font_family(family).as_deref(), kept, "{family:?}");
        }
        assert_eq!(css_font_family(&"x".repeat(65)), None);
        assert_eq!(
            font_script("Noto Sans"),
            "window.__TERN_DESKTOP_FONT__ = \"Noto Sans\";"
        );
    }

    #[test]
    fn only_a_yes_turns_the_gpu_on() {
        for (value, wanted) in [
            (None, false),
            (Some(""), false),
            (Some("0"), false),
            (Some("no"), false),
            (Some("1"), true),
            (Some(" yes "), true),
            (Some("TRUE"), true),
            (Some("on"), true),
        ] {
            assert_eq!(gpu_wanted(value), wanted, "{value:?}");
        }
    }
}
