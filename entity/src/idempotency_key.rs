//! The stored result of a partner sync.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub party_id: i32,
    pub key: String,
    pub operation: String,
    pub response: Json,
    pub created_at: DateTimeUtc,
    /// A fingerprint of the request the key was first used for (none for keys stored
    /// before it was kept).
    pub request_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
