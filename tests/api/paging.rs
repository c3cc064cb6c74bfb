//! Relay paging: every row once, in order, forwards and backwards, under every ordering.

use crate::helpers::{TestApp, first_code};
use crate::on_both;
use serde_json::{Value, json};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $order: Ordering) {
    initiatives(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
        totalCount edges { cursor node { id title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

async fn walk_forward(app: &TestApp, order: Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data(PAGE, json!({ "first": 7, "after": after, "order": order }))
            .await;
        let page = &data["initiatives"];
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_string());
        }
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return seen;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn walk_backward(app: &TestApp, order: Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut before = Value::Null;
    loop {
        let data = app
            .data(PAGE, json!({ "last": 9, "before": before, "order": order }))
            .await;
        let page = &data["initiatives"];
        let ids: Vec<String> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect();
        seen.splice(0..0, ids);
        if !page["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            return seen;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
}

on_both!(
    paging_visits_every_initiative_once_in_every_order,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let total = app.data(PAGE, json!({ "first": 1 })).await["initiatives"]["totalCount"]
            .as_u64()
            .unwrap() as usize;
        assert!(total > 50);
        for order in [
            json!(null),
            json!({"field": "NAME"}),
            json!({"field": "CODE", "direction": "DESC"}),
            json!({"field": "UPDATED_AT", "direction": "DESC"}),
        ] {
            let forward = walk_forward(&app, order.clone()).await;
            let backward = walk_backward(&app, order.clone()).await;
            assert_eq!(forward.len(), total, "{order}");
            let unique: std::collections::HashSet<_> = forward.iter().collect();
            assert_eq!(unique.len(), total, "no row twice ({order})");
            assert_eq!(
                forward, backward,
                "backwards gives the same order ({order})"
            );
        }
    }
);

on_both!(name_ordering_sorts_titles, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let data = app.data("{ initiatives(first: 500, orderBy: {field: NAME, direction: DESC}) { nodes { title } } }", json!({})).await;
    let titles: Vec<&str> = data["initiatives"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(titles, sorted);
});

on_both!(
    bad_paging_arguments_are_bad_user_input,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let cursor =
            app.data(PAGE, json!({ "first": 2 })).await["initiatives"]["pageInfo"]["endCursor"]
                .clone();
        let cases = [
            json!({ "first": 2, "last": 2 }),
            json!({ "first": -1 }),
            json!({ "first": 501 }),
            json!({ "first": 2, "after": "not-a-cursor" }),
            json!({ "first": 2, "after": "eyJvIjoiSWQifQ" }),
            json!({ "first": 2, "after": cursor, "order": {"field": "NAME"} }),
        ];
        for variables in cases {
            let body = app.query(PAGE, variables.clone()).await;
            assert_eq!(first_code(&body), "BAD_USER_INPUT", "{variables}: {body}");
            assert!(body["errors"][0]["message"].as_str().unwrap().len() > 10);
        }
    }
);
