//! Persisted operations: the documents clients registered by hash (automatic persisted
//! queries), and the per-organisation allow-lists of operations.

use crate::common::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("persisted_operation")
                    .if_not_exists()
                    .col(string("hash").primary_key())
                    .col(text("document"))
                    .col(timestamp_with_time_zone("created_at"))
                    .take(),
            )
            .await?;
        // An organisation with a row here runs only the operations registered for it.
        manager
            .create_table(
                Table::create()
                    .table("allow_list")
                    .if_not_exists()
                    .col(integer("party_id").primary_key())
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "allow_list",
                        "party_id",
                        "party",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("allowed_operation")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("party_id"))
                    .col(string("hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "allowed_operation",
                        "party_id",
                        "party",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("allowed_operation", &["party_id", "hash"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["allowed_operation", "allow_list", "persisted_operation"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
