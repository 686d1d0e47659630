//! The GraphQL schema: types, guards, loaders, scalars and the error policy.

mod customer;
pub mod error;
pub mod guards;
pub mod loaders;
mod pagination;
pub mod password_slots;
pub mod redemption_fields;
mod reset;
mod reset_password;
pub mod scalars;
pub mod schema_types;
pub(crate) mod webhook;

use async_graphql::{EmptySubscription, MergedObject, Schema, ValidationMode};

use crate::config::Config;
use schema_types::SchemaTypes;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Reads.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    reset::ResetQuery,
    reset_password::ResetPasswordQuery,
    customer::CustomerQuery,
    webhook::WebhookQuery,
);

/// Writes.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    reset::ResetMutation,
    reset_password::ResetPasswordMutation,
    customer::CustomerMutation,
    webhook::WebhookMutation,
);

/// Builds the schema with the limits from `config`: every document is validated in full
/// before it runs.
pub fn build_schema(config: &Config) -> AppSchema {
    build(config, ValidationMode::Strict)
}

/// The same schema for documents known to pass every validation rule (see
/// `http::graphql::validated`): it checks only the complexity and depth limits before
/// running one.
pub fn build_prevalidated_schema(config: &Config) -> AppSchema {
    build(config, ValidationMode::Fast)
}

fn build(config: &Config, validation: ValidationMode) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .validation_mode(validation)
    .limit_depth(config.max_depth)
    .limit_complexity(config.max_complexity);
    if !config.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The names of the root query and mutation fields (labels for metrics).
pub fn root_fields(types: &SchemaTypes) -> std::collections::HashSet<String> {
    let introspection = ["__typename", "__schema", "__type"].map(str::to_owned);
    let roots = types.roots().flat_map(|root| types.fields_of(root));
    (roots.map(|field| field.name.node.to_string()))
        .chain(introspection)
        .collect()
}

/// The names of the fields whose selection runs once per record of a page (those that
/// take `first`): the document cost analysis multiplies their selection by the page size,
/// as their complexity annotations do. Read from the schema, so a new list cannot be
/// left out of the count.
pub fn paged_fields(types: &SchemaTypes) -> std::collections::HashSet<String> {
    let paged = types.all_fields().filter(|(_, field)| {
        (field.arguments.iter()).any(|argument| argument.node.name.node == "first")
    });
    paged
        .map(|(_, field)| field.name.node.to_string())
        .collect()
}

/// The schema in SDL: what `schema.graphql` holds and `GET /schema.graphql` serves.
pub fn sdl(schema: &AppSchema) -> String {
    schema.sdl()
}
