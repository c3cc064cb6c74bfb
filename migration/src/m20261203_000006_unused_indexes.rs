//! Drops the `updated_at` index of the tables that no query filters or orders by it: the
//! link and alias tables. The first step gave every table one for "changed since", but only
//! the records' lists take `changedSince`; a link's changes reach clients through the change
//! feed (`change_event`). Each of these indexes still cost an entry on every insert and
//! update of a link: a created initiative writes its lead's participation, so a sync of
//! 10,000 new initiatives updated 10,000 entries nothing reads.

use sea_orm_migration::prelude::*;

use crate::common::index;

/// The tables whose `updated_at` index goes.
const TABLES: [&str; 10] = [
    "party_alias",
    "party_membership",
    "region_party",
    "agenda_signatory",
    "goal_parent",
    "goal_theme",
    "initiative_party",
    "initiative_theme",
    "initiative_goal",
    "governance_member",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            let mut drop = Index::drop();
            drop.name(format!("ix_{table}_updated_at"))
                .table(table)
                .if_exists();
            manager.drop_index(drop).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .create_index(index(table, &["updated_at"], false))
                .await?;
        }
        Ok(())
    }
}
