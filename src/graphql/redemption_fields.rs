//! The root fields that try a reset token, and so spend the per-client-IP redemption
//! budget (`RATE_LIMIT_REDEMPTIONS`) of public clients.
//!
//! They are declared beside the resolvers that define them (`redemption_fields()` in
//! `reset.rs` and `reset_password.rs`) and checked against the built schema at start-up,
//! as the password slots are: a renamed or removed field stops the service instead of
//! silently leaving the budget uncounted.

use std::collections::HashSet;

use anyhow::{Context as _, bail};
use async_graphql::parser::types::{OperationType, TypeKind, TypeSystemDefinition};

use super::AppSchema;

/// A root field that tries a reset token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedemptionField {
    /// Whether it is a query or a mutation field.
    pub operation: OperationType,
    /// Its GraphQL name.
    pub field: String,
}

impl RedemptionField {
    /// A field of the query root.
    pub fn query(field: &str) -> RedemptionField {
        RedemptionField {
            operation: OperationType::Query,
            field: field.to_owned(),
        }
    }

    /// A field of the mutation root.
    pub fn mutation(field: &str) -> RedemptionField {
        RedemptionField {
            operation: OperationType::Mutation,
            field: field.to_owned(),
        }
    }
}

impl std::fmt::Display for RedemptionField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.operation, self.field)
    }
}

/// Every redemption field the schema's modules declare.
pub fn declared() -> Vec<RedemptionField> {
    let mut declared = Vec::new();
    super::reset::redemption_fields(&mut declared);
    super::reset_password::redemption_fields(&mut declared);
    declared
}

/// The redemption fields of one built schema.
#[derive(Debug, Default, Clone)]
pub struct RedemptionFields(Vec<RedemptionField>);

impl RedemptionFields {
    /// The declared fields, each checked to be a root field of `schema`.
    pub fn of_schema(schema: &AppSchema) -> anyhow::Result<RedemptionFields> {
        RedemptionFields::from_sdl(&super::sdl(schema), &declared())
    }

    /// The `declared` fields, each checked to be a root field of the schema in `sdl`.
    pub fn from_sdl(sdl: &str, declared: &[RedemptionField]) -> anyhow::Result<RedemptionFields> {
        let roots = RootFields::read(sdl)?;
        for field in declared {
            if !roots.has(field) {
                bail!(
                    "redemption field {field} is not in the schema: update the list beside \
                     its resolver"
                );
            }
        }
        Ok(RedemptionFields(declared.to_vec()))
    }

    /// True when `field`, at the root of an operation of type `operation`, tries a reset
    /// token.
    pub fn contains(&self, operation: OperationType, field: &str) -> bool {
        self.0
            .iter()
            .any(|f| f.operation == operation && f.field == field)
    }
}

/// The fields of a schema's query and mutation roots.
struct RootFields {
    query: HashSet<String>,
    mutation: HashSet<String>,
}

impl RootFields {
    fn read(sdl: &str) -> anyhow::Result<RootFields> {
        let document = async_graphql::parser::parse_schema(sdl).context("reading the schema")?;
        let (mut query_root, mut mutation_root) = ("Query".to_owned(), "Mutation".to_owned());
        let mut objects = Vec::new();
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(query) = schema.query {
                        query_root = query.node.to_string();
                    }
                    if let Some(mutation) = schema.mutation {
                        mutation_root = mutation.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    if let TypeKind::Object(object) = ty.node.kind {
                        let fields = object.fields.iter().map(|f| f.node.name.node.to_string());
                        objects.push((ty.node.name.node.to_string(), fields.collect()));
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        let mut fields_of = |root: &str| -> HashSet<String> {
            objects
                .iter_mut()
                .find(|(name, _)| name == root)
                .map(|(_, fields)| std::mem::take(fields))
                .unwrap_or_default()
        };
        Ok(RootFields {
            query: fields_of(&query_root),
            mutation: fields_of(&mutation_root),
        })
    }

    fn has(&self, field: &RedemptionField) -> bool {
        match field.operation {
            OperationType::Query => self.query.contains(&field.field),
            OperationType::Mutation => self.mutation.contains(&field.field),
            OperationType::Subscription => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = "type QueryRoot { a: Int }
        type MutationRoot { b: Int }
        schema { query: QueryRoot mutation: MutationRoot }";

    #[test]
    fn declared_fields_are_found_on_their_own_root() {
        let declared = [RedemptionField::query("a"), RedemptionField::mutation("b")];
        let fields = RedemptionFields::from_sdl(SDL, &declared).unwrap();
        assert!(fields.contains(OperationType::Query, "a"));
        assert!(fields.contains(OperationType::Mutation, "b"));
        assert!(!fields.contains(OperationType::Mutation, "a"));
    }

    #[test]
    fn a_renamed_or_misplaced_field_stops_the_start() {
        for field in [RedemptionField::mutation("a"), RedemptionField::query("c")] {
            let error = RedemptionFields::from_sdl(SDL, std::slice::from_ref(&field));
            assert!(error.unwrap_err().to_string().contains("not in the schema"));
        }
    }

    #[test]
    fn the_served_schema_has_every_declared_field() {
        let sdl = include_str!("../../schema.graphql");
        let fields = RedemptionFields::from_sdl(sdl, &declared()).unwrap();
        assert!(fields.contains(OperationType::Mutation, "updateCustomerPasswordReset"));
        assert!(fields.contains(OperationType::Mutation, "resetPassword"));
        assert!(fields.contains(OperationType::Query, "resetPassword"));
    }
}
