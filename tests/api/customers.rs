//! Customers: what is stored, and the validation errors with their pointers.

use reset_gateway::auth::{Mode, Role};
use serde_json::{Value, json};

use crate::fixtures::PASSWORD;
use crate::harness::on_both_databases;
use crate::redactions;

const CREATE: &str = "mutation($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
        id email hasPassword status reference referenceOrigin metadata createdAt updatedAt meta { mode }
    }
}";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateCustomerInput!) {
    updateCustomer(id: $id, input: $input) { id email hasPassword reference metadata updatedAt }
}";

fn problem(answer: &Value) -> (Option<&str>, Option<&str>, Option<&str>) {
    let ext = &answer["errors"][0]["extensions"];
    (
        ext["code"].as_str(),
        ext["pointer"].as_str(),
        ext["error"].as_str(),
    )
}

on_both_databases! {
    async fn a_created_customer_reads_back_as_it_was_given(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let input = json!({
            "email": "  Grace.Hopper@Example.COM ", "password": PASSWORD,
            "reference": "ERP-42", "referenceOrigin": "erp", "metadata": { "tier": "gold", "visits": 3 },
        });
        let created = app.graphql(Some(&token), CREATE, json!({ "input": input })).await;
        // The email trimmed and lowercased, the rest as given.
        insta::assert_json_snapshot!("created_customer", created, {
            ".data.createCustomer.id" => redactions::id(),
            ".data.createCustomer.createdAt" => redactions::now(&app),
            ".data.createCustomer.updatedAt" => redactions::now(&app),
        });
        let id = created["data"]["createCustomer"]["id"].as_str().unwrap();
        let read = app
            .graphql(Some(&token), "query($id: ID!) { customer(id: $id) { id email metadata } }", json!({ "id": id }))
            .await;
        assert_eq!(read["data"]["customer"]["email"], "grace.hopper@example.com");
        assert_eq!(read["data"]["customer"]["metadata"], json!({ "tier": "gold", "visits": 3 }));
    }

    async fn an_email_is_taken_whatever_its_case(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        app.customer(&token, "ada@example.com", None).await;
        let again = app.graphql(Some(&token), CREATE, json!({ "input": { "email": "ADA@example.com " } })).await;
        insta::assert_json_snapshot!("email_taken_on_create", again);
        let other = app.customer(&token, "bob@example.com", None).await;
        let renamed = app
            .graphql(Some(&token), UPDATE, json!({ "id": other, "input": { "email": "Ada@Example.com" } }))
            .await;
        insta::assert_json_snapshot!("email_taken_on_update", renamed);
    }

    async fn of_several_sign_ups_with_one_email_at_once_one_is_stored_and_the_rest_are_told_it_is_taken(app: TestApp) {
        // Each may pass the check before hashing while another is hashing: the unique
        // index decides, and its refusal must read as a taken email, not a fault.
        let token = app.token(Role::Integration, Mode::Test).await;
        let input = json!({ "input": { "email": "race@example.com", "password": PASSWORD } });
        let tries = (0..5).map(|_| app.graphql(Some(&token), CREATE, input.clone()));
        let answers = futures_util::future::join_all(tries).await;
        let stored = answers.iter().filter(|a| a["errors"].is_null()).count();
        assert_eq!(stored, 1, "{answers:?}");
        for refused in answers.iter().filter(|a| !a["errors"].is_null()) {
            assert_eq!(problem(refused), (Some("VALIDATION_ERROR"), Some("/input/email"), Some("taken")), "{refused}");
        }
    }

    async fn malformed_emails_and_short_passwords_are_refused_with_pointers(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let cases = [
            (json!({ "email": "not-an-email" }), "/input/email", "invalid"),
            (json!({ "email": "   " }), "/input/email", "blank"),
            (json!({ "email": "ok@example.com", "password": "short" }), "/input/password", "too_short"),
            (json!({ "email": "ok@example.com", "password": "x".repeat(257) }), "/input/password", "too_long"),
        ];
        let mut refusals = Vec::new();
        for (input, pointer, key) in cases {
            let answer = app.graphql(Some(&token), CREATE, json!({ "input": input })).await;
            assert_eq!(problem(&answer), (Some("VALIDATION_ERROR"), Some(pointer), Some(key)), "{input}");
            refusals.push(answer);
        }
        insta::assert_json_snapshot!("refusals", refusals);
        let listed = app.graphql(Some(&token), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(listed["data"]["customers"]["totalCount"], 0, "nothing was stored");
    }

    async fn an_existing_password_is_never_replaced_by_an_update(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let id = app.customer(&token, "set@example.com", Some(PASSWORD)).await;
        let answer = app
            .graphql(Some(&token), UPDATE, json!({ "id": id, "input": { "password": "a brand new password" } }))
            .await;
        assert_eq!(problem(&answer), (Some("VALIDATION_ERROR"), Some("/input/password"), Some("already_set")));
        let channel = app.credential(Role::SalesChannel, Mode::Test).await;
        let (status, _) = app.login(&channel, "set@example.com", PASSWORD).await;
        assert_eq!(status, 200, "the old password still works");
        let (status, _) = app.login(&channel, "set@example.com", "a brand new password").await;
        assert_eq!(status, 400);
    }

    async fn an_update_changes_only_what_it_names_and_null_clears(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let created = app
            .graphql(Some(&token), CREATE, json!({ "input": { "email": "u@example.com", "reference": "R1", "metadata": { "a": 1 } } }))
            .await;
        let id = created["data"]["createCustomer"]["id"].as_str().unwrap().to_owned();
        let kept = app.graphql(Some(&token), UPDATE, json!({ "id": id, "input": { "metadata": { "b": 2 } } })).await;
        assert_eq!(kept["data"]["updateCustomer"]["reference"], "R1");
        assert_eq!(kept["data"]["updateCustomer"]["metadata"], json!({ "b": 2 }));
        let cleared = app.graphql(Some(&token), UPDATE, json!({ "id": id, "input": { "reference": null } })).await;
        assert_eq!(cleared["data"]["updateCustomer"]["reference"], Value::Null);
    }

    async fn metadata_must_be_a_json_object(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let answer = app
            .graphql(Some(&token), CREATE, json!({ "input": { "email": "m@example.com", "metadata": [1, 2] } }))
            .await;
        insta::assert_json_snapshot!("metadata_not_an_object", answer);
    }

    async fn an_email_of_254_characters_is_taken_and_one_of_255_refused(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let domain = "@example.com";
        let longest = format!("{}{domain}", "a".repeat(254 - domain.len()));
        let created = app.graphql(Some(&token), CREATE, json!({ "input": { "email": longest } })).await;
        assert_eq!(created["data"]["createCustomer"]["email"], json!(longest), "{created}");
        let too_long = format!("b{longest}");
        let refused = app.graphql(Some(&token), CREATE, json!({ "input": { "email": too_long } })).await;
        assert_eq!(problem(&refused), (Some("VALIDATION_ERROR"), Some("/input/email"), Some("invalid")));
    }

    async fn a_password_of_256_characters_is_taken_and_one_of_257_refused(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let longest = "p".repeat(255) + "!";
        let input = json!({ "input": { "email": "long@example.com", "password": longest } });
        let created = app.graphql(Some(&token), CREATE, input).await;
        assert_eq!(created["data"]["createCustomer"]["hasPassword"], true, "{created}");
        let channel = app.credential(Role::SalesChannel, Mode::Test).await;
        let (status, _) = app.login(&channel, "long@example.com", &longest).await;
        assert_eq!(status, 200);
        let input = json!({ "input": { "email": "longer@example.com", "password": format!("{longest}!") } });
        let refused = app.graphql(Some(&token), CREATE, input).await;
        assert_eq!(problem(&refused), (Some("VALIDATION_ERROR"), Some("/input/password"), Some("too_long")));
    }

    async fn a_guest_given_a_password_may_keep_its_own_email_in_the_same_update(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let id = app.customer(&token, "guest@example.com", None).await;
        let answer = app
            .graphql(Some(&token), UPDATE, json!({ "id": id, "input": { "email": "Guest@Example.com", "password": PASSWORD } }))
            .await;
        assert!(answer["errors"].is_null(), "{answer}");
        assert_eq!(answer["data"]["updateCustomer"]["hasPassword"], true);
        let channel = app.credential(Role::SalesChannel, Mode::Test).await;
        let (status, _) = app.login(&channel, "guest@example.com", PASSWORD).await;
        assert_eq!(status, 200, "the guest signs in with the new password");
    }

    async fn a_database_fault_while_storing_an_email_is_an_internal_error_not_a_taken_email(app: TestApp) {
        // A rule in the database that refuses one email stands in for a fault that is not
        // a duplicate: the client must not be told the email is taken.
        let refuse = |event| {
            format!(
                "CREATE TRIGGER fault_{event} BEFORE {event} ON customers \
                 WHEN NEW.email = 'fault@example.com' BEGIN SELECT RAISE(ABORT, 'fault'); END"
            )
        };
        app.execute_sql(
            &["ALTER TABLE customers ADD CONSTRAINT fault CHECK (email <> 'fault@example.com') NOT VALID"],
            &[&refuse("INSERT"), &refuse("UPDATE")],
        )
        .await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let created = app.graphql(Some(&token), CREATE, json!({ "input": { "email": "fault@example.com" } })).await;
        assert_eq!(problem(&created).0, Some("INTERNAL_SERVER_ERROR"), "{created}");
        let id = app.customer(&token, "kept@example.com", None).await;
        let renamed = app
            .graphql(Some(&token), UPDATE, json!({ "id": id, "input": { "email": "fault@example.com" } }))
            .await;
        assert_eq!(problem(&renamed).0, Some("INTERNAL_SERVER_ERROR"), "{renamed}");
        let listed = app.graphql(Some(&token), "{ customers { edges { node { email } } } }", json!({})).await;
        assert_eq!(listed["data"]["customers"]["edges"], json!([{ "node": { "email": "kept@example.com" } }]), "nothing changed");
    }

    async fn unknown_ids_are_not_found(app: TestApp) {
        let token = app.token(Role::Integration, Mode::Test).await;
        let answer = app
            .graphql(Some(&token), "mutation { deleteCustomer(id: \"nope\") }", json!({}))
            .await;
        insta::assert_json_snapshot!("customer_not_found", answer);
    }
}
