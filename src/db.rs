//! Connecting to the database, migrating it, and counting the statements it runs.
//!
//! SQLite (a file, created on first use) is the embedded default so that `cargo run` needs no
//! set-up; PostgreSQL is the production database. Both run the same migrations.

use crate::error::AppResult;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The database URL used when none is given: a file in the `data` directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/regiograaf.sqlite?mode=rwc";

/// Counts the SQL statements a connection pool has run, so tests and benchmarks can show that
/// a query's cost depends on its depth and not on how many rows it returns.
#[derive(Clone, Default, Debug)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// The number of statements run since the pool was opened.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Counts one statement, here and at /metrics (the benchmark reports statements per
    /// request from there).
    pub fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("regiograaf_sql_statements_total").increment(1);
    }
}

/// An open pool and its statement counter.
#[derive(Clone, Debug)]
pub struct Db {
    pub conn: DatabaseConnection,
    pub statements: StatementCounter,
}

/// Opens a pool on `url` with the default statement timeout.
pub async fn connect(url: &str) -> AppResult<Db> {
    connect_with(url, Duration::from_secs(15)).await
}

/// Opens a pool on `url`; for an SQLite file, creates its directory first. On PostgreSQL no
/// statement runs longer than `statement_timeout`.
pub async fn connect_with(url: &str, statement_timeout: Duration) -> AppResult<Db> {
    if let Some(path) = sqlite_file(url)
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|err| {
            tracing::error!(%err, dir = %dir.display(), "cannot create the database directory");
            crate::error::AppError::Internal
        })?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings a connection when it goes back to the pool (a broken one is dropped
        // there) and, by default, again when it is taken out: a round trip per statement,
        // which a profile of a status change showed as 7% of the server's CPU and as much of
        // PostgreSQL's. Only a connection left idle long enough to have been dropped by the
        // server or a firewall is tested before use.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        // ... and one that went idle before the server was last seen to end a connection:
        // after a restart all of them are gone, and each would fail a request of its own.
        .map_sqlx_postgres_before_acquire(|conn, meta| {
            Box::pin(async move {
                if idle_since_lost(meta.idle_for) {
                    sea_orm::sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .sqlx_logging(false);
    if url.starts_with("postgres") {
        options.statement_timeout(statement_timeout);
    }
    let mut conn = Database::connect(options).await?;
    let statements = StatementCounter::default();
    let counter = statements.clone();
    conn.set_metric_callback(move |_| counter.count());
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // WAL lets readers proceed while a writer commits; it is stored in the file, so setting it
        // on one connection covers the pool (sqlx already turns on foreign keys per connection).
        conn.execute_unprepared("PRAGMA journal_mode = WAL;")
            .await?;
    }
    Ok(Db { conn, statements })
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// The path of an SQLite database file named by `url`, if it names one.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// When this process last saw the database end one of its connections (nanoseconds after
/// `EPOCH`; 0 for never). A connection kept idle since before then is tested before it is
/// used again: a restarted or failed-over server has ended them all, and without the test
/// each would fail one request. It is one mark for the process, not one per pool, because
/// the error that reveals a lost connection (error.rs) knows nothing of its pool; a mark
/// from another pool costs at most one round trip per idle connection.
static LOST: AtomicU64 = AtomicU64::new(0);
static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Notes that the database ended a connection now (see `LOST`).
pub fn connection_lost() {
    let epoch = *EPOCH.get_or_init(Instant::now);
    let since = u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
    LOST.fetch_max(since.max(1), Ordering::Relaxed);
}

/// Whether a connection idle for `idle_for` has been idle since before a connection was last
/// lost, so it may be gone too.
pub fn idle_since_lost(idle_for: Duration) -> bool {
    let lost = LOST.load(Ordering::Relaxed);
    let Some(epoch) = EPOCH.get().filter(|_| lost != 0) else {
        return false;
    };
    let lost_after = Duration::from_nanos(lost);
    epoch.elapsed().saturating_sub(idle_for) <= lost_after
}
