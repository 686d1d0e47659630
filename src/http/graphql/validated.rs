//! Remembering that a document passed validation, and when a later request may rely on it.
//!
//! Of async-graphql's validation rules, one reads the request's variables: each argument
//! that refers to a variable must accept the variable's value. (The complexity limit reads
//! them too, and is checked on every request.) The rest read only the document. So once a
//! document passed every rule, a request sending the same text may skip them when its
//! variables are of a few plain scalar types and each value plainly is one: a string for
//! `ID` and `String`, an integer for `Int`, a number for `Float`, a boolean for `Boolean`.
//! async-graphql accepts each such value for its type, and the document itself already
//! passed (it must, for its variable types to fit their arguments). Any other request
//! (a null, a missing variable, an input object, an enum or a custom scalar) is validated
//! in full, and gets the answer it would have had on a fresh instance.

use std::sync::{Arc, OnceLock};

use async_graphql::parser::types::{BaseType, ExecutableDocument};
use serde_json::{Map, Value};

/// A scalar type whose values the memo can check.
#[derive(Debug, Clone, Copy)]
enum Plain {
    Id,
    String,
    Int,
    Float,
    Boolean,
}

impl Plain {
    fn of(name: &str) -> Option<Plain> {
        Some(match name {
            "ID" => Plain::Id,
            "String" => Plain::String,
            "Int" => Plain::Int,
            "Float" => Plain::Float,
            "Boolean" => Plain::Boolean,
            _ => return None,
        })
    }

    fn fits(self, value: &Value) -> bool {
        match (self, value) {
            (Plain::Id | Plain::String, Value::String(_)) => true,
            (Plain::Int, Value::Number(n)) => n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            (Plain::Float, Value::Number(_)) => true,
            (Plain::Boolean, Value::Bool(_)) => true,
            _ => false,
        }
    }
}

/// Whether a document passed every validation rule of the schema, and for which operation
/// name; kept with the parsed document. A pass is recorded only from a request whose
/// variables all plainly fit, and relied on only for such requests.
#[derive(Debug)]
pub struct ValidationMemo {
    passed: OnceLock<Option<Box<str>>>,
    /// Every variable the document declares, in any of its operations, and its type.
    variables: Box<[(String, Plain)]>,
}

impl ValidationMemo {
    /// The memo of a document, or None when it declares a variable of another type (an
    /// input object, an enum, a list, a custom scalar): its pass is never remembered.
    pub fn for_document(document: &ExecutableDocument) -> Option<ValidationMemo> {
        let mut variables = Vec::new();
        for (_, operation) in document.operations.iter() {
            for definition in &operation.node.variable_definitions {
                let BaseType::Named(name) = &definition.node.var_type.node.base else {
                    return None;
                };
                let plain = Plain::of(name.as_str())?;
                variables.push((definition.node.name.node.to_string(), plain));
            }
        }
        Some(ValidationMemo {
            passed: OnceLock::new(),
            variables: variables.into(),
        })
    }

    /// True when the document passed with this operation name.
    pub fn passed(&self, operation_name: Option<&str>) -> bool {
        self.passed
            .get()
            .is_some_and(|passed| passed.as_deref() == operation_name)
    }

    /// Records a pass with this operation name (the first one kept).
    pub fn record_pass(&self, operation_name: Option<&str>) {
        let _ = self.passed.set(operation_name.map(Box::from));
    }

    fn fit(&self, variables: &Map<String, Value>) -> bool {
        self.variables.iter().all(|(name, plain)| {
            variables
                .get(name.as_str())
                .is_some_and(|value| plain.fits(value))
        })
    }
}

/// How one request's document is to be validated.
#[derive(Debug)]
pub enum Validation {
    /// It passed every rule with this operation name, and this request's variables
    /// plainly fit: only the complexity and depth limits are checked.
    Passed,
    /// In full; a pass is recorded where there is somewhere to record it (the variables
    /// plainly fit, so the rule reading them checked everything).
    Full(Option<PendingPass>),
}

/// Where a full validation's pass goes: the memo, for this operation name.
#[derive(Debug)]
pub struct PendingPass {
    memo: Arc<ValidationMemo>,
    operation_name: Option<String>,
}

impl PendingPass {
    /// Records the pass.
    pub fn record(self) {
        self.memo.record_pass(self.operation_name.as_deref());
    }
}

impl Validation {
    /// The validation one request needs.
    pub fn of(
        memo: Option<Arc<ValidationMemo>>,
        operation_name: Option<&str>,
        variables: &Map<String, Value>,
    ) -> Validation {
        match memo.filter(|memo| memo.fit(variables)) {
            Some(memo) if memo.passed(operation_name) => Validation::Passed,
            memo => Validation::Full(memo.map(|memo| PendingPass {
                memo,
                operation_name: operation_name.map(str::to_owned),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn memo(text: &str) -> Option<ValidationMemo> {
        ValidationMemo::for_document(&async_graphql::parser::parse_query(text).unwrap())
    }

    fn vars(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// Whether a request with these variables skips the rules.
    fn skips(memo: &Arc<ValidationMemo>, operation_name: Option<&str>, variables: Value) -> bool {
        let variables = vars(variables);
        matches!(
            Validation::of(Some(memo.clone()), operation_name, &variables),
            Validation::Passed
        )
    }

    /// Runs a request that passed validation in full: the pass is recorded if it may be.
    fn pass(memo: &Arc<ValidationMemo>, operation_name: Option<&str>, variables: Value) {
        if let Validation::Full(Some(pending)) =
            Validation::of(Some(memo.clone()), operation_name, &vars(variables))
        {
            pending.record();
        }
    }

    #[test]
    fn a_pass_holds_for_its_operation_name_only() {
        let memo = Arc::new(memo("query Mine { __typename }").unwrap());
        assert!(
            !skips(&memo, Some("Mine"), json!({})),
            "nothing is known at first"
        );
        pass(&memo, Some("Mine"), json!({}));
        assert!(skips(&memo, Some("Mine"), json!({})));
        assert!(!skips(&memo, None, json!({})));
        assert!(!skips(&memo, Some("Other"), json!({})));
    }

    #[test]
    fn a_pass_holds_only_for_values_that_plainly_fit_their_types() {
        let memo = Arc::new(
            memo("query($id: ID!, $first: Int, $on: Boolean!, $x: Float!, $s: String) { __typename }")
                .unwrap(),
        );
        let fitting = json!({ "id": "abc", "first": 5, "on": true, "x": 1.5, "s": "" });
        pass(&memo, None, fitting.clone());
        assert!(skips(&memo, None, fitting));
        for wrong in [
            json!({ "id": 7, "first": 5, "on": true, "x": 1.5, "s": "" }),
            json!({ "id": "abc", "first": 5.0, "on": true, "x": 1.5, "s": "" }),
            json!({ "id": "abc", "first": 3_000_000_000_i64, "on": true, "x": 1.5, "s": "" }),
            json!({ "id": "abc", "first": null, "on": true, "x": 1.5, "s": "" }),
            json!({ "id": "abc", "on": true, "x": 1.5, "s": "" }),
            json!({ "id": "abc", "first": 5, "on": "true", "x": 1.5, "s": "" }),
            json!({ "id": "abc", "first": 5, "on": true, "x": "1.5", "s": "" }),
        ] {
            assert!(!skips(&memo, None, wrong.clone()), "{wrong}");
        }
    }

    #[test]
    fn a_request_whose_values_did_not_plainly_fit_records_no_pass() {
        let memo = Arc::new(memo("query($id: ID!) { __typename }").unwrap());
        pass(&memo, None, json!({ "id": 7 }));
        pass(&memo, None, json!({}));
        assert!(!skips(&memo, None, json!({ "id": "abc" })));
    }

    #[test]
    fn documents_declaring_other_types_have_no_memo() {
        for text in [
            "query($ids: [ID!]!) { __typename }",
            "query($input: CreateCustomerPasswordResetInput!) { __typename }",
            "query($at: DateTime) { __typename }",
            "query A { __typename } query B($sort: SortDirection) { __typename }",
        ] {
            assert!(memo(text).is_none(), "{text}");
        }
        assert!(memo("query($id: ID!) { __typename }").is_some());
    }
}
