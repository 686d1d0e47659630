//! GraphiQL for people: served from the service's own copy of GraphiQL 3 and React 18
//! (fetched from the npm registry by `scripts/fetch-graphiql.sh`) so that it renders
//! without internet; the CDN page is the fallback when no copy is installed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;

/// The files the page needs, and their types.
const FILES: &[(&str, &str)] = &[
    ("react.production.min.js", "text/javascript; charset=utf-8"),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
    ),
    ("graphiql.min.js", "text/javascript; charset=utf-8"),
    ("graphiql.min.css", "text/css; charset=utf-8"),
];

/// GraphiQL's files, read once at start.
pub struct GraphiqlAssets {
    files: HashMap<&'static str, (&'static str, Bytes)>,
}

impl GraphiqlAssets {
    /// Reads the files from `dir`; None unless all of them are there.
    pub fn load(dir: &Path) -> Option<GraphiqlAssets> {
        let mut files = HashMap::new();
        for (name, content_type) in FILES {
            let bytes = std::fs::read(dir.join(name)).ok()?;
            files.insert(*name, (*content_type, Bytes::from(bytes)));
        }
        Some(GraphiqlAssets { files })
    }
}

/// `GET /graphiql/{file}`: one of GraphiQL's files.
pub async fn asset(State(state): State<Arc<AppState>>, UrlPath(file): UrlPath<String>) -> Response {
    let Some((content_type, bytes)) = state
        .graphiql
        .as_ref()
        .and_then(|a| a.files.get(file.as_str()))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = bytes.clone().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

/// The GraphiQL page: local files when installed, else the CDN.
pub fn page(state: &AppState) -> Html<String> {
    if state.graphiql.is_none() {
        return Html(
            async_graphql::http::GraphiQLSource::build()
                .endpoint("/graphql")
                .title("reset-gateway")
                .finish(),
        );
    }
    Html(LOCAL_PAGE.to_owned())
}

/// GraphiQL 3 from the service itself, with the headers editor open for the
/// `Authorization: Bearer ...` header (tokens come from `POST /oauth/token`).
const LOCAL_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>reset-gateway · GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="/graphiql/graphiql.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react.production.min.js"></script>
  <script src="/graphiql/react-dom.production.min.js"></script>
  <script src="/graphiql/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
    const root = ReactDOM.createRoot(document.getElementById('graphiql'));
    root.render(React.createElement(GraphiQL, {
      fetcher,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultHeaders: '{\n  "Authorization": "Bearer <access token from POST /oauth/token>"\n}',
      defaultQuery: '# Paste an integration access token in the headers below, then run:\n{\n  customers(first: 5) {\n    totalCount\n    edges { node { id email hasPassword } }\n  }\n}\n',
    }));
  </script>
</body>
</html>
"#;
