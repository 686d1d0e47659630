//! Anonymous requests cannot grow memory or dodge the budgets: persisted queries are
//! stored only once their request passed every limit, refused requests count against
//! the GraphQL budget, revocations against the token budget, and the revocation list is
//! refreshed incrementally.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::eventually::eventually_within;
use crate::harness::{TestApp, on_both_databases};

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// POSTs a GraphQL body; the status and the JSON answer, whatever the status.
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let answer = app
        .raw_post("/graphql")
        .bearer(token)
        .json(&body)
        .send()
        .await;
    (answer.status, answer.body)
}

/// GETs `/graphql` with a document and its hash in the URL.
async fn get(app: &TestApp, query: &str, hash: &str) -> u16 {
    let extensions = persisted(hash).to_string();
    app.http
        .get(format!("{}/graphql", app.base_url))
        .query(&[("query", query), ("extensions", extensions.as_str())])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

on_both_databases! {
    async fn a_persisted_query_refused_by_a_limit_is_not_stored(app: TestApp) {
        let aliases = (0..=app.config.max_aliases)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ");
        let refused = [
            format!("{{ __typename }}{}", " ".repeat(app.config.max_document_bytes)),
            "{ nope".to_owned(),
            format!("{{ {aliases} }}"),
            "{ __schema { queryType { name } } }".to_owned(),
        ];
        for query in &refused {
            let hash = sha256(query);
            let (_, registered) = post(&app, None, json!({ "query": query, "extensions": persisted(&hash) })).await;
            assert!(registered["data"].is_null() && !code(&registered).is_empty(), "{registered}");
            let (_, again) = post(&app, None, json!({ "extensions": persisted(&hash) })).await;
            assert_eq!(code(&again), "PERSISTED_QUERY_NOT_FOUND", "{query:.40}: {again}");
        }
        let mutation = "mutation { deleteCustomer(id: \"x\") }";
        assert_eq!(get(&app, mutation, &sha256(mutation)).await, 405);
        let (_, again) = post(&app, None, json!({ "extensions": persisted(&sha256(mutation)) })).await;
        assert_eq!(code(&again), "PERSISTED_QUERY_NOT_FOUND", "{again}");

        let fine = "{ __typename }";
        let (_, registered) = post(&app, None, json!({ "query": fine, "extensions": persisted(&sha256(fine)) })).await;
        assert_eq!(registered["data"]["__typename"], "QueryRoot", "{registered}");
        let (_, again) = post(&app, None, json!({ "extensions": persisted(&sha256(fine)) })).await;
        assert_eq!(again["data"]["__typename"], "QueryRoot", "a request that passed is stored: {again}");
    }

    async fn refused_requests_consume_the_graphql_budget(app: TestApp) {
        let limited = app
            .sibling(|c| {
                c.rate_limit_graphql = 3;
                c.rate_limit_interval = Duration::from_secs(3600);
            })
            .await;
        for body in [
            json!({ "query": "{ nope" }),
            json!({ "query": format!("{{ __typename }}{}", " ".repeat(limited.config.max_document_bytes)) }),
            json!({ "extensions": persisted(&sha256("{ unknown }")) }),
        ] {
            let (_, answer) = post(&limited, None, body).await;
            assert!(!code(&answer).is_empty(), "refused: {answer}");
        }
        let (status, answer) = post(&limited, None, json!({ "query": "{ __typename }" })).await;
        assert_eq!(status, 429, "the refusals used the budget up: {answer}");
        assert_eq!(code(&answer), "TOO_MANY_REQUESTS");
    }

    async fn revocations_count_against_the_token_budget(app: TestApp) {
        let limited = app.sibling(|c| {
            c.rate_limit_token = 3;
            c.rate_limit_interval = Duration::from_secs(3600);
        }).await;
        for _ in 0..3 {
            let (status, _) = limited.oauth_form("/oauth/revoke", &[("token", "not-a-token")]).await;
            assert_eq!(status, 200);
        }
        let (status, answer) = limited.oauth_form("/oauth/revoke", &[("token", "not-a-token")]).await;
        assert_eq!(status, 429, "{answer}");
        assert_eq!(answer["error"], "too_many_requests");
        let shop = limited.credential(Role::SalesChannel, Mode::Test).await;
        let (status, _) = limited
            .oauth_form("/oauth/token", &[("grant_type", "client_credentials"), ("client_id", &shop.id)])
            .await;
        assert_eq!(status, 429, "one budget for token requests and revocations");
    }

    async fn another_instances_revocation_is_seen_and_expired_ones_are_forgotten(app: TestApp) {
        let other = app.sibling(|c| c.revocation_refresh = Duration::from_millis(50)).await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let query = "{ customers { totalCount } }";
        let (_, before) = post(&other, Some(&token), json!({ "query": query })).await;
        assert!(before["errors"].is_null(), "{before}");
        let (status, _) = app.oauth_form("/oauth/revoke", &[("token", &token)]).await;
        assert_eq!(status, 200);
        eventually_within(Duration::from_secs(5), async || {
            let (_, answer) = post(&other, Some(&token), json!({ "query": query })).await;
            match code(&answer) {
                "INVALID_TOKEN" => Ok(()),
                _ => Err(format!("the other instance never saw it: {answer}")),
            }
        })
        .await;

        // A revocation that expires in a minute: held while it lasts, then forgotten.
        let expires = app.clock.now_utc().timestamp() + 60;
        let mut conn = app.state().db.conn().await.unwrap();
        app.state().revocations.revoke_token(&mut conn, "short-lived", expires).await.unwrap();
        drop(conn);
        let holds = || other.state().revocations.holds_token("short-lived");
        eventually_within(Duration::from_secs(2), async || {
            holds().then_some(()).ok_or_else(|| "the other instance never saw it".to_owned())
        })
        .await;
        app.advance(Duration::from_secs(61));
        eventually_within(Duration::from_secs(3), async || {
            (!holds()).then_some(()).ok_or_else(|| "an expired revocation was kept".to_owned())
        })
        .await;
        assert!(other.state().revocations.holds_token(&token_id(&other, &token)), "the long-lived one stays");
    }
}

fn token_id(app: &TestApp, token: &str) -> String {
    app.state().signer.token_id_and_expiry(token).unwrap().0
}

/// Stores a revocation made `age` ago, as another instance would have.
async fn old_revocation(app: &TestApp, jti: &str, age: chrono::Duration) {
    use diesel::ExpressionMethods as _;
    use reset_gateway::db::schema::revoked_tokens;
    let now = chrono::Utc::now().naive_utc();
    let mut conn = app.state().db.conn().await.unwrap();
    db_run!(&mut conn, |c| {
        diesel_async::RunQueryDsl::execute(
            diesel::insert_into(revoked_tokens::table).values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::expires_at.eq(now + chrono::Duration::hours(1)),
                revoked_tokens::revoked_at.eq(now - age),
            )),
            c,
        )
        .await
        .unwrap()
    });
}

/// Stores a revocation as an instance older than `revoked_at` did: without it.
async fn unstamped_revocation(app: &TestApp, jti: &str) {
    use diesel::ExpressionMethods as _;
    use reset_gateway::db::schema::revoked_tokens;
    let expires_at = chrono::Utc::now().naive_utc() + chrono::Duration::hours(1);
    let mut conn = app.state().db.conn().await.unwrap();
    db_run!(&mut conn, |c| {
        diesel_async::RunQueryDsl::execute(
            diesel::insert_into(revoked_tokens::table).values((
                revoked_tokens::jti.eq(jti),
                revoked_tokens::expires_at.eq(expires_at),
            )),
            c,
        )
        .await
        .unwrap()
    });
}

on_both_databases! {
    async fn a_refresh_reads_only_the_revocations_made_since_the_last_one(app: TestApp) {
        for n in 0..30 {
            old_revocation(&app, &format!("old-{n}"), chrono::Duration::hours(1)).await;
        }
        let other = app.sibling(|_| {}).await;
        assert!(other.state().revocations.holds_token("old-7"), "read in full at start");
        let mut conn = other.state().db.conn().await.unwrap();
        let read = other.state().revocations.refresh(&mut conn).await.unwrap();
        assert_eq!(read, 0, "nothing new since the start");
        let token = app.token(Role::Integration, Mode::Test).await;
        let (status, _) = app.oauth_form("/oauth/revoke", &[("token", &token)]).await;
        assert_eq!(status, 200);
        let read = other.state().revocations.refresh(&mut conn).await.unwrap();
        assert_eq!(read, 1, "only the new revocation is read");
        assert!(other.state().revocations.holds_token(&token_id(&other, &token)));
        assert!(other.state().revocations.holds_token("old-7"), "and the old ones stay");
        unstamped_revocation(&app, "from-an-older-instance").await;
        other.state().revocations.refresh(&mut conn).await.unwrap();
        assert!(
            other.state().revocations.holds_token("from-an-older-instance"),
            "a row without a stamp (the column's default) is read too"
        );
    }
}
