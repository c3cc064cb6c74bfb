//! Building and running the service: connect, migrate, load the bundled agendas into an empty
//! database, and serve the router.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::auth::Trust;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::graphql::build_schemas;
use crate::http::{AppState, router};
use crate::notify::Notifier;

/// How to start the service.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The database to use (SQLite file or PostgreSQL URL).
    pub database_url: String,
    /// The address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Load the bundled agendas when the database holds none.
    pub seed: bool,
    /// The trusted issuers and what anonymous callers may do; replaceable while the service
    /// runs (`SIGHUP` reads its file again).
    pub auth: std::sync::Arc<Trust>,
    /// What one request may ask and how often.
    pub limits: crate::limits::Limits,
    /// Browser origins allowed to call the API.
    pub cors_origins: Vec<String>,
}

/// A bound, ready service.
pub struct App {
    listener: TcpListener,
    state: AppState,
    /// The database pool, with its statement counter.
    pub db: Db,
}

impl App {
    /// Connects, migrates, seeds an empty database and binds the listener.
    pub async fn build(settings: &Settings) -> Result<App, String> {
        let db = db::connect(&settings.database_url)
            .await
            .map_err(describe)?;
        db::migrate(&db.conn).await.map_err(describe)?;
        if settings.seed {
            let report = crate::dataset::seed_if_empty(&db.conn)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(report) = report {
                tracing::info!(%report, "loaded the bundled agendas into the empty database");
            }
        }
        crate::metrics::start();
        let notifier = Notifier::default();
        if settings.database_url.starts_with("postgres") {
            let listening = notifier.listen_postgres(settings.database_url.clone());
            // Serve once other instances' writes are heard (the caches follow them); a
            // listener that cannot connect yet keeps retrying in the background.
            if tokio::time::timeout(std::time::Duration::from_secs(5), listening)
                .await
                .is_err()
            {
                tracing::warn!("not yet listening for other instances' writes; serving anyway");
            }
        }
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
        // One cost budget for every schema and for the answers the response cache gives.
        let cost = crate::limits::CostBudget::new(&settings.limits);
        let batches = crate::write::batches::Batches::new(db.conn.clone(), db.statements.clone());
        let shared = crate::graphql::Shared {
            db: db.conn.clone(),
            batches,
            notifier: notifier.clone(),
        };
        let schema = |cost: Option<crate::limits::CostBudget>, suggestions: bool| {
            build_schemas(&shared, &settings.limits, cost, suggestions)
        };
        let with_token = schema(None, true);
        // Read from a schema built here rather than one more built only for its SDL.
        let input_types = crate::graphql::input_types::InputTypes::of_sdl(&with_token.strict.sdl());
        let state = AppState {
            schema: with_token,
            schema_anonymous: schema(None, false),
            metering: schema(Some(cost.metering()), false),
            schema_websocket: schema(Some(cost.clone()), true),
            input_types: std::sync::Arc::new(input_types),
            cost,
            responses: std::sync::Arc::new(crate::http::ResponseCache::new(
                notifier.clone(),
                settings.limits.response_cache_bytes,
            )),
            callers: std::sync::Arc::new(crate::auth::cache::CallerCache::new(notifier)),
            documents: std::sync::Arc::default(),
            limits: std::sync::Arc::new(settings.limits.clone()),
            rates: crate::limits::RateLimits::new(&settings.limits),
            executing: std::sync::Arc::new(tokio::sync::Semaphore::new(
                settings.limits.max_concurrent.max(1),
            )),
            cors_origins: settings.cors_origins.clone(),
            operations: crate::operations::Operations::default(),
            db: db.conn.clone(),
            trust: settings.auth.clone(),
        };
        Ok(App {
            listener,
            state,
            db,
        })
    }

    /// The address the service listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until Ctrl-C or SIGTERM, letting in-flight requests finish; on SIGHUP reads the
    /// authentication file again (see `auth::trust`).
    pub async fn run(self) -> Result<(), String> {
        tokio::spawn(reload_on_hangup(self.state.trust.clone()));
        axum::serve(
            self.listener,
            router(self.state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"))
    }
}

fn describe(err: AppError) -> String {
    match err {
        AppError::Unavailable => {
            "cannot reach the database (is it running, and is the URL right?)".into()
        }
        other => other.message(),
    }
}

/// Reads the authentication file again at every SIGHUP, for as long as the process runs.
async fn reload_on_hangup(trust: std::sync::Arc<Trust>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            return;
        };
        while hangups.recv().await.is_some() {
            match trust.reload() {
                Ok(true) => {
                    tracing::info!(auth = ?trust.config(), "read the authentication file again")
                }
                Ok(false) => tracing::warn!("SIGHUP: no --auth-config file to read again"),
                Err(why) => tracing::error!(
                    %why,
                    "SIGHUP: the authentication file does not read; the configuration before it stays"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    drop(trust);
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down, letting in-flight requests finish");
}
