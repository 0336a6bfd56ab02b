//! Logging for the app and the CLI alike: to stderr, filtered by `TERN_LOG` (default: warn).

/// Installs the tracing subscriber (call once, first thing in `main`).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TERN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}
