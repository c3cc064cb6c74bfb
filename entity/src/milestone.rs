//! A step or yearly action of an initiative or a goal.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "milestone")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub initiative_id: Option<i32>,
    pub goal_id: Option<i32>,
    pub position: i32,
    pub title: String,
    pub summary: Option<String>,
    pub year: Option<i32>,
    pub period: Option<String>,
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
