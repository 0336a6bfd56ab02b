//! Logging for the app and the CLI alike: to stderr, filtered by `TERN_LOG` (default: warn).

/// Installs the tracing subscriber and the panic hook (call once, first thing in `main`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TERN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    quiet_contained_panics();
}

/// A panic the engine catches (the IMAP parser tripping over a hostile server's response:
/// it becomes an error for that connection) is not printed as a crash; every other panic is.
fn quiet_contained_panics() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if mail_engine::panic_is_contained() {
            tracing::debug!(%info, "a contained panic");
        } else {
            default_hook(info);
        }
    }));
}
