//! GraphQL over WebSocket (graphql-transport-ws, and the older graphql-ws) at `/graphql/ws`,
//! for subscriptions. The token travels in the `connection_init` payload
//! (`{"authorization": "Bearer ..."}`) and is checked like a request's header: a bad token
//! closes the connection, no token is anonymous only where anonymous access is allowed.

use std::sync::Arc;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use serde_json::Value;

use super::{AppState, RequestId};
use crate::auth::{AnonymousAccess, Viewer};
use crate::graphql::Loaders;
use crate::graphql::batching::Scheduler;

/// `GET /graphql/ws`: upgrades to a GraphQL WebSocket.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let schema = state.schema_websocket.strict.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| connection_data(state, payload))
                .serve()
        })
}

async fn connection_data(state: Arc<AppState>, payload: Value) -> async_graphql::Result<Data> {
    let token = ["authorization", "Authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
        .map(|v| {
            v.trim_start_matches("Bearer ")
                .trim_start_matches("bearer ")
                .trim()
                .to_string()
        })
        .or_else(|| {
            payload
                .get("token")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let viewer = match token {
        Some(token) => {
            let claims = state
                .trust
                .verify(&token)
                .map_err(async_graphql::Error::new)?;
            Viewer::from_claims(&state.db, &state.callers, claims)
                .await
                .map_err(|e| async_graphql::Error::new(e.message()))?
        }
        None if state.trust.config().anonymous == AnonymousAccess::Public => {
            Viewer::anonymous().with_cache(state.callers.clone())
        }
        None => {
            return Err(async_graphql::Error::new(
                "this service needs a bearer token in the connection_init payload",
            ));
        }
    };
    let mut data = Data::default();
    data.insert(viewer);
    data.insert(Loaders::new(&state.db, &Scheduler::spawning()).without_cache());
    data.insert(RequestId(format!(
        "ws-{}",
        chrono::Utc::now().timestamp_micros()
    )));
    Ok(data)
}
