//! The browser pages: GraphiQL at `/` and Voyager at `/voyager` load their files from the
//! service alone, and every example operation of `web/examples/` runs on the bundled agendas.
//! (`scripts/test-browser` drives the same pages in a real browser.)

use crate::auth::token;
use crate::helpers::{Backend, TestApp};
use crate::on_both;
use crate::writes::gql;
use serde_json::Value;

/// The `src` and `href` values of a page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            found.push(part.split('"').next().unwrap_or_default().to_string());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_load_every_file_from_the_service_itself() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in ["/", "/voyager"] {
        let response = app
            .client
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("://"), "{path} names another host");
        let assets: Vec<String> = references(&html)
            .into_iter()
            .filter(|r| r.starts_with("/assets/"))
            .collect();
        assert!(assets.len() >= 3, "{path}: {assets:?}");
        for asset in assets {
            let response = app
                .client
                .get(format!("{}{asset}", app.url))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{asset}");
            let headers = response.headers();
            let content_type = headers["content-type"].to_str().unwrap();
            assert!(
                content_type.starts_with("text/javascript") || content_type.starts_with("text/css"),
                "{asset}: {content_type}"
            );
            assert!(
                headers["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("immutable"),
                "{asset} is referenced by its hash, so it is cached for good"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_asset_is_not_found_and_an_unhashed_one_is_revalidated() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.url)).send();
    assert_eq!(get("/assets/package.json").await.unwrap().status(), 404);
    assert_eq!(get("/assets/..%2Fbuild.rs").await.unwrap().status(), 404);
    let response = get("/assets/graphiql.min.js").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let etag = response.headers()["etag"].clone();
    let again = app
        .client
        .get(format!("{}/assets/graphiql.min.js", app.url))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

/// The examples of `web/examples/`: name, document, variables.
fn examples() -> Vec<(String, String, Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".graphql").map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let query = std::fs::read_to_string(dir.join(format!("{name}.graphql"))).unwrap();
            let variables = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
            (name, query, serde_json::from_str(&variables).unwrap())
        })
        .collect()
}

on_both!(
    every_example_operation_runs_on_the_bundled_agendas,
    |backend| async move {
        let app = TestApp::spawn(backend).await;
        // The token the page's header hint names.
        let editor = token("gemeente-haarlem", "editor");
        let examples = examples();
        assert_eq!(examples.len(), 3);
        for (name, query, variables) in examples {
            // The queries run without a token, as the page says; the sync needs the editor's.
            let needs_token = query.lines().any(|line| line.starts_with("mutation"));
            let caller = needs_token.then_some(editor.as_str());
            let body = gql(&app, caller, &query, variables).await;
            assert!(body.get("errors").is_none(), "{name}: {body:#}");
            let data = &body["data"];
            match name.as_str() {
                "portal-page" => {
                    assert_eq!(data["region"]["name"], "Zorgkantoorregio Kennemerland");
                    let agendas = data["region"]["agendas"].as_array().unwrap();
                    assert!(
                        agendas
                            .iter()
                            .any(|a| !a["initiatives"].as_array().unwrap().is_empty())
                    );
                }
                "partner-sync" => {
                    let result = &data["syncInitiatives"];
                    assert_eq!(result["dryRun"], true);
                    assert_eq!(result["refused"], 0, "{result:#}");
                    assert_eq!(result["updated"], 2, "{result:#}");
                }
                "analyst-initiatives" => {
                    let nodes = data["initiatives"]["nodes"].as_array().unwrap();
                    assert!(!nodes.is_empty());
                    assert!(
                        nodes
                            .iter()
                            .all(|n| n["status"] == "RUNNING" || n["status"] == "PLANNED")
                    );
                    assert!(
                        nodes
                            .iter()
                            .any(|n| !n["parties"].as_array().unwrap().is_empty())
                    );
                }
                other => panic!("an example without a check here: {other}"),
            }
        }
        // The dry run wrote nothing.
        let body = gql(
        &app,
        None,
        r#"{ initiative(ref: "regioplan-kennemerland-2023/financien-in-de-spreekkamer") { status } }"#,
        Value::Null,
    )
    .await;
        assert_eq!(body["data"]["initiative"]["status"], "IDEA");
    }
);
