//! Refresh tokens rotate with reuse detection (RFC 9700): a replayed, already rotated
//! token ends the whole session, except a second use within a short grace (two browser
//! tabs); and a session ends at its absolute age, whatever the refreshes.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reset_gateway::auth::{Mode, Role, sessions};
use reset_gateway::db::schema::{customer_session_rotated_tokens, customer_sessions};
use serde_json::{Value, json};

use crate::fixtures::{Callers, PASSWORD, create_reset, redeem};
use crate::harness::{TestApp, error_code, on_both_databases};

const ME: &str = "query($id: ID!) { customer(id: $id) { id } }";
const DAY: Duration = Duration::from_secs(24 * 3600);

async fn refresh(app: &TestApp, token: &Value) -> (u16, Value) {
    let token = token.as_str().expect("a refresh token");
    app.oauth_form(
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

/// The `extensions.code` a request with this access token gets, `None` when it works.
async fn access(app: &TestApp, session: &Value) -> Option<String> {
    let token = session["access_token"].as_str().expect("an access token");
    let me = app
        .graphql(Some(token), ME, json!({ "id": session["owner_id"] }))
        .await;
    error_code(&me).map(str::to_owned)
}

/// How many sessions and rotated refresh-token digests are stored.
async fn stored(app: &TestApp) -> (i64, i64) {
    let mut conn = app.state().db.conn().await.unwrap();
    db_run!(&mut conn, |c| {
        let sessions = customer_sessions::table
            .count()
            .get_result(c)
            .await
            .unwrap();
        let rotated = customer_session_rotated_tokens::table
            .count()
            .get_result(c)
            .await
            .unwrap();
        (sessions, rotated)
    })
}

/// What housekeeping does every few seconds, run now by the service's clock.
async fn forget_ended(app: &TestApp) {
    let mut conn = app.state().db.conn().await.unwrap();
    let forgetting = sessions::forget_ended(&mut conn, app.config.session_max_age);
    app.clock.scope(forgetting).await.unwrap();
}

on_both_databases! {
    async fn a_refresh_token_reused_after_the_grace_ends_the_whole_session(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, login) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        let (status, second) = refresh(&app, &login["refresh_token"]).await;
        assert_eq!(status, 200, "{second}");
        let (status, third) = refresh(&app, &second["refresh_token"]).await;
        assert_eq!(status, 200, "{third}");
        // Past the grace (a few seconds), the first token comes back: someone kept a copy.
        app.advance(Duration::from_secs(60));
        let (status, replay) = refresh(&app, &login["refresh_token"]).await;
        assert_eq!((status, replay["error"].as_str()), (400, Some("invalid_grant")));
        for session in [&login, &second, &third] {
            assert_eq!(access(&app, session).await.as_deref(), Some("INVALID_TOKEN"), "every access token of the session died");
        }
        let (status, _) = refresh(&app, &third["refresh_token"]).await;
        assert_eq!(status, 400, "the newest refresh token died too");
        let (status, _) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        assert_eq!(status, 200, "the customer logs in again");
    }

    async fn a_second_refresh_within_the_grace_is_refused_but_the_session_goes_on(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, login) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        // On a whole second, which every database stores exactly: the grace's end below is
        // then exactly the grace after the rotation.
        let nanos = app.clock.now_utc().timestamp_subsec_nanos();
        app.advance(Duration::from_nanos(u64::from(1_000_000_000 - nanos)));
        // Two tabs refresh with the same token at once: one wins, the other is refused.
        let (a, b) = tokio::join!(refresh(&app, &login["refresh_token"]), refresh(&app, &login["refresh_token"]));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "{a:?} {b:?}");
        let won = if a.0 == 200 { a.1 } else { b.1 };
        // And once more, at the very end of the grace.
        app.advance(app.config.refresh_reuse_grace);
        let (status, again) = refresh(&app, &login["refresh_token"]).await;
        assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
        assert_eq!(access(&app, &won).await, None, "the session goes on");
        assert_eq!(access(&app, &login).await, None, "its older access token too");
        let (status, next) = refresh(&app, &won["refresh_token"]).await;
        assert_eq!(status, 200, "the winner's refresh token works: {next}");
    }

    async fn a_refresh_token_naming_a_client_is_honoured_only_for_the_client_it_was_issued_to(app: TestApp) {
        let who = Callers::new(&app).await;
        let other_shop = app.credential(Role::SalesChannel, Mode::Test).await;
        let (_, first) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        let refresh_as = |client: String, token: Value| {
            let app = &app;
            async move {
                let token = token.as_str().expect("a refresh token").to_owned();
                let form = [("grant_type", "refresh_token"), ("client_id", client.as_str()), ("refresh_token", token.as_str())];
                app.oauth_form("/oauth/token", &form).await
            }
        };
        let (status, own) = refresh_as(who.sales_channel_client.id.clone(), first["refresh_token"].clone()).await;
        assert_eq!(status, 200, "{own}");
        assert_eq!(access(&app, &own).await, None);
        let (status, stolen) = refresh_as(other_shop.id.clone(), own["refresh_token"].clone()).await;
        assert_eq!((status, &stolen["error"]), (400, &json!("invalid_grant")), "{stolen}");
        assert!(stolen["access_token"].is_null(), "{stolen}");
        // Refused before it was rotated: the rightful client's token still works.
        let (status, again) = refresh_as(who.sales_channel_client.id.clone(), own["refresh_token"].clone()).await;
        assert_eq!(status, 200, "{again}");
    }

    /// The longest age taken, `100y`, reaches back before 1970; it must still not turn
    /// into a timestamp the database cannot hold (a longer one did on PostgreSQL: a 500).
    #[config(|c| c.session_max_age = reset_gateway::config::MAX_DURATION_SETTING)]
    async fn the_longest_session_age_still_lets_sessions_refresh(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, session) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        app.advance(DAY);
        let (status, renewed) = refresh(&app, &session["refresh_token"]).await;
        assert_eq!(status, 200, "{renewed}");
        assert_eq!(access(&app, &renewed).await, None);
    }

    async fn a_session_ends_at_thirty_days_whatever_the_refreshes(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, mut session) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        for wait in [10 * DAY, 10 * DAY, 9 * DAY + Duration::from_secs(23 * 3600)] {
            app.advance(wait);
            let (status, renewed) = refresh(&app, &session["refresh_token"]).await;
            assert_eq!(status, 200, "{renewed}");
            session = renewed;
        }
        assert_eq!(session["expires_in"], 3600, "the last access token stops with the session");
        app.advance(Duration::from_secs(3599));
        assert_eq!(access(&app, &session).await, None);
        app.advance(Duration::from_secs(1));
        assert_eq!(access(&app, &session).await.as_deref(), Some("INVALID_TOKEN"));
        let (status, answer) = refresh(&app, &session["refresh_token"]).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")), "no refresh past 30 days");
    }

    async fn ended_sessions_are_forgotten_with_their_rotated_tokens(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, kept) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        app.advance(10 * DAY);
        let (_, kept) = refresh(&app, &kept["refresh_token"]).await;
        assert_eq!(stored(&app).await, (2, 1), "the fixture's session, and one refreshed once");
        app.advance(5 * DAY);
        forget_ended(&app).await;
        assert_eq!(stored(&app).await, (1, 1), "the refresh token of the other expired at 14 days");
        app.advance(5 * DAY);
        let (status, _) = refresh(&app, &kept["refresh_token"]).await;
        assert_eq!(status, 200);
        assert_eq!(stored(&app).await, (1, 2));
        app.advance(10 * DAY);
        forget_ended(&app).await;
        assert_eq!(stored(&app).await, (0, 0), "30 days old: gone, with its rotated tokens");
    }

    async fn a_redeemed_reset_deletes_the_customers_sessions_and_no_one_elses(app: TestApp) {
        // The password version already refuses them (final_password.rs); deleting them
        // too keeps the table to live sessions, and the refusal to two checks.
        let who = Callers::new(&app).await;
        let client = &who.sales_channel_client;
        let (_, second) = app.login(client, "me@example.com", PASSWORD).await;
        let (_, other) = app.login(client, "other@example.com", PASSWORD).await;
        refresh(&app, &second["refresh_token"]).await;
        assert_eq!(stored(&app).await, (3, 1));
        let (id, token) = create_reset(&app, &who.integration, "me@example.com").await;
        let redeemed = redeem(&app, &who.sales_channel, &id, &token, "a new and long password").await;
        assert_eq!(redeemed["data"]["updateCustomerPasswordReset"]["status"], "USED", "{redeemed}");
        assert_eq!(stored(&app).await, (1, 0), "only the other customer's session is left");
        assert_eq!(access(&app, &other).await, None, "and it still works");
    }
}
