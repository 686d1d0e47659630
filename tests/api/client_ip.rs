//! The client IP behind a proxy: every line and entry of the configured header is read,
//! and the address `CLIENT_IP_TRUSTED_HOPS` from the right is the client's.
//! Reading the client's address is the HTTP layer's work, before the database: these run
//! on SQLite (the budget shared through either database is in `rate_limits`).

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;

use crate::harness::{Backend, Client, TestApp};

/// A token request whose proxy header holds these lines, in order.
async fn token_status(app: &TestApp, shop: &Client, lines: &[&str]) -> u16 {
    let mut request = app
        .http
        .post(format!("{}/oauth/token", app.base_url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &shop.id),
        ]);
    for line in lines {
        // `header` appends: each call is a line of its own.
        request = request.header("x-forwarded-for", *line);
    }
    request.send().await.unwrap().status().as_u16()
}

/// A service behind a proxy that sets `X-Forwarded-For`, one token request per client.
async fn behind_a_proxy(adjust: impl FnOnce(&mut Config)) -> (TestApp, Client) {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.rate_limit_token = 1;
        c.client_ip_header = Some("x-forwarded-for".into());
        adjust(c);
    })
    .await
    .unwrap();
    let shop = app.credential(Role::SalesChannel, Mode::Test).await;
    (app, shop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_choose_its_address_with_a_header_line_of_its_own() {
    let (app, shop) = behind_a_proxy(|_| {}).await;
    // The client sends its own line; the proxy adds a second one with the real address.
    assert_eq!(
        token_status(&app, &shop, &["1.1.1.1", "10.0.0.3"]).await,
        200
    );
    assert_eq!(
        token_status(&app, &shop, &["2.2.2.2", "10.0.0.3"]).await,
        429,
        "another made-up first line is still the same client"
    );
    assert_eq!(
        token_status(&app, &shop, &["9.9.9.9, 8.8.8.8", "10.0.0.3"]).await,
        429,
        "nor are made-up entries before the proxy's"
    );
    assert_eq!(
        token_status(&app, &shop, &["1.1.1.1", "10.0.0.4"]).await,
        200,
        "another client has a budget of its own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_trusted_hops_the_client_is_the_second_address_from_the_right() {
    let (app, shop) = behind_a_proxy(|c| c.client_ip_trusted_hops = 2).await;
    // A CDN appends the client's address, then a load balancer the CDN node's.
    assert_eq!(
        token_status(&app, &shop, &["spoofed", "10.0.0.5, 172.16.0.1"]).await,
        200
    );
    assert_eq!(
        token_status(&app, &shop, &["10.0.0.5, 172.16.0.2"]).await,
        429,
        "the same client through another CDN node"
    );
    assert_eq!(
        token_status(&app, &shop, &["10.0.0.6", "172.16.0.1"]).await,
        200,
        "entries are counted across lines"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_without_a_usable_address_counts_under_the_peer_address() {
    let (app, shop) = behind_a_proxy(|c| c.client_ip_trusted_hops = 2).await;
    assert_eq!(token_status(&app, &shop, &["10.0.0.7"]).await, 200);
    assert_eq!(
        token_status(&app, &shop, &["10.0.0.8"]).await,
        429,
        "too few entries: both count under the proxy's own (peer) address"
    );
    let (app, shop) = behind_a_proxy(|_| {}).await;
    assert_eq!(
        token_status(&app, &shop, &["10.0.0.9", "unknown"]).await,
        200
    );
    assert_eq!(
        token_status(&app, &shop, &["10.0.0.10", "not-an-address"]).await,
        429,
        "an entry that is not an address: the peer address, not the entry before it"
    );
    assert_eq!(
        token_status(&app, &shop, &[]).await,
        429,
        "no header: the peer address"
    );
}
