//! The analysis counts what expansion would give, and its own work stays within a small
//! multiple of the document's size, whatever the document's shape.

use std::collections::HashSet;

use async_graphql::parser::parse_query;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use proptest::prelude::*;
use serde_json::{Map, json};

use super::*;

fn paged() -> HashSet<String> {
    ["customers", "passwordResets", "customerPasswordResets"]
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn run_with(text: &str, variables: serde_json::Value) -> Result<Cost, Refused> {
    let document = parse_query(text).unwrap();
    let cost = measure(&document, &paged(), variables.as_object().unwrap());
    if let Ok(cost) = &cost {
        assert!(
            cost.visited <= VISITS_PER_BYTE * text.len(),
            "{} nodes visited for {} bytes",
            cost.visited,
            text.len()
        );
    }
    cost
}

fn run(text: &str) -> Result<Cost, Refused> {
    run_with(text, json!({}))
}

/// F0 spreads F1 `width` times, F1 spreads F2 as often, and so on for `levels` levels.
fn explosion(operation: &str, on: &str, width: usize, levels: usize, leaf: &str) -> String {
    let mut text = operation.replace("{}", "...F0");
    for level in 0..levels {
        let spreads = format!("...F{} ", level + 1).repeat(width);
        text.push_str(&format!(" fragment F{level} on {on} {{ {spreads}}}"));
    }
    text.push_str(&format!(" fragment F{levels} on {on} {{ {leaf} }}"));
    text
}

/// The same count, by expanding every spread again (exponential: small documents only).
fn expanded(
    document: &ExecutableDocument,
    set: &SelectionSet,
    variables: &Map<String, Json>,
) -> u64 {
    let walk = Walk {
        paged: &paged(),
        variables,
        defaults: HashMap::new(),
        index: HashMap::new(),
        visited: 0,
    };
    let mut total = 0u64;
    for item in &set.items {
        total = total.saturating_add(match &item.node {
            Selection::Field(field) if field.node.selection_set.node.items.is_empty() => 1,
            Selection::Field(field) => {
                let children = expanded(document, &field.node.selection_set.node, variables);
                walk.page(&field.node)
                    .saturating_mul(children)
                    .saturating_add(1)
            }
            Selection::FragmentSpread(spread) => {
                let fragment = &document.fragments[&spread.node.fragment_name.node];
                expanded(document, &fragment.node.selection_set.node, variables)
            }
            Selection::InlineFragment(inline) => {
                expanded(document, &inline.node.selection_set.node, variables)
            }
        });
    }
    total
}

#[test]
fn doubling_fragments_cost_what_they_expand_to_in_linear_work() {
    let typename = run(&explosion("query { {} }", "QueryRoot", 2, 26, "__typename")).unwrap();
    assert_eq!(typename.complexity, 1 << 26);
    assert_eq!(typename.depth, 28);
    // Far past what any counter holds: the count saturates, the work does not grow.
    let huge = run(&explosion(
        "query { {} }",
        "QueryRoot",
        2,
        200,
        "__typename",
    ))
    .unwrap();
    assert_eq!(huge.complexity, u64::MAX);
}

#[test]
fn wide_fan_out_is_counted_in_full() {
    let wide = run(&explosion("{ {} }", "QueryRoot", 300, 4, "__typename")).unwrap();
    assert_eq!(wide.complexity, 300u64.pow(4));
}

#[test]
fn fragments_inside_pages_count_once_per_record() {
    let text = explosion(
        "{ customers(first: 25) { edges { node { {} } } } }",
        "Customer",
        2,
        10,
        "id email",
    );
    let cost = run(&text).unwrap();
    // customers: 1 + 25 × (edges: 1 + (node: 1 + 2^10 × 2)).
    assert_eq!(cost.complexity, 1 + 25 * (1 + 1 + 2048));
    let document = parse_query(&text).unwrap();
    let operation = document.operations.iter().next().unwrap().1;
    let naive = expanded(&document, &operation.node.selection_set.node, &Map::new());
    assert_eq!(cost.complexity, naive);
}

#[test]
fn page_sizes_come_from_arguments_variables_and_defaults_as_the_schema_reads_them() {
    let query = "query($n: Int, $m: Int = 7) { a: customers(first: $n) { totalCount } \
                 b: customers(first: $m) { totalCount } c: customers { totalCount } \
                 d: customers(first: -3) { totalCount } }";
    // a: 1 + n, b: 1 + 7, c: 1 + 10, d: 1 + 1.
    assert_eq!(
        run_with(query, json!({ "n": 4 })).unwrap().complexity,
        5 + 8 + 11 + 2
    );
    assert_eq!(
        run_with(query, json!({})).unwrap().complexity,
        11 + 8 + 11 + 2
    );
    assert_eq!(
        run_with(query, json!({ "n": null, "m": 2 }))
            .unwrap()
            .complexity,
        11 + 3 + 11 + 2
    );
    assert_eq!(
        run_with(query, json!({ "n": "many" })).unwrap().complexity,
        26 + 8 + 11 + 2
    );
    let huge = run("{ customers(first: 2000000000) { totalCount } }").unwrap();
    assert_eq!(huge.complexity, 2_000_000_001);
}

#[test]
fn every_operation_counts_as_the_schema_counts_them_all() {
    let cost = run("query A { __typename } query B { a { b } } query C { ...F } fragment F on QueryRoot { c d }").unwrap();
    assert_eq!(cost.complexity, 1 + 2 + 2);
    assert_eq!(cost.depth, 2);
}

#[test]
fn cycles_and_unused_fragments_are_refused_before_anything_is_expanded() {
    assert_eq!(
        run("{ ...A } fragment A on QueryRoot { ...A }"),
        Err(Refused::Cycle("A".into()))
    );
    let long_cycle = "{ ...A } fragment A on QueryRoot { x { ...B } } \
                      fragment B on QueryRoot { ... on QueryRoot { ...C } } fragment C on QueryRoot { ...A }";
    assert!(matches!(run(long_cycle), Err(Refused::Cycle(_))));
    assert_eq!(
        run("{ ...A } fragment A on QueryRoot { a } fragment B on QueryRoot { ...B }"),
        Err(Refused::Cycle("B".into()))
    );
    assert_eq!(
        run("{ ...A } fragment A on QueryRoot { a } fragment U on QueryRoot { ...A ...A }"),
        Err(Refused::Unused("U".into()))
    );
    assert_eq!(
        Refused::Unused("U".into()).to_string(),
        "Fragment \"U\" is never used"
    );
}

#[test]
fn a_long_chain_of_fragments_is_walked_without_recursion() {
    let mut text = String::from("{ ...F0 }");
    for i in 0..20_000 {
        text.push_str(&format!(
            " fragment F{i} on QueryRoot {{ a {{ ...F{} }} }}",
            i + 1
        ));
    }
    text.push_str(" fragment F20000 on QueryRoot { a }");
    // Parsed on a thread with room for the parser; measured on a small one.
    let document = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || (parse_query(&text).unwrap(), text.len()))
        .unwrap()
        .join()
        .unwrap();
    let cost = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || measure(&document.0, &paged(), &Map::new()).unwrap())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(cost.depth, 2 * 20_000 + 2);
    assert_eq!(cost.complexity, 20_001);
}

/// Random documents: fragments that spread later ones (so no cycles), fields, paged
/// fields and inline fragments, all used by the operation.
fn document() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        Just("__typename".to_owned()),
        Just("id".to_owned()),
        (0..6usize).prop_map(|n| format!("...F{n}")),
    ];
    let set = item.prop_recursive(3, 24, 5, |inner| {
        let items = prop::collection::vec(inner, 1..5).prop_map(|items| items.join(" "));
        prop_oneof![
            items.clone().prop_map(|s| format!("node {{ {s} }}")),
            (prop::option::of(-2..30i64), items.clone()).prop_map(|(first, s)| match first {
                Some(first) => format!("customers(first: {first}) {{ {s} }}"),
                None => format!("passwordResets {{ {s} }}"),
            }),
            items.prop_map(|s| format!("... on Customer {{ {s} }}")),
        ]
    });
    prop::collection::vec(prop::collection::vec(set, 1..4), 6).prop_map(|bodies| {
        let mut text = String::from("{ ...F0 ...F1 ...F2 ...F3 ...F4 ...F5 }");
        for (i, body) in bodies.iter().enumerate() {
            // A spread of an earlier or the same fragment becomes a field.
            let body = body.join(" ");
            let body = (0..=i).fold(body, |b, j| b.replace(&format!("...F{j}"), "id"));
            text.push_str(&format!(" fragment F{i} on Customer {{ {body} }}"));
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_count_is_what_expanding_every_spread_gives(text in document()) {
        let document = parse_query(&text).unwrap();
        let cost = run(&text).unwrap();
        let operation = document.operations.iter().next().unwrap().1;
        let naive = expanded(&document, &operation.node.selection_set.node, &Map::new());
        prop_assert_eq!(cost.complexity, naive);
    }

    #[test]
    fn the_work_stays_linear_for_every_hostile_shape(
        width in 1..200usize,
        levels in 1..30usize,
        shape in 0..4usize,
    ) {
        let text = match shape {
            0 => explosion("{ {} }", "QueryRoot", width, levels, "__typename"),
            1 => explosion("{ customers(first: 25) { edges { node { {} } } } }", "Customer", width, levels, "id"),
            2 => explosion("{ a { b { c { {} } } } }", "QueryRoot", width, levels, "... on QueryRoot { x { y } }"),
            _ => explosion("query($n: Int) { customers(first: $n) { {} } }", "Customer", width, levels, "id"),
        };
        let cost = run_with(&text, json!({ "n": 25 })).unwrap();
        prop_assert!(cost.complexity >= (width as u64).saturating_pow(levels as u32).min(u64::MAX / 2));
    }
}
