//! DataLoaders at work: the number of SQL statements a query runs depends on its depth, not
//! on how many rows it returns.

use crate::helpers::TestApp;
use crate::on_both;
use serde_json::{Value, json};

const FIELDS: &str = "code title agenda { code region { code } }
    parties { role party { code regions { role region { code } } } }
    themes { code parent { code } } goals { number parents { number } }
    milestones { title } bottlenecks { title }";

/// The relations of an initiative that each cost one statement per level when non-empty.
fn features(n: &Value) -> Vec<bool> {
    let list = |v: &Value| v.as_array().is_some_and(|a| !a.is_empty());
    vec![
        list(&n["parties"]),
        n["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| !t["parent"].is_null()),
        n["goals"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| list(&g["parents"])),
        list(&n["milestones"]),
        list(&n["bottlenecks"]),
    ]
}

/// Runs the deep query over `ids` and returns the statements it took.
async fn statements_for(app: &TestApp, ids: &[Value]) -> u64 {
    let query = format!(
        "query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Initiative {{ {FIELDS} }} }} }}"
    );
    let before = app.statements.get();
    let data = app.data(&query, json!({ "ids": ids })).await;
    let after = app.statements.get();
    assert_eq!(data["nodes"].as_array().unwrap().len(), ids.len());
    after - before
}

on_both!(
    fifty_initiatives_with_their_links_cost_as_many_statements_as_five,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        let all = app
            .data(
                &format!("{{ initiatives(first: 500) {{ nodes {{ id {FIELDS} }} }} }}"),
                json!({}),
            )
            .await;
        let nodes = all["initiatives"]["nodes"].as_array().unwrap().clone();
        // Five initiatives that between them reach every relation, so both queries run every level.
        let mut five: Vec<Value> = Vec::new();
        let mut covered = vec![false; 5];
        for n in &nodes {
            let f = features(n);
            if five.len() < 5 && f.iter().zip(&covered).any(|(has, done)| *has && !done) {
                covered.iter_mut().zip(&f).for_each(|(c, has)| *c |= has);
                five.push(n["id"].clone());
            }
        }
        assert!(
            covered.iter().all(|c| *c),
            "the bundled data reaches every relation"
        );
        for n in &nodes {
            if five.len() < 5 && !five.contains(&n["id"]) {
                five.push(n["id"].clone());
            }
        }
        let mut fifty = five.clone();
        fifty.extend(
            nodes
                .iter()
                .map(|n| n["id"].clone())
                .filter(|id| !five.contains(id))
                .take(45),
        );
        assert_eq!(fifty.len(), 50);
        let small = statements_for(&app, &five).await;
        let large = statements_for(&app, &fifty).await;
        eprintln!("statements: {small} for 5 initiatives, {large} for 50 ({backend:?})");
        assert_eq!(
            small, large,
            "statement count must not grow with the number of rows"
        );
        // One statement per level of nesting: initiatives, agendas, regions, participations,
        // parties, region links, regions, theme links, themes, parent themes, goal links, goals,
        // goal parents, parent goals, milestones, bottlenecks.
        assert!(large <= 16, "{large} statements");
    }
);
