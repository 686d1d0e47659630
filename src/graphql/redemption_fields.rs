//! The root fields that try a reset token, and so spend the per-client-IP redemption
//! budget (`RATE_LIMIT_REDEMPTIONS`) of public clients.
//!
//! They are declared beside the resolvers that define them (`redemption_fields()` in
//! `reset.rs` and `reset_password.rs`) and checked against the built schema at start-up,
//! as the password slots are: a renamed or removed field stops the service instead of
//! silently leaving the budget uncounted.

use anyhow::bail;
use async_graphql::parser::types::OperationType;

use super::schema_types::SchemaTypes;

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
    /// The declared fields, each checked to be a root field of the schema.
    pub fn of_schema(types: &SchemaTypes) -> anyhow::Result<RedemptionFields> {
        RedemptionFields::of_types(types, &declared())
    }

    /// The `declared` fields, each checked to be a root field of the schema in `sdl`.
    pub fn from_sdl(sdl: &str, declared: &[RedemptionField]) -> anyhow::Result<RedemptionFields> {
        RedemptionFields::of_types(&SchemaTypes::read(sdl)?, declared)
    }

    /// The `declared` fields, each checked to be a root field of a schema's `types`.
    pub fn of_types(
        types: &SchemaTypes,
        declared: &[RedemptionField],
    ) -> anyhow::Result<RedemptionFields> {
        for field in declared {
            let root = match field.operation {
                OperationType::Query => Some(types.query.as_str()),
                OperationType::Mutation => types.mutation.as_deref(),
                OperationType::Subscription => None,
            };
            let found = root.is_some_and(|root| {
                types
                    .fields_of(root)
                    .any(|f| f.name.node == field.field.as_str())
            });
            if !found {
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
