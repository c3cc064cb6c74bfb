//! A partner's own reference to an initiative.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "initiative_ref")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub party_id: i32,
    pub external_ref: String,
    pub initiative_id: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
