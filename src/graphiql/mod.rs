//! `GET /graphql`: the GraphiQL IDE, with every script, style and font served from the binary
//! (`vendor/`, unmodified npm builds; see `vendor/VERSIONS`), so it works with no internet access.
//! A Content-Security-Policy keeps the page from loading anything from elsewhere.

use axum::{
    Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

/// Only this origin: scripts, styles, the `/graphql` fetches. Inline styles and `data:` fonts and
/// images are GraphiQL's own.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `(file name, content type, contents)` of every asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("vendor/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("vendor/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("vendor/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("vendor/react-dom.production.min.js"),
    ),
    (
        "parley.js",
        "text/javascript; charset=utf-8",
        include_bytes!("parley.js"),
    ),
    (
        "parley.css",
        "text/css; charset=utf-8",
        include_bytes!("parley.css"),
    ),
];

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/graphql/assets/{file}", get(asset))
}

/// The IDE's page.
pub async fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
        ],
        include_str!("index.html"),
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, contents)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The files change only with Parley's version.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        *contents,
    )
        .into_response()
}
