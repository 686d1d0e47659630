//! The `Webhook` resource (DESIGN section 7): integration tokens only, per mode; the
//! shared secret shown only in the answer that creates or rotates it; validation with
//! pointers; the triggers; the list's filters and paging.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reset_gateway::auth::{Mode, Role};
use reset_gateway::webhooks::resource::{MAX_CALLBACK_URL_CHARS, MAX_NAME_CHARS};
use serde_json::{Value, json};

use crate::fixtures::{Callers, Outcome::Allowed, outcome, refused};
use crate::harness::{TestApp, on_both_databases};

const FIELDS: &str = "id name topic callbackUrl includeResources sharedSecret disabledAt
    circuitState circuitFailureCount lastEventCallbacks { id topic callbackUrl responseCode
    responseMessage attempt createdAt } reference referenceOrigin metadata createdAt updatedAt
    meta { mode }";

fn create_doc() -> String {
    format!(
        "mutation($input: CreateWebhookInput!) {{ createWebhook(input: $input) {{ {FIELDS} }} }}"
    )
}

fn update_doc() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateWebhookInput!) {{ updateWebhook(id: $id, input: $input) {{ {FIELDS} }} }}"
    )
}

fn read_doc() -> String {
    format!("query($id: ID!) {{ webhook(id: $id) {{ {FIELDS} }} }}")
}

const LIST: &str = "query($filter: WebhookFilter, $sort: WebhookSort, $first: Int, $after: String) {
    webhooks(filter: $filter, sort: $sort, first: $first, after: $after) {
        totalCount
        edges { cursor node { id name topic sharedSecret circuitState disabledAt lastEventCallbacks { id } } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
    }
}";
const DELETE: &str = "mutation($id: ID!) { deleteWebhook(id: $id) }";

fn input(name: &str, topic: &str) -> Value {
    json!({ "name": name, "topic": topic, "callbackUrl": "https://hooks.example.com/resets" })
}

/// Creates a webhook; returns the created object.
async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    let answer = app
        .graphql(Some(token), &create_doc(), json!({ "input": input }))
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["createWebhook"].clone()
}

fn id_of(webhook: &Value) -> String {
    webhook["id"].as_str().unwrap().to_owned()
}

/// Checks the form of a shared secret: `whsec_` + Base64 of at least 24 bytes.
fn assert_secret(secret: &Value) -> String {
    let text = secret
        .as_str()
        .unwrap_or_else(|| panic!("no secret: {secret}"));
    let encoded = text
        .strip_prefix("whsec_")
        .unwrap_or_else(|| panic!("{text}"));
    let bytes = STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| panic!("not Base64: {text}"));
    assert!(bytes.len() >= 24, "{text}");
    text.to_owned()
}

/// Asserts a `VALIDATION_ERROR` at `pointer`.
fn assert_invalid(answer: &Value, pointer: &str) {
    let ext = &answer["errors"][0]["extensions"];
    assert_eq!(ext["code"], "VALIDATION_ERROR", "{answer}");
    assert_eq!(ext["pointer"], pointer, "{answer}");
}

/// A change as a snapshot names it: its JSON, cut to 60 characters.
fn shown(change: &Value) -> String {
    change.to_string().chars().take(60).collect()
}

fn names(answer: &Value) -> Vec<String> {
    answer["data"]["webhooks"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges: {answer}"))
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    async fn creating_a_webhook_shows_its_secret_once_and_reads_give_null(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let mut new = input("Reset mails", "customer_password_resets.create");
        new["includeResources"] = json!(["customer"]);
        new["reference"] = json!("MAIL-1");
        new["metadata"] = json!({ "team": "crm" });
        let created = create(&app, &token, new).await;
        insta::assert_json_snapshot!("created_webhook", created, {
            ".id" => crate::redactions::id(),
            ".sharedSecret" => crate::redactions::shared_secret(),
            ".createdAt" => crate::redactions::now(&app),
            ".updatedAt" => crate::redactions::now(&app),
        });
        let id = id_of(&created);

        let read = app.graphql(Some(&token), &read_doc(), json!({ "id": id })).await;
        let webhook = &read["data"]["webhook"];
        assert!(read["errors"].is_null(), "{read}");
        assert_eq!(webhook["sharedSecret"], Value::Null, "{read}");
        assert_eq!(webhook["name"], "Reset mails");
        let listed = app.graphql(Some(&token), LIST, json!({})).await;
        assert_eq!(listed["data"]["webhooks"]["edges"][0]["node"]["sharedSecret"], Value::Null, "{listed}");
        let updated = app
            .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": { "name": "Renamed" } }))
            .await;
        assert_eq!(updated["data"]["updateWebhook"]["sharedSecret"], Value::Null, "{updated}");
        assert_eq!(updated["data"]["updateWebhook"]["name"], "Renamed");
    }

    async fn rotating_the_secret_shows_a_new_one_and_keeps_the_old_for_a_day(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let created = create(&app, &token, input("Rotating", "customers.create")).await;
        let first = assert_secret(&created["sharedSecret"]);
        let id = id_of(&created);
        let rotated = app
            .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": { "rotateSharedSecret": true } }))
            .await;
        let second = assert_secret(&rotated["data"]["updateWebhook"]["sharedSecret"]);
        assert_ne!(first, second);
        let mut conn = app.state().db.conn().await.unwrap();
        let stored = reset_gateway::webhooks::outbox::queries::target(&mut conn, &id)
            .await
            .unwrap()
            .expect("the webhook");
        assert_eq!(stored.shared_secret, second);
        assert_eq!(stored.previous_shared_secret.as_deref(), Some(first.as_str()));
        let expires_at = stored.previous_secret_expires_at.expect("the previous secret is kept");
        let in_a_day = reset_gateway::clock::now_utc().naive_utc() + chrono::Duration::hours(24);
        assert!((expires_at - in_a_day).num_seconds().abs() <= 1, "{expires_at} vs {in_a_day}");
        let read = app.graphql(Some(&token), &read_doc(), json!({ "id": id })).await;
        assert_eq!(read["data"]["webhook"]["sharedSecret"], Value::Null, "{read}");
    }

    async fn every_bad_input_gets_a_validation_error_with_its_pointer(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let long = "n".repeat(256);
        let cases = [
            (json!({ "topic": "orders.create" }), "/input/topic"),
            (json!({ "topic": "" }), "/input/topic"),
            (json!({ "callbackUrl": "ftp://hooks.example.com/x" }), "/input/callbackUrl"),
            (json!({ "callbackUrl": "not a url" }), "/input/callbackUrl"),
            (json!({ "callbackUrl": "https://" }), "/input/callbackUrl"),
            (json!({ "callbackUrl": "mailto:ops@example.com" }), "/input/callbackUrl"),
            (json!({ "callbackUrl": "" }), "/input/callbackUrl"),
            (json!({ "includeResources": ["orders"] }), "/input/includeResources"),
            (json!({ "topic": "customers.create", "includeResources": ["customer"] }), "/input/includeResources"),
            (json!({ "name": "   " }), "/input/name"),
            (json!({ "name": long }), "/input/name"),
            (json!({ "reference": "r".repeat(256) }), "/input/reference"),
            (json!({ "referenceOrigin": "r".repeat(256) }), "/input/referenceOrigin"),
            (json!({ "metadata": { "notes": "x".repeat(16 * 1024) } }), "/input/metadata"),
        ];
        let mut refusals = Vec::new();
        for (change, pointer) in &cases {
            let mut new = input("Valid", "customer_password_resets.create");
            for (key, value) in change.as_object().unwrap() {
                new[key] = value.clone();
            }
            let answer = app.graphql(Some(&token), &create_doc(), json!({ "input": new })).await;
            assert_invalid(&answer, pointer);
            refusals.push(json!({ "change": shown(change), "answer": answer }));
        }
        insta::assert_json_snapshot!("refusals_on_create", refusals);
        let none = app.graphql(Some(&token), LIST, json!({})).await;
        assert_eq!(none["data"]["webhooks"]["totalCount"], 0, "nothing was created: {none}");

        let id = id_of(&create(&app, &token, input("Valid", "customer_password_resets.create")).await);
        let mut refusals = Vec::new();
        for (change, pointer) in &cases {
            let answer = app
                .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": change }))
                .await;
            assert_invalid(&answer, pointer);
            refusals.push(json!({ "change": shown(change), "answer": answer }));
        }
        insta::assert_json_snapshot!("refusals_on_update", refusals);
        let with_customer = app
            .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": { "includeResources": ["customer"] } }))
            .await;
        assert!(with_customer["errors"].is_null(), "{with_customer}");
        let topic_alone = app
            .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": { "topic": "customers.create_password" } }))
            .await;
        assert_invalid(&topic_alone, "/input/topic");
        let read = app.graphql(Some(&token), &read_doc(), json!({ "id": id })).await;
        assert_eq!(read["data"]["webhook"]["topic"], "customer_password_resets.create", "unchanged: {read}");
        assert_eq!(read["data"]["webhook"]["name"], "Valid");
    }

    async fn a_name_and_a_callback_url_at_their_longest_are_taken_and_one_character_more_refused(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        // Characters, not bytes: each `é` is two bytes.
        let name = "é".repeat(MAX_NAME_CHARS);
        let base = "https://hooks.example.com/";
        let url = format!("{base}{}", "a".repeat(MAX_CALLBACK_URL_CHARS - base.len()));
        let mut longest = input(&name, "customers.create");
        longest["callbackUrl"] = json!(url);
        let created = create(&app, &token, longest).await;
        assert_eq!(created["name"], name.as_str());
        assert_eq!(created["callbackUrl"], url.as_str());
        let id = id_of(&created);
        for (change, pointer) in [
            (json!({ "name": format!("{name}é") }), "/input/name"),
            (json!({ "callbackUrl": format!("{url}a") }), "/input/callbackUrl"),
            // Short as typed, but each `é` is stored as `%C3%A9`.
            (json!({ "callbackUrl": format!("{base}{}", "é".repeat(400)) }), "/input/callbackUrl"),
        ] {
            let mut new = input("Valid", "customers.create");
            for (key, value) in change.as_object().unwrap() {
                new[key] = value.clone();
            }
            let answer = app.graphql(Some(&token), &create_doc(), json!({ "input": new })).await;
            assert_invalid(&answer, pointer);
            let answer = app
                .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": change }))
                .await;
            assert_invalid(&answer, pointer);
        }
    }

    async fn disable_enable_and_reset_circuit_change_the_webhook(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let id = id_of(&create(&app, &token, input("Triggers", "customers.create")).await);
        let update = |change: Value| {
            let (app, token, id) = (&app, &token, &id);
            async move {
                app.graphql(Some(token), &update_doc(), json!({ "id": id, "input": change })).await
            }
        };
        let disabled = update(json!({ "disable": true })).await;
        assert!(disabled["data"]["updateWebhook"]["disabledAt"].is_string(), "{disabled}");
        let both = update(json!({ "disable": true, "enable": true })).await;
        assert_eq!(both["errors"][0]["extensions"]["code"], "VALIDATION_ERROR", "{both}");
        assert!(both["errors"][0]["extensions"]["pointer"].is_string(), "{both}");
        let enabled = update(json!({ "enable": true })).await;
        assert_eq!(enabled["data"]["updateWebhook"]["disabledAt"], Value::Null, "{enabled}");

        let mut conn = app.state().db.conn().await.unwrap();
        let sql = format!("UPDATE webhooks SET circuit_state = 'open', circuit_failure_count = 30 WHERE id = '{id}'");
        db_run!(&mut conn, |c| {
            diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), c).await.unwrap()
        });
        drop(conn);
        let open = app.graphql(Some(&token), &read_doc(), json!({ "id": id })).await;
        assert_eq!(open["data"]["webhook"]["circuitState"], "OPEN", "{open}");
        assert_eq!(open["data"]["webhook"]["circuitFailureCount"], 30);
        let reset = update(json!({ "resetCircuit": true })).await;
        assert_eq!(reset["data"]["updateWebhook"]["circuitState"], "CLOSED", "{reset}");
        assert_eq!(reset["data"]["updateWebhook"]["circuitFailureCount"], 0);
    }

    async fn deleting_a_webhook_returns_its_id_and_it_is_gone(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let id = id_of(&create(&app, &token, input("Doomed", "customers.create")).await);
        let deleted = app.graphql(Some(&token), DELETE, json!({ "id": id })).await;
        assert_eq!(deleted["data"]["deleteWebhook"], id, "{deleted}");
        let read = app.graphql(Some(&token), &read_doc(), json!({ "id": id })).await;
        assert_eq!(read["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND", "{read}");
        let again = app.graphql(Some(&token), DELETE, json!({ "id": id })).await;
        assert_eq!(again["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND", "{again}");
        let update = app
            .graphql(Some(&token), &update_doc(), json!({ "id": id, "input": { "name": "x" } }))
            .await;
        assert_eq!(update["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND", "{update}");
    }

    async fn the_list_filters_and_pages(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let mut ids = Vec::new();
        for i in 0..12 {
            let topic = if i % 3 == 0 { "customers.create" } else { "customer_password_resets.create" };
            ids.push(id_of(&create(&app, &token, input(&format!("hook-{i:02}"), topic)).await));
        }
        let page = |vars: Value| {
            let (app, token) = (&app, &token);
            async move { app.graphql(Some(token), LIST, vars).await }
        };
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let answer = page(json!({ "first": 5, "after": after })).await;
            let list = &answer["data"]["webhooks"];
            assert_eq!(list["totalCount"], 12, "{answer}");
            seen.extend(names(&answer));
            if list["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = list["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen.len(), 12);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 12, "each once");

        // The test clock stands still: every webhook has the same creation time.
        let by_name = json!({ "field": "NAME" });
        let topic = page(json!({ "filter": { "topicEq": "customers.create" }, "sort": by_name, "first": 25 })).await;
        assert_eq!(names(&topic), ["hook-00", "hook-03", "hook-06", "hook-09"], "{topic}");
        let name = page(json!({ "filter": { "nameEq": "hook-07" } })).await;
        assert_eq!(names(&name), ["hook-07"]);

        app.graphql(Some(&token), &update_doc(), json!({ "id": ids[1], "input": { "disable": true } })).await;
        let disabled = page(json!({ "filter": { "disabledAtNull": false } })).await;
        assert_eq!(names(&disabled), ["hook-01"], "{disabled}");
        let enabled = page(json!({ "filter": { "disabledAtNull": true }, "first": 25 })).await;
        assert_eq!(enabled["data"]["webhooks"]["totalCount"], 11);

        let mut conn = app.state().db.conn().await.unwrap();
        let sql = format!("UPDATE webhooks SET circuit_state = 'open' WHERE id = '{}'", ids[2]);
        db_run!(&mut conn, |c| {
            diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), c).await.unwrap()
        });
        drop(conn);
        let open = page(json!({ "filter": { "circuitStateEq": "OPEN" } })).await;
        assert_eq!(names(&open), ["hook-02"], "{open}");
        let closed = page(json!({ "filter": { "circuitStateEq": "CLOSED" }, "first": 25 })).await;
        assert_eq!(closed["data"]["webhooks"]["totalCount"], 11);

        let sorted = page(json!({ "sort": { "field": "NAME", "direction": "DESC" }, "first": 2 })).await;
        assert_eq!(names(&sorted), ["hook-11", "hook-10"], "{sorted}");
        let bad = page(json!({ "first": 26 })).await;
        assert_invalid(&bad, "/first");
    }

    async fn the_other_mode_sees_nothing(app: TestApp) {
        let test = app.token(Role::Integration, Mode::Test).await;
        let live = app.token(Role::Integration, Mode::Live).await;
        let id = id_of(&create(&app, &test, input("Test only", "customers.create")).await);
        let read = app.graphql(Some(&live), &read_doc(), json!({ "id": id })).await;
        assert_eq!(read["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND", "{read}");
        let list = app.graphql(Some(&live), LIST, json!({})).await;
        assert_eq!(list["data"]["webhooks"]["totalCount"], 0, "{list}");
        let update = app
            .graphql(Some(&live), &update_doc(), json!({ "id": id, "input": { "disable": true } }))
            .await;
        assert_eq!(update["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND", "{update}");
        let delete = app.graphql(Some(&live), DELETE, json!({ "id": id })).await;
        assert_eq!(delete["errors"][0]["extensions"]["code"], "RECORD_NOT_FOUND", "{delete}");
        let still = app.graphql(Some(&test), &read_doc(), json!({ "id": id })).await;
        assert_eq!(still["data"]["webhook"]["disabledAt"], Value::Null, "{still}");
    }

    async fn sales_channels_and_customers_get_unauthorized(app: TestApp) {
        let who = Callers::new(&app).await;
        let id = id_of(&create(&app, &who.integration, input("Guarded", "customers.create")).await);
        let calls = [
            ("webhook", read_doc(), json!({ "id": id })),
            ("webhooks", LIST.to_owned(), json!({})),
            ("createWebhook", create_doc(), json!({ "input": input("x", "customers.create") })),
            ("updateWebhook", update_doc(), json!({ "id": id, "input": { "disable": true } })),
            ("deleteWebhook", DELETE.to_owned(), json!({ "id": id })),
        ];
        let mut refusals = serde_json::Map::new();
        for (field, document, variables) in &calls {
            for (caller, token) in [("a sales channel", &who.sales_channel), ("a customer", &who.customer)] {
                let answer = app.graphql(Some(token), document, variables.clone()).await;
                assert_eq!(outcome(&answer, field), refused("UNAUTHORIZED"), "{field}: {answer}");
                refusals.insert(format!("{field} by {caller}"), answer);
            }
            let anonymous = app.graphql(None, document, variables.clone()).await;
            assert_eq!(outcome(&anonymous, field), refused("INVALID_TOKEN"), "{field}");
            refusals.insert(format!("{field} without a token"), anonymous);
        }
        insta::assert_json_snapshot!("refusals", refusals);
        let read = app.graphql(Some(&who.integration), &read_doc(), json!({ "id": id })).await;
        assert_eq!(outcome(&read, "webhook"), Allowed);
        assert_eq!(read["data"]["webhook"]["disabledAt"], Value::Null, "nothing changed: {read}");
    }
}

/// Inserts `count` event callbacks for a webhook, one second apart from `start`.
async fn insert_callbacks(app: &TestApp, webhook_id: &str, count: usize) {
    let mut conn = app.state().db.conn().await.unwrap();
    for i in 0..count {
        let sql = format!(
            "INSERT INTO event_callbacks (id, webhook_id, topic, callback_url, response_code, response_message, attempt, created_at)
             VALUES ('cb{webhook_id}{i:02}', '{webhook_id}', 'customers.create', 'https://hooks.example.com/resets', {code}, 'attempt {i}', {attempt}, '2026-12-01 10:00:{i:02}')",
            code = if i % 2 == 0 { "500".to_owned() } else { "NULL".to_owned() },
            attempt = i + 1,
        );
        db_run!(&mut conn, |c| {
            diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), c)
                .await
                .unwrap()
        });
    }
}

on_both_databases! {
    async fn last_event_callbacks_lists_the_last_ten_newest_first_and_goes_with_its_webhook(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let busy = id_of(&create(&app, &token, input("busy", "customers.create")).await);
        let quiet = id_of(&create(&app, &token, input("quiet", "customers.create")).await);
        insert_callbacks(&app, &busy, 12).await;
        insert_callbacks(&app, &quiet, 2).await;
        let read = app.graphql(Some(&token), &read_doc(), json!({ "id": busy })).await;
        let callbacks = read["data"]["webhook"]["lastEventCallbacks"].as_array().unwrap_or_else(|| panic!("{read}")).clone();
        let messages: Vec<&str> = callbacks.iter().map(|c| c["responseMessage"].as_str().unwrap()).collect();
        let expected: Vec<String> = (2..12).rev().map(|i| format!("attempt {i}")).collect();
        assert_eq!(messages, expected, "{read}");
        assert_eq!(callbacks[0]["responseCode"], Value::Null, "no answer came");
        assert_eq!(callbacks[1]["responseCode"], 500);
        assert_eq!(callbacks[0]["attempt"], 12);
        assert_eq!(callbacks[0]["topic"], "customers.create");
        assert_eq!(callbacks[0]["callbackUrl"], "https://hooks.example.com/resets");
        assert_eq!(callbacks[0]["createdAt"], "2026-12-01T10:00:11.000000Z");

        // A list asks the loader for both webhooks' callbacks at once.
        let listed = app
            .graphql(Some(&token), LIST, json!({ "sort": { "field": "NAME" } }))
            .await;
        let edges = listed["data"]["webhooks"]["edges"].as_array().unwrap_or_else(|| panic!("{listed}"));
        assert_eq!(edges[0]["node"]["lastEventCallbacks"].as_array().unwrap().len(), 10);
        assert_eq!(edges[1]["node"]["lastEventCallbacks"].as_array().unwrap().len(), 2);

        app.graphql(Some(&token), DELETE, json!({ "id": busy })).await;
        let mut conn = app.state().db.conn().await.unwrap();
        let left: i64 = db_run!(&mut conn, |c| {
            use diesel::prelude::*;
            use reset_gateway::db::schema::event_callbacks;
            diesel_async::RunQueryDsl::get_result(event_callbacks::table.count(), c).await.unwrap()
        });
        assert_eq!(left, 2, "the deleted webhook's callbacks went with it");
    }
}

on_both_databases! {
    /// Under `WEBHOOK_HTTPS_ONLY`, an `http` callback URL is refused when a webhook is created
    /// or changed, not only when it would be called.
    #[config(|c| c.webhook_https_only = true)]
    async fn https_only_refuses_http_callback_urls_at_creation_and_update(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let mut plain = input("Plain", "customers.create");
        plain["callbackUrl"] = json!("http://hooks.example.com/resets");
        let answer = app
            .graphql(Some(&token), &create_doc(), json!({ "input": plain }))
            .await;
        assert_invalid(&answer, "/input/callbackUrl");

        let id = id_of(&create(&app, &token, input("Secure", "customers.create")).await);
        let change = json!({ "callbackUrl": "http://hooks.example.com/other" });
        let answer = app
            .graphql(
                Some(&token),
                &update_doc(),
                json!({ "id": id, "input": change }),
            )
            .await;
        assert_invalid(&answer, "/input/callbackUrl");
        let read = app
            .graphql(Some(&token), &read_doc(), json!({ "id": id }))
            .await;
        assert_eq!(
            read["data"]["webhook"]["callbackUrl"],
            "https://hooks.example.com/resets"
        );
    }
}
