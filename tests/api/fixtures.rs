//! Shared set-ups: one caller of each kind, in test mode.

use reset_gateway::auth::{Mode, Role};
use serde_json::Value;

use crate::harness::{Client, TestApp};

/// A password good enough for the policy.
pub const PASSWORD: &str = "correct horse battery";

/// One caller of each kind, and two customers with passwords (one logged in).
pub struct Callers {
    pub integration: String,
    pub sales_channel_client: Client,
    pub sales_channel: String,
    /// The token of the customer `me`.
    pub customer: String,
    pub me: String,
    pub other: String,
}

impl Callers {
    pub async fn new(app: &TestApp) -> Callers {
        let integration = app.token(Role::Integration, Mode::Test).await;
        let sales_channel_client = app.credential(Role::SalesChannel, Mode::Test).await;
        let sales_channel = app.client_token(&sales_channel_client).await;
        let me = app
            .customer(&integration, "me@example.com", Some(PASSWORD))
            .await;
        let other = app
            .customer(&integration, "other@example.com", Some(PASSWORD))
            .await;
        let (status, login) = app
            .login(&sales_channel_client, "me@example.com", PASSWORD)
            .await;
        assert_eq!(status, 200, "login failed: {login}");
        Callers {
            integration,
            sales_channel_client,
            sales_channel,
            customer: login["access_token"].as_str().unwrap().to_owned(),
            me,
            other,
        }
    }
}

/// What a caller got: the data, or the error code.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Refused(String),
}

/// `Allowed` when `field` came back with data, else the error's code.
pub fn outcome(answer: &Value, field: &str) -> Outcome {
    match crate::harness::error_code(answer) {
        Some(code) => Outcome::Refused(code.to_owned()),
        None if !answer["data"][field].is_null() => Outcome::Allowed,
        None => Outcome::Refused(format!("no data and no error: {answer}")),
    }
}

/// Shorthand for a refusal with this code.
pub fn refused(code: &str) -> Outcome {
    Outcome::Refused(code.to_owned())
}

/// Creates a reset for `email` as an integration; returns its id and token.
pub async fn create_reset(app: &TestApp, integration: &str, email: &str) -> (String, String) {
    let answer = app
        .graphql(
            Some(integration),
            "mutation($email: String!) {
                createCustomerPasswordReset(input: { customerEmail: $email }) { id resetPasswordToken }
            }",
            serde_json::json!({ "email": email }),
        )
        .await;
    let reset = &answer["data"]["createCustomerPasswordReset"];
    let id = reset["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no reset: {answer}"));
    (
        id.to_owned(),
        reset["resetPasswordToken"].as_str().unwrap().to_owned(),
    )
}

/// Redeems a reset with a token and a new password; returns the whole answer.
pub async fn redeem(
    app: &TestApp,
    token: &str,
    id: &str,
    reset_token: &str,
    password: &str,
) -> Value {
    app.graphql(
        Some(token),
        "mutation($id: ID!, $token: String!, $password: String!) {
            updateCustomerPasswordReset(id: $id, input: { resetPasswordToken: $token, customerPassword: $password }) {
                id status resetPasswordAt
            }
        }",
        serde_json::json!({ "id": id, "token": reset_token, "password": password }),
    )
    .await
}
