//! What a stored idempotency key was used for: a fingerprint of the request, so that the
//! same key sent with other items is refused instead of answered with the old result (which
//! would silently drop the new items). Keys stored before this step have none and replay as
//! before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_key")
                    .add_column(string_null("request_hash"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("idempotency_key")
                    .drop_column("request_hash")
                    .take(),
            )
            .await
    }
}
