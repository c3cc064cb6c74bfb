//! GraphiQL, the in-browser IDE, served at `/` from the service's own copies of its files
//! (see [`super::assets`]), with the example operations of `web/examples/` in its Examples
//! panel and as its first tabs.

mod examples;

use std::sync::LazyLock;

use axum::response::IntoResponse;

use super::assets;

/// Where the page takes the examples, as JSON.
const EXAMPLES_SLOT: &str =
    r#"<script type="application/json" id="regiograaf-examples">[]</script>"#;

/// The page, built once: asset references stamped, the examples filled in.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let html = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/web/static/graphiql.html"
    ));
    let examples = format!(
        r#"<script type="application/json" id="regiograaf-examples">{}</script>"#,
        examples::json()
    );
    assets::stamp(html).replace(EXAMPLES_SLOT, &examples)
});

/// The GraphiQL page, pointed at `/graphql` (and `/graphql/ws` for subscriptions).
pub async fn page() -> impl IntoResponse {
    assets::page(PAGE.as_str(), assets::GRAPHIQL_POLICY)
}
