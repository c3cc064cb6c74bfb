//! An observed figure or a planned KPI.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "indicator")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub agenda_id: i32,
    pub goal_id: Option<i32>,
    pub theme_id: Option<i32>,
    pub name: String,
    pub kind: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub year: Option<i32>,
    pub scope: Option<String>,
    pub benchmark_value: Option<f64>,
    pub benchmark_scope: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub target_year: Option<i32>,
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
