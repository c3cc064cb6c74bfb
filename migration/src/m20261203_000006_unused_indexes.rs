//! Drops indexes no query reads, each of which cost an entry on every insert (and most
//! updates) of its table:
//! - the `updated_at` index of the link and alias tables. The first step gave every table
//!   one for "changed since", but only the records' lists take `changedSince`; a link's
//!   changes reach clients through the change feed (`change_event`). A created initiative
//!   writes its lead's participation, so a sync of 10,000 new initiatives updated 10,000
//!   entries nothing read;
//! - the audit trail's `(entity, record_id)` index: the trail is read by initiative, by
//!   organisation and by time, never by record, and every write adds an audit entry.

use sea_orm_migration::prelude::*;

use crate::common::index;

/// The indexes that go, as (table, columns): the `updated_at` of the link and alias tables,
/// and the audit trail's by record.
const UNUSED: [(&str, &[&str]); 11] = [
    ("party_alias", &["updated_at"]),
    ("party_membership", &["updated_at"]),
    ("region_party", &["updated_at"]),
    ("agenda_signatory", &["updated_at"]),
    ("goal_parent", &["updated_at"]),
    ("goal_theme", &["updated_at"]),
    ("initiative_party", &["updated_at"]),
    ("initiative_theme", &["updated_at"]),
    ("initiative_goal", &["updated_at"]),
    ("governance_member", &["updated_at"]),
    ("audit_entry", &["entity", "record_id"]),
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in UNUSED {
            let mut drop = Index::drop();
            // The name the first steps gave it (common::index).
            drop.name(format!("ix_{table}_{}", columns.join("_")))
                .table(table)
                .if_exists();
            manager.drop_index(drop).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in UNUSED {
            manager.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }
}
