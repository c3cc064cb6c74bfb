//! The HTTP surface: `/graphql` (GraphQL over HTTP), GraphiQL at `/`, and `/healthz`.

mod graphiql;
mod graphql_over_http;
mod websocket;

use axum::Router;
use axum::routing::get;
use sea_orm::DatabaseConnection;

use crate::auth::AuthConfig;
use crate::graphql::AppSchema;
use std::sync::Arc;

/// The id of a request: the client's `x-request-id` when it sends one, otherwise made here.
/// Every audit entry carries it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// What every handler needs: the schema, the database pool and the trusted issuers.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    pub auth: Arc<AuthConfig>,
}

/// The router of the service; tests call it in process or serve it on port 0.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(graphiql::page))
        .route(
            "/graphql",
            get(graphql_over_http::get).post(graphql_over_http::post),
        )
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state)
}
