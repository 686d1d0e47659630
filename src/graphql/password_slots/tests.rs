use serde_json::json;

use super::*;

fn served() -> PasswordSlots {
    let config = crate::config::Config::with_database("sqlite://unused.db".parse().unwrap());
    let schema = crate::graphql::build_schema(&config);
    PasswordSlots::of_schema(&SchemaTypes::of(&schema).unwrap()).unwrap()
}

fn count(slots: &PasswordSlots, query: &str, variables: serde_json::Value) -> usize {
    let document = async_graphql::parser::parse_query(query).unwrap();
    let operation = match &document.operations {
        async_graphql::parser::types::DocumentOperations::Single(op) => &op.node,
        async_graphql::parser::types::DocumentOperations::Multiple(ops) => {
            &ops.values().next().unwrap().node
        }
    };
    slots.count(&document, operation, variables.as_object().unwrap())
}

#[test]
fn the_declared_slots_are_all_in_the_served_schema() {
    let slots = served();
    assert_eq!(slots.inputs.len(), 3, "{:?}", slots.inputs.keys());
    let create = &slots.fields["MutationRoot"]["createCustomer"];
    assert_eq!(create.arguments.len(), 1);
}

#[test]
fn a_renamed_or_removed_slot_is_refused_by_name() {
    let sdl = crate::graphql::sdl(&crate::graphql::build_schema(
        &crate::config::Config::with_database("sqlite://unused.db".parse().unwrap()),
    ));
    let wrong = [
        PasswordSlot::InputField {
            input: "CreateCustomerInput".into(),
            field: "pasword".into(),
        },
        PasswordSlot::InputField {
            input: "NoSuchInput".into(),
            field: "password".into(),
        },
        PasswordSlot::argument("MutationRoot", "createCustomer", "password"),
        PasswordSlot::InputField {
            input: "CreateCustomerInput".into(),
            field: "metadata".into(),
        },
    ];
    for slot in wrong {
        let mut slots = declared();
        slots.hashed[0] = slot.clone();
        let error = PasswordSlots::from_sdl(&sdl, &slots)
            .err()
            .unwrap_or_else(|| panic!("{slot} accepted"))
            .to_string();
        assert!(error.contains(&slot.to_string()), "{error}");
    }
}

#[test]
fn a_password_input_nobody_declared_is_refused() {
    let sdl = crate::graphql::sdl(&crate::graphql::build_schema(
        &crate::config::Config::with_database("sqlite://unused.db".parse().unwrap()),
    ));
    let mut slots = declared();
    slots
        .hashed
        .retain(|s| s.to_string() != "CreateCustomerInput.password");
    let error = PasswordSlots::from_sdl(&sdl, &slots)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("CreateCustomerInput.password looks like a password"),
        "{error}"
    );
    // Tomorrow's `resetPassword(password:)` argument, say, if its author forgot the list.
    let sdl =
        "type Query { a: Int } type Mutation { resetPassword(id: ID!, password: String!): Int }";
    let error = PasswordSlots::from_sdl(sdl, &Declared::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("Mutation.resetPassword(password:)"),
        "{error}"
    );
    let declared = Declared {
        hashed: vec![PasswordSlot::argument(
            "Mutation",
            "resetPassword",
            "password",
        )],
        not_hashed: vec![],
    };
    let slots = PasswordSlots::from_sdl(sdl, &declared).unwrap();
    assert_eq!(
        count(
            &slots,
            "mutation { a: resetPassword(id: 1, password: \"p\") b: resetPassword(id: 2, password: \"q\") }",
            json!({})
        ),
        2
    );
}

#[test]
fn passwords_are_counted_wherever_their_value_comes_from() {
    let slots = served();
    let create = |args: &str| format!("createCustomer(input: {args}) {{ id }}");
    let cases: Vec<(String, serde_json::Value, usize)> = vec![
        // Inline, aliased.
        (
            format!(
                "mutation {{ a: {} b: {} }}",
                create("{ email: \"a\", password: \"p\" }"),
                create("{ email: \"b\", password: \"p\" }")
            ),
            json!({}),
            2,
        ),
        // A variable's default.
        (
            format!(
                "mutation($p: String = \"secret\") {{ a: {} b: {} }}",
                create("{ email: \"a\", password: $p }"),
                create("{ email: \"b\", password: $p }")
            ),
            json!({}),
            2,
        ),
        // A given variable overrides its default; null hashes nothing.
        (
            format!(
                "mutation($p: String = \"secret\") {{ {} }}",
                create("{ email: \"a\", password: $p }")
            ),
            json!({ "p": null }),
            0,
        ),
        // A whole input as a variable's default.
        (
            format!(
                "mutation($i: CreateCustomerInput = {{ email: \"a\", password: \"p\" }}) {{ a: {} b: {} }}",
                create("$i"),
                create("$i")
            ),
            json!({}),
            2,
        ),
        // A whole input as a given variable; without a password it is a guest.
        (
            format!(
                "mutation($i: CreateCustomerInput!) {{ a: {} }}",
                create("$i")
            ),
            json!({ "i": { "email": "a", "password": "p" } }),
            1,
        ),
        (
            format!(
                "mutation($i: CreateCustomerInput!) {{ a: {} }}",
                create("$i")
            ),
            json!({ "i": { "email": "a" } }),
            0,
        ),
        // Named fragments (spread twice, through another) and inline fragments.
        (
            format!(
                "mutation {{ ...F ...G ... on MutationRoot {{ c: {} }} ... {{ d: {} }} }}
                 fragment F on MutationRoot {{ a: {} }}
                 fragment G on MutationRoot {{ ...F }}",
                create("{ email: \"c\", password: \"p\" }"),
                create("{ email: \"d\", password: \"p\" }"),
                create("{ email: \"a\", password: \"p\" }")
            ),
            json!({}),
            4,
        ),
        // Every mutation that takes a password.
        (
            "mutation($r: UpdateCustomerPasswordResetInput = { customerPassword: \"p\" }) {
                a: updateCustomerPasswordReset(id: \"1\", input: $r) { id }
                b: updateCustomer(id: \"2\", input: { password: \"p\" }) { id }
                c: updateCustomer(id: \"3\", input: { reference: \"x\" }) { id }
            }"
            .to_owned(),
            json!({}),
            2,
        ),
        // Queries hash nothing.
        ("{ customers { totalCount } }".to_owned(), json!({}), 0),
    ];
    for (query, variables, expected) in cases {
        assert_eq!(count(&slots, &query, variables), expected, "{query}");
    }
}

#[test]
fn slots_are_reached_through_lists_nested_inputs_arguments_and_schema_defaults() {
    let sdl = r#"
        schema { query: Q mutation: M }
        type Q { a: Int }
        type M {
            many(inputs: [Outer!]!): Int
            single(password: String): Int
            defaulted(input: Inner = { secret: "x" }): Int
            nested: [M!]!
        }
        input Outer { inner: Inner, other: String }
        input Inner { secret: String }
    "#;
    let declared = Declared {
        hashed: vec![
            PasswordSlot::InputField {
                input: "Inner".into(),
                field: "secret".into(),
            },
            PasswordSlot::argument("M", "single", "password"),
        ],
        not_hashed: vec![],
    };
    let slots = PasswordSlots::from_sdl(sdl, &declared).unwrap();
    let cases = [
        (
            "mutation { many(inputs: [{ inner: { secret: \"a\" } }, { inner: { secret: \"b\" } }]) }",
            json!({}),
            2,
        ),
        (
            "mutation($o: Outer!) { many(inputs: $o) }",
            json!({ "o": { "inner": { "secret": "a" } } }),
            1,
        ),
        (
            "mutation($l: [Outer!]!) { many(inputs: $l) }",
            json!({ "l": [{ "inner": { "secret": "a" } }, { "other": "b" }] }),
            1,
        ),
        ("mutation { single(password: \"p\") }", json!({}), 1),
        ("mutation { defaulted }", json!({}), 1),
        ("mutation { defaulted(input: null) }", json!({}), 0),
        (
            "mutation { nested { single(password: \"p\") } }",
            json!({}),
            2,
        ),
    ];
    for (query, variables, expected) in cases {
        assert_eq!(count(&slots, query, variables), expected, "{query}");
    }
}

#[test]
fn fragments_are_counted_once_each_however_often_they_are_spread() {
    let slots = served();
    // 30 levels of two spreads each: 2^30 expansions, counted in one pass per fragment.
    let mut document = String::from("mutation { ...F0 }\n");
    for level in 0..30 {
        document.push_str(&format!(
            "fragment F{level} on MutationRoot {{ ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    document.push_str(
        "fragment F30 on MutationRoot { createCustomer(input: { email: \"e\", password: \"p\" }) { id } }",
    );
    assert_eq!(count(&slots, &document, json!({})), 1 << 30);
}

#[test]
fn a_long_chain_of_fragments_is_refused_without_deep_recursion() {
    let slots = served();
    // Far more levels than the default document size holds, as a larger limit allows.
    let levels = 20_000;
    let mut document = String::from("mutation { ...F0 }\n");
    for level in 0..levels {
        document.push_str(&format!(
            "fragment F{level} on MutationRoot {{ ...F{} }}\n",
            level + 1
        ));
    }
    document.push_str(&format!(
        "fragment F{levels} on MutationRoot {{ createCustomer(input: {{ email: \"e\", password: \"p\" }}) {{ id }} }}"
    ));
    let parsed = async_graphql::parser::parse_query(&document).unwrap();
    // tokio's worker threads have 2 MiB stacks.
    let counted = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let operation = match &parsed.operations {
                async_graphql::parser::types::DocumentOperations::Single(op) => &op.node,
                _ => unreachable!(),
            };
            slots.count(&parsed, operation, &serde_json::Map::new())
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(counted > 1, "counted as more than one: refused");
    // A chain within the bound is counted as it is.
    let short = "mutation { ...F0 }
        fragment F0 on MutationRoot { ...F1 }
        fragment F1 on MutationRoot { createCustomer(input: { email: \"e\", password: \"p\" }) { id } }";
    assert_eq!(count(&served(), short, json!({})), 1);
}
