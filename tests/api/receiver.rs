//! A webhook receiver on loopback, for tests that deliver to it.
//!
//! ```ignore
//! let receiver = Receiver::start().await;        // answers 200 to every request
//! let url = receiver.url("/hooks");              // "http://127.0.0.1:PORT/hooks"
//! receiver.answer(Reply::Status(500));           // from now on: 500
//! receiver.answer(Reply::Redirect(other_url));   // 302 with that Location
//! receiver.answer(Reply::Slow(Duration::from_secs(30))); // 200 after that long
//! receiver.answer(Reply::Endless);               // 200, then a body that never ends
//! let got: Vec<Received> = receiver.requests();  // method, path, headers, raw body
//! let got = receiver.wait_for(2, Duration::from_secs(5)).await; // at least 2, or panics
//! receiver.connections();                        // TCP connections accepted so far
//! got[0].json();                                 // the body as JSON
//! got[0].as_json();                              // method, path, headers and body
//! got[0].standard_signature_verifies(secret);    // the standardwebhooks crate agrees
//! got[0].commerce_layer_signature_verifies(secret); // a plain HMAC agrees
//! ```
//!
//! Each request is recorded when it arrives, before it is answered (so a slow reply's
//! request is already there). The server stops when the `Receiver` is dropped.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;

/// How the receiver answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with a short body.
    Status(u16),
    /// `302 Found` with this `Location`.
    Redirect(String),
    /// `200 OK`, after waiting this long.
    Slow(Duration),
    /// `200 OK` with a body that never ends.
    Endless,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The request's method.
    pub method: Method,
    /// The path and query.
    pub path: String,
    /// Every header as sent.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
}

impl Received {
    /// The value of a header, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// True when the Standard Webhooks signature verifies under `secret`, checked by the
    /// reference verifier (the `standardwebhooks` crate, which checks the timestamp
    /// against the system clock).
    pub fn standard_signature_verifies(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret)
            .expect("a whsec_ secret")
            .verify(&self.body, &self.headers)
            .is_ok()
    }

    /// True when `X-CommerceLayer-Signature` is Base64(HMAC-SHA256(raw body)) keyed with
    /// the secret string, computed here with a plain HMAC.
    pub fn commerce_layer_signature_verifies(&self, secret: &str) -> bool {
        use base64::Engine;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&self.body);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        self.header("x-commercelayer-signature") == Some(expected.as_str())
    }

    /// The request as a snapshot shows it: method, path, every header (the last value of
    /// a repeated one), and the JSON body.
    pub fn as_json(&self) -> serde_json::Value {
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().expect("a text header");
                (name.as_str().to_owned(), value.into())
            })
            .collect();
        serde_json::json!({
            "method": self.method.as_str(),
            "path": self.path,
            "headers": headers,
            "body": self.json(),
        })
    }
}

#[derive(Default)]
struct Shared {
    reply: Mutex<Option<Reply>>,
    requests: Mutex<Vec<Received>>,
    connections: AtomicUsize,
}

/// A receiver listening on 127.0.0.1.
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver answering `200 OK`.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver port");
        let addr = listener.local_addr().expect("receiver address");
        let shared = Arc::new(Shared::default());
        let counted = shared.clone();
        let listener = listener.tap_io(move |_| {
            counted.connections.fetch_add(1, Ordering::SeqCst);
        });
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            addr,
            shared,
            server,
        }
    }

    /// The receiver's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL of `path` (which starts with `/`) on this receiver, by IP address.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers every later request this way.
    pub fn answer(&self, reply: Reply) {
        *self.shared.reply.lock().unwrap() = Some(reply);
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<Received> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// TCP connections accepted so far (a refused callback makes none).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` requests arrived, and returns them all; panics when
    /// they have not within `within`.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        crate::eventually::eventually_within(within, async || {
            let requests = self.requests();
            match requests.len() >= count {
                true => Ok(requests),
                false => Err(format!("{} of {count} requests", requests.len())),
            }
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    shared.requests.lock().unwrap().push(Received {
        method: parts.method,
        path: parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned(),
        headers: parts.headers,
        body,
    });
    let reply = shared.reply.lock().unwrap().clone();
    match reply.unwrap_or(Reply::Status(200)) {
        Reply::Status(code) => {
            let status = StatusCode::from_u16(code).expect("a status code");
            (status, "received").into_response()
        }
        Reply::Redirect(location) => {
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        Reply::Slow(wait) => {
            tokio::time::sleep(wait).await;
            (StatusCode::OK, "received late").into_response()
        }
        Reply::Endless => {
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            let chunks = futures_util::stream::repeat_with(move || {
                Ok::<_, std::convert::Infallible>(chunk.clone())
            });
            (StatusCode::OK, Body::from_stream(chunks)).into_response()
        }
    }
}
