//! The API types: what the schema shows of each record, built from the entities.
//!
//! Each type wraps its entity model and resolves links through the request's [`Loaders`], so
//! the storage layout can change without changing the contract in `schema.graphql`.

mod agenda;
mod goal;
mod governance;
mod history;
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
pub use history::{AuditEntry, AuditOperation, FieldChange, StatusChange, status_at};
pub use initiative::{Contact, Initiative, visible_initiative, visible_initiatives};
pub use links::{AgendaSignature, BodyMembership, Participation, RegionMembership};
pub use node::Node;
pub use party::Party;
pub use provenance::Provenance;
pub use region::Region;
pub use theme::Theme;

use super::loaders::Loaders;
use async_graphql::Context;

/// What a nested list counts for in a query's complexity: it may hold many rows, so its
/// fields count this many times (`Limits::max_complexity`).
pub const LIST_COST: usize = 10;

/// The request's DataLoaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// Wraps each model in its API type.
pub(crate) fn wrap_all<M, T: From<M>>(rows: Vec<M>) -> Vec<T> {
    rows.into_iter().map(T::from).collect()
}

/// Keeps the first `first` items (all when `None`) that belong to no initiative or to one the
/// caller may see. Only as many initiatives are read as it takes to find them, a page at a
/// time: a party taking part in thousands of initiatives asked for its first ten reads about
/// ten, not thousands.
pub async fn keep_first_visible<T>(
    ctx: &Context<'_>,
    items: Vec<T>,
    first: Option<usize>,
    initiative_of: impl Fn(&T) -> Option<i32> + Copy,
) -> async_graphql::Result<Vec<T>> {
    let Some(first) = first else {
        return keep_visible(ctx, items, initiative_of).await;
    };
    let mut kept = Vec::with_capacity(first.min(items.len()));
    let mut rest = items.into_iter().peekable();
    while kept.len() < first && rest.peek().is_some() {
        let page: Vec<T> = rest.by_ref().take(first - kept.len()).collect();
        kept.extend(keep_visible(ctx, page, initiative_of).await?);
    }
    Ok(kept)
}

/// Keeps the items that belong to no initiative or to one the caller may see.
pub async fn keep_visible<T>(
    ctx: &Context<'_>,
    items: Vec<T>,
    initiative_of: impl Fn(&T) -> Option<i32>,
) -> async_graphql::Result<Vec<T>> {
    let ids: Vec<i32> = items.iter().filter_map(&initiative_of).collect();
    if ids.is_empty() {
        return Ok(items);
    }
    let seen: std::collections::HashSet<i32> = visible_initiatives(ctx, ids)
        .await?
        .iter()
        .map(|i| i.0.id)
        .collect();
    Ok(items
        .into_iter()
        .filter(|item| initiative_of(item).is_none_or(|id| seen.contains(&id)))
        .collect())
}
