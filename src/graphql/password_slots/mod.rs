//! Where passwords enter the schema, and how many a request would hash.
//!
//! Every password a request gives costs an argon2 hash, the costliest thing a request
//! can ask for, so the HTTP layer allows one per request (a batch is one request). The
//! places a password can be given are declared beside the input types that hold them
//! (`password_slots()` in `customer.rs`, `reset.rs` and `reset_password.rs`). At start-up,
//! [`PasswordSlots::of_schema`] checks each against the built schema, so that renaming or
//! removing one stops the service instead of silently turning the rule off, and derives
//! from the schema every way to reach them: which arguments of which fields take those
//! inputs, directly, in lists, or inside other inputs. [`PasswordSlots::count`] then
//! counts the passwords of a document wherever their values come from.

mod check;
mod count;

use std::collections::{HashMap, HashSet};

use async_graphql::InputType;
use async_graphql::parser::types::{BaseType, InputValueDefinition, Type};
use async_graphql_value::ConstValue;

use super::schema_types::SchemaTypes;

/// One place a password to hash enters the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSlot {
    /// A field of an input object type.
    InputField {
        /// The input type's GraphQL name.
        input: String,
        /// The field's GraphQL name.
        field: String,
    },
    /// An argument of a field of an object type (a root type's field is a root field).
    Argument {
        /// The object type's GraphQL name (`MutationRoot` for a mutation).
        object: String,
        /// The field's GraphQL name.
        field: String,
        /// The argument's name.
        argument: String,
    },
}

impl PasswordSlot {
    /// The field `field` of the input type `T` (its GraphQL name, as the schema has it).
    pub fn input_field<T: InputType>(field: &str) -> PasswordSlot {
        PasswordSlot::InputField {
            input: T::type_name().into_owned(),
            field: field.to_owned(),
        }
    }

    /// The argument `argument` of `object.field`.
    pub fn argument(object: &str, field: &str, argument: &str) -> PasswordSlot {
        PasswordSlot::Argument {
            object: object.to_owned(),
            field: field.to_owned(),
            argument: argument.to_owned(),
        }
    }
}

impl std::fmt::Display for PasswordSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordSlot::InputField { input, field } => write!(f, "{input}.{field}"),
            PasswordSlot::Argument {
                object,
                field,
                argument,
            } => write!(f, "{object}.{field}({argument}:)"),
        }
    }
}

/// The password slots the schema's modules declare beside their input types, and the
/// inputs whose names speak of passwords but that are not hashed (a token, a filter).
#[derive(Debug, Clone, Default)]
pub struct Declared {
    /// Where a password to hash is given.
    pub hashed: Vec<PasswordSlot>,
    /// Inputs named like passwords that are not hashed: listed so that the start-up
    /// check can tell a forgotten password slot from them.
    pub not_hashed: Vec<PasswordSlot>,
}

/// Every password slot the schema declares, from the modules that declare the types.
pub fn declared() -> Declared {
    let mut declared = Declared::default();
    super::customer::password_slots(&mut declared);
    super::reset::password_slots(&mut declared);
    super::reset_password::password_slots(&mut declared);
    declared
}

/// What an argument or an input field holds that costs hashes.
#[derive(Debug, Clone)]
enum Holds {
    /// A password: one hash per non-null value.
    Password,
    /// An input object with passwords somewhere inside.
    Input(String),
}

/// An argument or input field that holds passwords, directly or inside.
#[derive(Debug, Clone)]
struct Carrier {
    name: String,
    holds: Holds,
    /// How many lists wrap the named type.
    lists: usize,
    /// The schema's default, used when the value is left out.
    default: Option<ConstValue>,
}

/// What the counter needs of an object type's field.
#[derive(Debug, Default)]
struct FieldFacts {
    /// The named type it returns (the type of its selection set).
    returns: String,
    /// True when it returns a list: a password below it may be hashed for every item.
    list: bool,
    /// Its arguments that hold passwords.
    arguments: Vec<Carrier>,
}

/// The password slots of one built schema, with every way to reach them.
#[derive(Debug, Default)]
pub struct PasswordSlots {
    query: String,
    mutation: Option<String>,
    /// Per object or interface type, per field.
    fields: HashMap<String, HashMap<String, FieldFacts>>,
    /// Per input type holding passwords, its fields that hold them.
    inputs: HashMap<String, Vec<Carrier>>,
}

impl PasswordSlots {
    /// The declared slots, checked against `schema`: an error names any slot the schema
    /// does not have (renamed, removed, or no longer a `String`), and any `String` input
    /// named like a password that is declared neither hashed nor not hashed.
    pub fn of_schema(types: &SchemaTypes) -> anyhow::Result<PasswordSlots> {
        PasswordSlots::of_types(types, &declared())
    }

    /// The `declared` slots, checked against the schema in `sdl`.
    pub fn from_sdl(sdl: &str, declared: &Declared) -> anyhow::Result<PasswordSlots> {
        PasswordSlots::of_types(&SchemaTypes::read(sdl)?, declared)
    }

    /// The `declared` slots, checked against a schema's `types`.
    pub fn of_types(types: &SchemaTypes, declared: &Declared) -> anyhow::Result<PasswordSlots> {
        check::declared(types, declared)?;
        let SchemaTypes {
            query,
            mutation,
            objects,
            inputs,
        } = types;
        let mut found = PasswordSlots {
            query: query.clone(),
            mutation: mutation.clone(),
            ..PasswordSlots::default()
        };
        let mut arguments: HashSet<(&str, &str, &str)> = HashSet::new();
        let mut passwords: HashSet<(&str, &str)> = HashSet::new();
        for slot in &declared.hashed {
            match slot {
                PasswordSlot::InputField { input, field } => {
                    passwords.insert((input, field));
                }
                PasswordSlot::Argument {
                    object,
                    field,
                    argument,
                } => {
                    arguments.insert((object, field, argument));
                }
            }
        }
        // Which input types hold passwords, directly or through other inputs (they may
        // nest, even recursively): grown until nothing changes.
        let mut holders: HashMap<String, Vec<Carrier>> = HashMap::new();
        loop {
            let mut grew = false;
            for (input, fields) in inputs {
                for field in fields {
                    let name = field.name.node.as_str();
                    let (base, lists) = named(&field.ty.node);
                    let holds = if passwords.contains(&(input.as_str(), name)) {
                        Holds::Password
                    } else if holders.contains_key(base) {
                        Holds::Input(base.to_owned())
                    } else {
                        continue;
                    };
                    let carriers = holders.entry(input.clone()).or_default();
                    if carriers.iter().all(|c| c.name != name) {
                        carriers.push(carrier(field, holds, lists));
                        grew = true;
                    }
                }
            }
            if !grew {
                break;
            }
        }
        for (object, fields) in objects {
            let facts = fields
                .iter()
                .map(|field| {
                    let field = &field.node;
                    let (returns, lists) = named(&field.ty.node);
                    let arguments = field
                        .arguments
                        .iter()
                        .filter_map(|argument| {
                            let argument = &argument.node;
                            let name = argument.name.node.as_str();
                            let (base, lists) = named(&argument.ty.node);
                            if arguments.contains(&(
                                object.as_str(),
                                field.name.node.as_str(),
                                name,
                            )) {
                                Some(carrier(argument, Holds::Password, lists))
                            } else if holders.contains_key(base) {
                                Some(carrier(argument, Holds::Input(base.to_owned()), lists))
                            } else {
                                None
                            }
                        })
                        .collect();
                    let facts = FieldFacts {
                        returns: returns.to_owned(),
                        list: lists > 0,
                        arguments,
                    };
                    (field.name.node.to_string(), facts)
                })
                .collect();
            found.fields.insert(object.clone(), facts);
        }
        found.inputs = holders;
        Ok(found)
    }

    /// The root type of an operation of this type.
    fn root(&self, ty: async_graphql::parser::types::OperationType) -> Option<&str> {
        use async_graphql::parser::types::OperationType;
        match ty {
            OperationType::Query => Some(&self.query),
            OperationType::Mutation => self.mutation.as_deref(),
            OperationType::Subscription => None,
        }
    }
}

fn carrier(value: &InputValueDefinition, holds: Holds, lists: usize) -> Carrier {
    Carrier {
        name: value.name.node.to_string(),
        holds,
        lists,
        default: value.default_value.as_ref().map(|d| d.node.clone()),
    }
}

/// The named type inside `ty`, and how many lists wrap it.
fn named(ty: &Type) -> (&str, usize) {
    match &ty.base {
        BaseType::Named(name) => (name.as_str(), 0),
        BaseType::List(inner) => {
            let (name, lists) = named(inner);
            (name, lists + 1)
        }
    }
}

#[cfg(test)]
mod tests;
