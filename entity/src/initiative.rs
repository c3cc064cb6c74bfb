//! An initiative, project or action of an agenda.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "initiative")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub agenda_id: i32,
    pub parent_id: Option<i32>,
    pub title: String,
    pub summary: Option<String>,
    pub status: String,
    pub lead_theme_id: Option<i32>,
    pub labour_saving: Option<bool>,
    pub visibility: String,
    pub starts: Option<String>,
    pub ends: Option<String>,
    pub timeline: Option<String>,
    pub funding: Option<String>,
    pub budget_eur: Option<i64>,
    pub contacts: Json,
    pub internal_notes: Option<String>,
    pub progress_notes: Option<String>,
    pub reported_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub source_document: Option<String>,
    pub source_section: Option<String>,
    pub asserted_by_id: Option<i32>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
