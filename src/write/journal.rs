//! The journal of a transaction: audit entries, change-feed events and status history,
//! collected while writing and inserted together before commit (a sync of 10,000 items writes
//! them in a few multi-row statements, not 30,000 single ones).

use chrono::{DateTime, Utc};
use entity::{audit_entry, status_change};
use sea_orm::sea_query::{
    Expr, ExprTrait, InsertStatement, PostgresQueryBuilder, Query, UpdateStatement, Values,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, EntityName, EntityTrait, IdenStatic, Iterable, Statement,
};
use serde_json::{Map, Value};

use super::Actor;
use super::guarded::{JournalRow, JournalRows};
use super::pipeline::chunks;
use crate::error::{AppError, AppResult};

/// Rows per multi-row insert: well under the parameter limits of SQLite and PostgreSQL.
const CHUNK: usize = 500;

/// Journal rows a guarded write may bring into a batch's one statement (see
/// `guarded::batch`); past it, it takes a transaction of its own.
const GUARDED_ROWS: usize = 16;

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

/// The changes of a record created (each field `[null, value]`) or deleted (`[value, null]`)
/// as a whole: every field it has a value for; a field left empty did not change.
pub fn whole_record(fields: Map<String, Value>, created: bool) -> Map<String, Value> {
    fields
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(field, value)| {
            let change = if created {
                [Value::Null, value]
            } else {
                [value, Value::Null]
            };
            (field, Value::from(change.to_vec()))
        })
        .collect()
}

/// The journal rows of one transaction.
#[derive(Default)]
pub struct Journal {
    audits: Vec<audit_entry::ActiveModel>,
    events: Vec<Event>,
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
            self.flush_as_one(txn, at).await?;
            return Ok(());
        }
        super::pipeline::run(txn, self.statements(txn.get_database_backend(), at), |_| {
            Ok(())
        })
        .await
    }

    /// The statements that insert everything recorded, built one at a time as they are
    /// taken (see pipeline.rs): the audit entries, the history, the notifications
    /// (PostgreSQL) and the change feed, a few hundred rows per statement.
    pub fn statements(
        self,
        backend: DatabaseBackend,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = AppResult<Statement>> {
        let postgres = backend == DatabaseBackend::Postgres;
        let audits = chunks(self.audits, CHUNK)
            .map(move |chunk| Ok(backend.build(&insert_rows(chunk, postgres)?)));
        let history = chunks(self.history, CHUNK)
            .map(move |chunk| Ok(backend.build(&insert_rows(chunk, postgres)?)));
        // Delivered at commit to every instance listening (see notify.rs).
        let mut channels = Vec::new();
        if postgres && !self.events.is_empty() {
            channels.push(crate::notify::CHANNEL);
            if self.relations {
                channels.push(crate::notify::RELATIONS_CHANNEL);
            }
        }
        let notifications = channels
            .into_iter()
            .map(move |channel| Statement::from_string(backend, format!("NOTIFY {channel}")));
        let events = chunks(self.events, CHUNK)
            .map(move |chunk| backend.build(&events_insert(&chunk, at, postgres)));
        audits
            .chain(history)
            .chain(notifications.chain(events).map(Ok))
    }

    /// Whether the journal fits one guarded statement on PostgreSQL (any single write; see
    /// `guarded::batch`).
    pub fn fits_guarded_statement(&self) -> bool {
        self.audits.len() + self.history.len() + self.events.len() <= GUARDED_ROWS
    }

    /// Makes the write `guard` (an UPDATE that may find nothing to change, such as one that
    /// expects a version) and inserts the journal only if it changed a row, in a transaction;
    /// false when it did not, and then nothing is written. On PostgreSQL a journal that
    /// [fits](Journal::fits_guarded_statement) goes in one statement instead, batched with
    /// other requests' writes (see write/batches.rs).
    pub async fn flush_guarded(
        self,
        db: &DatabaseConnection,
        guard: UpdateStatement,
        at: DateTime<Utc>,
    ) -> AppResult<bool> {
        let txn = super::begin(db).await?;
        if txn.execute(&guard).await?.rows_affected() == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        self.flush(&txn, at).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The journal of a guarded write, to go into one PostgreSQL statement with it (see
    /// `guarded::batch`), which inserts it exactly when the write changed its row.
    pub fn guarded_rows(self, at: DateTime<Utc>) -> JournalRows {
        let mut rows = Vec::new();
        for audit in self.audits {
            rows.push(journal_row(audit));
        }
        for change in self.history {
            rows.push(journal_row(change));
        }
        for event in &self.events {
            rows.push(JournalRow {
                table: "change_event",
                columns: EVENT_COLUMNS.to_vec(),
                values: event_row(event, at, true).to_vec(),
            });
        }
        JournalRows {
            rows,
            relations: self.relations,
        }
    }

    /// The whole journal in one PostgreSQL statement (see [`Journal::flush`]).
    async fn flush_as_one(self, db: &impl ConnectionTrait, at: DateTime<Utc>) -> AppResult<()> {
        let mut parts: Vec<(String, Values)> = Vec::new();
        if !self.audits.is_empty() {
            parts.push(insert_rows(self.audits, true)?.build(PostgresQueryBuilder));
        }
        if !self.history.is_empty() {
            parts.push(insert_rows(self.history, true)?.build(PostgresQueryBuilder));
        }
        parts.push(events_insert(&self.events, at, true).build(PostgresQueryBuilder));
        let mut sql = String::from("WITH ");
        let mut values = Vec::new();
        for (n, (part, Values(mut more))) in parts.into_iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "j{n} AS ({})",
                shift_placeholders(&part, values.len())
            ));
            values.append(&mut more);
        }
        sql.push_str(&format!(" SELECT {}", notifications(self.relations)));
        db.query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
        Ok(())
    }
}

/// The `pg_notify` calls that wake every instance listening (see notify.rs); PostgreSQL
/// sends each once per transaction however many rows call it.
pub(super) fn notifications(relations: bool) -> String {
    let mut notify = format!("pg_notify('{}', '')", crate::notify::CHANNEL);
    if relations {
        notify.push_str(&format!(
            ", pg_notify('{}', '')",
            crate::notify::RELATIONS_CHANNEL
        ));
    }
    notify
}

/// `row` as a journal row of a guarded write: its table, set columns and values.
fn journal_row<A: ActiveModelTrait>(row: A) -> JournalRow {
    let (columns, values) = row_values(row, true);
    JournalRow {
        table: A::Entity::default().table_name(),
        columns: columns.iter().map(|column| column.as_str()).collect(),
        values,
    }
}

/// One insert of `rows`, all of one table and all setting the same columns (each kind of
/// journal row is made by one function here), with JSON sent as text (see [`value_expr`]).
pub(super) fn insert_rows<A: ActiveModelTrait>(
    rows: Vec<A>,
    postgres: bool,
) -> AppResult<InsertStatement> {
    let mut insert = Query::insert();
    insert.into_table(A::Entity::default().table_ref());
    for (n, row) in rows.into_iter().enumerate() {
        let (columns, values) = row_values(row, postgres);
        if n == 0 {
            insert.columns(columns);
        }
        if let Err(err) = insert.values(values) {
            tracing::error!(%err, "a journal row does not fit its table");
            return Err(AppError::Internal);
        }
    }
    Ok(insert)
}

/// The columns `row` sets and their values, as expressions (see [`value_expr`]).
fn row_values<A: ActiveModelTrait>(
    mut row: A,
    postgres: bool,
) -> (Vec<<A::Entity as EntityTrait>::Column>, Vec<Expr>) {
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for column in <A::Entity as EntityTrait>::Column::iter() {
        if let ActiveValue::Set(value) | ActiveValue::Unchanged(value) = row.take(column) {
            columns.push(column);
            values.push(value_expr(column, value, postgres));
        }
    }
    (columns, values)
}

/// A journal row's value as an expression. JSON goes as its text, cast to `json` on
/// PostgreSQL: the driver binds a JSON value as `jsonb`, and PostgreSQL then built a `jsonb`
/// of every audit entry's changes only to turn it back into text for the `json` column. In
/// psql, 10,000 created initiatives' changes took 323 ms that way against 80 ms from text.
/// (SQLite keeps JSON as text, and a cast there would make it a number.)
fn value_expr(column: impl ColumnTrait, value: sea_orm::Value, postgres: bool) -> Expr {
    match value {
        sea_orm::Value::Json(Some(json)) => {
            let text = Expr::val(json.to_string());
            if postgres { text.cast_as("json") } else { text }
        }
        other => column.save_as(Expr::val(other)),
    }
}

/// A change-feed row: entity, record, operation, agenda.
type Event = (&'static str, i32, &'static str, Option<i32>);

/// The change-feed rows of `events`, ordered by the transaction id on PostgreSQL (see
/// graphql/query/changes.rs).
fn events_insert(events: &[Event], at: DateTime<Utc>, postgres: bool) -> InsertStatement {
    let mut insert = events_into();
    for event in events {
        insert.values_panic(event_row(event, at, postgres));
    }
    insert
}

/// An insert into the change feed, without its rows.
fn events_into() -> InsertStatement {
    let mut insert = Query::insert();
    insert.into_table("change_event").columns(EVENT_COLUMNS);
    insert
}

/// The columns of a change-feed row.
const EVENT_COLUMNS: [&str; 6] = [
    "txid",
    "at",
    "entity",
    "record_id",
    "operation",
    "agenda_id",
];

/// The values of one change-feed row, in the columns of [`events_into`].
fn event_row(event: &Event, at: DateTime<Utc>, postgres: bool) -> [Expr; 6] {
    let (entity, record_id, operation, agenda_id) = *event;
    let txid = if postgres {
        Expr::cust("txid_current()")
    } else {
        Expr::val(0i64)
    };
    [
        txid,
        Expr::val(at),
        Expr::val(entity),
        Expr::val(record_id),
        Expr::val(operation),
        Expr::val(agenda_id),
    ]
}

/// `sql` with every PostgreSQL placeholder `$n` made `$(n + by)`, to put several built
/// statements into one. sea-query writes every value as a placeholder, so a `$` followed by
/// digits is never part of a literal.
pub(super) fn shift_placeholders(sql: &str, by: usize) -> String {
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
