//! GraphiQL, the in-browser IDE, served at `/`.

use async_graphql::http::GraphiQLSource;
use axum::response::Html;

/// The GraphiQL page, pointed at `/graphql`.
pub async fn page() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("regiograaf")
            .finish(),
    )
}
