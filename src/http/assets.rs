//! The browser files the service serves itself at `/assets/NAME`: GraphiQL, React and GraphQL
//! Voyager from the npm packages pinned in `web/package-lock.json` (`build.rs` installs them
//! into `web/node_modules`), and the pages' own scripts from `web/static/`.
//!
//! Government networks block CDNs, so a page of this service loads nothing from another host.
//! The set is kept to the files the pages load; they are compiled into the binary, so a
//! deployment stays one file. Pages refer to them with a content hash (`?v=`): a browser keeps
//! a file for a year and still fetches a new build's file at once.

use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// One embedded file.
pub struct Asset {
    /// The name under `/assets/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// An asset: its name, its content type and its file under `web/`, compiled in (a missing
/// `web/node_modules` is installed by `build.rs`).
macro_rules! asset {
    ($name:literal, $content_type:expr, $path:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }
    };
}

/// Every file the pages load, and nothing else.
pub static ASSETS: &[Asset] = &[
    asset!(
        "react.production.min.js",
        JS,
        "node_modules/react/umd/react.production.min.js"
    ),
    asset!(
        "react-dom.production.min.js",
        JS,
        "node_modules/react-dom/umd/react-dom.production.min.js"
    ),
    asset!(
        "graphiql.min.js",
        JS,
        "node_modules/graphiql/graphiql.min.js"
    ),
    asset!(
        "graphiql.min.css",
        CSS,
        "node_modules/graphiql/graphiql.min.css"
    ),
    asset!(
        "voyager.standalone.js",
        JS,
        "node_modules/graphql-voyager/dist/voyager.standalone.js"
    ),
    asset!(
        "voyager.css",
        CSS,
        "node_modules/graphql-voyager/dist/voyager.css"
    ),
    asset!("graphiql-page.js", JS, "static/graphiql-page.js"),
    asset!("voyager-page.js", JS, "static/voyager-page.js"),
    asset!("regiograaf.css", CSS, "static/regiograaf.css"),
];

/// The content hash of each asset (the first 16 hex digits of its SHA-256), in `ASSETS` order.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            Sha256::digest(asset.bytes)
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
});

/// `html` with every `"/assets/NAME"` reference stamped with the file's hash.
pub fn stamp(html: &str) -> String {
    ASSETS
        .iter()
        .zip(HASHES.iter())
        .fold(html.to_owned(), |html, (asset, hash)| {
            let plain = format!("\"/assets/{}\"", asset.name);
            html.replace(&plain, &format!("\"/assets/{}?v={hash}\"", asset.name))
        })
}

/// A page of the service (`html`, built once), under its security policy, never cached
/// without asking (its asset references change with each build).
pub fn page(html: &'static str, policy: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Html(html),
    )
}

/// The `?v=` of an asset request.
#[derive(Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// `GET /assets/{name}`: the file, cached for a year when asked for by its current hash,
/// revalidated (ETag) otherwise; 404 for anything not in the set.
pub async fn serve(
    Path(name): Path<String>,
    Query(version): Query<Version>,
    headers: HeaderMap,
) -> Response {
    let Some((asset, hash)) = ASSETS
        .iter()
        .zip(HASHES.iter())
        .find(|(asset, _)| asset.name == name)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{hash}\"");
    let cache = if version.v.as_deref() == Some(hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let response_headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, response_headers).into_response();
    }
    (response_headers, asset.bytes).into_response()
}

/// The security policy of the GraphiQL page: scripts, styles and requests from this service
/// only, so a page can never reach another host. GraphiQL sets inline styles, and the fonts
/// are `data:` URLs in its CSS.
pub const GRAPHIQL_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

/// The same for Voyager, which draws the graph with Graphviz compiled to WebAssembly, in a
/// worker it starts from a `blob:` URL.
pub const VOYAGER_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'self'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamping_adds_the_hash_of_each_referenced_asset() {
        let html = stamp(r#"<script src="/assets/graphiql.min.js"></script>"#);
        let hash = &HASHES[2];
        assert_eq!(
            html,
            format!(r#"<script src="/assets/graphiql.min.js?v={hash}"></script>"#)
        );
    }

    #[test]
    fn every_asset_is_embedded_and_named_once() {
        let mut names: Vec<_> = ASSETS.iter().map(|a| a.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ASSETS.len());
        assert!(ASSETS.iter().all(|a| !a.bytes.is_empty()));
    }
}
