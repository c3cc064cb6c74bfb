//! The query root, merged from one object per area.

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
    me::MeQuery,
    changes::ChangesQuery,
);
