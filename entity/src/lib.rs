//! SeaORM entities of regiograaf, one module per table, generated in shape from the migrations.
//!
//! Entities hold no logic: the API types in the root crate are built from them, so a change of
//! storage does not change the GraphQL contract by accident.

pub mod agenda;
pub mod agenda_signatory;
pub mod audit_entry;
pub mod bottleneck;
pub mod change_event;
pub mod goal;
pub mod goal_parent;
pub mod goal_theme;
pub mod governance_body;
pub mod governance_member;
pub mod idempotency_key;
pub mod indicator;
pub mod initiative;
pub mod initiative_goal;
pub mod initiative_party;
pub mod initiative_ref;
pub mod initiative_theme;
pub mod milestone;
pub mod party;
pub mod party_alias;
pub mod party_membership;
pub mod region;
pub mod region_party;
pub mod status_change;
pub mod theme;
