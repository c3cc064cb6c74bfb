//! The write path's cross-request batches (see coalesce.rs): the reads of the initiatives
//! that mutations are about to change, and, on PostgreSQL, the guarded single writes with
//! their journals, many in one statement (`guarded::batch`).
//!
//! Each write in a batch keeps its own guard: it lands only if its row is still at the
//! version it was planned on, and each caller learns whether its own write landed. A write
//! never shares a statement with another write of the same row (PostgreSQL changes a row at
//! most once per statement): the second goes in a next statement of the same batch, as does
//! a write of other columns than the statement's. When a statement of several writes fails,
//! each write is tried again alone, so one bad write fails alone.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::initiative;
use sea_orm::sea_query::Values;
use sea_orm::sqlx::{self, AssertSqlSafe, Postgres, pool::PoolConnection};
use sea_orm::{
    ColumnTrait, ConnAcquireErr, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, IdenStatic, QueryFilter, QueryResult, QueryTrait, RuntimeErr,
    Statement,
};
use sea_query_sqlx::SqlxValues;

use super::guarded::{self, JournalRows, Row};
use super::journal::Journal;
use crate::coalesce::{Batching, Coalescer};
use crate::db::StatementCounter;
use crate::error::{AppError, AppResult};

/// Reads of initiatives: up to 64 ids in one `IN` list, one batch at a time. A read is short
/// next to the rest of a status change, so while one batch is out the next one fills: in
/// alternating M1 runs one batch in flight gave 5,085-5,226 req/s and two 4,782-4,846 (with
/// eight the batches stayed so small that little was saved).
const READS: Batching = Batching {
    name: "initiative_reads",
    max_batch: 64,
    in_flight: 1,
};

/// Guarded writes: up to 16 in one statement (a status change is ~30 values, so a batch
/// stays far below PostgreSQL's 65,535 parameters), one statement at a time. Two in flight
/// paid off while a batch was a CTE per row; as one UPDATE joined to its values a batch costs
/// little more for more rows, and in six alternating M1 runs one in flight used 7-24% less of
/// PostgreSQL's CPU per change and 0-13% less of the server's, for -5% to +16% req/s
/// (median +3%) and a lower p99 in five of them.
const WRITES: Batching = Batching {
    name: "guarded_writes",
    max_batch: 16,
    in_flight: 1,
};

/// A change of one row guarded by its version (see write/guarded.rs), with its journal.
pub struct GuardedWrite {
    /// The columns the change sets, in the order of `row.values`.
    pub columns: Vec<initiative::Column>,
    pub row: Row,
    pub journal: Journal,
    pub at: DateTime<Utc>,
}

/// The batches of one pool, started on first use (so a schema can be built outside a
/// runtime, as `regiograaf schema` does). Clones share the batches: every schema of the
/// service batches with the others.
#[derive(Clone)]
pub struct Batches {
    held: Arc<Held>,
    reads: Arc<OnceLock<Coalescer<i32, Option<initiative::Model>>>>,
    writes: Arc<OnceLock<Coalescer<GuardedWrite, bool>>>,
}

impl Batches {
    /// Batches over `db`, counting their statements in `statements` as the pool does.
    pub fn new(db: DatabaseConnection, statements: StatementCounter) -> Self {
        Batches {
            held: Arc::new(Held {
                db,
                statements,
                idle: Mutex::default(),
            }),
            reads: Arc::default(),
            writes: Arc::default(),
        }
    }

    /// The initiative with id `id`, read together with those other requests read now.
    pub async fn initiative(&self, id: i32) -> AppResult<Option<initiative::Model>> {
        let reads = self.reads.get_or_init(|| {
            let held = self.held.clone();
            Coalescer::start(READS, move |ids| read_initiatives(held.clone(), ids))
        });
        reads.run(id).await
    }

    /// Makes `write` with its journal; false when its row was no longer at the version it was
    /// planned on, and then nothing is written. On PostgreSQL it goes in one statement with
    /// the guarded writes of other requests made now; elsewhere (and for a journal too large
    /// for one statement) in a transaction of its own.
    pub async fn write(&self, write: GuardedWrite) -> AppResult<bool> {
        if !self.held.postgres() || !write.journal.fits_guarded_statement() {
            return write
                .journal
                .flush_guarded(&self.held.db, write.row.single(&write.columns), write.at)
                .await;
        }
        let writes = self.writes.get_or_init(|| {
            let held = self.held.clone();
            Coalescer::start(WRITES, move |batch| write_guarded(held.clone(), batch))
        });
        writes.run(write).await
    }
}

/// One `SELECT … WHERE id IN (…)` for every id of the batch.
async fn read_initiatives(
    held: Arc<Held>,
    ids: Vec<i32>,
) -> Vec<AppResult<Option<initiative::Model>>> {
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let select = initiative::Entity::find()
        .filter(initiative::Column::Id.is_in(distinct))
        .build(held.db.get_database_backend());
    let rows = held.rows(select).await.and_then(|rows| {
        rows.iter()
            .map(|row| initiative::Model::from_query_result(row, "").map_err(AppError::from))
            .collect::<AppResult<Vec<_>>>()
    });
    match rows {
        Ok(rows) => {
            let by_id: HashMap<i32, initiative::Model> =
                rows.into_iter().map(|row| (row.id, row)).collect();
            ids.iter().map(|id| Ok(by_id.get(id).cloned())).collect()
        }
        Err(err) => ids.iter().map(|_| Err(err.clone())).collect(),
    }
}

/// The guarded writes of a batch in as few statements as their rows and columns allow (see
/// the module doc); whether each changed its row.
async fn write_guarded(held: Arc<Held>, batch: Vec<GuardedWrite>) -> Vec<AppResult<bool>> {
    let mut outcome: Vec<Option<AppResult<bool>>> = (0..batch.len()).map(|_| None).collect();
    let mut pending: Vec<(usize, Prepared)> = batch
        .into_iter()
        .map(|write| Prepared {
            journal: write.journal.guarded_rows(write.at),
            columns: write.columns,
            row: write.row,
        })
        .enumerate()
        .collect();
    while !pending.is_empty() {
        let columns = pending[0].1.columns.clone();
        let mut rows = HashSet::new();
        let (mut now, later): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(_, write)| same(&write.columns, &columns) && rows.insert(write.row.id));
        pending = later;
        // Rows in id order: two statements at once (or a statement and a sync) lock the rows
        // they share in the same order and wait for each other instead of deadlocking.
        now.sort_by_key(|(_, write)| write.row.id);
        let writes: Vec<&Prepared> = now.iter().map(|(_, write)| write).collect();
        match changed(&held, &columns, &writes).await {
            Ok(changed) => {
                for (place, write) in &now {
                    outcome[*place] = Some(Ok(changed.contains(&write.row.id)));
                }
            }
            Err(err) if now.len() == 1 => outcome[now[0].0] = Some(Err(err)),
            Err(_) => {
                for (place, write) in &now {
                    let alone = changed(&held, &columns, &[write]).await;
                    outcome[*place] = Some(alone.map(|changed| !changed.is_empty()));
                }
            }
        }
    }
    outcome
        .into_iter()
        .map(|outcome| outcome.unwrap_or(Err(AppError::Internal)))
        .collect()
}

/// Whether two writes set the same columns in the same order.
fn same(one: &[initiative::Column], other: &[initiative::Column]) -> bool {
    one.len() == other.len() && one.iter().zip(other).all(|(a, b)| a.as_str() == b.as_str())
}

/// A guarded write with its journal as rows to insert.
struct Prepared {
    columns: Vec<initiative::Column>,
    row: Row,
    journal: JournalRows,
}

/// Runs `writes` (all setting `columns`) as one statement: the ids of the rows it changed.
async fn changed(
    held: &Held,
    columns: &[initiative::Column],
    writes: &[&Prepared],
) -> AppResult<HashSet<i32>> {
    let writes: Vec<(&Row, &JournalRows)> = writes
        .iter()
        .map(|write| (&write.row, &write.journal))
        .collect();
    let rows = held.rows(guarded::batch(columns, &writes)?).await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<i32>("", "id")?))
        .collect()
}

/// A connection kept idle longer than this goes back to the pool, which tests it before its
/// next use (see db.rs): the server or a firewall may have dropped it meanwhile.
const IDLE: Duration = Duration::from_secs(1);

/// A connection kept this long since it came from the pool goes back to it even when busy,
/// so that the pool's own rules reach it: the pool closes one past its maximum lifetime
/// (30 minutes) as it comes back, which a connection kept under steady load never would.
const KEPT_AT_MOST: Duration = Duration::from_secs(60);

/// A kept connection: when it came from the pool, and since when it waits for a batch.
struct Kept {
    connection: PoolConnection<Postgres>,
    taken: Instant,
    idle_since: Instant,
}

impl Kept {
    /// Whether it may run the next batch without going back to the pool first.
    fn fresh(&self) -> bool {
        let idle = self.idle_since.elapsed();
        idle < IDLE && self.taken.elapsed() < KEPT_AT_MOST && !crate::db::idle_since_lost(idle)
    }
}

/// The connections the batches run on, kept from one batch to the next on PostgreSQL.
///
/// sqlx tests a connection with a round trip to the server each time it goes back to the
/// pool: with a batch every few hundred microseconds, that was a second round trip for every
/// statement of a status change (`return_to_pool` in a profile of M1). A connection whose
/// statement failed goes back to the pool, which tests it there and drops it if broken.
struct Held {
    db: DatabaseConnection,
    statements: StatementCounter,
    /// At most one per batch in flight: a batch takes one and puts it back after.
    idle: Mutex<Vec<Kept>>,
}

impl Held {
    fn postgres(&self) -> bool {
        self.db.get_database_backend() == DatabaseBackend::Postgres
    }

    /// The rows of `statement`: on PostgreSQL over a kept connection, elsewhere through the
    /// pool.
    async fn rows(&self, statement: Statement) -> AppResult<Vec<QueryResult>> {
        if !self.postgres() {
            return Ok(self.db.query_all_raw(statement).await?);
        }
        let kept = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let (mut connection, taken) = match kept {
            Some(kept) if kept.fresh() => (kept.connection, kept.taken),
            // One that is not goes back to the pool as it is dropped here: the pool tests it,
            // or closes it when it has lived long enough.
            _ => (
                self.db
                    .get_postgres_connection_pool()
                    .acquire()
                    .await
                    .map_err(acquire_error)?,
                Instant::now(),
            ),
        };
        self.statements.count();
        let values = statement.values.unwrap_or(Values(Vec::new()));
        let rows = sqlx::query_with(AssertSqlSafe(statement.sql.as_str()), SqlxValues(values))
            .fetch_all(&mut *connection)
            .await
            .map_err(|err| DbErr::Query(RuntimeErr::SqlxError(Arc::new(err))))?;
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Kept {
                connection,
                taken,
                idle_since: Instant::now(),
            });
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}

/// A failure to take a connection from the pool, as sea-orm reports it (see error.rs).
fn acquire_error(err: sqlx::Error) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        err => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))),
    }
}
