//! The query root, merged from one object per area.

mod aggregates;
pub mod changes;
mod lists;
mod lookups;
mod me;

use async_graphql::MergedObject;

/// Everything that can be read.
#[derive(MergedObject, Default)]
pub struct Query(
    lookups::LookupQuery,
    lists::ListQuery,
    aggregates::AggregateQuery,
    me::MeQuery,
    changes::ChangesQuery,
);
