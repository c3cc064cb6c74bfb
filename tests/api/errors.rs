//! Bad input gets a clear error with a stable code; a database that is down gives
//! UNAVAILABLE; no input makes the service panic or leak internals.

use crate::helpers::{Backend, TestApp, first_code};
use crate::on_both;
use serde_json::json;

on_both!(
    malformed_ids_and_unknown_codes_are_bad_user_input,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let long = format!(
            "{{ initiatives(filter: {{titleContains: \"{}\"}}) {{ totalCount }} }}",
            "x".repeat(300)
        );
        let cases = [
            ("{ node(id: \"Initiative\") { id } }", "id"),
            ("{ node(id: \"Nope:1\") { id } }", "id"),
            ("{ node(id: \"Initiative:abc\") { id } }", "id"),
            ("{ nodes(ids: [\"Party:1\", \"x\"]) { id } }", "ids.1"),
            ("{ party(ref: \"Region:1\") { id } }", "ref"),
            (
                "{ initiatives(filter: {region: \"atlantis\"}) { totalCount } }",
                "filter.region",
            ),
            (
                "{ initiatives(filter: {party: \"Theme:1\"}) { totalCount } }",
                "filter.party",
            ),
            (long.as_str(), "filter"),
        ];
        for (query, field) in cases {
            let body = app.query(query, json!({})).await;
            assert_eq!(first_code(&body), "BAD_USER_INPUT", "{query}: {body}");
            assert_eq!(
                body["errors"][0]["extensions"]["field"], field,
                "{query}: {body}"
            );
        }
    }
);

on_both!(
    an_unknown_id_of_a_known_kind_is_null_not_an_error,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let data = app
            .data(
                "{ node(id: \"Initiative:999999\") { id } party(ref: \"no-such-party\") { id } }",
                json!({}),
            )
            .await;
        assert_eq!(data, json!({ "node": null, "party": null }));
    }
);

on_both!(
    search_text_with_wildcards_matches_literally,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let data = app.data("{ a: initiatives(filter: {titleContains: \"%\"}) { totalCount } b: initiatives(filter: {titleContains: \"_\"}) { totalCount } }", json!({})).await;
        assert_eq!(data["a"]["totalCount"], 0);
        assert_eq!(data["b"]["totalCount"], 0);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_down_gives_unavailable_and_no_internals() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Backend::Postgres).await;
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let admin = sea_orm::Database::connect(crate::helpers::postgres_admin_url())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    let body = app
        .query("{ initiatives(first: 3) { nodes { title } } }", json!({}))
        .await;
    assert_eq!(first_code(&body), "UNAVAILABLE", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains(&name) && !message.to_lowercase().contains("sqlx"),
        "{message}"
    );
    admin
        .execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    let mut recovered = false;
    for _ in 0..50 {
        let body = app
            .query("{ initiatives(first: 3) { nodes { title } } }", json!({}))
            .await;
        if body.get("errors").is_none() {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "the service recovers by itself when the database returns"
    );
}

// The pool and the batches of status changes keep connections between uses (db.rs,
// write/batches.rs): when the server ends them all, as a restart does, one change fails with
// UNAVAILABLE and writes nothing half; every connection kept since then is tested before its
// next use, so the next change goes through on new connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_changes_recover_when_the_server_ends_their_connections() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Backend::Postgres).await;
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let admin = sea_orm::Database::connect(crate::helpers::postgres_admin_url())
        .await
        .unwrap();
    let editor = crate::auth::token("zilveren-kruis", "admin");
    let change = "mutation($status: InitiativeStatus!) { setInitiativeStatus(id: \"Initiative:1\", status: $status) { status version } }";
    let send = |status: &'static str| {
        let (app, editor) = (&app, &editor);
        async move {
            app.send(Some(editor), change, json!({ "status": status }))
                .await
                .1
        }
    };
    let history = || async {
        let query = "{ node(id: \"Initiative:1\") { ... on Initiative { statusHistory { to } } } }";
        let data = app.data_with(Some(&editor), query).await;
        data["node"]["statusHistory"].as_array().unwrap().len()
    };
    let first = send("COMPLETED").await;
    assert!(first.get("errors").is_none(), "{first}");
    let changes = history().await;
    // Requests at once leave the pool several connections, as a service under load has.
    futures_util::future::join_all((0..8).map(|_| history())).await;
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    // The first change may meet a connection the server ended; the next one lands.
    let mut failures = Vec::new();
    let mut landed = None;
    for (n, status) in ["STOPPED", "RUNNING", "STOPPED", "RUNNING", "STOPPED"]
        .into_iter()
        .enumerate()
    {
        let body = send(status).await;
        if body.get("errors").is_none() {
            landed = Some((n, body));
            break;
        }
        assert_eq!(first_code(&body), "UNAVAILABLE", "{body}");
        failures.push(body);
    }
    let (n, body) = landed.unwrap_or_else(|| panic!("no change went through: {failures:?}"));
    assert!(n <= 1, "{failures:?}");
    // Nothing half-written: one version more than the first change, whatever failed.
    assert_eq!(
        body["data"]["setInitiativeStatus"]["version"],
        first["data"]["setInitiativeStatus"]["version"]
            .as_i64()
            .unwrap()
            + 1,
        "{body}"
    );
    assert_eq!(history().await, changes + 1);
}

// A field that failed is null, not missing, and every object lists its fields in the order
// the query asked for them (async-graphql alone drops the field and orders by completion).
on_both!(
    withheld_fields_are_null_and_fields_come_in_query_order,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let query = "{ zz: __typename initiative(ref: \"regioplan-kennemerland-2023/netwerk-dashboard\") \
                     { title budgetEur code ... on Initiative { status } agenda { title code } } }";
        let text = app
            .client
            .post(format!("{}/graphql", app.url))
            .header("content-type", "application/json")
            .body(json!({ "query": query }).to_string())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(first_code(&body), "FORBIDDEN", "{text}");
        let initiative = &body["data"]["initiative"];
        assert!(
            initiative.as_object().unwrap().contains_key("budgetEur"),
            "{text}"
        );
        assert!(initiative["budgetEur"].is_null(), "{text}");
        let order = [
            "\"data\"",
            "\"zz\"",
            "\"initiative\"",
            "\"title\"",
            "\"budgetEur\"",
            "\"code\"",
            "\"status\"",
            "\"agenda\"",
            "\"errors\"",
        ];
        let at: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{order:?} in {text}");
    }
);

// An object all of whose requested fields are withheld is still there, its fields null: not
// null itself, which would say that the initiative does not exist. Also in a list, and under
// an alias.
on_both!(
    an_object_whose_only_field_is_withheld_is_not_null,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let query = "{ initiative(ref: \"regioplan-kennemerland-2023/netwerk-dashboard\") { budgetEur } \
                     missing: initiative(ref: \"regioplan-kennemerland-2023/no-such-thing\") { budgetEur } \
                     initiatives(first: 2) { nodes { money: budgetEur } } }";
        let (_, body) = app.send(None, query, json!({})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        assert_eq!(
            body["data"]["initiative"],
            json!({ "budgetEur": null }),
            "{body}"
        );
        assert!(body["data"]["missing"].is_null(), "{body}");
        assert_eq!(
            body["data"]["initiatives"]["nodes"],
            json!([{ "money": null }, { "money": null }]),
            "{body}"
        );
    }
);
