//! The start-up check: every declared slot is in the schema, as a `String`, and every
//! input the schema names like a password is declared, hashed or not. A renamed or
//! removed slot, or a new password input nobody declared, stops the service.

use anyhow::bail;
use async_graphql::parser::types::{InputValueDefinition, Type};

use super::{Declared, PasswordSlot, named};
use crate::graphql::schema_types::SchemaTypes;

impl SchemaTypes {
    /// The type of the input value a slot names, if the schema has it.
    fn type_of(&self, slot: &PasswordSlot) -> Option<&Type> {
        match slot {
            PasswordSlot::InputField { input, field } => self
                .inputs
                .get(input)?
                .iter()
                .find(|f| f.name.node == field.as_str())
                .map(|f| &f.ty.node),
            PasswordSlot::Argument {
                object,
                field,
                argument,
            } => {
                let (_, fields) = self.objects.iter().find(|(name, _)| name == object)?;
                let field = fields.iter().find(|f| f.node.name.node == field.as_str())?;
                let argument = field
                    .node
                    .arguments
                    .iter()
                    .find(|a| a.node.name.node == argument.as_str())?;
                Some(&argument.node.ty.node)
            }
        }
    }

    /// Every `String` input value (input field or argument) whose name speaks of a
    /// password, as a slot.
    fn named_like_passwords(&self) -> Vec<PasswordSlot> {
        let like = |value: &InputValueDefinition| {
            named(&value.ty.node).0 == "String"
                && value.name.node.to_ascii_lowercase().contains("password")
        };
        let mut found = Vec::new();
        for (input, fields) in &self.inputs {
            for field in fields.iter().filter(|f| like(f)) {
                found.push(PasswordSlot::InputField {
                    input: input.clone(),
                    field: field.name.node.to_string(),
                });
            }
        }
        for (object, fields) in &self.objects {
            for field in fields {
                for argument in field.node.arguments.iter().filter(|a| like(&a.node)) {
                    found.push(PasswordSlot::argument(
                        object,
                        &field.node.name.node,
                        &argument.node.name.node,
                    ));
                }
            }
        }
        found
    }
}

/// Checks the declared slots against the schema's types.
pub(super) fn declared(types: &SchemaTypes, declared: &Declared) -> anyhow::Result<()> {
    for slot in declared.hashed.iter().chain(&declared.not_hashed) {
        match types.type_of(slot).map(named) {
            Some(("String", _)) => {}
            Some((other, _)) => bail!("password slot {slot} is a {other}, not a String"),
            None => {
                bail!("password slot {slot} is not in the schema: update the list beside its type")
            }
        }
    }
    for slot in types.named_like_passwords() {
        if !declared.hashed.contains(&slot) && !declared.not_hashed.contains(&slot) {
            bail!(
                "{slot} looks like a password but is not declared: list it beside its type, \
                 as a password slot (each value costs a hash) or as not hashed"
            );
        }
    }
    Ok(())
}
