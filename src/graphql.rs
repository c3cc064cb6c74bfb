//! The GraphQL schema: types, query roots, DataLoaders, paging and filters.

pub mod batching;
pub mod filter;
pub mod input_types;
pub mod loaders;
pub mod mutation;
pub mod paging;
pub mod query;
pub mod subscription;
pub mod types;

use async_graphql::{Schema, ValidationMode};
use sea_orm::DatabaseConnection;

pub use loaders::Loaders;

/// The schema type served over HTTP.
pub type AppSchema = Schema<query::Query, mutation::Mutation, subscription::SubscriptionRoot>;

/// A schema that runs every validation rule, and its twin that runs only those a document
/// can fail again after passing once (see `input_types.rs` for when the twin is used).
#[derive(Clone)]
pub struct Schemas {
    pub strict: AppSchema,
    pub fast: AppSchema,
}

impl Schemas {
    /// The twin for an operation that passed the full validation before, with variables
    /// that certainly coerce; the strict schema otherwise.
    pub fn pick(&self, passed_before: bool) -> &AppSchema {
        if passed_before {
            &self.fast
        } else {
            &self.strict
        }
    }
}

/// What every schema of the service shares: the pool, the write batches and the notifier.
#[derive(Clone)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub batches: crate::write::batches::Batches,
    pub notifier: crate::notify::Notifier,
}

/// Builds the schema over `shared` and its fast-validating twin (see [`build_schema`]).
pub fn build_schemas(
    shared: &Shared,
    limits: &crate::limits::Limits,
    cost: Option<crate::limits::CostBudget>,
    suggestions: bool,
) -> Schemas {
    let build = |mode| build_schema(shared.clone(), limits, cost.clone(), suggestions, mode);
    Schemas {
        strict: build(ValidationMode::Strict),
        fast: build(ValidationMode::Fast),
    }
}

/// Builds the schema over `shared`, with the cost budget `cost` as its extension if given
/// (see `limits::CostBudget` for which schemas have it), validating in mode `validation`.
/// Per-request state (the DataLoaders) is added to each request by the HTTP handler, never
/// shared between requests.
fn build_schema(
    Shared {
        db,
        batches,
        notifier,
    }: Shared,
    limits: &crate::limits::Limits,
    cost: Option<crate::limits::CostBudget>,
    suggestions: bool,
    validation: ValidationMode,
) -> AppSchema {
    let mut builder = Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::SubscriptionRoot,
    )
    .data(batches)
    .data(db)
    .data(notifier)
    .validation_mode(validation);
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
