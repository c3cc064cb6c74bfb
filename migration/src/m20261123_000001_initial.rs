//! The initial schema: the entities of the agendas (domain.md) and the links between them.
//!
//! Link tables are records of their own (id, version, provenance) because the links carry
//! attributes (a party's role in an initiative) and partners assert them.

use crate::common::{fk, index, record_table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CASCADE: ForeignKeyAction = ForeignKeyAction::Cascade;
const SET_NULL: ForeignKeyAction = ForeignKeyAction::SetNull;

fn tables() -> Vec<TableCreateStatement> {
    vec![
        record_table("party")
            .col(string_uniq("code"))
            .col(string("name"))
            .col(string("kind"))
            .col(boolean("is_category").default(false))
            .col(boolean("active").default(true))
            .col(text_null("summary"))
            .take(),
        record_table("party_alias")
            .col(integer("party_id"))
            .col(string("alias"))
            .foreign_key(&mut fk("party_alias", "party_id", "party", CASCADE))
            .take(),
        record_table("party_membership")
            .col(integer("collective_id"))
            .col(integer("member_id"))
            .foreign_key(&mut fk(
                "party_membership",
                "collective_id",
                "party",
                CASCADE,
            ))
            .foreign_key(&mut fk("party_membership", "member_id", "party", CASCADE))
            .take(),
        record_table("region")
            .col(string_uniq("code"))
            .col(string("name"))
            .col(string("kind"))
            .col(integer_null("parent_id"))
            .col(text_null("summary"))
            .foreign_key(&mut fk("region", "parent_id", "region", SET_NULL))
            .take(),
        record_table("region_party")
            .col(integer("region_id"))
            .col(integer("party_id"))
            .col(string("role"))
            .foreign_key(&mut fk("region_party", "region_id", "region", CASCADE))
            .foreign_key(&mut fk("region_party", "party_id", "party", CASCADE))
            .take(),
        record_table("agenda")
            .col(string_uniq("code"))
            .col(string("title"))
            .col(string("kind"))
            .col(integer("region_id"))
            .col(integer_null("period_start"))
            .col(integer_null("period_end"))
            .col(integer_null("predecessor_id"))
            .col(json("review_moments"))
            .col(text_null("summary"))
            .foreign_key(&mut fk("agenda", "region_id", "region", CASCADE))
            .foreign_key(&mut fk("agenda", "predecessor_id", "agenda", SET_NULL))
            .take(),
        record_table("agenda_signatory")
            .col(integer("agenda_id"))
            .col(integer("party_id"))
            .col(string_null("role"))
            .foreign_key(&mut fk("agenda_signatory", "agenda_id", "agenda", CASCADE))
            .foreign_key(&mut fk("agenda_signatory", "party_id", "party", CASCADE))
            .take(),
        record_table("theme")
            .col(string_uniq("code"))
            .col(string("name"))
            .col(integer_null("parent_id"))
            .col(integer_null("agenda_id"))
            .col(text_null("summary"))
            .foreign_key(&mut fk("theme", "parent_id", "theme", SET_NULL))
            .foreign_key(&mut fk("theme", "agenda_id", "agenda", CASCADE))
            .take(),
        record_table("goal")
            .col(string_uniq("code"))
            .col(integer("agenda_id"))
            .col(string_null("number"))
            .col(string("kind"))
            .col(string("title"))
            .col(text_null("summary"))
            .col(text_null("target"))
            .col(integer_null("target_year"))
            .foreign_key(&mut fk("goal", "agenda_id", "agenda", CASCADE))
            .take(),
        record_table("goal_parent")
            .col(integer("goal_id"))
            .col(integer("parent_id"))
            .foreign_key(&mut fk("goal_parent", "goal_id", "goal", CASCADE))
            .foreign_key(&mut fk("goal_parent", "parent_id", "goal", CASCADE))
            .take(),
        record_table("goal_theme")
            .col(integer("goal_id"))
            .col(integer("theme_id"))
            .foreign_key(&mut fk("goal_theme", "goal_id", "goal", CASCADE))
            .foreign_key(&mut fk("goal_theme", "theme_id", "theme", CASCADE))
            .take(),
        record_table("initiative")
            .col(string_uniq("code"))
            .col(integer("agenda_id"))
            .col(integer_null("parent_id"))
            .col(string("title"))
            .col(text_null("summary"))
            .col(string("status"))
            .col(integer_null("lead_theme_id"))
            .col(boolean_null("labour_saving"))
            .col(string("visibility"))
            .col(string_null("starts"))
            .col(string_null("ends"))
            .col(text_null("timeline"))
            .col(text_null("funding"))
            .col(big_integer_null("budget_eur"))
            .col(json("contacts"))
            .col(text_null("internal_notes"))
            .col(text_null("progress_notes"))
            .foreign_key(&mut fk("initiative", "agenda_id", "agenda", CASCADE))
            .foreign_key(&mut fk("initiative", "parent_id", "initiative", SET_NULL))
            .foreign_key(&mut fk("initiative", "lead_theme_id", "theme", SET_NULL))
            .take(),
        record_table("initiative_party")
            .col(integer("initiative_id"))
            .col(integer("party_id"))
            .col(string("role"))
            .col(string_null("capacity"))
            .foreign_key(&mut fk(
                "initiative_party",
                "initiative_id",
                "initiative",
                CASCADE,
            ))
            .foreign_key(&mut fk("initiative_party", "party_id", "party", CASCADE))
            .take(),
        record_table("initiative_theme")
            .col(integer("initiative_id"))
            .col(integer("theme_id"))
            .foreign_key(&mut fk(
                "initiative_theme",
                "initiative_id",
                "initiative",
                CASCADE,
            ))
            .foreign_key(&mut fk("initiative_theme", "theme_id", "theme", CASCADE))
            .take(),
        record_table("initiative_goal")
            .col(integer("initiative_id"))
            .col(integer("goal_id"))
            .foreign_key(&mut fk(
                "initiative_goal",
                "initiative_id",
                "initiative",
                CASCADE,
            ))
            .foreign_key(&mut fk("initiative_goal", "goal_id", "goal", CASCADE))
            .take(),
        record_table("indicator")
            .col(string_uniq("code"))
            .col(integer("agenda_id"))
            .col(integer_null("goal_id"))
            .col(integer_null("theme_id"))
            .col(string("name"))
            .col(string("kind"))
            .col(double_null("value"))
            .col(string_null("unit"))
            .col(integer_null("year"))
            .col(string_null("scope"))
            .col(double_null("benchmark_value"))
            .col(string_null("benchmark_scope"))
            .col(double_null("baseline"))
            .col(double_null("target"))
            .col(integer_null("target_year"))
            .foreign_key(&mut fk("indicator", "agenda_id", "agenda", CASCADE))
            .foreign_key(&mut fk("indicator", "goal_id", "goal", SET_NULL))
            .foreign_key(&mut fk("indicator", "theme_id", "theme", SET_NULL))
            .take(),
        record_table("bottleneck")
            .col(string_uniq("code"))
            .col(integer("agenda_id"))
            .col(integer_null("goal_id"))
            .col(integer_null("initiative_id"))
            .col(string("title"))
            .col(text_null("summary"))
            .foreign_key(&mut fk("bottleneck", "agenda_id", "agenda", CASCADE))
            .foreign_key(&mut fk("bottleneck", "goal_id", "goal", SET_NULL))
            .foreign_key(&mut fk(
                "bottleneck",
                "initiative_id",
                "initiative",
                SET_NULL,
            ))
            .take(),
        record_table("milestone")
            .col(integer_null("initiative_id"))
            .col(integer_null("goal_id"))
            .col(integer("position"))
            .col(string("title"))
            .col(text_null("summary"))
            .col(integer_null("year"))
            .col(string_null("period"))
            .foreign_key(&mut fk("milestone", "initiative_id", "initiative", CASCADE))
            .foreign_key(&mut fk("milestone", "goal_id", "goal", CASCADE))
            .take(),
        record_table("governance_body")
            .col(string_uniq("code"))
            .col(integer("agenda_id"))
            .col(string("name"))
            .col(string("kind"))
            .col(string_null("cadence"))
            .col(text_null("summary"))
            .foreign_key(&mut fk("governance_body", "agenda_id", "agenda", CASCADE))
            .take(),
        record_table("governance_member")
            .col(integer("body_id"))
            .col(integer("party_id"))
            .col(string_null("role"))
            .foreign_key(&mut fk(
                "governance_member",
                "body_id",
                "governance_body",
                CASCADE,
            ))
            .foreign_key(&mut fk("governance_member", "party_id", "party", CASCADE))
            .take(),
    ]
}

/// Indexes for the read paths: every foreign key (DataLoaders batch by them), the link
/// uniqueness rules, and `updated_at` for "changed since".
fn indexes() -> Vec<IndexCreateStatement> {
    let mut out = vec![
        index("party_alias", &["party_id", "alias"], true),
        index("party_alias", &["alias"], false),
        index("party_membership", &["collective_id", "member_id"], true),
        index("party_membership", &["member_id"], false),
        index("region", &["parent_id"], false),
        index("region_party", &["region_id", "party_id", "role"], true),
        index("region_party", &["party_id"], false),
        index("agenda", &["region_id"], false),
        index("agenda_signatory", &["agenda_id", "party_id"], true),
        index("agenda_signatory", &["party_id"], false),
        index("theme", &["parent_id"], false),
        index("theme", &["agenda_id"], false),
        index("goal", &["agenda_id"], false),
        index("goal_parent", &["goal_id", "parent_id"], true),
        index("goal_parent", &["parent_id"], false),
        index("goal_theme", &["goal_id", "theme_id"], true),
        index("goal_theme", &["theme_id"], false),
        index("initiative", &["agenda_id"], false),
        index("initiative", &["parent_id"], false),
        index("initiative", &["status"], false),
        index("initiative", &["lead_theme_id"], false),
        index(
            "initiative_party",
            &["initiative_id", "party_id", "role"],
            true,
        ),
        index("initiative_party", &["party_id", "role"], false),
        index("initiative_theme", &["initiative_id", "theme_id"], true),
        index("initiative_theme", &["theme_id"], false),
        index("initiative_goal", &["initiative_id", "goal_id"], true),
        index("initiative_goal", &["goal_id"], false),
        index("indicator", &["agenda_id"], false),
        index("indicator", &["goal_id"], false),
        index("bottleneck", &["agenda_id"], false),
        index("bottleneck", &["goal_id"], false),
        index("bottleneck", &["initiative_id"], false),
        index("milestone", &["initiative_id"], false),
        index("milestone", &["goal_id"], false),
        index("governance_body", &["agenda_id"], false),
        index("governance_member", &["body_id", "party_id"], true),
        index("governance_member", &["party_id"], false),
    ];
    for table in TABLES {
        out.push(index(table, &["updated_at"], false));
    }
    out
}

/// Every table of this step, in creation order (a table comes after the tables it refers to).
const TABLES: [&str; 20] = [
    "party",
    "party_alias",
    "party_membership",
    "region",
    "region_party",
    "agenda",
    "agenda_signatory",
    "theme",
    "goal",
    "goal_parent",
    "goal_theme",
    "initiative",
    "initiative_party",
    "initiative_theme",
    "initiative_goal",
    "indicator",
    "bottleneck",
    "milestone",
    "governance_body",
    "governance_member",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*table).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
