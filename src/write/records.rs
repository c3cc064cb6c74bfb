//! Writing the records of an agenda (and, for administrators, regions and parties) with one
//! generic create, update and delete, each checked, versioned and journalled like
//! initiatives.
//!
//! Who may write is decided by the record's agenda: the RSO of the agenda's region, calling
//! as coordinator, keeps its agendas; administrators keep everything, and alone keep regions,
//! parties and the national themes.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::str::FromStr;

use super::journal::{Entry, Journal, whole_record};
use super::{Actor, conflict, require_role};
use crate::auth::viewer::Relations;
use crate::auth::{Role, Viewer};
use crate::error::{AppError, AppResult};
use crate::policy::{self, InitiativeFacts, Rule};

/// Who keeps a record.
#[derive(Clone, Copy, Debug)]
pub enum Keeper {
    /// The coordinator of this agenda's region (and administrators).
    Agenda(i32),
    /// Administrators only.
    Admin,
}

/// Passes when the caller keeps records of `keeper`.
pub fn require_keeper(
    viewer: &Viewer,
    relations: Option<&Relations>,
    keeper: Keeper,
) -> AppResult<()> {
    require_role(viewer, Role::Coordinator)?;
    let allowed = match keeper {
        Keeper::Admin => viewer.is_admin(),
        Keeper::Agenda(agenda_id) => {
            viewer.is_admin()
                || policy::passes(
                    viewer,
                    relations,
                    Rule::RegionCoordinator,
                    InitiativeFacts { id: 0, agenda_id },
                )
        }
    };
    if allowed {
        return Ok(());
    }
    let rule = match keeper {
        Keeper::Admin => Rule::Admin,
        Keeper::Agenda(_) => Rule::RegionCoordinator,
    };
    Err(AppError::Forbidden {
        rule: rule.name(),
        message: format!("only {} change this", policy::describe(rule)),
    })
}

fn column<E: EntityTrait>(name: &str) -> AppResult<E::Column> {
    E::Column::from_str(name).map_err(|_| AppError::Internal)
}

pub(super) fn as_map<T: Serialize>(model: &T) -> Map<String, Value> {
    match serde_json::to_value(model) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Inserts a record of `entity` from `fields` (column names), journalled.
pub async fn create<E>(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    entity: &'static str,
    mut fields: Map<String, Value>,
    agenda_id: Option<i32>,
    now: DateTime<Utc>,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel:
        ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send + sea_orm::TryIntoModel<E::Model>,
{
    fields.insert("version".into(), json!(1));
    fields.insert("created_at".into(), json!(now));
    fields.insert("updated_at".into(), json!(now));
    fields.insert("asserted_by_id".into(), json!(actor.party_id));
    let mut model =
        E::ActiveModel::from_json(Value::Object(fields)).map_err(|_| AppError::Internal)?;
    model.not_set(column::<E>("id")?);
    let saved = model.insert(txn).await?;
    let after = as_map(&saved);
    let id = after.get("id").and_then(Value::as_i64).unwrap_or_default() as i32;
    let changes = whole_record(after, true);
    journal.record(
        actor,
        now,
        Entry {
            operation: "create",
            entity,
            record_id: id,
            initiative_id: None,
            agenda_id,
            changes,
        },
    );
    Ok(saved)
}

/// Applies `fields` (column names) to `row`, with the version check; returns the row after.
#[allow(clippy::too_many_arguments)]
pub async fn update<E>(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    entity: &'static str,
    row: E::Model,
    fields: Map<String, Value>,
    expected_version: Option<i32>,
    agenda_id: Option<i32>,
    now: DateTime<Utc>,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel:
        ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send + sea_orm::TryIntoModel<E::Model>,
{
    let before = as_map(&row);
    let id = before.get("id").and_then(Value::as_i64).unwrap_or_default() as i32;
    let version = before.get("version").and_then(Value::as_i64).unwrap_or(1) as i32;
    if let Some(expected) = expected_version
        && expected != version
    {
        return Err(conflict(version));
    }
    let changed: Map<String, Value> = fields
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect();
    if changed.is_empty() {
        return Ok(row);
    }
    let mut after = before.clone();
    after.extend(changed.clone());
    after.insert("version".into(), json!(version + 1));
    after.insert("updated_at".into(), json!(now));
    let model: E::Model =
        serde_json::from_value(Value::Object(after.clone())).map_err(|_| AppError::Internal)?;
    let mut update = E::update_many()
        .col_expr(column::<E>("version")?, Expr::val(version + 1))
        .col_expr(column::<E>("updated_at")?, Expr::val(now));
    let values = model.clone().into_active_model();
    for key in changed.keys() {
        let col = column::<E>(key)?;
        if let Some(value) = values.get(col).into_value() {
            update = update.col_expr(col, Expr::val(value));
        }
    }
    let result = update
        .filter(column::<E>("id")?.eq(id))
        .filter(column::<E>("version")?.eq(version))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(conflict(version + 1));
    }
    let changes = changed
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!([before.get(k).cloned().unwrap_or(Value::Null), v]),
            )
        })
        .collect();
    journal.record(
        actor,
        now,
        Entry {
            operation: "update",
            entity,
            record_id: id,
            initiative_id: None,
            agenda_id,
            changes,
        },
    );
    Ok(model)
}

/// Deletes `row`, with the version check.
#[allow(clippy::too_many_arguments)]
pub async fn delete<E>(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    entity: &'static str,
    row: E::Model,
    expected_version: Option<i32>,
    agenda_id: Option<i32>,
    now: DateTime<Utc>,
) -> AppResult<()>
where
    E: EntityTrait,
    E::Model: Serialize,
{
    let before = as_map(&row);
    let id = before.get("id").and_then(Value::as_i64).unwrap_or_default() as i32;
    let version = before.get("version").and_then(Value::as_i64).unwrap_or(1) as i32;
    if let Some(expected) = expected_version
        && expected != version
    {
        return Err(conflict(version));
    }
    let result = E::delete_many()
        .filter(column::<E>("id")?.eq(id))
        .filter(column::<E>("version")?.eq(version))
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(conflict(version + 1));
    }
    let changes = whole_record(before, false);
    journal.record(
        actor,
        now,
        Entry {
            operation: "delete",
            entity,
            record_id: id,
            initiative_id: None,
            agenda_id,
            changes,
        },
    );
    Ok(())
}

/// Adds (`add`) or removes the link row of `E` that `key` finds, inserting `fields` when
/// adding. The change is journalled on the record the link hangs from (`owner`, `owner_id`).
#[allow(clippy::too_many_arguments)]
pub async fn link<E>(
    txn: &impl ConnectionTrait,
    journal: &mut Journal,
    actor: &Actor,
    owner: &'static str,
    owner_id: i32,
    initiative_id: Option<i32>,
    agenda_id: Option<i32>,
    key: sea_orm::Condition,
    fields: Map<String, Value>,
    add: bool,
    now: DateTime<Utc>,
) -> AppResult<bool>
where
    E: EntityTrait,
    E::Model: Serialize + DeserializeOwned + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel:
        ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send + sea_orm::TryIntoModel<E::Model>,
{
    let existing = E::find().filter(key.clone()).one(txn).await?;
    let detail = Value::Object(fields.clone());
    let changed = match (add, existing) {
        (true, None) => {
            let mut row = fields;
            for k in ["source_document", "source_section", "note"] {
                row.insert(k.into(), Value::Null);
            }
            row.insert("version".into(), json!(1));
            row.insert("created_at".into(), json!(now));
            row.insert("updated_at".into(), json!(now));
            row.insert("asserted_by_id".into(), json!(actor.party_id));
            let mut model =
                E::ActiveModel::from_json(Value::Object(row)).map_err(|_| AppError::Internal)?;
            model.not_set(column::<E>("id")?);
            model.insert(txn).await?;
            true
        }
        (false, Some(_)) => {
            E::delete_many().filter(key).exec(txn).await?;
            true
        }
        _ => false,
    };
    if changed {
        let (before, after) = if add {
            (Value::Null, detail)
        } else {
            (detail, Value::Null)
        };
        let mut changes = Map::new();
        changes.insert(
            E::default().table_name().to_string(),
            json!([before, after]),
        );
        journal.record(
            actor,
            now,
            Entry {
                operation: if add { "link" } else { "unlink" },
                entity: owner,
                record_id: owner_id,
                initiative_id,
                agenda_id,
                changes,
            },
        );
    }
    Ok(changed)
}
