//! GraphiQL for people: served from the service's own copy of GraphiQL 3 and React 18
//! (fetched from the npm registry by `scripts/fetch-graphiql.sh`) so that it renders
//! without internet; the same page from a CDN, every file pinned by its integrity hash, is
//! the fallback when no copy is installed. People paste bearer tokens into this page, so
//! it runs nothing but those files and its own inline script (Content-Security-Policy).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
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

/// Where the page's four files come from, and the hash each must have.
struct Sources {
    react: Source,
    react_dom: Source,
    graphiql_js: Source,
    graphiql_css: Source,
    /// The origin the files come from, when it is not the service's own.
    origin: Option<&'static str>,
}

struct Source {
    url: &'static str,
    /// A Subresource Integrity hash; the browser refuses the file unless it matches.
    integrity: Option<&'static str>,
}

/// The service's own copy (whatever version the operator installed: no hash).
const LOCAL: Sources = Sources {
    react: Source {
        url: "/graphiql/react.production.min.js",
        integrity: None,
    },
    react_dom: Source {
        url: "/graphiql/react-dom.production.min.js",
        integrity: None,
    },
    graphiql_js: Source {
        url: "/graphiql/graphiql.min.js",
        integrity: None,
    },
    graphiql_css: Source {
        url: "/graphiql/graphiql.min.css",
        integrity: None,
    },
    origin: None,
};

/// The fallback: exact versions on unpkg (the same ones `scripts/fetch-graphiql.sh`
/// installs), each pinned by its hash, so that a changed file on the CDN cannot run on
/// the origin where people paste bearer tokens. unpkg serves the npm packages' files byte
/// for byte: `scripts/graphiql-sri.sh` recomputes these hashes from the npm registry.
const CDN: Sources = Sources {
    react: Source {
        url: "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
        integrity: Some("sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z"),
    },
    react_dom: Source {
        url: "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
        integrity: Some("sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1"),
    },
    graphiql_js: Source {
        url: "https://unpkg.com/graphiql@3.9.0/graphiql.min.js",
        integrity: Some("sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO"),
    },
    graphiql_css: Source {
        url: "https://unpkg.com/graphiql@3.9.0/graphiql.min.css",
        integrity: Some("sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2"),
    },
    origin: Some("https://unpkg.com"),
};

/// The GraphiQL page: local files when installed, else the pinned CDN files; with a
/// Content-Security-Policy that lets it run only those files and talk only to this
/// service.
pub fn page(state: &AppState) -> Response {
    let sources = match state.graphiql {
        Some(_) => &LOCAL,
        None => &CDN,
    };
    let mut response = Html(render(sources)).into_response();
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(sources)) {
        headers.insert(CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Scripts from the files' origin and the page's one inline script (by its hash);
/// styles may be inline, since GraphiQL's editor adds a style element of its own; fonts
/// are inline in GraphiQL's stylesheet; requests go only to this service.
fn content_security_policy(sources: &Sources) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let inline = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(INIT));
    let origin = sources.origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'{origin} 'sha256-{inline}'; \
         style-src 'self'{origin} 'unsafe-inline'; font-src data:; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

fn render(sources: &Sources) -> String {
    let attributes = |source: &Source| match source.integrity {
        Some(hash) => format!(
            r#"src="{}" integrity="{hash}" crossorigin="anonymous""#,
            source.url
        ),
        None => format!(r#"src="{}""#, source.url),
    };
    let stylesheet = match sources.graphiql_css.integrity {
        Some(hash) => format!(
            r#"href="{}" integrity="{hash}" crossorigin="anonymous""#,
            sources.graphiql_css.url
        ),
        None => format!(r#"href="{}""#, sources.graphiql_css.url),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex">
  <title>reset-gateway · GraphiQL</title>
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  <link rel="stylesheet" {stylesheet}>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script {react}></script>
  <script {react_dom}></script>
  <script {graphiql}></script>
  <script>{INIT}</script>
</body>
</html>
"#,
        react = attributes(&sources.react),
        react_dom = attributes(&sources.react_dom),
        graphiql = attributes(&sources.graphiql_js),
    )
}

/// Starts GraphiQL 3 with the headers editor open for the `Authorization: Bearer ...`
/// header (tokens come from `POST /oauth/token`). The policy allows exactly this text.
const INIT: &str = r#"
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
  "#;
