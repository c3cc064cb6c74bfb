//! Prometheus metrics at `/metrics`: requests by operation and organisation, their latency,
//! errors by code, and the database pool.
//!
//! The recorder is process-wide (the `metrics` facade has one), installed on first use.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets, in seconds, from 1 ms to 10 s.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's Prometheus handle, installing the recorder the first time.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&BUCKETS)
                .ok()?
                .install_recorder()
                .map_err(|err| tracing::warn!(%err, "metrics are off"))
                .ok()
        })
        .as_ref()
}

/// How often the latency samples recorded since are folded into the histograms.
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the recorder, and folds the latency samples into their histograms every few
/// seconds from a task of the current runtime. The recorder keeps each sample until then:
/// without it they piled up until the next scrape of /metrics, or for ever when nothing
/// scrapes (the server's RSS grew by 60 MB over two minutes of cached reads at 55,000 a
/// second). Call it once, from within the runtime that serves.
pub fn start() {
    let Some(handle) = handle() else { return };
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP);
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    });
}

/// Records one GraphQL request.
pub fn request(operation: &str, organisation: &str, elapsed: Duration, error_codes: &[String]) {
    metrics::counter!("regiograaf_requests_total", "operation" => operation.to_string(), "organisation" => organisation.to_string()).increment(1);
    metrics::histogram!("regiograaf_request_duration_seconds", "operation" => operation.to_string()).record(elapsed.as_secs_f64());
    for code in error_codes {
        metrics::counter!("regiograaf_errors_total", "code" => code.clone()).increment(1);
    }
}

/// Records an answer sent from the response cache (`hit`), kept in it (`kept`), or a request
/// that waited for another computing the same answer (`waited`).
pub fn response_cache(outcome: &'static str) {
    metrics::counter!("regiograaf_response_cache_total", "outcome" => outcome).increment(1);
}

/// Records a request refused before execution (a limit, a bad token).
pub fn refused(code: &str) {
    metrics::counter!("regiograaf_errors_total", "code" => code.to_string()).increment(1);
}

/// The Prometheus text, with the pool's current state.
pub fn render(db: &DatabaseConnection) -> String {
    let (size, idle) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    metrics::gauge!("regiograaf_db_pool_connections", "state" => "open").set(size as f64);
    metrics::gauge!("regiograaf_db_pool_connections", "state" => "idle").set(idle as f64);
    handle().map(|h| h.render()).unwrap_or_default()
}
