//! Partner sync: many initiatives in one call, keyed by the partner's own references.
//!
//! A partner system knows its initiatives by its own ids. An item names one by the caller's
//! `externalRef` (remembered per organisation), or, when asked, by the initiative's code the
//! first time; an unknown item with an agenda, code and title creates the initiative. Every
//! item gets its own outcome; the whole call is one transaction, so an interrupted sync
//! leaves all or none of its items. A replayed idempotency key returns the stored result and
//! applies nothing; a report older (`asOf`) than the stored one never overwrites it.

use chrono::{DateTime, Utc};
use entity::{agenda, idempotency_key, initiative, initiative_party, initiative_ref};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

use super::initiatives::{self as write, Applied, NewInitiative, Patch};
use super::journal::Journal;
use super::{Actor, WRITE_ATTEMPTS, now, require_role};
use crate::auth::viewer::Relations;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};

/// Rows per `IN (...)` lookup.
const CHUNK: usize = 500;

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
    let mut journal = Journal::default();

    // Everything the items refer to, in a few statements.
    let refs: Vec<String> = items.iter().map(|i| i.external_ref.clone()).collect();
    let mut by_ref: HashMap<String, i32> = HashMap::new();
    for chunk in refs.chunks(CHUNK) {
        let found: Vec<(String, i32)> = initiative_ref::Entity::find()
            .select_only()
            .column(initiative_ref::Column::ExternalRef)
            .column(initiative_ref::Column::InitiativeId)
            .filter(initiative_ref::Column::PartyId.eq(org))
            .filter(initiative_ref::Column::ExternalRef.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&txn)
            .await?;
        by_ref.extend(found);
    }
    let codes: Vec<String> = items
        .iter()
        .filter(|i| !by_ref.contains_key(&i.external_ref))
        .filter_map(|i| i.code.clone())
        .collect();
    let mut by_code: HashMap<String, i32> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        let found: Vec<(String, i32)> = initiative::Entity::find()
            .select_only()
            .column(initiative::Column::Code)
            .column(initiative::Column::Id)
            .filter(initiative::Column::Code.is_in(chunk.to_vec()))
            .into_tuple()
            .all(&txn)
            .await?;
        by_code.extend(found);
    }
    let wanted: Vec<i32> = by_ref
        .values()
        .chain(by_code.values())
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut rows: HashMap<i32, initiative::Model> = HashMap::new();
    for chunk in wanted.chunks(CHUNK) {
        for row in initiative::Entity::find()
            .filter(initiative::Column::Id.is_in(chunk.to_vec()))
            .all(&txn)
            .await?
        {
            rows.insert(row.id, row);
        }
    }
    let agendas: HashMap<String, i32> = agenda::Entity::find()
        .select_only()
        .column(agenda::Column::Code)
        .column(agenda::Column::Id)
        .into_tuple::<(String, i32)>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();

    let mut seen_refs = HashSet::new();
    let mut created = Created::default();
    let mut results = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let path = format!("items.{index}");
        let mut result = ItemResult {
            index,
            external_ref: item.external_ref.clone(),
            outcome: Outcome::Unchanged,
            initiative_id: None,
            version: None,
            errors: Vec::new(),
        };
        let outcome = apply_item(
            &txn,
            &mut journal,
            actor,
            viewer,
            relations,
            org,
            &path,
            index,
            item,
            &mut seen_refs,
            &mut created,
            &by_ref,
            &by_code,
            &mut rows,
            &agendas,
            options,
            now,
        )
        .await;
        match outcome {
            Ok(None) => {
                // Created, inserted with the others after the loop.
                result.outcome = Outcome::Created;
            }
            Ok(Some((outcome, row))) => {
                result.outcome = outcome;
                result.initiative_id = Some(row.id);
                result.version = Some(row.version);
                rows.insert(row.id, row);
            }
            Err(err) if matches!(err, AppError::Internal | AppError::Unavailable) => {
                return Err(err);
            }
            Err(err) => {
                let (outcome, error) = item_error(&err);
                result.outcome = outcome;
                result.errors.push(error);
            }
        }
        results.push(result);
    }
    // The new initiatives of the call, a few hundred per statement (PostgreSQL).
    let pending = std::mem::take(&mut created.pending);
    for chunk in pending.chunks(CHUNK) {
        let inserted = initiative::Entity::insert_many(chunk.iter().map(|p| p.row.clone()))
            .exec_with_returning(&txn)
            .await?;
        let by_code: HashMap<&str, &initiative::Model> =
            inserted.iter().map(|m| (m.code.as_str(), m)).collect();
        for p in chunk {
            let model = by_code.get(p.code.as_str()).ok_or(AppError::Internal)?;
            let lead = write::journal_new(&mut journal, actor, org, model, now);
            created.leads.push(lead);
            created
                .refs
                .push(reference(org, &p.external_ref, model.id, now));
            results[p.index].initiative_id = Some(model.id);
            results[p.index].version = Some(model.version);
        }
    }
    let report = SyncReport {
        items: results,
        dry_run: options.dry_run,
        replayed: false,
    };
    if options.dry_run {
        txn.rollback().await?;
        return Ok(report);
    }
    created.insert(&txn).await?;
    journal.flush(&txn, now).await?;
    if let Some(key) = key {
        idempotency_key::ActiveModel {
            party_id: Set(org),
            key: Set(key),
            operation: Set("syncInitiatives".into()),
            response: Set(serde_json::to_value(&report).map_err(|_| AppError::Internal)?),
            created_at: Set(now),
            request_hash: Set(request_hash),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
async fn apply_item(
    txn: &sea_orm::DatabaseTransaction,
    journal: &mut Journal,
    actor: &Actor,
    viewer: &Viewer,
    relations: Option<&Relations>,
    org: i32,
    path: &str,
    index: usize,
    item: SyncItem,
    seen_refs: &mut HashSet<String>,
    created: &mut Created,
    by_ref: &HashMap<String, i32>,
    by_code: &HashMap<String, i32>,
    rows: &mut HashMap<i32, initiative::Model>,
    agendas: &HashMap<String, i32>,
    options: Options,
    now: DateTime<Utc>,
) -> AppResult<Option<(Outcome, initiative::Model)>> {
    if item.external_ref.trim().is_empty() || item.external_ref.len() > 200 {
        return Err(AppError::bad_input(
            format!("{path}.externalRef"),
            "1 to 200 characters",
        ));
    }
    if !seen_refs.insert(item.external_ref.clone()) {
        return Err(AppError::bad_input(
            format!("{path}.externalRef"),
            "appears twice in this call",
        ));
    }
    item.patch.validate(path)?;
    if let Some(title) = &item.title
        && (title.trim().is_empty() || title.chars().count() > 500)
    {
        return Err(AppError::bad_input(
            format!("{path}.title"),
            "1 to 500 characters",
        ));
    }
    let known = by_ref.get(&item.external_ref).copied();
    let matched = match (known, options.match_by_code, &item.code) {
        (None, true, Some(code)) => by_code.get(code).copied(),
        _ => None,
    };
    let Some(id) = known.or(matched) else {
        // Unknown: create it.
        let (Some(agenda), Some(code), Some(title)) = (&item.agenda, &item.code, &item.title)
        else {
            return Err(AppError::bad_input(
                format!("{path}.externalRef"),
                "unknown reference: give agenda, code and title to create the initiative, or matchBy CODE to find it",
            ));
        };
        let agenda_id = *agendas.get(agenda).ok_or_else(|| {
            AppError::bad_input(format!("{path}.agenda"), format!("no agenda `{agenda}`"))
        })?;
        // The codes of all unknown references were read before the loop, and the codes
        // created in this call are remembered: no statement per item to check it is free.
        if by_code.contains_key(code) || !created.codes.insert(code.clone()) {
            return Err(AppError::bad_input(
                format!("{path}.code"),
                format!("`{code}` is taken"),
            ));
        }
        let mut patch = item.patch.clone();
        patch.title = None;
        let new = NewInitiative {
            agenda_id,
            code: code.clone(),
            title: title.clone(),
            patch,
        };
        let row = write::prepare_new(viewer, relations, &new, now).inspect_err(|_| {
            created.codes.remove(code);
        })?;
        if sea_orm::ConnectionTrait::get_database_backend(txn) == sea_orm::DatabaseBackend::Postgres
        {
            // Inserted with the call's other new initiatives after the loop.
            created.pending.push(Pending {
                index,
                code: code.clone(),
                external_ref: item.external_ref.clone(),
                row,
            });
            return Ok(None);
        }
        // SQLite (whose RETURNING sea-orm does not use here): one at a time.
        let model = row.insert(txn).await?;
        created
            .leads
            .push(write::journal_new(journal, actor, org, &model, now));
        created
            .refs
            .push(reference(org, &item.external_ref, model.id, now));
        return Ok(Some((Outcome::Created, model)));
    };
    let mut row = rows
        .get(&id)
        .cloned()
        .ok_or_else(|| AppError::NotFound("the initiative no longer exists".into()))?;
    let mut patch = item.patch;
    patch.title = item.title;
    // A single write may land between the read of the rows and this item's update. Without
    // `expectedVersion` the partner asked for its report to win: plan it again on the row as
    // it is now (each other writer can come first at most once).
    let mut attempts = 0;
    let applied = loop {
        attempts += 1;
        write::check_not_older(item.as_of, &row)?;
        let planned = write::plan_patch(
            viewer,
            relations,
            row,
            &patch,
            item.expected_version,
            item.note.clone(),
            item.as_of.or(Some(now)),
            now,
        )?;
        match planned.apply(txn, journal, actor).await {
            Err(AppError::Conflict { .. })
                if item.expected_version.is_none() && attempts < WRITE_ATTEMPTS =>
            {
                row = initiative::Entity::find_by_id(id)
                    .one(txn)
                    .await?
                    .ok_or_else(|| AppError::NotFound("the initiative no longer exists".into()))?;
            }
            other => break other?,
        }
    };
    if known.is_none() {
        reference(org, &item.external_ref, id, now)
            .insert(txn)
            .await?;
    }
    Ok(Some(match applied {
        Applied::Unchanged(row) => (Outcome::Unchanged, row),
        Applied::Updated(row) => (Outcome::Updated, row),
    }))
}

/// The caller's reference for an initiative, to insert.
fn reference(
    org: i32,
    external_ref: &str,
    initiative_id: i32,
    now: DateTime<Utc>,
) -> initiative_ref::ActiveModel {
    initiative_ref::ActiveModel {
        party_id: Set(org),
        external_ref: Set(external_ref.to_string()),
        initiative_id: Set(initiative_id),
        created_at: Set(now),
        ..Default::default()
    }
}

/// What the created items of a call leave to insert together at its end: their leads'
/// participations and the caller's references (multi-row inserts, not two statements per
/// item), and the codes they took.
#[derive(Default)]
struct Created {
    leads: Vec<initiative_party::ActiveModel>,
    refs: Vec<initiative_ref::ActiveModel>,
    codes: HashSet<String>,
    pending: Vec<Pending>,
}

/// A new initiative checked and built, waiting to be inserted with the others.
struct Pending {
    /// The item's place in the call.
    index: usize,
    code: String,
    external_ref: String,
    row: initiative::ActiveModel,
}

impl Created {
    async fn insert(self, txn: &sea_orm::DatabaseTransaction) -> AppResult<()> {
        for chunk in self.leads.chunks(CHUNK) {
            initiative_party::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        for chunk in self.refs.chunks(CHUNK) {
            initiative_ref::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}
