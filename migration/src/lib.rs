//! Schema migrations for regiograaf, one file per step.
//!
//! Every step is written with sea-query's schema builder so the same step runs on SQLite (the
//! embedded default) and PostgreSQL (production). Steps are never edited once released: a change
//! to the schema is a new step.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261123_000001_initial;
mod m20261123_000002_writes;
mod m20261123_000003_operations;
mod m20261123_000004_change_triggers;
mod m20261123_000005_idempotency_request;
mod m20261203_000006_unused_indexes;

/// The ordered list of steps `regiograaf migrate` applies.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_writes::Migration),
            Box::new(m20261123_000003_operations::Migration),
            Box::new(m20261123_000004_change_triggers::Migration),
            Box::new(m20261123_000005_idempotency_request::Migration),
            Box::new(m20261203_000006_unused_indexes::Migration),
        ]
    }
}
