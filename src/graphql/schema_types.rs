//! The built schema's types, read once from its SDL at start-up. Every check and table
//! derived from the schema (metric labels, paged fields, password slots, redemption
//! fields, the permission table) reads them here, so a renamed field reaches all of them.

use std::collections::HashMap;

use anyhow::Context as _;
use async_graphql::Positioned;
use async_graphql::parser::types::{
    FieldDefinition, InputValueDefinition, TypeKind, TypeSystemDefinition,
};

use super::AppSchema;

/// The object, interface and input types of a schema, and its root types.
#[derive(Debug)]
pub struct SchemaTypes {
    /// The query root's name.
    pub query: String,
    /// The mutation root's name, if any.
    pub mutation: Option<String>,
    /// Object and interface types with their fields, in the SDL's order.
    pub objects: Vec<(String, Vec<Positioned<FieldDefinition>>)>,
    /// Input object types with their fields.
    pub inputs: HashMap<String, Vec<InputValueDefinition>>,
}

impl SchemaTypes {
    /// Reads the types of the built `schema`.
    pub fn of(schema: &AppSchema) -> anyhow::Result<SchemaTypes> {
        SchemaTypes::read(&super::sdl(schema))
    }

    /// Reads them from SDL text.
    pub fn read(sdl: &str) -> anyhow::Result<SchemaTypes> {
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

    /// The root types' names: the query root, then the mutation root if any.
    pub fn roots(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.query.as_str()).chain(self.mutation.as_deref())
    }

    /// The fields of object or interface type `name` (none when there is no such type).
    pub fn fields_of(&self, name: &str) -> impl Iterator<Item = &FieldDefinition> {
        let fields = self.objects.iter().find(|(n, _)| n == name);
        fields
            .into_iter()
            .flat_map(|(_, fields)| fields.iter().map(|f| &f.node))
    }

    /// Every object or interface field, with its type's name.
    pub fn all_fields(&self) -> impl Iterator<Item = (&str, &FieldDefinition)> {
        (self.objects.iter())
            .flat_map(|(ty, fields)| fields.iter().map(move |f| (ty.as_str(), &f.node)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_named_by_the_schema_definition_or_by_convention() {
        let named = SchemaTypes::read(
            "type Q { a: Int } type M { b: Int } schema { query: Q mutation: M }",
        )
        .unwrap();
        assert_eq!(named.roots().collect::<Vec<_>>(), ["Q", "M"]);
        let by_convention =
            SchemaTypes::read("type Query { a: Int } type Mutation { b: Int }").unwrap();
        assert_eq!(
            by_convention.roots().collect::<Vec<_>>(),
            ["Query", "Mutation"]
        );
        let reads_only = SchemaTypes::read("type Query { a: Int }").unwrap();
        assert_eq!(reads_only.roots().collect::<Vec<_>>(), ["Query"]);
    }

    #[test]
    fn fields_are_found_by_their_type() {
        let types =
            SchemaTypes::read("type Query { a: Int b: Int } interface I { c: Int }").unwrap();
        let names = |ty| {
            types
                .fields_of(ty)
                .map(|f| f.name.node.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("Query"), ["a", "b"]);
        assert_eq!(names("I"), ["c"]);
        assert!(names("Nope").is_empty());
    }
}
