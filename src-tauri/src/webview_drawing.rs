//! How the window's web view draws: without GPU compositing unless the person asks for it.
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

#[cfg(test)]
mod tests {
    use super::gpu_wanted;

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
