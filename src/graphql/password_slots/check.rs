//! The start-up check: every declared slot is in the schema, as a `String`, and every
//! input the schema names like a password is declared, hashed or not. A renamed or
//! removed slot, or a new password input nobody declared, stops the service.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use async_graphql::Positioned;
use async_graphql::parser::types::{
    FieldDefinition, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
};

use super::{Declared, PasswordSlot, named};

/// The types of a schema that the password slots concern.
pub(super) struct SchemaTypes {
    /// The query root's name.
    pub(super) query: String,
    /// The mutation root's name, if any.
    pub(super) mutation: Option<String>,
    /// Object and interface types with their fields.
    pub(super) objects: Vec<(String, Vec<Positioned<FieldDefinition>>)>,
    /// Input object types with their fields.
    pub(super) inputs: HashMap<String, Vec<InputValueDefinition>>,
}

impl SchemaTypes {
    /// Reads them from the schema's SDL.
    pub(super) fn read(sdl: &str) -> anyhow::Result<SchemaTypes> {
        let document = async_graphql::parser::parse_schema(sdl).context("reading the schema")?;
        let mut types = SchemaTypes {
            query: "Query".to_owned(),
            mutation: None,
            objects: Vec::new(),
            inputs: HashMap::new(),
        };
        let mut mutation_named = false;
        let mut mutation_type = false;
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(query) = schema.query {
                        types.query = query.node.to_string();
                    }
                    types.mutation = schema.mutation.map(|m| m.node.to_string());
                    mutation_named = true;
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let name = ty.name.node.to_string();
                    mutation_type |= name == "Mutation";
                    match ty.kind {
                        TypeKind::Object(object) => types.objects.push((name, object.fields)),
                        TypeKind::Interface(interface) => {
                            types.objects.push((name, interface.fields))
                        }
                        TypeKind::InputObject(input) => {
                            let fields = input.fields.into_iter().map(|f| f.node).collect();
                            types.inputs.insert(name, fields);
                        }
                        _ => {}
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        if !mutation_named && mutation_type {
            types.mutation = Some("Mutation".to_owned());
        }
        Ok(types)
    }

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
