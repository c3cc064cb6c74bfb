//! The GraphQL-over-HTTP spec's own audit suite (npm `graphql-http`, `serverAudits`) against
//! the running service: no errors and no warnings allowed.

use crate::helpers::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_over_http_audit_passes_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http-audit");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/graphql-http")
            .exists(),
        "the audit suite is not installed: run `npm ci --prefix tests/http-audit` (scripts/test does)"
    );
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = format!("{}/graphql", app.url);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("audit.mjs")
            .arg(&url)
            .current_dir(dir)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs (Node.js 20 or later is needed)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!("{}", stdout.lines().last().unwrap_or(""));
    assert!(
        output.status.success(),
        "audit failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
