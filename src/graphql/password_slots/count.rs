//! Counting the passwords one operation would hash, before it runs.
//!
//! A value can reach a password slot inline, through a variable (its given value, else
//! its default in the operation), as a whole input object in a variable or a default, in
//! a list, or through the schema's own default; a field can be reached through aliases
//! and fragments, named or inline. Fragments are counted once each and remembered, so
//! the count takes one pass over the document however often they are spread.

use std::collections::HashMap;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};

use super::{Carrier, Holds, PasswordSlots};

/// Deepest input nesting followed; deeper values count as more than one password (the
/// request is refused: no schema input nests that deep).
const MAX_INPUT_NESTING: usize = 32;

/// Deepest chain of fragment spreads followed (selections nest only as deep as the parser
/// allows, spreads could nest as deep as the document is long); a deeper chain counts as
/// more than one password, so that the count never recurses further on client input.
const MAX_SPREAD_NESTING: usize = 64;

/// More than one: what an over-deep value or spread chain, or a password under a list,
/// counts as.
const MANY: u64 = 2;

impl PasswordSlots {
    /// How many passwords `operation` of `document` would hash, with these variables.
    /// Saturates; a document the executor would refuse may count anything.
    pub fn count(
        &self,
        document: &ExecutableDocument,
        operation: &OperationDefinition,
        variables: &serde_json::Map<String, serde_json::Value>,
    ) -> usize {
        let Some(root) = self.root(operation.ty) else {
            return 0;
        };
        let defaults = operation
            .variable_definitions
            .iter()
            .filter_map(|v| {
                Some((
                    v.node.name.node.as_str(),
                    &v.node.default_value.as_ref()?.node,
                ))
            })
            .collect();
        let mut counter = Counter {
            slots: self,
            document,
            variables,
            defaults,
            fragments: HashMap::new(),
            spreads: 0,
        };
        let count = counter.selection_set(&operation.selection_set.node, root);
        usize::try_from(count).unwrap_or(usize::MAX)
    }
}

struct Counter<'a> {
    slots: &'a PasswordSlots,
    document: &'a ExecutableDocument,
    variables: &'a serde_json::Map<String, serde_json::Value>,
    defaults: HashMap<&'a str, &'a ConstValue>,
    /// Fragments counted (None while one is being counted: a cycle, which the executor
    /// refuses, counts nothing more).
    fragments: HashMap<&'a str, Option<u64>>,
    /// Spreads being followed, one inside the other.
    spreads: usize,
}

/// A value in any of the forms a request gives one.
#[derive(Clone, Copy)]
enum Input<'a> {
    Document(&'a Value),
    Const(&'a ConstValue),
    Json(&'a serde_json::Value),
}

impl<'a> Counter<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, ty: &str) -> u64 {
        let mut total = 0u64;
        for selection in &set.items {
            let count = match &selection.node {
                Selection::Field(field) => self.field(&field.node, ty),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let ty = inline
                        .type_condition
                        .as_ref()
                        .map_or(ty, |c| c.node.on.node.as_str());
                    self.selection_set(&inline.selection_set.node, ty)
                }
            };
            total = total.saturating_add(count);
        }
        total
    }

    fn field(&mut self, field: &'a Field, ty: &str) -> u64 {
        let slots = self.slots;
        // An unknown field is the executor's to refuse.
        let Some(facts) = slots
            .fields
            .get(ty)
            .and_then(|f| f.get(field.name.node.as_str()))
        else {
            return 0;
        };
        let own = facts
            .arguments
            .iter()
            .map(|carrier| self.argument(carrier, &field.arguments))
            .fold(0u64, u64::saturating_add);
        let below = self.selection_set(&field.selection_set.node, &facts.returns);
        let below = match facts.list && below > 0 {
            true => below.max(MANY),
            false => below,
        };
        own.saturating_add(below)
    }

    fn fragment(&mut self, name: &'a str) -> u64 {
        if let Some(known) = self.fragments.get(name) {
            return known.unwrap_or(0);
        }
        let Some(fragment) = self.document.fragments.get(&Name::new(name)) else {
            return 0;
        };
        if self.spreads >= MAX_SPREAD_NESTING {
            return MANY;
        }
        self.fragments.insert(name, None);
        self.spreads += 1;
        let fragment = &fragment.node;
        let count = self.selection_set(
            &fragment.selection_set.node,
            fragment.type_condition.node.on.node.as_str(),
        );
        self.spreads -= 1;
        self.fragments.insert(name, Some(count));
        count
    }

    fn argument(
        &self,
        carrier: &Carrier,
        arguments: &'a [(Positioned<Name>, Positioned<Value>)],
    ) -> u64 {
        let given = arguments
            .iter()
            .find(|(name, _)| name.node == carrier.name.as_str())
            .map(|(_, value)| Input::Document(&value.node));
        self.slot(carrier, given, 0)
    }

    /// A carrier's value: the given one (through variables), else the schema's default.
    fn slot(&self, carrier: &Carrier, given: Option<Input<'_>>, depth: usize) -> u64 {
        match given.and_then(|value| self.resolve(value)) {
            Some(value) => self.value(value, &carrier.holds, carrier.lists, depth),
            None => match &carrier.default {
                Some(default) => {
                    self.value(Input::Const(default), &carrier.holds, carrier.lists, depth)
                }
                None => 0,
            },
        }
    }

    /// Follows a variable to its given value, else its default; None when it has neither
    /// (the value is then left out).
    fn resolve<'v>(&self, value: Input<'v>) -> Option<Input<'v>>
    where
        'a: 'v,
    {
        match value {
            Input::Document(Value::Variable(name)) => match self.variables.get(name.as_str()) {
                Some(given) => Some(Input::Json(given)),
                None => self.defaults.get(name.as_str()).map(|d| Input::Const(d)),
            },
            other => Some(other),
        }
    }

    fn value(&self, value: Input<'_>, holds: &Holds, lists: usize, depth: usize) -> u64 {
        if depth > MAX_INPUT_NESTING {
            return MANY;
        }
        if value.is_null() {
            return 0;
        }
        if let Some(items) = value.items() {
            // A list where none is expected is the executor's to refuse.
            let Some(lists) = lists.checked_sub(1) else {
                return 0;
            };
            return items
                .into_iter()
                .filter_map(|item| self.resolve(item))
                .map(|item| self.value(item, holds, lists, depth + 1))
                .fold(0, u64::saturating_add);
        }
        // A single value where a list is expected is a list of one.
        match holds {
            Holds::Password => 1,
            Holds::Input(input) => self.slots.inputs.get(input).map_or(0, |carriers| {
                carriers
                    .iter()
                    .map(|carrier| self.slot(carrier, value.field(&carrier.name), depth + 1))
                    .fold(0, u64::saturating_add)
            }),
        }
    }
}

impl<'v> Input<'v> {
    fn is_null(self) -> bool {
        matches!(
            self,
            Input::Document(Value::Null)
                | Input::Const(ConstValue::Null)
                | Input::Json(serde_json::Value::Null)
        )
    }

    fn items(self) -> Option<Vec<Input<'v>>> {
        match self {
            Input::Document(Value::List(items)) => {
                Some(items.iter().map(Input::Document).collect())
            }
            Input::Const(ConstValue::List(items)) => Some(items.iter().map(Input::Const).collect()),
            Input::Json(serde_json::Value::Array(items)) => {
                Some(items.iter().map(Input::Json).collect())
            }
            _ => None,
        }
    }

    /// The value of an input object's field; None when left out (or not an object).
    fn field(self, name: &str) -> Option<Input<'v>> {
        match self {
            Input::Document(Value::Object(fields)) => fields.get(name).map(Input::Document),
            Input::Const(ConstValue::Object(fields)) => fields.get(name).map(Input::Const),
            Input::Json(serde_json::Value::Object(fields)) => fields.get(name).map(Input::Json),
            _ => None,
        }
    }
}
