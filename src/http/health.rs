//! `/healthz` (the process is alive) and `/readyz` (it can serve: the database answers and
//! its migrations are current), for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use super::AppState;

/// `GET /readyz`: 200 when the database answers and no migration is pending, 503 otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.db.execute_unprepared("SELECT 1").await.is_err() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        );
    }
    match Migrator::get_pending_migrations(&state.db).await {
        Ok(pending) if pending.is_empty() => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(pending) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "pendingMigrations": pending.len() })),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        ),
    }
}
