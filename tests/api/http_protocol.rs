//! The HTTP rules the audit does not pin down: GET never mutates, content types are
//! enforced, request errors carry codes.

use crate::helpers::{Backend, TestApp};
use serde_json::Value;

async fn send(app: &TestApp, request: reqwest::RequestBuilder) -> (u16, String, Value) {
    let _ = app;
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

/// A JSON POST to `url` that accepts `accept`.
fn post_json(
    app: &TestApp,
    url: &str,
    accept: &'static str,
    body: &'static str,
) -> reqwest::RequestBuilder {
    app.client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", accept)
        .body(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_runs_queries_but_refuses_mutations() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = format!("{}/graphql", app.url);
    let (status, content_type, body) = send(
        &app,
        app.client
            .get(&url)
            .query(&[("query", "{ agendas { totalCount } }")]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/json"));
    assert!(body["data"]["agendas"]["totalCount"].as_u64().unwrap() >= 4);
    let (status, _, body) = send(
        &app,
        app.client
            .get(&url)
            .query(&[("query", "mutation { __typename }")]),
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_follow_the_accepted_media_type() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = format!("{}/graphql", app.url);
    let post = |accept: &'static str, body: &'static str| post_json(&app, &url, accept, body);
    let (status, content_type, body) = send(
        &app,
        post("application/graphql-response+json", r#"{"query":"{"}"#),
    )
    .await;
    assert_eq!(
        (
            status,
            content_type.starts_with("application/graphql-response+json")
        ),
        (400, true)
    );
    assert!(body.get("data").is_none());
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
    let (status, _, body) = send(&app, post("application/json", r#"{"query":"{ nope }"}"#)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    let (status, _, body) = send(&app, post("application/json", r#"{"query": 1}"#)).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    let (status, _, _) = send(
        &app,
        app.client.post(&url).body(r#"{"query":"{ __typename }"}"#),
    )
    .await;
    assert_eq!(status, 415, "a POST without a content type is refused");
    let (status, _, _) = send(&app, post("text/csv", r#"{"query":"{ __typename }"}"#)).await;
    assert_eq!(status, 406);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_variable_left_out_is_a_request_error() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = format!("{}/graphql", app.url);
    let post = |accept: &'static str, body: &'static str| post_json(&app, &url, accept, body);
    let new_media = "application/graphql-response+json";
    for body in [
        r#"{"query":"query($ref: String!) { agenda(ref: $ref) { code } }"}"#,
        r#"{"query":"query($ref: String!) { agenda(ref: $ref) { code } }","variables":{"ref":null}}"#,
        r#"{"query":"query($ref: String!) { agenda(ref: $ref) { code } }","variables":{"other":"x"}}"#,
    ] {
        let (status, _, answer) = send(&app, post(new_media, body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.get("data").is_none(), "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("$ref") && message.contains("String!"),
            "{message}"
        );
    }
    // Legacy JSON clients read request errors from a 200.
    let (status, _, answer) = send(
        &app,
        post(
            "application/json",
            r#"{"query":"query($ref: String!) { agenda(ref: $ref) { code } }"}"#,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // A nullable variable, or one with a default, may be left out; a given one runs.
    for body in [
        r#"{"query":"query($first: Int) { agendas(first: $first) { totalCount } }"}"#,
        r#"{"query":"query($first: Int! = 2) { agendas(first: $first) { totalCount } }"}"#,
        r#"{"query":"query($first: Int!) { agendas(first: $first) { totalCount } }","variables":{"first":1}}"#,
    ] {
        let (status, _, answer) = send(&app, post(new_media, body)).await;
        assert_eq!(status, 200, "{body}: {answer}");
        assert!(answer["data"]["agendas"]["totalCount"].as_u64().unwrap() >= 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_is_served_at_the_root() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app.client.get(&app.url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );
}

// An operation that passed the validation once runs on the schema that skips the document's
// rules (http/documents.rs, graphql/input_types.rs). Variables that do not coerce still get
// the answer of the full validation, word for word, and change nothing; a document seen for
// the first time gives that answer as the reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_that_passed_before_still_refuses_variables_that_do_not_coerce() {
    use crate::helpers::first_code;
    use serde_json::json;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let editor = crate::auth::token("zilveren-kruis", "admin");
    let change = "mutation($id: ID!, $status: InitiativeStatus!) { setInitiativeStatus(id: $id, status: $status) { status version } }";
    let filter = "query($f: InitiativeFilter) { initiatives(filter: $f) { totalCount } }";
    let fresh = |text: &str, n: usize| format!("{text}{}", " ".repeat(n));
    let (status, first) = app
        .send(
            Some(&editor),
            change,
            json!({ "id": "Initiative:1", "status": "COMPLETED" }),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let version = first["data"]["setInitiativeStatus"]["version"].as_i64();
    let (status, body) = app
        .send(
            Some(&editor),
            filter,
            json!({ "f": { "status": ["IDEA"] } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for (n, (text, variables)) in [
        (change, json!({ "id": "Initiative:1", "status": "BOGUS" })),
        (change, json!({ "id": "Initiative:1", "status": 3 })),
        (change, json!({ "id": true, "status": "STOPPED" })),
        (filter, json!({ "f": { "nope": 1 } })),
        (filter, json!({ "f": { "status": ["IDEA", "BOGUS"] } })),
        (filter, json!({ "f": { "labourSaving": "yes" } })),
    ]
    .into_iter()
    .enumerate()
    {
        let reference = app
            .send(Some(&editor), &fresh(text, n + 1), variables.clone())
            .await;
        let again = app.send(Some(&editor), text, variables.clone()).await;
        assert_eq!(again, reference, "{variables}");
        assert_eq!(
            first_code(&again.1),
            "GRAPHQL_VALIDATION_FAILED",
            "{again:?}"
        );
        assert!(again.1.get("data").is_none(), "{again:?}");
    }
    // Nothing was changed by the refused ones; the document still runs.
    let (status, last) = app
        .send(
            Some(&editor),
            change,
            json!({ "id": "Initiative:1", "status": "STOPPED" }),
        )
        .await;
    assert_eq!(status, 200, "{last}");
    assert_eq!(
        last["data"]["setInitiativeStatus"]["version"].as_i64(),
        version.map(|v| v + 1),
        "{last}"
    );
}
