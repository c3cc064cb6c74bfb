//! GraphQL over HTTP, per the spec (graphql.github.io/graphql-over-http), checked by the
//! `graphql-http` audit suite in CI.
//!
//! Written on top of async-graphql's executor rather than with the stock axum integration,
//! which answers `application/json` requests with the new media type, gives 200 to requests
//! that fail to parse or validate, accepts a POST without a content type and runs mutations
//! sent by GET. The rules here:
//! - the response media type follows `Accept`: `application/graphql-response+json` when the
//!   client lists it, `application/json` otherwise (also without `Accept`); anything else is
//!   406;
//! - a request that is not a well-formed GraphQL-over-HTTP request (bad JSON, a missing or
//!   mistyped parameter) is 400 with `errors`;
//! - a document that does not parse or validate, or variables that do not coerce, is 400
//!   without `data` for `application/graphql-response+json` and 200 with `errors` for
//!   `application/json` (whose older clients read errors only from a 200);
//! - a POST must say `Content-Type: application/json` (415 otherwise); GET may only query
//!   (405 for a mutation or subscription).

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

use super::{AppState, RequestId, response_cache};
use crate::auth::{AnonymousAccess, Viewer};
use crate::error::AppError;
use crate::graphql::Loaders;
use crate::graphql::batching::{Scheduler, drive};
use crate::limits;
use tracing::Instrument;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type the response is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphqlResponseJson,
    Json,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    /// The status of a GraphQL request error (the document does not parse or validate, the
    /// variables do not coerce): 400 for the new media type, 200 for legacy JSON.
    fn request_error_status(self) -> StatusCode {
        match self {
            Media::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            Media::Json => StatusCode::OK,
        }
    }
}

/// Picks the response media type from `Accept`, or `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut json = false;
    for media in offered(accept) {
        match media.as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(Media::GraphqlResponseJson),
            APPLICATION_JSON | "application/*" | "*/*" => json = true,
            _ => {}
        }
    }
    json.then_some(Media::Json)
}

/// The entries of an `Accept` or `Accept-Encoding` value, lower case, without their
/// parameters, leaving out those refused with `q=0`.
fn offered(header: &str) -> impl Iterator<Item = String> + '_ {
    header.split(',').filter_map(|part| {
        let mut fields = part.split(';');
        let name = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = fields.any(|p| {
            matches!(
                p.trim().replace(' ', "").as_str(),
                "q=0" | "q=0.0" | "q=0.00" | "q=0.000"
            )
        });
        (!refused).then_some(name)
    })
}

/// A response that is only errors, with `code` in each error's extensions.
fn request_error(media: Media, status: StatusCode, code: &str, message: &str) -> Response {
    crate::metrics::refused(code);
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    respond(media, status, body)
}

fn respond(media: Media, status: StatusCode, body: Value) -> Response {
    respond_text(media, status, body.to_string())
}

fn respond_text(media: Media, status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut response = (status, axum::body::Body::from(body.into())).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

fn not_acceptable() -> Response {
    let body = json!({ "errors": [{ "message": "send Accept: application/graphql-response+json or application/json", "extensions": { "code": "NOT_ACCEPTABLE" } }] });
    respond(Media::Json, StatusCode::NOT_ACCEPTABLE, body)
}

/// The parameters of a GraphQL-over-HTTP request, checked.
struct Params {
    /// The document; absent when the client sends only a persisted operation's hash.
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
}

/// Reads and checks the parameters; the error is the message for a `BAD_REQUEST`.
fn params(mut object: Map<String, Value>) -> Result<Params, String> {
    let persisted = object
        .get("extensions")
        .and_then(|e| e.get("persistedQuery"))
        .is_some();
    let query = match object.remove("query") {
        Some(Value::String(q)) => Some(q),
        Some(_) => return Err("`query` must be a string".into()),
        None if persisted => None,
        None => return Err("the request has no `query`".into()),
    };
    let operation_name = match object.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err("`operationName` must be a string or null".into()),
    };
    let object_param = |name: &str, value: Option<Value>| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(format!("`{name}` must be an object or null")),
    };
    let variables = object_param("variables", object.remove("variables"))?;
    let extensions = object_param("extensions", object.remove("extensions"))?;
    Ok(Params {
        query,
        operation_name,
        variables,
        extensions,
    })
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<Arc<AppState>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = format!(
                "the request body is larger than {} bytes",
                state.limits.max_body_bytes
            );
            return request_error(
                media,
                StatusCode::PAYLOAD_TOO_LARGE,
                "REQUEST_TOO_LARGE",
                &message,
            );
        }
        Err(_) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request body could not be read",
            );
        }
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json_utf8(content_type) {
        let message = "send the request as Content-Type: application/json (UTF-8)";
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            message,
        );
    }
    let object = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request body must be a JSON object",
            );
        }
        Err(_) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request body is not valid JSON",
            );
        }
    };
    match params(object) {
        Ok(params) => {
            let viewer = authenticate(&state, &headers, media).await;
            execute(
                &state,
                media,
                params,
                false,
                viewer,
                Origin::of(&headers, peer),
            )
            .await
        }
        Err(message) => request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
    }
}

/// `GET /graphql?query=...&variables=...`: queries only.
pub async fn get(
    State(state): State<Arc<AppState>>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    if pairs.is_empty() && accepts_html(&headers) {
        return super::graphiql::page().await.into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let mut object = Map::new();
    for (key, value) in pairs {
        let value = match key.as_str() {
            "variables" | "extensions" => match serde_json::from_str::<Value>(&value) {
                Ok(parsed) => parsed,
                Err(_) => {
                    return request_error(
                        media,
                        StatusCode::BAD_REQUEST,
                        "BAD_REQUEST",
                        &format!("`{key}` is not valid JSON"),
                    );
                }
            },
            _ => Value::String(value),
        };
        object.insert(key, value);
    }
    match params(object) {
        Ok(params) => {
            let viewer = authenticate(&state, &headers, media).await;
            execute(
                &state,
                media,
                params,
                true,
                viewer,
                Origin::of(&headers, peer),
            )
            .await
        }
        Err(message) => request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
    }
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// `application/json`, with no charset or `charset=utf-8`.
fn is_json_utf8(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(APPLICATION_JSON) {
        return false;
    }
    parts.all(|p| {
        let p = p.trim().to_ascii_lowercase().replace('"', "");
        !p.starts_with("charset=") || p == "charset=utf-8"
    })
}

/// Parses, checks the operation kind for GET, executes, and writes the response.
async fn execute(
    state: &AppState,
    media: Media,
    mut params: Params,
    is_get: bool,
    viewer: Result<Viewer, Response>,
    origin: Origin,
) -> Response {
    let Origin {
        caller,
        request_id,
        peer,
        gzip,
    } = origin;
    // Automatic persisted queries: a hash alone names a stored document; a hash with its
    // document stores it.
    let persisted = params
        .extensions
        .as_ref()
        .and_then(|e| e.get("persistedQuery"))
        .and_then(|p| p.get("sha256Hash"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let text = match (params.query.take(), persisted) {
        (Some(text), Some(hash)) => {
            if crate::operations::hash(&text) != hash {
                return request_error(
                    media,
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the persistedQuery hash does not match the query",
                );
            }
            if let Err(err) = state.operations.store(&state.db, &hash, &text).await {
                tracing::warn!(?err, "could not store a persisted operation");
            }
            text
        }
        (Some(text), None) => text,
        (None, Some(hash)) => match state.operations.find(&state.db, &hash).await {
            Ok(Some(text)) => text.to_string(),
            Ok(None) => {
                return request_error(
                    media,
                    media.request_error_status(),
                    "PERSISTED_QUERY_NOT_FOUND",
                    "PersistedQueryNotFound",
                );
            }
            Err(err) => return failure(media, &err),
        },
        (None, None) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request has no `query`",
            );
        }
    };
    params.query = Some(text);
    let query_text = params.query.clone().unwrap_or_default();
    // The same question from the same caller, answered since the last write: sent again
    // without parsing or executing it (a kept answer is always a query that succeeded).
    let started = std::time::Instant::now();
    // Waiting for another request's answer and executing count against one time limit.
    let time_left = || {
        state
            .limits
            .request_timeout
            .saturating_sub(started.elapsed())
    };
    let cache_key = state.responses.enabled().then(|| response_cache::Key {
        caller,
        query: query_text.clone(),
        operation_name: params.operation_name.clone(),
        variables: canonical_inputs(&params),
    });
    let again = Again {
        state,
        media,
        peer,
        query_text: &query_text,
        gzip,
        started,
    };
    if let (Some(key), Ok(viewer)) = (&cache_key, &viewer)
        && let Some(answer) = state.responses.get(key)
    {
        return again.send(viewer, &answer).await;
    }
    let operation_name = params.operation_name.as_deref();
    let (document, passed_before) = match state.documents.parse(&query_text, operation_name) {
        Ok(parsed) => (parsed.document, parsed.passed),
        Err(err) => {
            let body = json!({ "errors": [{ "message": err.to_string(), "extensions": { "code": "GRAPHQL_PARSE_FAILED" } }] });
            return respond(media, media.request_error_status(), body);
        }
    };
    if let Err(refusal) = limits::check_document(&state.limits, &query_text, &document) {
        return request_error(
            media,
            media.request_error_status(),
            refusal.code,
            &refusal.message,
        );
    }
    let operation = selected_operation(&document, params.operation_name.as_deref());
    let selected = operation.map(|op| op.ty);
    if is_get && selected.is_some_and(|ty| ty != OperationType::Query) {
        let mut response = request_error(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "only queries may be sent by GET; send mutations by POST",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if let Some(message) = operation.and_then(|op| missing_variable(op, params.variables.as_ref()))
    {
        return request_error(
            media,
            media.request_error_status(),
            "BAD_USER_INPUT",
            &message,
        );
    }
    // An operation that passed the full validation before, with variables that certainly
    // coerce, runs on the schemas that skip it (see `graphql::input_types`).
    let passed_before = passed_before
        && operation
            .is_some_and(|op| (state.input_types).certainly_coerce(op, params.variables.as_ref()));
    // Only a query's answer is kept. When the same caller is already asking the same
    // question, this request waits for that answer rather than computing it a second time;
    // the flight is held until the answer is kept (or the request ends without one).
    let cache_key = cache_key.filter(|_| selected == Some(OperationType::Query));
    let mut flight = None;
    if let (Some(key), Ok(viewer)) = (&cache_key, &viewer) {
        match state.responses.get_or_wait(key, time_left()).await {
            Ok(answer) => {
                return again.send(viewer, &answer).await;
            }
            Err(leading) => flight = leading,
        }
    }
    let variables = params
        .variables
        .map(|v| Variables::from_json(Value::Object(v)))
        .unwrap_or_default();
    let mut request = Request::new(query_text.clone()).variables(variables.clone());
    if let Some(name) = params.operation_name.clone() {
        request = request.operation_name(name);
    }
    if let Some(extensions) = params.extensions {
        for (key, value) in extensions {
            if let Ok(value) = async_graphql::Value::from_json(value) {
                request.extensions.insert(key, value);
            }
        }
    }
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let budget = match admit(state, media, &viewer, peer, &query_text).await {
        Ok(budget) => budget,
        Err(response) => return response,
    };
    // A mutation with a token runs on the schema that charges its own cost: it is validated
    // once rather than twice (validation was a tenth of a status change's CPU), and the
    // extension path, costly for long lists, costs little for a mutation's small answer.
    let charges_itself = selected == Some(OperationType::Mutation) && viewer.org.is_some();
    let schema = if charges_itself {
        &state.schema_websocket
    } else if viewer.org.is_some() {
        &state.schema
    } else {
        &state.schema_anonymous
    }
    .pick(passed_before);
    let organisation = viewer
        .org
        .as_ref()
        .map_or_else(|| "anonymous".to_string(), |o| o.code.clone());
    let operation = params
        .operation_name
        .clone()
        .or_else(|| {
            document
                .operations
                .iter()
                .next()
                .and_then(|(name, _)| name.map(|n| n.to_string()))
        })
        .unwrap_or_else(|| "anonymous".to_string());
    let generation = state.responses.generation();
    // The document's cost is measured and charged by the metering twin of the schema, which
    // validates it and stops (see `limits::CostBudget`); a document it finds invalid is left
    // to the schema that executes, to report in its own words.
    let complexity = limits::Complexity::default();
    let mut metering = Request::new(query_text.clone())
        .variables(variables)
        .data(limits::BudgetKey(budget.clone()))
        .data(complexity.clone());
    if let Some(name) = params.operation_name.clone() {
        metering = metering.operation_name(name);
    }
    metering.set_parsed_query(document.as_ref().clone());
    // async-graphql runs the document parsed above rather than parsing it again.
    // The document stays at hand to give the data the query's shape (`shape.rs`).
    request.set_parsed_query(document.as_ref().clone());
    let span = tracing::info_span!("request", id = %request_id.0, operation = %operation, organisation = %organisation);
    let scheduler = Scheduler::default();
    let mut request = request
        .data(Loaders::new(&state.db, &scheduler))
        .data(viewer)
        .data(request_id);
    if charges_itself {
        request = request
            .data(limits::BudgetKey(budget))
            .data(complexity.clone());
    }
    // Metering, waiting for a permit and executing all count against the request's time.
    let run = async {
        if !charges_itself {
            let metered = state.metering.pick(passed_before).execute(metering).await;
            if metered
                .errors
                .iter()
                .any(|e| error_code(e) == Some("RATE_LIMITED"))
            {
                return metered;
            }
        }
        let _permit = state.executing.acquire().await;
        drive(scheduler, schema.execute(request)).await
    };
    let response = match tokio::time::timeout(time_left(), run.instrument(span.clone())).await {
        Ok(response) => response,
        Err(_) => {
            let message = format!(
                "the request took longer than {:?} and was stopped",
                state.limits.request_timeout
            );
            return request_error(media, StatusCode::SERVICE_UNAVAILABLE, "TIMEOUT", &message);
        }
    };
    let request_failed = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // A request that did not fail as a whole passed the validation.
    if !request_failed && !passed_before {
        (state.documents).passed(&query_text, params.operation_name.as_deref());
    }
    let mut body = Map::new();
    let data = (!request_failed).then(|| {
        let failed: Vec<&[async_graphql::PathSegment]> =
            response.errors.iter().map(|e| e.path.as_slice()).collect();
        let operation = params.operation_name.as_deref();
        super::shape::shape_data(response.data, &document, operation, &failed)
    });
    let errors: Vec<Value> = response
        .errors
        .into_iter()
        .map(|e| error_json(e, request_failed))
        .collect();
    let codes: Vec<String> = errors
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_string))
        .collect();
    let elapsed = started.elapsed();
    crate::metrics::request(&operation, &organisation, elapsed, &codes);
    span.in_scope(|| {
        tracing::info!(
            elapsed_ms = elapsed.as_millis() as u64,
            errors = codes.len(),
            "graphql request"
        )
    });
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    if !response.extensions.is_empty()
        && let Ok(ext) = serde_json::to_value(&response.extensions)
    {
        body.insert("extensions".into(), ext);
    }
    if request_failed && codes.iter().any(|c| c == "RATE_LIMITED") {
        let mut response = respond(media, StatusCode::TOO_MANY_REQUESTS, Value::Object(body));
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let status = if request_failed {
        media.request_error_status()
    } else {
        StatusCode::OK
    };
    match data {
        // `data` first, its fields in query order: serialized from async-graphql's ordered
        // value, not through `serde_json::Value`, whose maps sort their keys.
        Some(data) => {
            let mut text = String::from("{\"data\":");
            text.push_str(&serde_json::to_string(&data).unwrap_or_else(|_| "null".into()));
            for (key, value) in &body {
                text.push(',');
                text.push_str(&Value::String(key.clone()).to_string());
                text.push(':');
                text.push_str(&value.to_string());
            }
            text.push('}');
            let text = Bytes::from(text);
            if let Some(key) = cache_key.filter(|_| body.is_empty() && status == StatusCode::OK) {
                let complexity = complexity.0.load(std::sync::atomic::Ordering::Relaxed);
                state
                    .responses
                    .keep(key, generation, text.clone(), complexity, operation.clone());
            }
            drop(flight);
            respond_text(media, status, text)
        }
        None => respond(media, status, Value::Object(body)),
    }
}

/// The operation a request runs: the one `operation_name` names, or the only one.
fn selected_operation<'d>(
    document: &'d async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'d async_graphql::parser::types::OperationDefinition> {
    let operation = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.map(|n| n.as_str()) == Some(name))
            .map(|(_, op)| op),
        None => document.operations.iter().next().map(|(_, op)| op),
    };
    operation.map(|op| &op.node)
}

/// The message for the first variable the operation requires (a non-null type without a
/// default) that the request leaves out or sends as null. async-graphql finds this only
/// while executing, as a field error with `data: null`; the GraphQL-over-HTTP spec makes it
/// a request error, refused before execution like any variable that does not coerce.
fn missing_variable(
    operation: &async_graphql::parser::types::OperationDefinition,
    variables: Option<&Map<String, Value>>,
) -> Option<String> {
    operation
        .variable_definitions
        .iter()
        .find_map(|definition| {
            let definition = &definition.node;
            let name = definition.name.node.as_str();
            let given = variables
                .and_then(|v| v.get(name))
                .is_some_and(|value| !value.is_null());
            (!definition.var_type.node.nullable && definition.default_value.is_none() && !given)
                .then(|| {
                    format!(
                        "variable `${name}` of type `{}` is required: send it in `variables`",
                        definition.var_type.node
                    )
                })
        })
}

/// The variables and extensions of a request as one string, the same for the same inputs
/// (serde_json's maps sort their keys). The persisted-query hash is left out: it names the
/// document, which the cache key holds.
fn canonical_inputs(params: &Params) -> String {
    let extensions: Option<Map<String, Value>> = params.extensions.as_ref().map(|e| {
        e.iter()
            .filter(|(k, _)| k.as_str() != "persistedQuery")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    });
    serde_json::to_string(&(&params.variables, extensions)).unwrap_or_default()
}

/// The checks every request passes before it runs, or is answered from the cache: the
/// caller's rate limit and, for an organisation on an allow-list, that the operation is
/// registered. Gives the key of the caller's budgets.
async fn admit(
    state: &AppState,
    media: Media,
    viewer: &Viewer,
    peer: Option<SocketAddr>,
    query_text: &str,
) -> Result<String, Response> {
    // The budget is the organisation's; anonymous callers each have their own, by address.
    let budget = match (&viewer.org, peer) {
        (Some(org), _) => format!("org:{}", org.code),
        (None, Some(peer)) => format!("ip:{}", peer.ip()),
        (None, None) => "anonymous".to_string(),
    };
    if let Err(wait) = state.rates.check(&budget) {
        let seconds = wait.as_secs() + 1;
        let mut response = request_error(
            media,
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            &format!("too many requests; retry in {seconds} s"),
        );
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return Err(response);
    }
    // An organisation on an allow-list runs only the operations registered for it.
    if let Some(org) = viewer.org.as_ref().filter(|_| viewer.restricted) {
        match crate::operations::registered(&state.db, org.id, &crate::operations::hash(query_text))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                let message = "this organisation runs only registered operations, and this one is not registered";
                return Err(request_error(
                    media,
                    StatusCode::FORBIDDEN,
                    "OPERATION_NOT_ALLOWED",
                    message,
                ));
            }
            Err(err) => return Err(failure(media, &err)),
        }
    }
    Ok(budget)
}

/// Who asked for a kept answer, and how they take it.
struct Asked<'a> {
    budget: &'a str,
    organisation: &'a str,
    /// The client accepts gzip.
    gzip: bool,
    started: std::time::Instant,
}

/// What it takes to answer a request from the cache.
struct Again<'a> {
    state: &'a AppState,
    media: Media,
    peer: Option<SocketAddr>,
    query_text: &'a str,
    /// The client accepts gzip.
    gzip: bool,
    started: std::time::Instant,
}

impl Again<'_> {
    /// Sends the kept `answer` to `viewer` once the request is [admitted](admit).
    async fn send(&self, viewer: &Viewer, answer: &response_cache::Answer) -> Response {
        let budget = match admit(self.state, self.media, viewer, self.peer, self.query_text).await {
            Ok(budget) => budget,
            Err(response) => return response,
        };
        let organisation = viewer.org.as_ref().map_or("anonymous", |o| o.code.as_str());
        let asked = Asked {
            budget: &budget,
            organisation,
            gzip: self.gzip,
            started: self.started,
        };
        answer_again(self.state, self.media, answer, asked)
    }
}

/// Sends a kept answer (gzipped when the client takes that): charged to the cost budget and
/// counted like an executed query.
fn answer_again(
    state: &AppState,
    media: Media,
    answer: &response_cache::Answer,
    asked: Asked<'_>,
) -> Response {
    if let Err(error) = state.cost.charge(asked.budget, answer.complexity) {
        let mut response = request_error(
            media,
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            &error.message,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let elapsed = asked.started.elapsed();
    crate::metrics::request(&answer.operation, asked.organisation, elapsed, &[]);
    tracing::info!(
        operation = answer.operation.as_str(),
        organisation = asked.organisation,
        elapsed_ms = elapsed.as_millis() as u64,
        "graphql request answered from the cache"
    );
    if !asked.gzip {
        return respond_text(media, StatusCode::OK, answer.body.clone());
    }
    let mut response = respond_text(media, StatusCode::OK, answer.gzipped());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Where a request comes from.
struct Origin {
    /// The bearer token as sent (the response cache's notion of a caller), or empty.
    caller: String,
    request_id: RequestId,
    /// The client's address, for the budgets of anonymous callers.
    peer: Option<SocketAddr>,
    /// The client accepts a gzipped body.
    gzip: bool,
}

impl Origin {
    fn of(headers: &HeaderMap, peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>) -> Self {
        Origin {
            caller: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            request_id: request_id(headers),
            peer: peer.map(|p| p.0.0),
            gzip: accepts_gzip(headers),
        }
    }
}

/// `Accept-Encoding` lists gzip (or `*`) without refusing it with `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    offered(accept).any(|coding| coding == "gzip" || coding == "*")
}

/// An error as JSON, with a code for those that async-graphql raised without one: a
/// request-level error (no path) failed validation or variable coercion; a field-level one
/// is a bad argument value.
fn error_json(error: ServerError, request_failed: bool) -> Value {
    let mut value =
        serde_json::to_value(&error).unwrap_or_else(|_| json!({ "message": "internal error" }));
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code && let Value::Object(map) = &mut value {
        let code = if error.message.contains("nested too deep") {
            "DEPTH_LIMIT"
        } else if error.message.contains("too complex") {
            "COMPLEXITY_LIMIT"
        } else if request_failed || error.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_USER_INPUT"
        };
        let ext = map.entry("extensions").or_insert_with(|| json!({}));
        if let Value::Object(ext) = ext {
            ext.insert("code".into(), Value::String(code.into()));
        }
    }
    value
}

/// The caller of a request, or the 401 response that refuses it: a bad token is never
/// treated as anonymous.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
) -> Result<Viewer, Response> {
    let refuse = |message: &str| {
        let mut response =
            request_error(media, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message);
        let challenge = format!(
            "Bearer realm=\"regiograaf\", error=\"invalid_token\", error_description=\"{}\"",
            message.replace('"', "'")
        );
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return match state.trust.config().anonymous {
            AnonymousAccess::Public => Ok(Viewer::anonymous().with_cache(state.callers.clone())),
            AnonymousAccess::Refuse => {
                let mut response = request_error(
                    media,
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHENTICATED",
                    "this service needs a bearer token",
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"regiograaf\""),
                );
                Err(response)
            }
        };
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| refuse("send the token as `Authorization: Bearer <token>`"))?;
    let claims = state.trust.verify(token).map_err(|why| refuse(&why))?;
    match Viewer::from_claims(&state.db, &state.callers, claims).await {
        Ok(viewer) => Ok(viewer),
        Err(AppError::Unauthenticated(why)) => Err(refuse(&why)),
        Err(other) => {
            let status = if other.code() == "UNAVAILABLE" {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            Err(request_error(media, status, other.code(), &other.message()))
        }
    }
}

/// The `extensions.code` of an error, if it has one.
fn error_code(error: &async_graphql::ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// The client's `x-request-id` (when printable and short) or a new one.
fn request_id(headers: &HeaderMap) -> RequestId {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let given = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128);
    RequestId(match given {
        Some(id) => id.to_string(),
        None => format!(
            "{:x}-{:x}",
            chrono::Utc::now().timestamp_micros(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ),
    })
}

/// The response to a failure before execution: 503 when the database is away, 500 for a bug.
fn failure(media: Media, err: &AppError) -> Response {
    let status = if matches!(err, AppError::Unavailable) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    request_error(media, status, err.code(), &err.message())
}
