//! Logging: `tracing` to standard error, filtered by `RUST_LOG` (default `info`), as text or,
//! with `--log-format json`, one JSON object per line for log collectors. Every line logged
//! while a GraphQL request runs carries its request id (the `request` span).

use tracing_subscriber::EnvFilter;

/// Installs the text log subscriber once; later calls (tests) are ignored.
pub fn init() {
    init_with(false);
}

/// Installs the log subscriber once, as JSON lines when `json`.
pub fn init_with(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
