//! The journal of a transaction: audit entries, change-feed events and status history,
//! collected while writing and inserted together before commit (a sync of 10,000 items writes
//! them in a few multi-row statements, not 30,000 single ones).

use chrono::{DateTime, Utc};
use entity::{audit_entry, status_change};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseBackend, EntityTrait};
use serde_json::{Map, Value};

use super::Actor;
use crate::error::AppResult;

/// Rows per multi-row insert: well under the parameter limits of SQLite and PostgreSQL.
const CHUNK: usize = 500;

/// What one write changed: the fields with their values before and after.
pub struct Entry {
    pub operation: &'static str,
    pub entity: &'static str,
    pub record_id: i32,
    pub initiative_id: Option<i32>,
    pub agenda_id: Option<i32>,
    /// `{"field": [before, after]}` for every changed field.
    pub changes: Map<String, Value>,
}

/// The journal rows of one transaction.
#[derive(Default)]
pub struct Journal {
    audits: Vec<audit_entry::ActiveModel>,
    events: Vec<(&'static str, i32, &'static str, Option<i32>)>,
    history: Vec<status_change::ActiveModel>,
    relations: bool,
}

impl Journal {
    /// Records one write by `actor` at `at`.
    pub fn record(&mut self, actor: &Actor, at: DateTime<Utc>, entry: Entry) {
        // Only an update of an initiative's own fields leaves every caller's relations as
        // they were; creating one adds its lead, links add parties, and the other records
        // are the parties, regions and agendas relations are made of.
        self.relations |= !(entry.entity == "initiative" && entry.operation == "update");
        let change_op = if entry.operation == "delete" {
            "delete"
        } else {
            "upsert"
        };
        self.events
            .push((entry.entity, entry.record_id, change_op, entry.agenda_id));
        self.audits.push(audit_entry::ActiveModel {
            at: Set(at),
            request_id: Set(actor.request_id.clone()),
            subject: Set(actor.subject.clone()),
            party_id: Set(actor.party_id),
            token_id: Set(actor.token_id.clone()),
            operation: Set(entry.operation.to_string()),
            entity: Set(entry.entity.to_string()),
            record_id: Set(entry.record_id),
            initiative_id: Set(entry.initiative_id),
            changes: Set(Value::Object(entry.changes)),
            ..Default::default()
        });
    }

    /// Records a change of an initiative's status or progress notes in its history.
    #[allow(clippy::too_many_arguments)]
    pub fn history(
        &mut self,
        actor: &Actor,
        at: DateTime<Utc>,
        initiative_id: i32,
        field: &str,
        old: Option<String>,
        new: Option<String>,
        note: Option<String>,
        effective_at: DateTime<Utc>,
    ) {
        self.history.push(status_change::ActiveModel {
            initiative_id: Set(initiative_id),
            field: Set(field.to_string()),
            old_value: Set(old),
            new_value: Set(new),
            note: Set(note),
            party_id: Set(actor.party_id),
            subject: Set(actor.subject.clone()),
            changed_at: Set(at),
            effective_at: Set(effective_at),
            ..Default::default()
        });
    }

    /// Whether the writes may have changed who is related to what (see `auth/cache.rs`).
    pub fn touches_relations(&self) -> bool {
        self.relations
    }

    /// Inserts everything recorded, within the caller's transaction.
    pub async fn flush(self, txn: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<()> {
        for chunk in self.audits.chunks(CHUNK) {
            audit_entry::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        for chunk in self.history.chunks(CHUNK) {
            status_change::Entity::insert_many(chunk.to_vec())
                .exec(txn)
                .await?;
        }
        // The transaction id orders the feed on PostgreSQL (see graphql/query/changes.rs).
        let txid = match txn.get_database_backend() {
            DatabaseBackend::Postgres => Expr::cust("txid_current()"),
            _ => Expr::val(0i64),
        };
        if !self.events.is_empty() && txn.get_database_backend() == DatabaseBackend::Postgres {
            // Delivered at commit to every instance listening (see notify.rs).
            txn.execute_unprepared(&format!("NOTIFY {}", crate::notify::CHANNEL))
                .await?;
            if self.relations {
                txn.execute_unprepared(&format!("NOTIFY {}", crate::notify::RELATIONS_CHANNEL))
                    .await?;
            }
        }
        for chunk in self.events.chunks(CHUNK) {
            let mut insert = Query::insert();
            insert.into_table("change_event").columns([
                "txid",
                "at",
                "entity",
                "record_id",
                "operation",
                "agenda_id",
            ]);
            for (entity, record_id, operation, agenda_id) in chunk {
                insert.values_panic([
                    txid.clone(),
                    Expr::val(at),
                    Expr::val(*entity),
                    Expr::val(*record_id),
                    Expr::val(*operation),
                    Expr::val(*agenda_id),
                ]);
            }
            txn.execute(&insert).await?;
        }
        Ok(())
    }
}
