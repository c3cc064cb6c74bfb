//! One write in the audit trail.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    pub request_id: Option<String>,
    pub subject: Option<String>,
    pub party_id: Option<i32>,
    pub token_id: Option<String>,
    pub operation: String,
    pub entity: String,
    pub record_id: i32,
    pub initiative_id: Option<i32>,
    pub changes: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
