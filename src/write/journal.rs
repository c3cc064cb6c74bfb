//! The journal of a transaction: audit entries, change-feed events and status history,
//! collected while writing and inserted together before commit (a sync of 10,000 items writes
//! them in a few multi-row statements, not 30,000 single ones).

use chrono::{DateTime, Utc};
use entity::{audit_entry, status_change};
use sea_orm::sea_query::{Expr, InsertStatement, PostgresQueryBuilder, Query, Values};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseBackend, EntityTrait, QueryTrait, Statement,
};
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
    ///
    /// On PostgreSQL a journal that fits one statement per table (any single write) goes in
    /// as one statement: the three inserts as data-modifying CTEs and the notifications as
    /// `pg_notify`. A round trip to PostgreSQL was the largest cost of a small write (40% of
    /// the server's CPU went to `send`), and this saves three of them.
    pub async fn flush(self, txn: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<()> {
        let postgres = txn.get_database_backend() == DatabaseBackend::Postgres;
        let fits = [self.audits.len(), self.history.len(), self.events.len()]
            .iter()
            .all(|n| *n <= CHUNK);
        if postgres && fits && !self.events.is_empty() {
            return self.flush_as_one(txn, at).await;
        }
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
        if !self.events.is_empty() && postgres {
            // Delivered at commit to every instance listening (see notify.rs).
            txn.execute_unprepared(&format!("NOTIFY {}", crate::notify::CHANNEL))
                .await?;
            if self.relations {
                txn.execute_unprepared(&format!("NOTIFY {}", crate::notify::RELATIONS_CHANNEL))
                    .await?;
            }
        }
        for chunk in self.events.chunks(CHUNK) {
            txn.execute(&events_insert(chunk, at, postgres)).await?;
        }
        Ok(())
    }

    /// The whole journal in one PostgreSQL statement (see [`Journal::flush`]).
    async fn flush_as_one(self, txn: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<()> {
        let mut inserts: Vec<InsertStatement> = Vec::new();
        if !self.audits.is_empty() {
            inserts.push(audit_entry::Entity::insert_many(self.audits).into_query());
        }
        if !self.history.is_empty() {
            inserts.push(status_change::Entity::insert_many(self.history).into_query());
        }
        inserts.push(events_insert(&self.events, at, true));
        let mut ctes = Vec::new();
        let mut values = Vec::new();
        for (n, insert) in inserts.iter().enumerate() {
            let (sql, Values(mut more)) = insert.build(PostgresQueryBuilder);
            ctes.push(format!(
                "j{n} AS ({})",
                shift_placeholders(&sql, values.len())
            ));
            values.append(&mut more);
        }
        let mut notify = format!("pg_notify('{}', '')", crate::notify::CHANNEL);
        if self.relations {
            notify.push_str(&format!(
                ", pg_notify('{}', '')",
                crate::notify::RELATIONS_CHANNEL
            ));
        }
        let sql = format!("WITH {} SELECT {notify}", ctes.join(", "));
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
        Ok(())
    }
}

/// The change-feed rows of `events`, ordered by the transaction id on PostgreSQL (see
/// graphql/query/changes.rs).
fn events_insert(
    events: &[(&'static str, i32, &'static str, Option<i32>)],
    at: DateTime<Utc>,
    postgres: bool,
) -> InsertStatement {
    let txid = if postgres {
        Expr::cust("txid_current()")
    } else {
        Expr::val(0i64)
    };
    let mut insert = Query::insert();
    insert.into_table("change_event").columns([
        "txid",
        "at",
        "entity",
        "record_id",
        "operation",
        "agenda_id",
    ]);
    for (entity, record_id, operation, agenda_id) in events {
        insert.values_panic([
            txid.clone(),
            Expr::val(at),
            Expr::val(*entity),
            Expr::val(*record_id),
            Expr::val(*operation),
            Expr::val(*agenda_id),
        ]);
    }
    insert
}

/// `sql` with every PostgreSQL placeholder `$n` made `$(n + by)`, to put several built
/// statements into one. sea-query writes every value as a placeholder, so a `$` followed by
/// digits is never part of a literal.
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_shift_and_nothing_else_changes() {
        assert_eq!(
            shift_placeholders(
                r#"INSERT INTO "t" ("a", "b") VALUES ($1, $2), ($3, $10)"#,
                4
            ),
            r#"INSERT INTO "t" ("a", "b") VALUES ($5, $6), ($7, $14)"#
        );
        assert_eq!(shift_placeholders("SELECT $", 3), "SELECT $");
    }
}
