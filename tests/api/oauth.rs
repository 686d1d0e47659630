//! `/oauth/token` and `/oauth/revoke`: each grant, each error, and what revocation ends.

use reset_gateway::auth::{Mode, Role};
use std::time::Duration;

use serde_json::json;

use crate::fixtures::{Callers, PASSWORD};
use crate::harness::{error_code, on_both_databases};
use crate::redactions;

const ME: &str = "query($id: ID!) { customer(id: $id) { email } }";

on_both_databases! {
    async fn an_integration_gets_a_two_hour_token_with_its_secret(app: TestApp) {
        let client = app.credential(Role::Integration, Mode::Test).await;
        let (status, answer) = app
            .oauth_json("/oauth/token", json!({
                "grant_type": "client_credentials",
                "client_id": client.id,
                "client_secret": client.secret,
            }))
            .await;
        insta::assert_json_snapshot!("client_credentials_token", json!({ "status": status, "body": answer }), {
            ".body.access_token" => redactions::jwt(),
            ".body.created_at" => redactions::unix_now(&app),
        });
    }

    async fn a_sales_channel_is_a_public_client_with_a_four_hour_token(app: TestApp) {
        let client = app.credential(Role::SalesChannel, Mode::Live).await;
        let (status, answer) = app
            .oauth_form("/oauth/token", &[("grant_type", "client_credentials"), ("client_id", &client.id)])
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["expires_in"], 14400);
        assert_eq!(answer["scope"], "sales_channel:live");
    }

    async fn a_wrong_secret_or_unknown_client_is_an_invalid_client(app: TestApp) {
        let client = app.credential(Role::Integration, Mode::Test).await;
        for (id, secret) in [(client.id.as_str(), "wrong"), ("nobody", "x")] {
            let (status, answer) = app
                .oauth_json("/oauth/token", json!({
                    "grant_type": "client_credentials", "client_id": id, "client_secret": secret,
                }))
                .await;
            insta::assert_json_snapshot!("invalid_client", json!({ "status": status, "body": answer }));
        }
        let (status, answer) = app
            .oauth_json("/oauth/token", json!({ "grant_type": "client_credentials", "client_id": client.id }))
            .await;
        insta::assert_json_snapshot!("invalid_client", json!({ "status": status, "body": answer }));
    }

    async fn a_revoked_credential_gets_no_token_and_its_tokens_stop(app: TestApp) {
        let client = app.credential(Role::Integration, Mode::Test).await;
        let token = app.client_token(&client).await;
        let mut conn = app.state().db.conn().await.unwrap();
        assert!(reset_gateway::auth::credentials::revoke(&mut conn, &client.id).await.unwrap());
        app.state().revocations.refresh(&mut conn).await.unwrap();
        let (status, answer) = app
            .oauth_json("/oauth/token", json!({
                "grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret,
            }))
            .await;
        assert_eq!((status, answer["error"].as_str()), (401, Some("invalid_client")));
        let answer = app.graphql(Some(&token), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(error_code(&answer), Some("INVALID_TOKEN"));
    }

    async fn a_credential_stored_with_a_role_no_client_holds_gets_no_token(app: TestApp) {
        for role in ["customer", "superuser"] {
            let insert = format!(
                "INSERT INTO api_credentials (id, name, role, mode, created_at) \
                 VALUES ('stored-as-{role}', 'hand-made', '{role}', 'test', '2026-01-01 00:00:00')"
            );
            app.execute_sql(&[&insert], &[&insert]).await;
            let (status, answer) = app
                .oauth_json("/oauth/token", json!({
                    "grant_type": "client_credentials", "client_id": format!("stored-as-{role}"),
                }))
                .await;
            assert_eq!((status, answer["error"].as_str()), (500, Some("server_error")), "{role}: {answer}");
        }
    }

    async fn a_customer_logs_in_and_gets_a_refresh_token(app: TestApp) {
        let who = Callers::new(&app).await;
        let (status, answer) = app.login(&who.sales_channel_client, "ME@example.com", PASSWORD).await;
        insta::assert_json_snapshot!("password_grant_token", json!({ "status": status, "body": answer }), {
            ".body.access_token" => redactions::jwt(),
            ".body.refresh_token" => redactions::token(),
            ".body.owner_id" => redactions::the(who.me.as_str(), "[me]"),
            ".body.created_at" => redactions::unix_now(&app),
        });
        let token = answer["access_token"].as_str().unwrap();
        let me = app.graphql(Some(token), ME, json!({ "id": who.me })).await;
        assert_eq!(me["data"]["customer"]["email"], "me@example.com");
    }

    async fn a_wrong_password_unknown_email_or_guest_is_an_invalid_grant(app: TestApp) {
        let who = Callers::new(&app).await;
        app.customer(&who.integration, "guest@example.com", None).await;
        for (email, password) in [
            ("me@example.com", "not the password"),
            ("nobody@example.com", PASSWORD),
            ("guest@example.com", PASSWORD),
            ("not an email", PASSWORD),
        ] {
            let (status, answer) = app.login(&who.sales_channel_client, email, password).await;
            assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")), "{email}");
        }
    }

    async fn an_integration_may_not_use_the_password_grant(app: TestApp) {
        let who = Callers::new(&app).await;
        let integration = app.credential(Role::Integration, Mode::Test).await;
        let (status, answer) = app
            .oauth_json("/oauth/token", json!({
                "grant_type": "password", "client_id": integration.id, "client_secret": integration.secret,
                "username": "me@example.com", "password": PASSWORD,
            }))
            .await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("unauthorized_client")));
        drop(who);
    }

    async fn a_refresh_token_works_once_and_gives_a_new_one(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, login) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        let first = login["refresh_token"].as_str().unwrap();
        let refresh = |token: String| {
            let app = &app;
            async move {
                app.oauth_json("/oauth/token", json!({ "grant_type": "refresh_token", "refresh_token": token }))
                    .await
            }
        };
        let (status, renewed) = refresh(first.to_owned()).await;
        assert_eq!(status, 200, "{renewed}");
        let second = renewed["refresh_token"].as_str().unwrap();
        assert_ne!(first, second);
        let (status, answer) = refresh(first.to_owned()).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")), "the old one died");
        let (status, _) = refresh(second.to_owned()).await;
        assert_eq!(status, 200, "the new one works");
    }

    async fn unknown_grants_and_malformed_requests_are_refused(app: TestApp) {
        let magic = app.oauth_json("/oauth/token", json!({ "grant_type": "magic" })).await;
        let no_grant = app.oauth_json("/oauth/token", json!({ "client_id": "x" })).await;
        let array = app.oauth_json("/oauth/token", json!(["not", "an", "object"])).await;
        let response = app
            .http
            .post(format!("{}/oauth/token", app.base_url))
            .header("content-type", "text/plain")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let broken = app
            .http
            .post(format!("{}/oauth/token", app.base_url))
            .header("content-type", "application/json")
            .body("{\"grant_type\": ")
            .send()
            .await
            .unwrap();
        let broken = (broken.status().as_u16(), broken.json().await.unwrap());
        let refusals = [("an unknown grant", magic), ("no grant_type", no_grant), ("an array", array), ("broken JSON", broken)];
        let refusals: serde_json::Map<String, serde_json::Value> = refusals
            .into_iter()
            .map(|(what, (status, body))| (what.to_owned(), json!({ "status": status, "body": body })))
            .collect();
        insta::assert_json_snapshot!("refusals", refusals);
    }

    async fn revoking_a_refresh_token_ends_the_session(app: TestApp) {
        let who = Callers::new(&app).await;
        let (_, login) = app.login(&who.sales_channel_client, "me@example.com", PASSWORD).await;
        let refresh = login["refresh_token"].as_str().unwrap();
        let access = login["access_token"].as_str().unwrap();
        let (status, _) = app.oauth_form("/oauth/revoke", &[("token", refresh)]).await;
        assert_eq!(status, 200);
        let (status, _) = app.oauth_form("/oauth/token", &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(status, 400);
        let answer = app.graphql(Some(access), ME, json!({ "id": who.me })).await;
        assert_eq!(error_code(&answer), Some("INVALID_TOKEN"), "the session's access token died too");
    }

    async fn revoking_an_access_token_stops_it(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let (status, _) = app.oauth_json("/oauth/revoke", json!({ "token": token })).await;
        assert_eq!(status, 200);
        let answer = app.graphql(Some(&token), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(error_code(&answer), Some("INVALID_TOKEN"));
        let (status, _) = app.oauth_json("/oauth/revoke", json!({ "token": "nothing-we-issued" })).await;
        assert_eq!(status, 200, "unknown tokens are ignored (RFC 7009)");
    }

    async fn an_access_token_works_until_the_second_it_expires_even_when_it_was_used_before(app: TestApp) {
        let lifetime = reset_gateway::oauth::INTEGRATION_TOKEN_LIFETIME;
        let checked_at_the_end = app.token(Role::Integration, Mode::Test).await;
        let left_alone = app.token(Role::Integration, Mode::Test).await;
        let works = |answer: &serde_json::Value| answer["data"]["customers"]["totalCount"].is_number();
        for token in [&checked_at_the_end, &left_alone] {
            let answer = app.graphql(Some(token), "{ customers { totalCount } }", json!({})).await;
            assert!(works(&answer), "{answer}");
        }
        app.advance(lifetime - Duration::from_secs(1));
        let answer = app.graphql(Some(&checked_at_the_end), "{ customers { totalCount } }", json!({})).await;
        assert!(works(&answer), "a second before it expires: {answer}");
        app.advance(Duration::from_secs(1));
        let answer = app.graphql(Some(&checked_at_the_end), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(error_code(&answer), Some("INVALID_TOKEN"), "the second it expires: {answer}");
        app.advance(Duration::from_secs(24 * 3600));
        let answer = app.graphql(Some(&left_alone), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(error_code(&answer), Some("INVALID_TOKEN"), "a day after: {answer}");
    }

    async fn a_malformed_or_forged_bearer_token_is_an_invalid_token(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        // Same header and claims, another signature.
        let cut = token.len() - 20;
        let swapped = if &token[cut..cut + 1] == "A" { "B" } else { "A" };
        let forged = format!("{}{swapped}{}", &token[..cut], &token[cut + 1..]);
        for bad in ["garbage", forged.as_str()] {
            let answer = app.graphql(Some(bad), "{ customers { totalCount } }", json!({})).await;
            assert_eq!(error_code(&answer), Some("INVALID_TOKEN"), "{bad}");
        }
    }
}
