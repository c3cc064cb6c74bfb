//! What writes need: partners' own references to initiatives, the status history, the audit
//! trail, the change feed and the idempotency keys of partner syncs.

use crate::common::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CASCADE: ForeignKeyAction = ForeignKeyAction::Cascade;
const SET_NULL: ForeignKeyAction = ForeignKeyAction::SetNull;

fn tables() -> Vec<TableCreateStatement> {
    vec![
        // A partner's own id for an initiative: (party, external reference) is unique.
        Table::create()
            .table("initiative_ref")
            .if_not_exists()
            .col(pk_auto("id"))
            .col(integer("party_id"))
            .col(string("external_ref"))
            .col(integer("initiative_id"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("initiative_ref", "party_id", "party", CASCADE))
            .foreign_key(&mut fk(
                "initiative_ref",
                "initiative_id",
                "initiative",
                CASCADE,
            ))
            .take(),
        // Every change of an initiative's status or progress notes.
        Table::create()
            .table("status_change")
            .if_not_exists()
            .col(pk_auto("id"))
            .col(integer("initiative_id"))
            .col(string("field"))
            .col(text_null("old_value"))
            .col(text_null("new_value"))
            .col(text_null("note"))
            .col(integer_null("party_id"))
            .col(string_null("subject"))
            .col(timestamp_with_time_zone("changed_at"))
            .col(timestamp_with_time_zone("effective_at"))
            .foreign_key(&mut fk(
                "status_change",
                "initiative_id",
                "initiative",
                CASCADE,
            ))
            .foreign_key(&mut fk("status_change", "party_id", "party", SET_NULL))
            .take(),
        // Every write: who, when, through which token and request, and each field before
        // and after. Not a foreign key to the record: the trail outlives deletions.
        Table::create()
            .table("audit_entry")
            .if_not_exists()
            .col(pk_auto("id"))
            .col(timestamp_with_time_zone("at"))
            .col(string_null("request_id"))
            .col(string_null("subject"))
            .col(integer_null("party_id"))
            .col(string_null("token_id"))
            .col(string("operation"))
            .col(string("entity"))
            .col(integer("record_id"))
            .col(integer_null("initiative_id"))
            .col(json("changes"))
            .take(),
        // The change feed: one row per changed record, in the order of the writing
        // transactions (`txid` on PostgreSQL), so readers can resume without gaps.
        Table::create()
            .table("change_event")
            .if_not_exists()
            .col(big_pk_auto("seq"))
            .col(big_integer("txid"))
            .col(timestamp_with_time_zone("at"))
            .col(string("entity"))
            .col(integer("record_id"))
            .col(string("operation"))
            .col(integer_null("agenda_id"))
            .take(),
        // The stored result of a partner sync, replayed for the same key.
        Table::create()
            .table("idempotency_key")
            .if_not_exists()
            .col(pk_auto("id"))
            .col(integer("party_id"))
            .col(string("key"))
            .col(string("operation"))
            .col(json("response"))
            .col(timestamp_with_time_zone("created_at"))
            .foreign_key(&mut fk("idempotency_key", "party_id", "party", CASCADE))
            .take(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("initiative")
                    .add_column(timestamp_with_time_zone_null("reported_at"))
                    .take(),
            )
            .await?;
        for index in [
            index("initiative_ref", &["party_id", "external_ref"], true),
            index("initiative_ref", &["initiative_id"], false),
            index("status_change", &["initiative_id", "effective_at"], false),
            index("audit_entry", &["entity", "record_id"], false),
            index("audit_entry", &["initiative_id"], false),
            index("audit_entry", &["at"], false),
            index("change_event", &["txid", "seq"], false),
            index("idempotency_key", &["party_id", "key"], true),
        ] {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("initiative")
                    .drop_column("reported_at")
                    .take(),
            )
            .await?;
        for table in [
            "idempotency_key",
            "change_event",
            "audit_entry",
            "status_change",
            "initiative_ref",
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
