//! Writes: every change goes through here, inside one transaction with its audit entry, its
//! change-feed event and (for status and progress) its history row. A change of one
//! initiative's fields is one statement on PostgreSQL instead, shared with the changes other
//! requests make at the same moment (atomic all the same; see `guarded.rs`).
//!
//! The rules for writing are the policy's rules for reading plus a role: an organisation
//! edits what it takes part in with an `editor` role; it may only write a guarded field it may
//! read; and a write is checked again after it is made, so it cannot move a record out of the
//! caller's reach.

pub mod batches;
pub mod guarded;
pub mod initiatives;
pub mod journal;
pub mod pipeline;
pub mod records;
pub mod sync;

use chrono::{DateTime, Utc};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// Who writes, for the audit trail.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub party_id: Option<i32>,
    pub subject: Option<String>,
    pub token_id: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// The actor of a request by `viewer`.
    pub fn of(viewer: &Viewer, request_id: Option<String>) -> Self {
        Actor {
            party_id: viewer.org.as_ref().map(|o| o.id),
            subject: viewer.subject.clone(),
            token_id: viewer.token_id.clone(),
            request_id,
        }
    }
}

/// Writes need a token with at least `role`.
pub fn require_role(viewer: &Viewer, role: Role) -> AppResult<()> {
    if viewer.org.is_none() {
        return Err(AppError::Unauthenticated(
            "writing needs a bearer token".into(),
        ));
    }
    if viewer.role < role {
        return Err(AppError::Forbidden {
            rule: "ROLE",
            message: format!(
                "this needs the role {} or higher; the token has {}",
                role.as_str(),
                viewer.role.as_str()
            ),
        });
    }
    Ok(())
}

/// A stale `expectedVersion`: the current version travels in the error.
pub fn conflict(current: i32) -> AppError {
    AppError::Conflict {
        current_version: current,
    }
}

/// How often a change without an expected version is planned again when other writers keep
/// changing its row between its read and its write (with N writers at once a change finds
/// the row changed at most N-1 times in a row).
pub const WRITE_ATTEMPTS: u32 = 5;

/// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a transaction that reads before it writes would otherwise fail outright when
/// another writer commits in between (SQLite cannot move a reader's snapshot forward; a sync
/// beside single writes failed with INTERNAL); with it, writers wait their turn.
pub async fn begin(db: &DatabaseConnection) -> AppResult<DatabaseTransaction> {
    let immediate = db.get_database_backend() == DatabaseBackend::Sqlite;
    let options = TransactionOptions {
        isolation_level: None,
        access_mode: None,
        sqlite_transaction_mode: immediate.then_some(SqliteTransactionMode::Immediate),
    };
    Ok(db.begin_with_options(options).await?)
}

/// The moment now, for timestamps written in one transaction.
pub fn now() -> DateTime<Utc> {
    Utc::now()
}
