//! The contract: `schema.graphql` is the schema the code builds, and every part of it is
//! described for the portal developers who read it.

use crate::helpers::{Backend, TestApp};
use serde_json::json;

#[test]
fn schema_graphql_matches_the_generated_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    let generated = regiograaf::graphql::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql differs from the schema the code builds; if the change is intended, \
         regenerate it with `cargo run -- schema > schema.graphql` and review the diff"
    );
}

#[tokio::test]
async fn every_type_field_and_argument_has_a_description() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let query = "{ __schema { types { name kind description
        fields { name description args { name description } }
        inputFields { name description }
        enumValues { name description } } } }";
    let data = app.data(query, json!({})).await;
    let mut missing = Vec::new();
    let blank = |v: &serde_json::Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for ty in data["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if blank(&ty["description"]) {
            missing.push(name.to_string());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let fname = field["name"].as_str().unwrap();
            if blank(&field["description"]) {
                missing.push(format!("{name}.{fname}"));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if blank(&arg["description"]) {
                    missing.push(format!("{name}.{fname}({})", arg["name"]));
                }
            }
        }
        for field in ty["inputFields"].as_array().into_iter().flatten() {
            if blank(&field["description"]) {
                missing.push(format!("{name}.{}", field["name"]));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            if blank(&value["description"]) {
                missing.push(format!("{name}.{}", value["name"]));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undescribed parts of the schema: {missing:#?}"
    );
}
