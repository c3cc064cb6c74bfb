//! The write path's cross-request batches (see coalesce.rs): the reads of the initiatives
//! that mutations are about to change, and, on PostgreSQL, the guarded single writes
//! (`Journal::guarded_ctes`), many in one statement.
//!
//! Each write in a batch keeps its own guard: it lands only if its row is still at the
//! version it was planned on, and each caller learns whether its own write landed. A write
//! never shares a statement with another write of the same row (PostgreSQL changes a row at
//! most once per statement): the second goes in a next statement of the same batch. When a
//! statement of several writes fails, each write is tried again alone, so one bad write
//! fails alone.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use entity::initiative;
use sea_orm::sea_query::UpdateStatement;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
};

use super::journal::{GuardedCtes, Journal, guarded_statement};
use crate::coalesce::{Batching, Coalescer};
use crate::error::{AppError, AppResult};

/// Reads of initiatives: up to 64 ids in one `IN` list. Two batches at once kept both cores
/// busy on the M1 benchmark; with one, requests waited on an idle machine, and with eight the
/// batches stayed so small that little was saved.
const READS: Batching = Batching {
    name: "initiative_reads",
    max_batch: 64,
    in_flight: 2,
};

/// Guarded writes: up to 16 in one statement (a status change is ~30 values, so a batch
/// stays far below PostgreSQL's 65,535 parameters).
const WRITES: Batching = Batching {
    name: "guarded_writes",
    max_batch: 16,
    in_flight: 2,
};

/// A change of one row guarded by its version (see `Journal::flush_guarded`), with its
/// journal.
pub struct GuardedWrite {
    /// The id of the row the guard changes.
    pub row: i32,
    pub guard: UpdateStatement,
    pub journal: Journal,
    pub at: DateTime<Utc>,
}

/// The batches of one pool, started on first use (so a schema can be built outside a
/// runtime, as `regiograaf schema` does).
pub struct Batches {
    db: DatabaseConnection,
    reads: OnceLock<Coalescer<i32, Option<initiative::Model>>>,
    writes: OnceLock<Coalescer<GuardedWrite, bool>>,
}

impl Batches {
    pub fn new(db: DatabaseConnection) -> Self {
        Batches {
            db,
            reads: OnceLock::new(),
            writes: OnceLock::new(),
        }
    }

    /// The initiative with id `id`, read together with those other requests read now.
    pub async fn initiative(&self, id: i32) -> AppResult<Option<initiative::Model>> {
        let reads = self.reads.get_or_init(|| {
            let db = self.db.clone();
            Coalescer::start(READS, move |ids| read_initiatives(db.clone(), ids))
        });
        reads.run(id).await
    }

    /// Makes `write` with its journal; false when its row was no longer at the version it was
    /// planned on, and then nothing is written. On PostgreSQL it goes in one statement with
    /// the guarded writes of other requests made now; elsewhere (and for a journal too large
    /// for one statement) in a transaction of its own.
    pub async fn write(&self, write: GuardedWrite) -> AppResult<bool> {
        if self.db.get_database_backend() != DatabaseBackend::Postgres
            || !write.journal.fits_guarded_statement()
        {
            return write
                .journal
                .flush_guarded(&self.db, write.guard, write.at)
                .await;
        }
        let writes = self.writes.get_or_init(|| {
            let db = self.db.clone();
            Coalescer::start(WRITES, move |batch| write_guarded(db.clone(), batch))
        });
        writes.run(write).await
    }
}

/// One `SELECT … WHERE id IN (…)` for every id of the batch.
async fn read_initiatives(
    db: DatabaseConnection,
    ids: Vec<i32>,
) -> Vec<AppResult<Option<initiative::Model>>> {
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    match initiative::Entity::find()
        .filter(initiative::Column::Id.is_in(distinct))
        .all(&db)
        .await
    {
        Ok(rows) => {
            let by_id: HashMap<i32, initiative::Model> =
                rows.into_iter().map(|row| (row.id, row)).collect();
            ids.iter().map(|id| Ok(by_id.get(id).cloned())).collect()
        }
        Err(err) => {
            let err = AppError::from(err);
            ids.iter().map(|_| Err(err.clone())).collect()
        }
    }
}

/// The guarded writes of a batch in as few statements as their rows allow (see the module
/// doc); whether each changed its row.
async fn write_guarded(db: DatabaseConnection, batch: Vec<GuardedWrite>) -> Vec<AppResult<bool>> {
    let mut outcome: Vec<Option<AppResult<bool>>> = (0..batch.len()).map(|_| None).collect();
    let mut pending: Vec<(i32, usize, GuardedCtes)> = batch
        .into_iter()
        .enumerate()
        .map(|(place, write)| {
            let ctes = write.journal.guarded_ctes(write.guard, write.at);
            (write.row, place, ctes)
        })
        .collect();
    while !pending.is_empty() {
        let mut rows = HashSet::new();
        let (mut now, later): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|(row, ..)| rows.insert(*row));
        pending = later;
        // Rows in id order: two statements at once (or a statement and a sync) lock the rows
        // they share in the same order and wait for each other instead of deadlocking.
        now.sort_by_key(|(row, ..)| *row);
        let writes: Vec<&GuardedCtes> = now.iter().map(|(.., ctes)| ctes).collect();
        match changed(&db, &writes).await {
            Ok(changed) => {
                for (position, (_, place, _)) in now.iter().enumerate() {
                    outcome[*place] = Some(Ok(changed.contains(&position)));
                }
            }
            Err(err) if now.len() == 1 => outcome[now[0].1] = Some(Err(err)),
            Err(_) => {
                for (_, place, write) in &now {
                    let alone = changed(&db, &[write]).await;
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

/// Runs `writes` as one statement: the positions in `writes` of those that changed their row.
async fn changed(db: &DatabaseConnection, writes: &[&GuardedCtes]) -> AppResult<HashSet<usize>> {
    let rows = db.query_all_raw(guarded_statement(writes)?).await?;
    let mut positions = HashSet::new();
    for row in rows {
        let position: i32 = row.try_get("", "place")?;
        positions.insert(position as usize);
    }
    Ok(positions)
}
