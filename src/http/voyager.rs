//! GraphQL Voyager at `/voyager`: the schema as a picture, drawn from the service's own
//! introspection, with its files served by the service (see [`super::assets`]).

use std::sync::LazyLock;

use axum::response::IntoResponse;

use super::assets;

static PAGE: LazyLock<String> = LazyLock::new(|| {
    assets::stamp(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/web/static/voyager.html"
    )))
});

/// The Voyager page.
pub async fn page() -> impl IntoResponse {
    assets::page(PAGE.as_str(), assets::VOYAGER_POLICY)
}
