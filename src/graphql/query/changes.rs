//! Reading what changed: the change feed partners poll, and the audit trail.
//!
//! The feed is ordered by the writing transaction (`txid` on PostgreSQL, then the event's
//! sequence number). A reader only gets events of transactions older than the oldest one
//! still running, so an event that commits late can never land behind a cursor a reader has
//! already passed: resuming from the last cursor misses nothing. On SQLite, writers take
//! turns, and the sequence alone is commit order.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::{audit_entry, change_event, initiative};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde_json::Value;

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::graphql::filter::resolve_opt;
use crate::graphql::loaders::rows_by_ids;
use crate::graphql::types::{AuditEntry, FieldChange, Initiative, loaders};
use crate::ids::{Kind, global_id};
use crate::policy::{self, InitiativeFacts};

const MAX: i32 = 1_000;

/// What happened to a record, as far as the caller may know.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOperation {
    /// Created or changed, and visible to the caller: `initiative` holds it now.
    Upsert,
    /// Deleted.
    Delete,
    /// Changed, but no longer (or not) visible to the caller: forget what you hold of it.
    Hidden,
}

/// One change of the feed.
#[derive(SimpleObject)]
pub struct ChangeEvent {
    /// Resume after this event with `changes(after: cursor)`.
    pub cursor: String,
    /// When the change was committed.
    pub at: DateTime<Utc>,
    /// The kind of record (`initiative`, `goal`, `theme`, `indicator`, `bottleneck`,
    /// `governance_body`, `agenda`, `region`, `party`).
    pub entity: String,
    /// The record's global id.
    pub record_id: ID,
    /// What happened, as far as the caller may know.
    pub operation: ChangeOperation,
    /// The record as it is now, for UPSERT.
    pub initiative: Option<Initiative>,
    /// The agenda of the record, for subscription filters.
    #[graphql(skip)]
    pub agenda_id: Option<i32>,
}

/// A page of the change feed.
#[derive(SimpleObject)]
pub struct ChangePage {
    /// The changes, oldest first.
    pub events: Vec<ChangeEvent>,
    /// Where to resume: pass it as `after` next time, even when `events` is empty.
    pub end_cursor: String,
    /// Whether more changes are ready now.
    pub has_more: bool,
}

/// A page of the audit trail.
#[derive(SimpleObject)]
pub struct AuditPage {
    /// The entries, oldest first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
    /// Whether more entries follow.
    pub has_next_page: bool,
}

fn encode(txid: i64, seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{txid}:{seq}"))
}

fn decode(raw: &str) -> AppResult<(i64, i64)> {
    let bad = || AppError::bad_input("after", "not a cursor of the change feed");
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?).map_err(|_| bad())?;
    let (txid, seq) = text.split_once(':').ok_or_else(bad)?;
    Ok((
        txid.parse().map_err(|_| bad())?,
        seq.parse().map_err(|_| bad())?,
    ))
}

/// `BAD_USER_INPUT` unless `raw` is a cursor of the change feed.
pub fn check_cursor(raw: &str) -> AppResult<()> {
    decode(raw).map(|_| ())
}

/// Where in the feed the cursor `raw` points: cursors compare in the feed's order.
pub fn position(raw: &str) -> AppResult<(i64, i64)> {
    decode(raw)
}

fn page_size(first: Option<i32>, default: i32) -> AppResult<u64> {
    match first {
        None => Ok(default as u64),
        Some(n) if !(0..=MAX).contains(&n) => {
            Err(AppError::bad_input("first", format!("0 to {MAX}")))
        }
        Some(n) => Ok(n as u64),
    }
}

#[derive(Default)]
pub struct ChangesQuery;

#[Object]
impl ChangesQuery {
    /// The change feed: every change to initiatives the caller can see, oldest first,
    /// including deletions and initiatives that left the caller's sight (HIDDEN). Poll it
    /// with the last `endCursor`; it never skips a change, even one committed late.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor (from the start when left out).")] after: Option<
            String,
        >,
        #[graphql(desc = "At most this many events (default 100, at most 1000).")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Only these kinds of record: `initiative`, `region`, `party`, `agenda`, `theme`, `goal`, `indicator`, `bottleneck`, `milestone`, `governance_body`."
        )]
        types: Option<Vec<String>>,
    ) -> Result<ChangePage> {
        let limit = page_size(first, 100)?;
        if let Some(unknown) = types
            .iter()
            .flatten()
            .find(|t| !ENTITIES.contains(&t.as_str()))
        {
            return Err(AppError::bad_input(
                "types",
                format!(
                    "`{unknown}` is not a kind of record; the feed has {}",
                    ENTITIES.join(", ")
                ),
            )
            .into());
        }
        Ok(read_feed(ctx, after, limit, types).await?)
    }

    /// The audit trail: every write, oldest first, for callers with a token. Entries about
    /// initiatives the caller cannot see are left out, and the values of fields the caller
    /// may not read are withheld here too.
    async fn audit_entries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only entries about this initiative (id or code).")] initiative: Option<
            ID,
        >,
        #[graphql(desc = "Only writes by this organisation (id or code).")] organisation: Option<
            ID,
        >,
        #[graphql(desc = "Only writes at or after this moment.")] since: Option<DateTime<Utc>>,
        #[graphql(desc = "At most this many entries (default 100, at most 1000).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Start after this cursor.")] after: Option<String>,
    ) -> Result<AuditPage> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let viewer = ctx.data_unchecked::<Viewer>();
        if viewer.org.is_none() {
            return Err(
                AppError::Unauthenticated("the audit trail needs a bearer token".into()).into(),
            );
        }
        let limit = page_size(first, 100)?;
        let mut condition = Condition::all();
        if let Some(raw) = &after {
            let id = URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| t.parse::<i32>().ok())
                .ok_or_else(|| AppError::bad_input("after", "not a cursor of the audit trail"))?;
            condition = condition.add(audit_entry::Column::Id.gt(id));
        }
        if let Some(i) = resolve_opt::<entity::initiative::Entity>(
            db,
            "initiative",
            Kind::Initiative,
            initiative.as_ref().map(|i| i.as_str()),
        )
        .await?
        {
            condition = condition.add(audit_entry::Column::InitiativeId.eq(i));
        }
        if let Some(p) = resolve_opt::<entity::party::Entity>(
            db,
            "organisation",
            Kind::Party,
            organisation.as_ref().map(|i| i.as_str()),
        )
        .await?
        {
            condition = condition.add(audit_entry::Column::PartyId.eq(p));
        }
        if let Some(since) = since {
            condition = condition.add(audit_entry::Column::At.gte(since));
        }
        if !viewer.is_admin() {
            // Entries about agenda records (no initiative) are as public as the records.
            condition = condition.add(
                Condition::any()
                    .add(audit_entry::Column::InitiativeId.is_null())
                    .add(
                        audit_entry::Column::InitiativeId
                            .in_subquery(policy::visible_initiative_ids(ctx).await?),
                    ),
            );
        }
        let mut entries = audit_entry::Entity::find()
            .filter(condition)
            .order_by_asc(audit_entry::Column::Id)
            .limit(limit + 1)
            .all(db)
            .await
            .map_err(AppError::from)?;
        let has_next_page = entries.len() as u64 > limit;
        entries.truncate(limit as usize);
        let end_cursor = entries
            .last()
            .map(|e| URL_SAFE_NO_PAD.encode(e.id.to_string()));
        let relations = match viewer.is_admin() {
            true => None,
            false => Some(viewer.relations(db).await?),
        };
        let initiatives = rows_by_ids(
            loaders(ctx).initiative(),
            entries.iter().filter_map(|e| e.initiative_id),
        )
        .await?;
        let agenda_of: std::collections::HashMap<i32, i32> =
            initiatives.iter().map(|i| (i.id, i.agenda_id)).collect();
        let entries = entries
            .into_iter()
            .map(|model| {
                let facts = model.initiative_id.and_then(|id| {
                    agenda_of
                        .get(&id)
                        .map(|a| InitiativeFacts { id, agenda_id: *a })
                });
                let changes =
                    field_changes(
                        &model.changes,
                        |field| match policy::guarded_initiative_field(field) {
                            None => true,
                            Some(rule) => {
                                facts.is_some_and(|f| policy::passes(viewer, relations, rule, f))
                            }
                        },
                    );
                AuditEntry { model, changes }
            })
            .collect();
        Ok(AuditPage {
            entries,
            end_cursor,
            has_next_page,
        })
    }
}

/// The changes of an audit entry, with the values of fields `may_read` refuses withheld.
fn field_changes(changes: &Value, may_read: impl Fn(&str) -> bool) -> Vec<FieldChange> {
    let Some(map) = changes.as_object() else {
        return Vec::new();
    };
    map.iter()
        .map(|(field, pair)| {
            let readable = may_read(field);
            let part = |i: usize| {
                readable.then(|| async_graphql::Json(pair.get(i).cloned().unwrap_or(Value::Null)))
            };
            FieldChange {
                field: field.clone(),
                before: part(0),
                after: part(1),
                withheld: !readable,
            }
        })
        .collect()
}

/// Reads the feed after `after` (from the start when `None`): at most `limit` events, with
/// what the caller may know of each.
/// The events a reader may have: on PostgreSQL only those of transactions older than the
/// oldest one still running (see the module documentation); on SQLite all.
fn settled(db: &DatabaseConnection) -> Condition {
    let condition = Condition::all();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        return condition.add(Expr::cust(
            "txid < txid_snapshot_xmin(txid_current_snapshot())",
        ));
    }
    condition
}

/// The cursor after the last event a reader may have now: where a subscription that starts
/// from now begins (one statement, however long the feed).
pub async fn feed_end(db: &DatabaseConnection) -> AppResult<String> {
    let last: Option<(i64, i64)> = change_event::Entity::find()
        .select_only()
        .column(change_event::Column::Txid)
        .column(change_event::Column::Seq)
        .filter(settled(db))
        .order_by_desc(change_event::Column::Txid)
        .order_by_desc(change_event::Column::Seq)
        .into_tuple()
        .one(db)
        .await?;
    let (txid, seq) = last.unwrap_or((i64::MIN, i64::MIN));
    Ok(encode(txid, seq))
}

pub async fn read_feed(
    ctx: &Context<'_>,
    after: Option<String>,
    limit: u64,
    types: Option<Vec<String>>,
) -> AppResult<ChangePage> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let (txid, seq) = match &after {
        Some(raw) => decode(raw)?,
        None => (i64::MIN, i64::MIN),
    };
    let mut condition = Condition::any()
        .add(change_event::Column::Txid.gt(txid))
        .add(
            Condition::all()
                .add(change_event::Column::Txid.eq(txid))
                .add(change_event::Column::Seq.gt(seq)),
        );
    condition = Condition::all().add(condition).add(settled(db));
    if let Some(types) = types {
        condition = condition.add(change_event::Column::Entity.is_in(types));
    }
    let mut events = change_event::Entity::find()
        .filter(condition)
        .order_by_asc(change_event::Column::Txid)
        .order_by_asc(change_event::Column::Seq)
        .limit(limit + 1)
        .all(db)
        .await
        .map_err(AppError::from)?;
    let has_more = events.len() as u64 > limit;
    events.truncate(limit as usize);
    let end_cursor = events
        .last()
        .map(|e| encode(e.txid, e.seq))
        .or(after)
        .unwrap_or_else(|| encode(i64::MIN, i64::MIN));
    let ids: Vec<i32> = events
        .iter()
        .filter(|e| e.entity == "initiative")
        .map(|e| e.record_id)
        .collect();
    // Read fresh, not through the request's loaders: a subscription asks again and again.
    let current = initiative::Entity::find()
        .filter(initiative::Column::Id.is_in(ids))
        .all(db)
        .await
        .map_err(AppError::from)?;
    let visible: std::collections::HashMap<i32, entity::initiative::Model> =
        policy::visible(ctx, current.clone())
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
    let existing: std::collections::HashSet<i32> = current.iter().map(|m| m.id).collect();
    let events = events
        .into_iter()
        .map(|e| {
            let kind = kind_of(&e.entity);
            let (operation, initiative) = if kind != Kind::Initiative {
                // Agenda records are public: their current state is one lookup away.
                let op = if e.operation == "delete" {
                    ChangeOperation::Delete
                } else {
                    ChangeOperation::Upsert
                };
                (op, None)
            } else if !existing.contains(&e.record_id) {
                (ChangeOperation::Delete, None)
            } else if let Some(model) = visible.get(&e.record_id) {
                (ChangeOperation::Upsert, Some(Initiative(model.clone())))
            } else {
                (ChangeOperation::Hidden, None)
            };
            ChangeEvent {
                cursor: encode(e.txid, e.seq),
                at: e.at,
                record_id: global_id(kind, e.record_id),
                entity: e.entity,
                operation,
                initiative,
                agenda_id: e.agenda_id,
            }
        })
        .collect();
    Ok(ChangePage {
        events,
        end_cursor,
        has_more,
    })
}

/// The kinds of record the feed names (its `entity`).
const ENTITIES: [&str; 10] = [
    "initiative",
    "region",
    "party",
    "agenda",
    "theme",
    "goal",
    "indicator",
    "bottleneck",
    "milestone",
    "governance_body",
];

/// The kind of record a feed entity names.
pub fn kind_of(entity: &str) -> Kind {
    match entity {
        "region" => Kind::Region,
        "party" => Kind::Party,
        "agenda" => Kind::Agenda,
        "theme" => Kind::Theme,
        "goal" => Kind::Goal,
        "indicator" => Kind::Indicator,
        "bottleneck" => Kind::Bottleneck,
        "milestone" => Kind::Milestone,
        "governance_body" => Kind::GovernanceBody,
        _ => Kind::Initiative,
    }
}
