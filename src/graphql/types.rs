//! The API types: what the schema shows of each record, built from the entities.
//!
//! Each type wraps its entity model and resolves links through the request's [`Loaders`], so
//! the storage layout can change without changing the contract in `schema.graphql`.

mod agenda;
mod goal;
mod governance;
mod initiative;
mod links;
mod node;
mod party;
mod provenance;
mod region;
mod theme;

pub use agenda::Agenda;
pub use goal::{Bottleneck, Goal, Indicator, Milestone};
pub use governance::GovernanceBody;
pub use initiative::{Contact, Initiative};
pub use links::{AgendaSignature, BodyMembership, Participation, RegionMembership};
pub use node::Node;
pub use party::Party;
pub use provenance::Provenance;
pub use region::Region;
pub use theme::Theme;

use super::loaders::Loaders;
use async_graphql::Context;

/// The request's DataLoaders.
pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// Wraps each model in its API type.
pub(crate) fn wrap_all<M, T: From<M>>(rows: Vec<M>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}
