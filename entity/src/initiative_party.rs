//! A party taking part in an initiative, in a role.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "initiative_party")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub initiative_id: i32,
    pub party_id: i32,
    pub role: String,
    pub capacity: Option<String>,
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
