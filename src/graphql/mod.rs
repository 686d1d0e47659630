//! The GraphQL schema: types, guards, loaders, scalars and the error policy.

mod customer;
pub mod error;
pub mod guards;
pub mod loaders;
mod pagination;
mod reset;
pub mod scalars;

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::config::Config;

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Reads.
#[derive(MergedObject, Default)]
pub struct QueryRoot(reset::ResetQuery, customer::CustomerQuery);

/// Writes.
#[derive(MergedObject, Default)]
pub struct MutationRoot(reset::ResetMutation, customer::CustomerMutation);

/// Deepest selection accepted.
pub const MAX_DEPTH: usize = 12;
/// Highest query cost accepted (each list field costs its page size times its children).
pub const MAX_COMPLEXITY: usize = 2_000;

/// Builds the schema with the limits from `config`.
pub fn build_schema(config: &Config) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY);
    if !config.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL: what `schema.graphql` holds and `GET /schema.graphql` serves.
pub fn sdl(schema: &AppSchema) -> String {
    schema.sdl()
}
