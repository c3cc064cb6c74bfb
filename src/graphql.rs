//! The GraphQL schema: types, query roots, DataLoaders, paging and filters.

pub mod batching;
pub mod filter;
pub mod loaders;
pub mod mutation;
pub mod paging;
pub mod query;
pub mod subscription;
pub mod types;

use async_graphql::Schema;
use sea_orm::DatabaseConnection;

pub use loaders::Loaders;

/// The schema type served over HTTP.
pub type AppSchema = Schema<query::Query, mutation::Mutation, subscription::SubscriptionRoot>;

/// Builds the schema over `db`, with the cost budget `cost` as its extension if given (see
/// `limits::CostBudget` for which schemas have it). Per-request state (the DataLoaders) is
/// added to each request by the HTTP handler, never shared between requests.
pub fn build_schema(
    db: DatabaseConnection,
    batches: crate::write::batches::Batches,
    notifier: crate::notify::Notifier,
    limits: &crate::limits::Limits,
    cost: Option<crate::limits::CostBudget>,
    suggestions: bool,
) -> AppSchema {
    let mut builder = Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::SubscriptionRoot,
    )
    .data(batches)
    .data(db)
    .data(notifier);
    if let Some(cost) = cost {
        builder = builder.extension(cost);
    }
    let builder = builder
        // The exact depth check, which leaves introspection out, runs on every HTTP document
        // (`limits::check_document`); this backstop covers subscriptions over WebSocket.
        .limit_depth(limits.max_depth.max(crate::limits::DEPTH_BACKSTOP))
        .limit_complexity(limits.max_complexity);
    // Field suggestions ("did you mean ...?") map the schema for a prober: only callers with
    // a token get them.
    use crate::limits::Introspection;
    let introspection = match limits.introspection {
        Introspection::Everyone => true,
        Introspection::Authenticated => suggestions,
        Introspection::Nobody => false,
    };
    let builder = if introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    if suggestions {
        builder.finish()
    } else {
        builder.disable_suggestions().finish()
    }
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
