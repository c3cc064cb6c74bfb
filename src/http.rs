//! The HTTP surface: `/graphql` (GraphQL over HTTP), GraphiQL at `/`, the schema picture at
//! `/voyager`, their browser files at `/assets/`, and `/healthz`. Answers to queries are kept
//! per caller until the next write (`response_cache.rs`).

mod assets;
mod documents;
mod graphiql;
mod graphql_over_http;
mod health;
mod response_cache;
mod shape;
mod voyager;
mod websocket;

use axum::Router;
use axum::routing::get;
use sea_orm::DatabaseConnection;

use crate::auth::Trust;
use crate::graphql::Schemas;
use std::sync::Arc;

pub use documents::Documents;
pub use response_cache::ResponseCache;

/// The id of a request: the client's `x-request-id` when it sends one, otherwise made here.
/// Every audit entry carries it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// What every handler needs: the schema, the database pool and the trusted issuers. The
/// router shares one behind an `Arc`: axum clones the state for every request, and cloning
/// each of these fields (a score of reference counts and the list of origins) was 1.7% of the
/// server's CPU in a profile of M1.
pub struct AppState {
    /// The schema for callers with a token. Each schema comes with its twin that skips the
    /// validation an operation passed before (see `graphql::input_types`).
    pub schema: Schemas,
    /// The same schema without field suggestions, for anonymous callers.
    pub schema_anonymous: Schemas,
    /// The twin that validates a document and charges its cost without executing it (see
    /// `limits::CostBudget`); the two above execute without any extension.
    pub metering: Schemas,
    /// The schema that charges its cost itself: subscriptions over WebSocket, and mutations
    /// of callers with a token over HTTP (validated once instead of twice).
    pub schema_websocket: Schemas,
    /// The schema's enums and input objects, to tell whether variables certainly coerce.
    pub input_types: Arc<crate::graphql::input_types::InputTypes>,
    /// What one request may ask.
    pub limits: Arc<crate::limits::Limits>,
    /// How often each organisation may ask.
    pub rates: crate::limits::RateLimits,
    /// The persisted operations (automatic persisted queries).
    pub operations: crate::operations::Operations,
    /// Browser origins allowed to call the API (portals); empty: none.
    pub cors_origins: Vec<String>,
    pub db: DatabaseConnection,
    /// The issuers trusted now, and the tokens verified under them (see `auth::trust`).
    pub trust: Arc<Trust>,
    /// Permits to execute an operation (`Limits::max_concurrent`).
    pub executing: Arc<tokio::sync::Semaphore>,
    /// The cost budgets of the organisations (also charged for answers from the cache).
    pub cost: crate::limits::CostBudget,
    /// Answers to queries, kept until a write changes the data.
    pub responses: Arc<ResponseCache>,
    /// The callers' organisations and relations, kept between requests until they change.
    pub callers: Arc<crate::auth::cache::CallerCache>,
    /// Documents parsed lately (see `documents.rs`).
    pub documents: Arc<Documents>,
}

/// The router of the service; tests call it in process or serve it on port 0.
pub fn router(state: AppState) -> Router {
    let body_limit = axum::extract::DefaultBodyLimit::max(state.limits.max_body_bytes);
    let cors = cors(&state.cors_origins);
    Router::new()
        .route("/", get(graphiql::page))
        .route("/voyager", get(voyager::page))
        .route("/assets/{name}", get(assets::serve))
        .route(
            "/graphql",
            get(graphql_over_http::get).post(graphql_over_http::post),
        )
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(health::metrics))
        .with_state(Arc::new(state))
        .layer(body_limit)
        .layer(cors)
        .layer(compression())
}

/// gzip for bodies over 1 KiB, at the fastest level: on small bodies compressing costs more
/// CPU than it saves on the wire, and the fastest level makes JSON nearly as small at a
/// fraction of the CPU. Answers from the response cache come compressed already.
fn compression()
-> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    tower_http::compression::CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Fastest)
        .compress_when(
            SizeAbove::new(1024)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        )
}

/// CORS for the portals' origins: only the listed origins may call from a browser.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderValue, Method, header};
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-request-id"),
        ])
}
