//! Rate limits: the token endpoint per client IP, GraphQL per credential and IP, counted
//! in the database so that instances share them. The reset and login budgets have tests
//! of their own (`reset_budgets`, `login_throttle`).

use reset_gateway::auth::{Mode, Role};
use serde_json::json;

use crate::eventually::eventually;
use crate::harness::{Backend, TestApp, on_both_databases};
use crate::raw::Answer;

async fn token_request(app: &TestApp, client_id: &str, forwarded_for: Option<&str>) -> Answer {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
    ];
    let mut request = app.raw_post("/oauth/token").form(&form);
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await
}

fn header(answer: &Answer, name: &str) -> String {
    answer.header(name).unwrap_or_default().to_owned()
}

on_both_databases! {
    async fn two_instances_share_the_token_budget(backend: Backend) {
        let Some(first) = TestApp::spawn_with(backend, |c| c.rate_limit_token = 4).await else {
            return;
        };
        let second = first.sibling(|_| {}).await;
        let shop = first.credential(Role::SalesChannel, Mode::Test).await;
        for (app, expected_remaining) in [(&first, "3"), (&second, "2"), (&first, "1"), (&second, "0")]
        {
            let response = token_request(app, &shop.id, None).await;
            assert_eq!(response.status, 200);
            assert_eq!(
                header(&response, "x-ratelimit-remaining"),
                expected_remaining
            );
        }
        let refused = token_request(&first, &shop.id, None).await;
        assert_eq!(
            refused.status,
            429,
            "the fifth request, on either instance, is over the budget"
        );
        assert_eq!(header(&refused, "x-ratelimit-limit"), "4");
        assert_eq!(header(&refused, "x-ratelimit-interval"), "60");
        assert_eq!(header(&refused, "x-ratelimit-remaining"), "0");
        let retry_after: u64 = header(&refused, "retry-after").parse().unwrap();
        assert!((1..=60).contains(&retry_after), "until the window ends");
        let body = refused.body;
        assert_eq!(body["error"], "too_many_requests");
    }
}

on_both_databases! {
    async fn graphql_requests_over_the_budget_get_too_many_requests(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let limited = app.sibling(|c| c.rate_limit_graphql = 3).await;
        for _ in 0..3 {
            let answer = limited.graphql(Some(&token), "{ customers { totalCount } }", json!({})).await;
            assert!(answer["errors"].is_null(), "{answer}");
        }
        let response = limited
            .raw_post("/graphql")
            .bearer(Some(&token))
            .json(&json!({ "query": "{ customers { totalCount } }" }))
            .send()
            .await;
        assert_eq!(response.status, 429);
        assert_eq!(header(&response, "x-ratelimit-limit"), "3");
        let retry_after: u64 = header(&response, "retry-after").parse().unwrap();
        assert!((1..=60).contains(&retry_after), "until the window ends");
        let body = response.body;
        assert_eq!(body["errors"][0]["extensions"]["code"], "TOO_MANY_REQUESTS");
        let metrics = limited.get_text("/metrics").await;
        assert!(metrics.contains("reset_gateway_rate_limited_total{scope=\"graphql\"} 1"), "{metrics}");
    }

    async fn instances_learn_each_others_graphql_hits_within_a_sync_interval(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let limited = |c: &mut reset_gateway::config::Config| {
            c.rate_limit_graphql = 10;
            c.rate_limit_interval = std::time::Duration::from_secs(3600);
            c.rate_limit_sync = std::time::Duration::from_millis(50);
        };
        let first = app.sibling(limited).await;
        let second = app.sibling(limited).await;
        let query = json!({ "query": "{ customers { totalCount } }" });
        let send = |app: &TestApp| app.raw_post("/graphql").bearer(Some(&token)).json(&query).send();
        for _ in 0..10 {
            assert_eq!(send(&first).await.status, 200);
        }
        // The second instance admits requests until a sync tells it the budget is spent.
        let mut admitted_by_second = 0;
        eventually(async || match send(&second).await.status {
            200 => {
                admitted_by_second += 1;
                Err(format!("{admitted_by_second} admitted"))
            }
            _ => Ok(()),
        })
        .await;
        assert!(
            admitted_by_second < 10,
            "the second instance learns that the first spent the budget instead of \
             admitting a budget of its own ({admitted_by_second} admitted)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_ip_comes_from_the_proxy_header_only_when_configured() {
    // The client's address is read in the HTTP layer: SQLite is enough.
    let direct = TestApp::spawn_with(Backend::Sqlite, |c| c.rate_limit_token = 1)
        .await
        .unwrap();
    let shop = direct.credential(Role::SalesChannel, Mode::Test).await;
    assert_eq!(
        token_request(&direct, &shop.id, Some("10.0.0.1"))
            .await
            .status,
        200
    );
    assert_eq!(
        token_request(&direct, &shop.id, Some("10.0.0.2"))
            .await
            .status,
        429,
        "without CLIENT_IP_HEADER the header is ignored: same peer, same budget"
    );
    let proxied = direct
        .sibling(|c| {
            c.rate_limit_token = 1;
            c.client_ip_header = Some("x-forwarded-for".into());
        })
        .await;
    assert_eq!(
        token_request(&proxied, &shop.id, Some("spoofed, 10.0.0.3"))
            .await
            .status,
        200
    );
    assert_eq!(
        token_request(&proxied, &shop.id, Some("10.0.0.4"))
            .await
            .status,
        200,
        "another client"
    );
    assert_eq!(
        token_request(&proxied, &shop.id, Some("other, 10.0.0.3"))
            .await
            .status,
        429,
        "the last address counts"
    );
}
