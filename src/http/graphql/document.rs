//! What a GraphQL document asks for, read before it runs: its operation type, how many
//! password hashes it would compute, its aliases, and whether it introspects. These
//! checks guard the HTTP layer's rules (no mutations over GET, one password hash per
//! request, alias limit, introspection for integrations only, the redemption budget).
//! Passwords are counted by [`PasswordSlots`], which knows from the schema where they can
//! be given; token tries by [`RedemptionFields`], checked against the schema likewise.

use std::collections::HashSet;

use async_graphql::Name;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};

use crate::graphql::password_slots::PasswordSlots;
use crate::graphql::redemption_fields::RedemptionFields;

/// The facts about one operation that the HTTP layer checks.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// True for a mutation.
    pub is_mutation: bool,
    /// Passwords the operation would hash (each an argon2 computation).
    pub password_hashes: usize,
    /// Aliased fields, across fragments.
    pub aliases: usize,
    /// True when the operation reads `__schema` or `__type`.
    pub introspects: bool,
    /// Root fields that try a reset token, queries and mutations (the redemption budget).
    pub redemptions: usize,
    /// The first root field, for logs and metrics.
    pub first_root_field: Option<String>,
}

/// Analyses the operation the request selects. None when none can be selected (the
/// executor then reports why).
pub fn analyze(
    passwords: &PasswordSlots,
    redemptions: &RedemptionFields,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &serde_json::Map<String, serde_json::Value>,
) -> Option<Analysis> {
    let operation = select(document, operation_name)?;
    let operation_type = operation.ty;
    let mut walk = Walk {
        document,
        redemptions,
        visited: HashSet::new(),
        operation: operation_type,
        analysis: Analysis {
            is_mutation: operation_type == OperationType::Mutation,
            password_hashes: passwords.count(document, operation, variables),
            ..Analysis::default()
        },
    };
    walk.selection_set(&operation.selection_set.node, true);
    Some(walk.analysis)
}

fn select<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(&Name::new(name)).map(|op| &op.node)
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

struct Walk<'d> {
    document: &'d ExecutableDocument,
    redemptions: &'d RedemptionFields,
    visited: HashSet<&'d str>,
    operation: OperationType,
    analysis: Analysis,
}

impl<'d> Walk<'d> {
    fn selection_set(&mut self, set: &'d SelectionSet, root: bool) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    if field.alias.is_some() {
                        self.analysis.aliases += 1;
                    }
                    if name == "__schema" || name == "__type" {
                        self.analysis.introspects = true;
                    }
                    if root {
                        self.analysis
                            .first_root_field
                            .get_or_insert_with(|| name.to_owned());
                    }
                    if root && self.redemptions.contains(self.operation, name) {
                        self.analysis.redemptions += 1;
                    }
                    self.selection_set(&field.selection_set.node, false);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    // A fragment that spreads itself is invalid; counting it once is enough.
                    if self.visited.insert(name)
                        && let Some(fragment) =
                            self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        self.selection_set(&fragment.node.selection_set.node, root);
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, root)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(query: &str, variables: serde_json::Value) -> Analysis {
        let sdl = include_str!("../../../schema.graphql");
        let passwords =
            PasswordSlots::from_sdl(sdl, &crate::graphql::password_slots::declared()).unwrap();
        let redemptions =
            RedemptionFields::from_sdl(sdl, &crate::graphql::redemption_fields::declared())
                .unwrap();
        let document = async_graphql::parser::parse_query(query).unwrap();
        let variables = variables.as_object().unwrap();
        analyze(&passwords, &redemptions, &document, None, variables).unwrap()
    }

    #[test]
    fn passwords_are_counted_inline_through_variables_and_fragments() {
        let doc = "mutation($i: UpdateCustomerPasswordResetInput!, $p: String) {
            a: updateCustomerPasswordReset(id: \"1\", input: $i) { id }
            b: updateCustomer(id: \"2\", input: { password: $p }) { id }
            c: updateCustomer(id: \"3\", input: { reference: \"x\" }) { id }
            ...more
        }
        fragment more on MutationRoot { createCustomer(input: { email: \"e\", password: \"p\" }) { id } }";
        let analysis = run(
            doc,
            json!({ "i": { "customerPassword": "x" }, "p": "secret" }),
        );
        assert!(analysis.is_mutation);
        assert_eq!(analysis.password_hashes, 3);
        assert_eq!(analysis.aliases, 3);
    }

    #[test]
    fn token_tries_are_counted_at_the_root_of_queries_and_mutations_alike() {
        let doc = "mutation { a: resetPassword(id: \"1\", token: \"t\", password: \"p\") { id }
            ...more }
            fragment more on MutationRoot { updateCustomerPasswordReset(id: \"2\", input: {}) { id } }";
        assert_eq!(run(doc, json!({})).redemptions, 2);
        let doc = "{ a: resetPassword(id: \"1\", token: \"t\") { id } b: resetPassword(id: \"2\", token: \"t\") { id } }";
        assert_eq!(run(doc, json!({})).redemptions, 2);
        assert_eq!(
            run("{ customers { totalCount } }", json!({})).redemptions,
            0
        );
    }

    #[test]
    fn introspection_is_seen_anywhere() {
        assert!(run("{ a: __type(name: \"Customer\") { name } }", json!({})).introspects);
        assert!(!run("{ __typename }", json!({})).introspects);
    }
}
