//! Guarded writes of initiatives on PostgreSQL: each change is made only while its row is
//! still at the version the change was planned on, and many rows go in one statement.
//!
//! [`update`] is one UPDATE of many rows joined to a `VALUES` list of their new values: a
//! sync sends its planned changes a hundred at a time this way (its journal goes in at its
//! end). [`batch`] adds each write's journal to it: one statement makes the single writes that
//! requests make at the same moment (see batches.rs), and inserts the audit entry, history and
//! change-feed event of each write whose row changed, one insert per table.
//!
//! Both first went out as one data-modifying CTE per row and one per journal row. PostgreSQL
//! plans and starts each CTE on its own: on the dev cluster, EXPLAIN ANALYZE of a hundred
//! status changes took 20-35 ms that way against 4-6 ms for one UPDATE joined to its values,
//! and in a profile of M1 (up to sixteen status changes per statement, four CTEs each)
//! starting the executor was a sixth of PostgreSQL's CPU.

use entity::initiative;
use sea_orm::sea_query::{Alias, Expr, PostgresQueryBuilder, Query, UpdateStatement, Values};
use sea_orm::{
    ColumnTrait, DatabaseBackend, EntityTrait, IdenStatic, QueryFilter, QueryTrait, Statement,
    Value,
};

use super::journal::{notifications, shift_placeholders};
use crate::error::{AppError, AppResult};

/// One row's change.
pub struct Row {
    pub id: i32,
    /// The version the change was planned on.
    pub version_read: i32,
    /// The new values, one for each of the change's columns.
    pub values: Vec<Value>,
}

impl Row {
    /// The change as an UPDATE of this row alone (a write made in a transaction of its own).
    pub fn single(&self, columns: &[initiative::Column]) -> UpdateStatement {
        let mut update = initiative::Entity::update_many();
        for (column, value) in columns.iter().zip(&self.values) {
            update = update.col_expr(*column, Expr::val(value.clone()));
        }
        update
            .filter(initiative::Column::Id.eq(self.id))
            .filter(initiative::Column::Version.eq(self.version_read))
            .into_query()
    }
}

/// One UPDATE of every row of `rows`, each of which sets `columns`. It returns the `id` of
/// every row it changed; a row that is at another version by now is left as it is.
pub fn update<'a>(
    columns: &[initiative::Column],
    rows: impl IntoIterator<Item = &'a Row>,
) -> Statement {
    let mut values = Vec::new();
    let sql = update_sql(columns, rows, &mut values);
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

/// The text of [`update`], its values appended to `values` (numbered after those there).
fn update_sql<'a>(
    columns: &[initiative::Column],
    rows: impl IntoIterator<Item = &'a Row>,
    values: &mut Vec<Value>,
) -> String {
    let names: Vec<String> = columns
        .iter()
        .map(|column| format!("\"{}\"", column.as_str()))
        .collect();
    let set: Vec<String> = names.iter().map(|n| format!("{n} = v.{n}")).collect();
    let mut tuples = Vec::new();
    for row in rows {
        let start = values.len();
        values.push(row.id.into());
        values.push(row.version_read.into());
        values.extend(row.values.iter().cloned());
        let places: Vec<String> = (start + 1..=values.len())
            .map(|n| format!("${n}"))
            .collect();
        tuples.push(format!("({})", places.join(", ")));
    }
    format!(
        "UPDATE \"initiative\" AS t SET {} FROM (VALUES {}) AS v(\"row_id\", \"version_read\", {}) \
         WHERE t.\"id\" = v.\"row_id\" AND t.\"version\" = v.\"version_read\" RETURNING t.\"id\"",
        set.join(", "),
        tuples.join(", "),
        names.join(", ")
    )
}

/// One row of a write's journal: its table, the columns it sets and their values.
pub struct JournalRow {
    pub table: &'static str,
    pub columns: Vec<&'static str>,
    pub values: Vec<Expr>,
}

/// A write's journal, to go into a [`batch`] (see `Journal::guarded_rows`).
pub struct JournalRows {
    pub rows: Vec<JournalRow>,
    /// Whether the write may change who is related to what (see `auth/cache.rs`).
    pub relations: bool,
}

/// One statement making every write of `writes` (all setting `columns`, each of another row,
/// in the order their rows are to be locked) with its journal. It returns a row (`id`) for
/// each initiative it changed; the journal of a write whose row was at another version is
/// not inserted. No transaction is needed around it: it is one statement.
///
/// The text depends only on the shape of the batch (how many writes, of which columns, with
/// how many journal rows of which tables), never on which request came first: PostgreSQL and
/// the driver keep a prepared statement and its plan per text.
pub fn batch(
    columns: &[initiative::Column],
    writes: &[(&Row, &JournalRows)],
) -> AppResult<Statement> {
    let mut values = Vec::new();
    let mut sql = format!(
        "WITH g AS ({})",
        update_sql(columns, writes.iter().map(|(row, _)| *row), &mut values)
    );
    // The journal rows by table and columns, in the order they first come.
    let mut groups: Vec<(&JournalRow, Vec<(i32, &JournalRow)>)> = Vec::new();
    for (row, journal) in writes {
        for entry in &journal.rows {
            let same = |(first, _): &&mut (&JournalRow, _)| {
                first.table == entry.table && first.columns == entry.columns
            };
            match groups.iter_mut().find(same) {
                Some((_, rows)) => rows.push((row.id, entry)),
                None => groups.push((entry, vec![(row.id, entry)])),
            }
        }
    }
    for (n, (first, rows)) in groups.iter().enumerate() {
        let (tuples, Values(more)) = value_tuples(&first.columns, rows)?;
        let names: Vec<String> = first.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let picked: Vec<String> = names.iter().map(|name| format!("v.{name}")).collect();
        sql.push_str(&format!(
            ", j{n} AS (INSERT INTO \"{}\" ({}) SELECT {} FROM (VALUES {}) AS v(\"row_id\", {}) \
             WHERE v.\"row_id\" IN (SELECT \"id\" FROM g))",
            first.table,
            names.join(", "),
            picked.join(", "),
            shift_placeholders(&tuples, values.len()),
            names.join(", "),
        ));
        values.extend(more);
    }
    let relations = writes.iter().any(|(_, journal)| journal.relations);
    sql.push_str(&format!(
        " SELECT \"id\", {} FROM g",
        notifications(relations)
    ));
    Ok(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        sql,
        values,
    ))
}

/// The `(row_id, value, ...)` tuples of journal rows as sea-query writes them (a value may be
/// an expression, such as JSON cast from text), placeholders numbered from 1.
fn value_tuples(
    columns: &[&'static str],
    rows: &[(i32, &JournalRow)],
) -> AppResult<(String, Values)> {
    let mut insert = Query::insert();
    insert.into_table(Alias::new("v")).columns(
        std::iter::once("row_id")
            .chain(columns.iter().copied())
            .map(Alias::new),
    );
    for (row_id, entry) in rows {
        let tuple = std::iter::once(Expr::val(*row_id)).chain(entry.values.iter().cloned());
        if let Err(err) = insert.values(tuple) {
            tracing::error!(%err, "a journal row does not fit its table");
            return Err(AppError::Internal);
        }
    }
    let (sql, values) = insert.build(PostgresQueryBuilder);
    const VALUES: &str = " VALUES ";
    match sql.find(VALUES) {
        Some(at) => Ok((sql[at + VALUES.len()..].to_string(), values)),
        None => {
            tracing::error!(%sql, "an insert without VALUES");
            Err(AppError::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ExprTrait;

    fn two_rows() -> [Row; 2] {
        [
            Row {
                id: 7,
                version_read: 2,
                values: vec![3.into(), "running".into()],
            },
            Row {
                id: 9,
                version_read: 5,
                values: vec![6.into(), "stopped".into()],
            },
        ]
    }

    #[test]
    fn each_row_brings_its_id_version_and_values_in_the_columns_order() {
        let columns = [initiative::Column::Version, initiative::Column::Status];
        let statement = update(&columns, &two_rows());
        assert_eq!(
            statement.sql,
            "UPDATE \"initiative\" AS t SET \"version\" = v.\"version\", \"status\" = v.\"status\" \
             FROM (VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)) AS v(\"row_id\", \"version_read\", \"version\", \"status\") \
             WHERE t.\"id\" = v.\"row_id\" AND t.\"version\" = v.\"version_read\" RETURNING t.\"id\""
        );
        let values: Vec<Value> = statement.values.unwrap().0;
        assert_eq!(
            values,
            [
                7.into(),
                2.into(),
                3.into(),
                "running".into(),
                9.into(),
                5.into(),
                6.into(),
                "stopped".into()
            ]
            .to_vec()
        );
    }

    #[test]
    fn a_batch_inserts_each_table_once_from_the_rows_it_changed() {
        let columns = [initiative::Column::Version, initiative::Column::Status];
        let rows = two_rows();
        let journal = |id: i32, note: &str| JournalRows {
            rows: vec![
                JournalRow {
                    table: "audit_entry",
                    columns: vec!["record_id", "changes"],
                    values: vec![Expr::val(id), Expr::val(note).cast_as("json")],
                },
                JournalRow {
                    table: "change_event",
                    columns: vec!["txid", "record_id"],
                    values: vec![Expr::cust("txid_current()"), Expr::val(id)],
                },
            ],
            relations: false,
        };
        let (first, second) = (journal(7, "{}"), journal(9, "[]"));
        let statement = batch(&columns, &[(&rows[0], &first), (&rows[1], &second)]).unwrap();
        assert_eq!(
            statement.sql,
            "WITH g AS (UPDATE \"initiative\" AS t SET \"version\" = v.\"version\", \"status\" = v.\"status\" \
             FROM (VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)) AS v(\"row_id\", \"version_read\", \"version\", \"status\") \
             WHERE t.\"id\" = v.\"row_id\" AND t.\"version\" = v.\"version_read\" RETURNING t.\"id\"), \
             j0 AS (INSERT INTO \"audit_entry\" (\"record_id\", \"changes\") SELECT v.\"record_id\", v.\"changes\" \
             FROM (VALUES ($9, $10, CAST($11 AS json)), ($12, $13, CAST($14 AS json))) AS v(\"row_id\", \"record_id\", \"changes\") \
             WHERE v.\"row_id\" IN (SELECT \"id\" FROM g)), \
             j1 AS (INSERT INTO \"change_event\" (\"txid\", \"record_id\") SELECT v.\"txid\", v.\"record_id\" \
             FROM (VALUES ($15, txid_current(), $16), ($17, txid_current(), $18)) AS v(\"row_id\", \"txid\", \"record_id\") \
             WHERE v.\"row_id\" IN (SELECT \"id\" FROM g)) \
             SELECT \"id\", pg_notify('regiograaf_changes', '') FROM g"
        );
        let values: Vec<Value> = statement.values.unwrap().0;
        assert_eq!(values.len(), 18);
        assert_eq!(values[8..11], [7.into(), 7.into(), "{}".into()]);
        assert_eq!(values[16..], [9.into(), 9.into()]);
    }
}
