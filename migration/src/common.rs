//! Column sets every table shares, so that each step spells out only what is particular to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// A table with the columns every record of regiograaf carries: a surrogate id, a version for
/// optimistic concurrency, timestamps, and provenance (the document and section a fact comes
/// from, or the organisation that asserted it, plus a free note).
pub fn record_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .if_not_exists()
        .col(pk_auto("id"))
        .col(integer("version").default(1))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .col(text_null("source_document"))
        .col(text_null("source_section"))
        .col(integer_null("asserted_by_id"))
        .col(text_null("note"))
        .foreign_key(&mut fk(
            name,
            "asserted_by_id",
            "party",
            ForeignKeyAction::SetNull,
        ))
        .take()
}

/// A foreign key from `table.column` to `target.id`.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .take()
}

/// An index over `columns` of `table`, named after them.
pub fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{table}_{}", columns.join("_")))
        .table(table)
        .if_not_exists();
    for column in columns {
        stmt.col(*column);
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}
