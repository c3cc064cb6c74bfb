//! Partner sync: many initiatives in one call, keyed by the partner's own references.
//!
//! A partner system knows its initiatives by its own ids. An item names one by the caller's
//! `externalRef` (remembered per organisation), or, when asked, by the initiative's code the
//! first time; an unknown item with an agenda, code and title creates the initiative. Every
//! item gets its own outcome; the whole call is one transaction, so an interrupted sync
//! leaves all or none of its items. A replayed idempotency key returns the stored result and
//! applies nothing; a report older (`asOf`) than the stored one never overwrites it.

mod pass;

use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use self::pass::Pass;
use super::initiatives::Patch;
use super::{Actor, now, require_role};
use crate::auth::viewer::Relations;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// One item of a sync.
#[derive(Clone, Debug, Default)]
pub struct SyncItem {
    pub external_ref: String,
    pub code: Option<String>,
    pub agenda: Option<String>,
    pub title: Option<String>,
    pub patch: Patch,
    pub note: Option<String>,
    pub as_of: Option<DateTime<Utc>>,
    pub expected_version: Option<i32>,
}

/// What happened to an item.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// A new initiative was created.
    Created,
    /// The initiative was changed.
    Updated,
    /// The item matched what is stored: nothing to do.
    Unchanged,
    /// The item was based on an old version, or is older (`asOf`) than what is stored.
    Conflict,
    /// The caller may not change this initiative.
    Forbidden,
    /// The item is not valid: see its errors.
    Invalid,
}

/// Why an item was not applied.
#[derive(async_graphql::SimpleObject, Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemError {
    /// The stable error code (CONFLICT, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND).
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// The input path (`items.3.status`), when one field is at fault.
    pub field: Option<String>,
    /// For CONFLICT: the version now stored.
    pub current_version: Option<i32>,
}

/// The outcome of one item.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ItemResult {
    pub index: usize,
    pub external_ref: String,
    pub outcome: Outcome,
    pub initiative_id: Option<i32>,
    pub version: Option<i32>,
    pub errors: Vec<ItemError>,
}

/// The outcome of a sync.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SyncReport {
    pub items: Vec<ItemResult>,
    pub dry_run: bool,
    /// True when this is the stored result of an earlier call with the same key.
    pub replayed: bool,
}

/// How to find an initiative the caller has no reference for yet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Match items without a known reference on the initiative's code, and remember the
    /// reference.
    pub match_by_code: bool,
    pub dry_run: bool,
    /// The most items one call may carry.
    pub limit: usize,
}

/// A fingerprint of a sync request: its items and options, spelled out field by field (not
/// through `Debug`, so that it stays the same across versions of the service).
fn fingerprint(items: &[SyncItem], options: Options) -> String {
    use sha2::{Digest, Sha256};
    fn text(v: &Option<String>) -> Value {
        v.as_ref().map_or(Value::Null, |s| Value::from(s.as_str()))
    }
    fn cleared<T: Into<Value> + Clone>(v: &Option<Option<T>>) -> Value {
        match v {
            None => Value::from("(unchanged)"),
            Some(None) => Value::Null,
            Some(Some(v)) => v.clone().into(),
        }
    }
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            let p = &i.patch;
            json!([
                i.external_ref,
                text(&i.code),
                text(&i.agenda),
                text(&i.title),
                text(&i.note),
                i.as_of.map(|t| t.to_rfc3339()),
                i.expected_version,
                text(&p.title),
                cleared(&p.summary),
                p.status.map(|s| s.as_db()),
                p.visibility.map(|v| v.as_db()),
                cleared(&p.labour_saving),
                cleared(&p.starts),
                cleared(&p.ends),
                cleared(&p.timeline),
                cleared(&p.funding),
                cleared(&p.budget_eur),
                cleared(&p.internal_notes),
                cleared(&p.progress_notes),
            ])
        })
        .collect();
    let request = json!({
        "operation": "syncInitiatives",
        "matchByCode": options.match_by_code,
        "dryRun": options.dry_run,
        "items": items,
    });
    format!("{:x}", Sha256::digest(request.to_string().as_bytes()))
}

fn item_error(err: &AppError) -> (Outcome, ItemError) {
    let outcome = match err {
        AppError::Conflict { .. } => Outcome::Conflict,
        AppError::Forbidden { .. } | AppError::NotFound(_) | AppError::Unauthenticated(_) => {
            Outcome::Forbidden
        }
        _ => Outcome::Invalid,
    };
    let field = match err {
        AppError::BadUserInput { path, .. } => path.clone(),
        _ => None,
    };
    let current_version = match err {
        AppError::Conflict { current_version } => Some(*current_version),
        _ => None,
    };
    (
        outcome,
        ItemError {
            code: err.code().into(),
            message: err.message(),
            field,
            current_version,
        },
    )
}

/// Runs a sync for the caller.
pub async fn sync(
    db: &DatabaseConnection,
    viewer: &Viewer,
    relations: Option<&Relations>,
    actor: &Actor,
    items: Vec<SyncItem>,
    key: Option<String>,
    options: Options,
) -> AppResult<SyncReport> {
    require_role(viewer, Role::Editor)?;
    let org = viewer
        .org
        .as_ref()
        .map(|o| o.id)
        .ok_or_else(|| AppError::Unauthenticated("writing needs a bearer token".into()))?;
    if items.len() > options.limit {
        return Err(AppError::bad_input(
            "items",
            format!("at most {} items per call; split the sync", options.limit),
        ));
    }
    if let Some(key) = &key {
        if key.is_empty() || key.len() > 200 {
            return Err(AppError::bad_input("idempotencyKey", "1 to 200 characters"));
        }
        let stored = idempotency_key::Entity::find()
            .filter(idempotency_key::Column::PartyId.eq(org))
            .filter(idempotency_key::Column::Key.eq(key.as_str()))
            .one(db)
            .await?;
        if let Some(stored) = stored {
            if stored
                .request_hash
                .as_ref()
                .is_some_and(|h| *h != fingerprint(&items, options))
            {
                return Err(AppError::bad_input(
                    "idempotencyKey",
                    "this key was used for another request (other items or options); a retry must send the same request, and a new request needs a new key",
                ));
            }
            let mut report: SyncReport =
                serde_json::from_value(stored.response).map_err(|_| AppError::Internal)?;
            report.replayed = true;
            return Ok(report);
        }
    }
    let request_hash = key.as_ref().map(|_| fingerprint(&items, options));
    let txn = super::begin(db).await?;
    let now = now();
    let mut pass = Pass::read(&txn, viewer, relations, actor, org, options, now, &items).await?;
    for (index, item) in items.into_iter().enumerate() {
        pass.item(index, item).await?;
    }
    let (results, created, journal) = pass.finish().await?;
    let report = SyncReport {
        items: results,
        dry_run: options.dry_run,
        replayed: false,
    };
    if options.dry_run {
        txn.rollback().await?;
        return Ok(report);
    }
    // The leads, the references, the journal and the stored result: one pipeline of
    // multi-row inserts (see pipeline.rs).
    let backend = txn.get_database_backend();
    let stored = key.into_iter().map(|key| {
        let row = idempotency_key::ActiveModel {
            party_id: Set(org),
            key: Set(key),
            operation: Set("syncInitiatives".into()),
            response: Set(serde_json::to_value(&report).map_err(|_| AppError::Internal)?),
            created_at: Set(now),
            request_hash: Set(request_hash.clone()),
            ..Default::default()
        };
        Ok(backend.build(&super::journal::insert_rows(
            vec![row],
            backend == DatabaseBackend::Postgres,
        )?))
    });
    let statements = created
        .statements(backend)
        .chain(journal.statements(backend, now))
        .chain(stored);
    super::pipeline::run(&txn, statements, |_| Ok(())).await?;
    txn.commit().await?;
    Ok(report)
}
