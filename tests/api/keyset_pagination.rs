//! Cursors carry the sort key: walking every list under every sort, in both directions,
//! returns each record once in order (nulls last ascending, first descending; ties by
//! id); a record created before the cursor between two pages shifts nothing; a cursor
//! from another list or sort, an edited one or an old offset cursor is refused.

use std::cmp::Ordering;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::create_reset;
use crate::harness::{TestApp, on_both_databases};
use crate::webhook_fixtures::webhook;

/// A list of the schema: its root field, its sort input type and its sort fields.
struct List {
    root: &'static str,
    sort_type: &'static str,
    sorts: &'static [&'static str],
}

const CUSTOMERS: List = List {
    root: "customers",
    sort_type: "CustomerSort",
    sorts: &[
        "ID",
        "CREATED_AT",
        "UPDATED_AT",
        "REFERENCE",
        "REFERENCE_ORIGIN",
        "EMAIL",
    ],
};
const RESETS: List = List {
    root: "customerPasswordResets",
    sort_type: "CustomerPasswordResetSort",
    sorts: &[
        "ID",
        "CREATED_AT",
        "UPDATED_AT",
        "REFERENCE",
        "REFERENCE_ORIGIN",
    ],
};
const WEBHOOKS: List = List {
    root: "webhooks",
    sort_type: "WebhookSort",
    sorts: &[
        "ID",
        "CREATED_AT",
        "UPDATED_AT",
        "REFERENCE",
        "REFERENCE_ORIGIN",
        "NAME",
    ],
};

/// The node field a sort field orders by.
fn node_field(sort: &str) -> &'static str {
    match sort {
        "ID" => "id",
        "CREATED_AT" => "createdAt",
        "UPDATED_AT" => "updatedAt",
        "REFERENCE" => "reference",
        "REFERENCE_ORIGIN" => "referenceOrigin",
        "EMAIL" => "email",
        "NAME" => "name",
        other => panic!("no sort field {other}"),
    }
}

fn page_doc(list: &List) -> String {
    // Resets are walked with their customers: the page then joins them in its own
    // statements, crossing from values to nulls included.
    let extra = match list.root {
        "customers" => "email",
        "webhooks" => "name",
        _ => "customer { id }",
    };
    format!(
        "query($sort: {}, $first: Int, $after: String) {{
            {}(sort: $sort, first: $first, after: $after) {{
                edges {{ cursor node {{ id createdAt updatedAt reference referenceOrigin {extra} }} }}
                pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
            }}
        }}",
        list.sort_type, list.root
    )
}

/// One page: the answer's connection, or the whole answer when it has errors.
async fn page(
    app: &TestApp,
    token: &str,
    list: &List,
    sort: Value,
    first: i32,
    after: Option<&str>,
) -> Value {
    let answer = app
        .graphql(
            Some(token),
            &page_doc(list),
            json!({ "sort": sort, "first": first, "after": after }),
        )
        .await;
    if !answer["errors"].is_null() {
        return answer;
    }
    answer["data"][list.root].clone()
}

/// Every node of the list, read `first` at a time under `sort`.
async fn walk(app: &TestApp, token: &str, list: &List, sort: Value, first: i32) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let connection = page(app, token, list, sort.clone(), first, after.as_deref()).await;
        let edges = connection["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no edges: {connection}"));
        let info = &connection["pageInfo"];
        assert_eq!(info["hasPreviousPage"], after.is_some(), "{connection}");
        assert_eq!(
            info["endCursor"],
            edges.last().map_or(Value::Null, |e| e["cursor"].clone())
        );
        assert_eq!(
            info["startCursor"],
            edges.first().map_or(Value::Null, |e| e["cursor"].clone())
        );
        nodes.extend(edges.iter().map(|e| e["node"].clone()));
        if info["hasNextPage"] == false {
            return nodes;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
        assert!(nodes.len() < 1_000, "the walk does not end");
    }
}

/// The order the documentation promises, computed here from the records' own fields:
/// nulls after every value ascending, ties by id.
fn ascending(field: &str, a: &Value, b: &Value) -> Ordering {
    let value = |v: &Value| -> Option<String> {
        let raw = v[field].as_str()?;
        Some(match field {
            "createdAt" | "updatedAt" => chrono::DateTime::parse_from_rfc3339(raw)
                .unwrap_or_else(|e| panic!("{raw}: {e}"))
                .naive_utc()
                .format("%Y-%m-%dT%H:%M:%S%.9f")
                .to_string(),
            _ => raw.to_owned(),
        })
    };
    let by_value = match (value(a), value(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (None, None) => Ordering::Equal,
    };
    by_value.then_with(|| a["id"].as_str().cmp(&b["id"].as_str()))
}

fn ids(nodes: &[Value]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Walks the list under each of its sorts, both ways, in pages of 2: each record once, in
/// the promised order.
async fn check_every_sort(app: &TestApp, token: &str, list: &List, count: usize) {
    let all = walk(app, token, list, json!({ "field": "ID" }), 25).await;
    assert_eq!(all.len(), count, "{}", list.root);
    for sort in list.sorts {
        let field = node_field(sort);
        let mut expected = all.clone();
        expected.sort_by(|a, b| ascending(field, a, b));
        let up = walk(
            app,
            token,
            list,
            json!({ "field": sort, "direction": "ASC" }),
            2,
        )
        .await;
        assert_eq!(
            ids(&up),
            ids(&expected),
            "{} by {sort} ascending",
            list.root
        );
        expected.reverse();
        let down = walk(
            app,
            token,
            list,
            json!({ "field": sort, "direction": "DESC" }),
            2,
        )
        .await;
        assert_eq!(
            ids(&down),
            ids(&expected),
            "{} by {sort} descending",
            list.root
        );
    }
}

/// References with ties and nulls; the origins null where the references are not, in part.
/// Walked in pages of 2, a page after a cursor runs from the values into the nulls
/// (origins ascending: five values) and from the nulls into the values (references
/// descending: three nulls), as well as starting right at the other part.
const REFERENCES: [Option<&str>; 9] = [
    Some("b"),
    None,
    Some("a"),
    Some("b"),
    None,
    Some("c"),
    Some("a"),
    None,
    Some("b"),
];
const ORIGINS: [Option<&str>; 9] = [
    None,
    Some("x"),
    Some("x"),
    None,
    Some("y"),
    None,
    Some("x"),
    Some("y"),
    None,
];

async fn set_references(
    app: &TestApp,
    token: &str,
    mutation: &str,
    input_type: &str,
    ids: &[String],
) {
    let doc = format!(
        "mutation($id: ID!, $input: {input_type}!) {{ {mutation}(id: $id, input: $input) {{ id }} }}"
    );
    for (i, id) in ids.iter().enumerate() {
        // Some records keep their null references untouched; the others change at two
        // moments, so that the change times tie in groups too.
        if REFERENCES[i].is_none() && ORIGINS[i].is_none() {
            continue;
        }
        let input = json!({ "reference": REFERENCES[i], "referenceOrigin": ORIGINS[i] });
        let answer = app
            .graphql(Some(token), &doc, json!({ "id": id, "input": input }))
            .await;
        assert!(answer["errors"].is_null(), "{answer}");
        if i == 4 {
            app.advance(Duration::from_millis(3));
        }
    }
}

on_both_databases! {
    async fn every_list_pages_every_sort_both_ways_with_each_record_once_in_order(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let mut customers = Vec::new();
        let mut resets = Vec::new();
        let mut webhooks = Vec::new();
        for i in 0..9 {
            // Emails and names out of creation order, creation times tied in threes.
            let email = format!("k{}@example.com", (i * 4) % 9);
            customers.push(app.customer(&token, &email, None).await);
            resets.push(create_reset(&app, &token, &email).await.0);
            let input = json!({
                "name": format!("hook {}", i % 4),
                "topic": "customer_password_resets.create",
                "callbackUrl": "https://hooks.example.com/resets",
            });
            let answer = app
                .graphql(Some(&token), "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }", json!({ "input": input }))
                .await;
            webhooks.push(answer["data"]["createWebhook"]["id"].as_str().unwrap_or_else(|| panic!("{answer}")).to_owned());
            if i % 3 == 2 {
                app.advance(Duration::from_millis(2));
            }
        }
        set_references(&app, &token, "updateCustomer", "UpdateCustomerInput", &customers).await;
        set_references(&app, &token, "updateCustomerPasswordReset", "UpdateCustomerPasswordResetInput", &resets).await;
        set_references(&app, &token, "updateWebhook", "UpdateWebhookInput", &webhooks).await;
        check_every_sort(&app, &token, &CUSTOMERS, 9).await;
        check_every_sort(&app, &token, &RESETS, 9).await;
        check_every_sort(&app, &token, &WEBHOOKS, 9).await;
    }

    async fn a_record_created_before_the_cursor_between_two_pages_shifts_nothing(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        for i in 1..=6 {
            app.customer(&token, &format!("b{i}@example.com"), None).await;
        }
        let by_email = json!({ "field": "EMAIL" });
        let first = page(&app, &token, &CUSTOMERS, by_email.clone(), 3, None).await;
        let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        app.customer(&token, "a0@example.com", None).await;
        let next = page(&app, &token, &CUSTOMERS, by_email, 3, Some(&cursor)).await;
        let emails: Vec<&str> = next["edges"].as_array().unwrap().iter().map(|e| e["node"]["email"].as_str().unwrap()).collect();
        // An offset cursor would repeat b3 here.
        assert_eq!(emails, ["b4@example.com", "b5@example.com", "b6@example.com"]);
        assert_eq!(next["pageInfo"]["hasNextPage"], false);
        assert_eq!(next["pageInfo"]["hasPreviousPage"], true);
    }

    async fn a_cursor_from_another_list_or_sort_an_edited_one_or_an_offset_one_is_refused(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let email = "c@example.com";
        app.customer(&token, email, None).await;
        app.customer(&token, "d@example.com", None).await;
        create_reset(&app, &token, email).await;
        create_reset(&app, &token, email).await;
        let by_email = json!({ "field": "EMAIL" });
        let first = page(&app, &token, &CUSTOMERS, by_email.clone(), 1, None).await;
        let cursor = first["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        assert!(page(&app, &token, &CUSTOMERS, by_email.clone(), 1, Some(&cursor)).await["edges"].is_array());
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        bytes[3] ^= 0x01;
        let edited = URL_SAFE_NO_PAD.encode(&bytes);
        let offset = URL_SAFE_NO_PAD.encode("position:0");
        // Each list's cursors belong to its own order, resets' and webhooks' as much as
        // customers'.
        let by_time = json!({ "field": "CREATED_AT" });
        let first_reset = page(&app, &token, &RESETS, by_time.clone(), 1, None).await;
        let reset_cursor = first_reset["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        assert!(page(&app, &token, &RESETS, by_time.clone(), 1, Some(&reset_cursor)).await["edges"].is_array());
        for url in ["https://hooks.example.com/a", "https://hooks.example.com/b"] {
            webhook(&app, &token, "customers.create", url, &[]).await;
        }
        let first_webhook = page(&app, &token, &WEBHOOKS, by_time.clone(), 1, None).await;
        let webhook_cursor = first_webhook["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        assert!(page(&app, &token, &WEBHOOKS, by_time, 1, Some(&webhook_cursor)).await["edges"].is_array());
        let refused = [
            (&WEBHOOKS, json!({ "field": "CREATED_AT", "direction": "DESC" }), webhook_cursor.clone()),
            (&WEBHOOKS, json!({ "field": "UPDATED_AT" }), webhook_cursor.clone()),
            (&RESETS, json!({ "field": "CREATED_AT" }), webhook_cursor),
            (&RESETS, json!({ "field": "CREATED_AT", "direction": "DESC" }), reset_cursor.clone()),
            (&RESETS, json!({ "field": "UPDATED_AT" }), reset_cursor.clone()),
            (&CUSTOMERS, json!({ "field": "CREATED_AT" }), reset_cursor),
            (&CUSTOMERS, json!({ "field": "EMAIL", "direction": "DESC" }), cursor.clone()),
            (&CUSTOMERS, json!({ "field": "CREATED_AT" }), cursor.clone()),
            (&WEBHOOKS, json!({ "field": "CREATED_AT" }), cursor.clone()),
            (&CUSTOMERS, by_email.clone(), edited),
            (&CUSTOMERS, by_email.clone(), offset.clone()),
            (&CUSTOMERS, by_email.clone(), "not a cursor".to_owned()),
        ];
        for (list, sort, after) in refused {
            let answer = page(&app, &token, list, sort.clone(), 1, Some(&after)).await;
            let ext = &answer["errors"][0]["extensions"];
            assert_eq!(ext["code"], "VALIDATION_ERROR", "{} {sort} {after}: {answer}", list.root);
            assert_eq!(ext["pointer"], "/after", "{answer}");
        }
        let nested = "query($after: String) { customers(first: 1, sort: { field: EMAIL }) {
            edges { node { passwordResets(first: 1, after: $after) { edges { cursor } } } } } }";
        for after in [offset, cursor] {
            let answer = app.graphql(Some(&token), nested, json!({ "after": after })).await;
            let ext = &answer["errors"][0]["extensions"];
            assert_eq!(ext["code"], "VALIDATION_ERROR", "{answer}");
            assert_eq!(ext["pointer"], "/passwordResets/after", "{answer}");
        }
    }

    async fn a_customers_resets_page_newest_first_by_their_cursors(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let email = "r@example.com";
        app.customer(&token, email, None).await;
        let mut created = Vec::new();
        for i in 0..5 {
            created.push(create_reset(&app, &token, email).await.0);
            if i % 2 == 1 {
                app.advance(Duration::from_millis(2));
            }
        }
        let doc = "query($after: String) { customers(first: 1) { edges { node {
            passwordResets(first: 2, after: $after) {
                totalCount
                edges { node { id createdAt } }
                pageInfo { hasNextPage hasPreviousPage endCursor }
            } } } } }";
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let answer = app.graphql(Some(&token), doc, json!({ "after": after })).await;
            let resets = &answer["data"]["customers"]["edges"][0]["node"]["passwordResets"];
            assert_eq!(resets["totalCount"], 5, "{answer}");
            assert_eq!(resets["pageInfo"]["hasPreviousPage"], after.is_some());
            seen.extend(resets["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()));
            if resets["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = resets["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        let mut expected = seen.clone();
        expected.sort_by(|a, b| ascending("createdAt", a, b));
        expected.reverse();
        assert_eq!(ids(&seen), ids(&expected));
        let mut all = ids(&seen);
        all.sort();
        created.sort();
        assert_eq!(all, created, "each reset once");
    }
}
