//! The benchmark's webhook receiver: axum on loopback, stamping each delivery the moment
//! its request is handled, before it answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

/// One delivery as it arrived.
pub struct Arrival {
    /// When the handler got it, on the monotonic clock.
    pub at: Instant,
    /// The same moment on the wall clock (to compare with the payload's `created_at`).
    pub wall: DateTime<Utc>,
    /// The `webhook-id` header.
    pub id: String,
    /// The customer's email in the payload (`data.attributes.email`).
    pub email: String,
    /// The payload's `data.attributes.created_at`.
    pub created_at: Option<DateTime<Utc>>,
}

struct Shared {
    status: AtomicU16,
    arrivals: mpsc::UnboundedSender<Arrival>,
}

/// A receiver listening on 127.0.0.1; deliveries come out of [`Receiver::arrivals`].
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
    /// Every delivery, in the order the handler got them.
    pub arrivals: mpsc::UnboundedReceiver<Arrival>,
}

impl Receiver {
    /// Starts a receiver answering `200 OK`.
    pub async fn start() -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, arrivals) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            status: AtomicU16::new(200),
            arrivals: tx,
        });
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver {
            addr,
            shared,
            server,
            arrivals,
        })
    }

    /// The callback URL.
    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// Answers every later delivery with this status.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Drops whatever arrived and was not read yet.
    pub fn forget_arrived(&mut self) {
        while self.arrivals.try_recv().is_ok() {}
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let wall = Utc::now();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let attributes = &payload["data"]["attributes"];
    let email = attributes["email"].as_str().unwrap_or_default().to_owned();
    let created_at = attributes["created_at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let _ = shared.arrivals.send(Arrival {
        at,
        wall,
        id,
        email,
        created_at,
    });
    StatusCode::from_u16(shared.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
}
