//! On PostgreSQL, any change to the tables that decide who a caller is and what it is related
//! to (parties, allow-lists, memberships, regions, agendas, participations) sends
//! `NOTIFY regiograaf_relations`, whoever makes it: the service, an import, or someone with
//! SQL. Every instance listens on that channel and drops what it keeps of callers and their
//! relations, so it may keep an organisation between requests instead of reading it for
//! each one, and a deactivation made by hand still acts within the moment the notification
//! takes. One notification per statement, not per row; within a transaction PostgreSQL
//! folds them into one.
//!
//! SQLite has no way to tell another process of a change; there the service keeps reading
//! the organisation on every request (a lookup in the same process) and this step does
//! nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// The tables whose changes the step reports.
const TABLES: [&str; 7] = [
    "party",
    "allow_list",
    "party_membership",
    "region",
    "region_party",
    "agenda",
    "initiative_party",
];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION regiograaf_relations_changed() RETURNS trigger
             LANGUAGE plpgsql AS $$
             BEGIN
                 PERFORM pg_notify('regiograaf_relations', '');
                 RETURN NULL;
             END
             $$",
        )
        .await?;
        for table in TABLES {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_relations_changed
                 AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION regiograaf_relations_changed()"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!(
                "DROP TRIGGER IF EXISTS {table}_relations_changed ON {table}"
            ))
            .await?;
        }
        db.execute_unprepared("DROP FUNCTION IF EXISTS regiograaf_relations_changed()")
            .await?;
        Ok(())
    }
}
