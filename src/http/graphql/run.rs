//! Running one request or a batch: the password and rate-limit rules, then execution.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;

use super::answer::BatchItem;
use super::document::Analysis;
use super::negotiate::MediaType;
use super::params::GraphqlParams;
use super::prepare::{Prepared, execute, prepare};
use super::refusal::{
    Refusal, hash_queue_full, one_password_mutation_only, respond, set_retry_after,
    too_many_requests,
};
use super::{Client, Outcome, limits};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::codes::graphql::TOO_MANY_REQUESTS;
use crate::rate_limits::{Scope, Verdict};

pub(super) async fn run_one(
    state: &Arc<AppState>,
    client: &Client,
    media: MediaType,
    params: GraphqlParams,
    over_get: bool,
) -> (Response, Outcome) {
    let prepared = match prepare(state, &client.caller, params, over_get) {
        Ok(prepared) => prepared,
        Err(refusal) => return refuse(state, client, media, refusal, 1, "invalid").await,
    };
    let operation = operation_label(state, &prepared.analysis);
    if prepared.analysis.password_hashes > 1 {
        let refusal = one_password_mutation_only();
        return refuse(state, client, media, refusal, 1, &operation).await;
    }
    let verdict = match rate_limit(state, client, 1, prepared.analysis.redemptions).await {
        Ok(verdict) => verdict,
        Err(verdict) => {
            return (
                too_many_requests(media, &verdict, None),
                Outcome::new(operation, TOO_MANY_REQUESTS),
            );
        }
    };
    if prepared.analysis.password_hashes > 0 && !state.hasher.has_room() {
        let response = hash_queue_full(media, None);
        return (response, Outcome::new(operation, TOO_MANY_REQUESTS));
    }
    let answer = execute(state, prepared).await;
    let status = match (answer.is_request_error(), media) {
        _ if answer.hash_queue_full() => StatusCode::TOO_MANY_REQUESTS,
        (true, MediaType::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let mut response = respond(media, status, &answer);
    limits::add_headers(&mut response, verdict.as_ref());
    if answer.hash_queue_full() {
        set_retry_after(&mut response);
    }
    (
        response,
        Outcome::new(operation, answer.first_code().unwrap_or("ok")),
    )
}

pub(super) async fn run_batch(
    state: &Arc<AppState>,
    client: &Client,
    media: MediaType,
    batch: Vec<GraphqlParams>,
) -> (Response, Outcome) {
    let limit = state.config.max_batch_size;
    if batch.is_empty() || batch.len() > limit {
        let message = match limit {
            0 => "batched requests are turned off".to_owned(),
            _ => format!("a batch holds 1 to {limit} requests"),
        };
        let operations = batch.len().try_into().unwrap_or(u32::MAX);
        let refusal = Refusal::bad_request(message);
        return refuse(state, client, media, refusal, operations, "batch").await;
    }
    let operations = batch.len() as u32;
    let prepared: Vec<Result<Prepared, Refusal>> = batch
        .into_iter()
        .map(|params| prepare(state, &client.caller, params, false))
        .collect();
    let analyses = || prepared.iter().flatten().map(|p| &p.analysis);
    let hashes = analyses().map(|a| a.password_hashes).sum::<usize>();
    if hashes > 1 {
        // One batch is one request: it may not hash more passwords than one document may.
        let mut refusal = one_password_mutation_only();
        refusal.batch = Some(operations as usize);
        return refuse(state, client, media, refusal, operations, "batch").await;
    }
    let redemptions = analyses().map(|a| a.redemptions).sum();
    let verdict = match rate_limit(state, client, operations, redemptions).await {
        Ok(verdict) => verdict,
        Err(verdict) => {
            return (
                too_many_requests(media, &verdict, Some(operations as usize)),
                Outcome::new("batch", TOO_MANY_REQUESTS),
            );
        }
    };
    if hashes > 0 && !state.hasher.has_room() {
        let response = hash_queue_full(media, Some(operations as usize));
        return (response, Outcome::new("batch", TOO_MANY_REQUESTS));
    }
    let answers = futures_util::future::join_all(prepared.into_iter().map(|item| async move {
        match item {
            Ok(prepared) => BatchItem::Answered(execute(state, prepared).await),
            Err(refusal) => BatchItem::Refused(refusal.body()),
        }
    }))
    .await;
    let queue_full = answers.iter().any(BatchItem::hash_queue_full);
    let status = match queue_full {
        true => StatusCode::TOO_MANY_REQUESTS,
        false => StatusCode::OK,
    };
    let mut response = respond(media, status, &answers);
    limits::add_headers(&mut response, verdict.as_ref());
    if queue_full {
        set_retry_after(&mut response);
    }
    let code = answers.iter().find_map(BatchItem::first_code);
    (response, Outcome::new("batch", code.unwrap_or("ok")))
}

/// Answers a request refused before it ran, after counting its operations against the
/// GraphQL budget: a refusal costs the service a parse and the checks, so refused
/// requests must not be free and unlimited. Over the budget, the answer is 429.
pub(super) async fn refuse(
    state: &AppState,
    client: &Client,
    media: MediaType,
    refusal: Refusal,
    operations: u32,
    operation: &str,
) -> (Response, Outcome) {
    let verdict = limits::check(state, Scope::Graphql, &client.rate_subject, operations).await;
    if let Some(verdict) = verdict.filter(|v| !v.allowed) {
        return (
            too_many_requests(media, &verdict, refusal.batch),
            Outcome::new(operation, TOO_MANY_REQUESTS),
        );
    }
    let outcome = Outcome::new(operation, refusal.code);
    let mut response = refusal.into_response(media);
    limits::add_headers(&mut response, verdict.as_ref());
    (response, outcome)
}

/// Counts the request against the GraphQL budget and, for redemptions by public clients,
/// the redemption budget of the client's IP (integrations are trusted servers, often
/// many shops behind one address). Err with the verdict that refused it. Reset creations
/// are counted per customer by the creation rule itself, where the customer is known.
async fn rate_limit(
    state: &AppState,
    client: &Client,
    operations: u32,
    redemptions: usize,
) -> Result<Option<Verdict>, Verdict> {
    let general = limits::check(state, Scope::Graphql, &client.rate_subject, operations).await;
    if let Some(verdict) = general.filter(|v| !v.allowed) {
        return Err(verdict);
    }
    let integration =
        matches!(&client.caller, Caller::Authenticated(p) if p.role == Role::Integration);
    if redemptions == 0 || integration {
        return Ok(general);
    }
    let subject = client.ip.to_string();
    let redemption = limits::check(state, Scope::Redemptions, &subject, redemptions as u32).await;
    match redemption {
        Some(verdict) if !verdict.allowed => Err(verdict),
        Some(verdict) => Ok(Some(verdict)),
        None => Ok(general),
    }
}

/// The metrics label of an operation: its first root field when the schema has it (so
/// clients cannot grow the label set), else `other`.
fn operation_label(state: &AppState, analysis: &Analysis) -> String {
    match &analysis.first_root_field {
        Some(field) if state.root_fields.contains(field) => field.clone(),
        _ => "other".to_owned(),
    }
}
