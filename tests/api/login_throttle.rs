//! Password logins are throttled per account (mode and email), whatever the client IP: a
//! soft lock that answers 429 with `Retry-After` and ends by itself.

use std::time::Duration;

use reset_gateway::config::Config;
use serde_json::Value;

use crate::fixtures::{Callers, PASSWORD};
use crate::harness::{Client, TestApp, on_both_databases};

/// Behind a proxy, with the default login budget (10 failures in 15 minutes), and a token
/// budget per IP that rotating addresses dodge.
fn throttled(c: &mut Config) {
    c.client_ip_header = Some("x-forwarded-for".into());
    c.rate_limit_token = 30;
    c.login_failures_per_account = 10;
    c.login_failures_interval = Duration::from_secs(15 * 60);
}

/// A password login from the client address `10.1.x.y` made of `n`: status, answer and
/// `Retry-After`.
async fn login_from(
    app: &TestApp,
    shop: &Client,
    email: &str,
    password: &str,
    n: usize,
) -> (u16, Value, Option<u64>) {
    let response = app
        .http
        .post(format!("{}/oauth/token", app.base_url))
        .header(
            "x-forwarded-for",
            format!("10.1.{}.{}", n / 250, n % 250 + 1),
        )
        .form(&[
            ("grant_type", "password"),
            ("client_id", shop.id.as_str()),
            ("username", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, response.json().await.unwrap(), retry_after)
}

on_both_databases! {
    async fn wrong_passwords_from_many_addresses_lock_the_account_until_the_window_ends(app: TestApp) {
        let who = Callers::new(&app).await;
        let app = app.sibling(throttled).await;
        let shop = &who.sales_channel_client;
        for n in 0..70 {
            let (status, answer, _) = login_from(&app, shop, "me@example.com", "a wrong password", n).await;
            match n {
                0..10 => assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")), "{n}"),
                _ => assert_eq!((status, answer["error"].as_str()), (429, Some("too_many_requests")), "{n}: {answer}"),
            }
        }
        let hashes = app.metric("password_hashes_computed").await;
        let (status, answer, retry_after) = login_from(&app, shop, "me@example.com", PASSWORD, 70).await;
        assert_eq!(status, 429, "the right password waits too: {answer}");
        assert_eq!(app.metric("password_hashes_computed").await, hashes, "a locked login verifies no password");
        let retry_after = retry_after.expect("Retry-After");
        assert!((1..=900).contains(&retry_after), "{retry_after}");

        let (status, answer, _) = login_from(&app, shop, "other@example.com", PASSWORD, 71).await;
        assert_eq!(status, 200, "another account is not touched: {answer}");

        app.advance(Duration::from_secs(retry_after - 1));
        let (status, _, _) = login_from(&app, shop, "me@example.com", PASSWORD, 72).await;
        assert_eq!(status, 429, "still locked a second before the window ends");
        app.advance(Duration::from_secs(1));
        let (status, answer, _) = login_from(&app, shop, "me@example.com", PASSWORD, 73).await;
        assert_eq!(status, 200, "the lock ends by itself: {answer}");
    }

    async fn unknown_emails_and_spellings_of_one_email_are_counted_alike(app: TestApp) {
        let who = Callers::new(&app).await;
        let app = app.sibling(throttled).await;
        let shop = &who.sales_channel_client;
        for n in 0..10 {
            let (status, _, _) = login_from(&app, shop, "nobody@example.com", "a wrong password", n).await;
            assert_eq!(status, 400);
        }
        let (status, answer, retry_after) = login_from(&app, shop, " Nobody@Example.COM", "a wrong password", 10).await;
        assert_eq!(status, 429, "an unknown email locks like an account: {answer}");
        assert!(retry_after.is_some());
        for n in 0..10 {
            let email = if n % 2 == 0 { "ME@example.com" } else { "me@EXAMPLE.com " };
            let (status, _, _) = login_from(&app, shop, email, "a wrong password", 20 + n).await;
            assert_eq!(status, 400);
        }
        let (status, _, _) = login_from(&app, shop, "me@example.com", PASSWORD, 30).await;
        assert_eq!(status, 429, "one account, however its email is spelt");
    }

    async fn wrong_passwords_sent_at_once_get_no_more_tries_than_the_budget(app: TestApp) {
        let who = Callers::new(&app).await;
        let app = app.sibling(throttled).await;
        let shop = &who.sales_channel_client;
        let tries = (0..30).map(|n| login_from(&app, shop, "me@example.com", "a wrong password", n));
        let statuses: Vec<u16> = futures_util::future::join_all(tries)
            .await
            .into_iter()
            .map(|(status, _, _)| status)
            .collect();
        let verified = statuses.iter().filter(|s| **s == 400).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((verified, refused), (10, 20), "{statuses:?}");
    }
}
