//! What a document costs once its fragments are expanded, counted before it is validated
//! or run, in time linear in its text.
//!
//! async-graphql's depth and complexity limits, its validation rules and its executor
//! all expand a fragment again at every spread: with `...F1 ...F1` in F0, `...F2 ...F2`
//! in F1 and so on, each level doubles their work, and a 1 KB document held a core for
//! minutes while its depth and complexity read 1 and 0. Here each fragment is walked
//! once and its cost kept; a spread adds the kept cost. A fragment that spreads itself,
//! directly or not, is refused first, and so is one no operation uses (validation would
//! refuse it too, after walking it once per selection set of the document).
//!
//! The cost is the schema's complexity (`MAX_COMPLEXITY`), over every operation of the
//! document as the schema counts it: a field costs 1 plus its selection, a paged field
//! (one that takes `first`, from the schema) its selection times the page size. It never
//! counts less than the executor does: a paged field costs its own 1 besides its page,
//! and `__typename`, which async-graphql's count leaves out, costs 1 like any field.

use std::collections::{HashMap, HashSet};

use async_graphql::Positioned;
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql_value::{ConstValue, Value};
use serde_json::{Map, Value as Json};

use crate::listing::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

#[cfg(test)]
mod tests;

/// The most nodes the analysis visits per byte of the document's text: it walks each
/// definition twice and follows each spread twice, and a node takes at least two bytes
/// (a name and what separates it from the next).
pub const VISITS_PER_BYTE: usize = 2;

/// A document's cost, fragments expanded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cost {
    /// The complexity of all its operations (saturating).
    pub complexity: u64,
    /// The deepest nesting of selection sets, through fragment spreads.
    pub depth: usize,
    /// The nodes (selections and spreads followed) the analysis visited: its work, at
    /// most [`VISITS_PER_BYTE`] per byte of the document.
    pub visited: usize,
}

/// A document refused by the analysis, with the message the schema's validation gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// This fragment spreads itself, directly or through others.
    Cycle(String),
    /// No operation uses this fragment.
    Unused(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Cycle(name) => write!(f, "Cannot spread fragment \"{name}\""),
            Refused::Unused(name) => write!(f, "Fragment \"{name}\" is never used"),
        }
    }
}

/// Measures `document` given the request's variables; `paged` names the fields whose
/// selection is repeated once per record of a page.
pub fn measure(
    document: &ExecutableDocument,
    paged: &HashSet<String>,
    variables: &Map<String, Json>,
) -> Result<Cost, Refused> {
    let mut fragments: Vec<_> = document.fragments.iter().collect();
    // In the order they are written, so that a refusal names the first one.
    fragments.sort_by_key(|(_, fragment)| fragment.pos);
    let operations: Vec<_> = document.operations.iter().map(|(_, op)| &op.node).collect();
    let mut walk = Walk {
        paged,
        variables,
        defaults: HashMap::new(),
        index: (fragments.iter().enumerate())
            .map(|(i, (name, _))| (name.as_str(), i))
            .collect(),
        visited: 0,
    };
    for definition in operations.iter().flat_map(|op| &op.variable_definitions) {
        if let Some(default) = &definition.node.default_value {
            let page = default_page(&default.node);
            let kept = walk.defaults.entry(definition.node.name.node.as_str());
            let kept = kept.or_insert(page);
            *kept = (*kept).max(page);
        }
    }
    let sets: Vec<&SelectionSet> = fragments
        .iter()
        .map(|(_, fragment)| &fragment.node.selection_set.node)
        .collect();
    let spreads: Vec<Vec<usize>> = sets.iter().map(|set| walk.spreads(set)).collect();
    let name = |i: usize| fragments[i].0.to_string();
    let order = walk.order(&spreads).map_err(|i| Refused::Cycle(name(i)))?;
    let roots: Vec<usize> = operations
        .iter()
        .flat_map(|op| walk.spreads(&op.selection_set.node))
        .collect();
    if let Some(unused) = walk.unreached(roots, &spreads) {
        return Err(Refused::Unused(name(unused)));
    }
    let mut kept = vec![Measured::default(); sets.len()];
    for i in order {
        kept[i] = walk.evaluate(sets[i], &kept);
    }
    let mut cost = Cost::default();
    for operation in operations {
        let measured = walk.evaluate(&operation.selection_set.node, &kept);
        cost.complexity = cost.complexity.saturating_add(measured.cost);
        cost.depth = cost.depth.max(measured.depth);
    }
    cost.visited = walk.visited;
    Ok(cost)
}

/// A selection set's cost and depth (counting itself).
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    cost: u64,
    depth: usize,
}

struct Walk<'d> {
    paged: &'d HashSet<String>,
    variables: &'d Map<String, Json>,
    /// The page size each variable's default value gives.
    defaults: HashMap<&'d str, u64>,
    /// Fragments by name: their place in the lists.
    index: HashMap<&'d str, usize>,
    visited: usize,
}

/// Where an open selection set goes once measured.
enum Close {
    /// It is what is measured.
    Root,
    /// It is the selection of a field that repeats it this many times.
    Field(u64),
    /// It is an inline fragment's.
    Inline,
}

/// A selection set being measured: what is left of it, and its sums so far.
struct Frame<'d> {
    items: std::slice::Iter<'d, Positioned<Selection>>,
    close: Close,
    cost: u64,
    depth: usize,
}

impl<'d> Frame<'d> {
    fn new(set: &'d SelectionSet, close: Close) -> Self {
        Frame {
            items: set.items.iter(),
            close,
            cost: 0,
            depth: 0,
        }
    }

    fn add(&mut self, cost: u64, depth: usize) {
        self.cost = self.cost.saturating_add(cost);
        self.depth = self.depth.max(depth);
    }
}

impl<'d> Walk<'d> {
    /// The known fragments spread anywhere in `set`, once per spread.
    fn spreads(&mut self, set: &'d SelectionSet) -> Vec<usize> {
        let mut found = Vec::new();
        let mut open = vec![set];
        while let Some(set) = open.pop() {
            for item in &set.items {
                self.visited += 1;
                match &item.node {
                    Selection::Field(field) => open.push(&field.node.selection_set.node),
                    Selection::InlineFragment(inline) => open.push(&inline.node.selection_set.node),
                    Selection::FragmentSpread(spread) => {
                        let name = spread.node.fragment_name.node.as_str();
                        found.extend(self.index.get(name));
                    }
                }
            }
        }
        found
    }

    /// The fragments, each after every fragment it spreads; Err with a fragment on a
    /// cycle. Depth-first, on a stack of its own.
    fn order(&mut self, spreads: &[Vec<usize>]) -> Result<Vec<usize>, usize> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut marks = vec![Mark::New; spreads.len()];
        let mut order = Vec::with_capacity(spreads.len());
        for start in 0..spreads.len() {
            if marks[start] != Mark::New {
                continue;
            }
            marks[start] = Mark::Open;
            let mut path = vec![(start, 0)];
            while let Some((fragment, next)) = path.last_mut() {
                let Some(&child) = spreads[*fragment].get(*next) else {
                    marks[*fragment] = Mark::Done;
                    order.push(*fragment);
                    path.pop();
                    continue;
                };
                *next += 1;
                self.visited += 1;
                match marks[child] {
                    Mark::Open => return Err(child),
                    Mark::New => {
                        marks[child] = Mark::Open;
                        path.push((child, 0));
                    }
                    Mark::Done => {}
                }
            }
        }
        Ok(order)
    }

    /// The first fragment (in the document's order) that `roots` do not lead to.
    fn unreached(&mut self, roots: Vec<usize>, spreads: &[Vec<usize>]) -> Option<usize> {
        let mut reached = vec![false; spreads.len()];
        let mut open = roots;
        while let Some(fragment) = open.pop() {
            self.visited += 1;
            if !std::mem::replace(&mut reached[fragment], true) {
                open.extend(&spreads[fragment]);
            }
        }
        reached.iter().position(|reached| !reached)
    }

    /// The cost and depth of `set`, given those of the fragments it spreads.
    fn evaluate(&mut self, set: &'d SelectionSet, kept: &[Measured]) -> Measured {
        let mut open = vec![Frame::new(set, Close::Root)];
        loop {
            let frame = open.last_mut().expect("the root frame is open");
            let Some(item) = frame.items.next() else {
                let done = open.pop().expect("a frame is open");
                let cost = match done.close {
                    Close::Root => {
                        return Measured {
                            cost: done.cost,
                            depth: done.depth + 1,
                        };
                    }
                    Close::Field(page) => page.saturating_mul(done.cost).saturating_add(1),
                    Close::Inline => done.cost,
                };
                let parent = open.last_mut().expect("the root frame is open");
                parent.add(cost, done.depth + 1);
                continue;
            };
            self.visited += 1;
            match &item.node {
                Selection::Field(field) if field.node.selection_set.node.items.is_empty() => {
                    frame.add(1, 0)
                }
                Selection::Field(field) => {
                    let page = self.page(&field.node);
                    open.push(Frame::new(
                        &field.node.selection_set.node,
                        Close::Field(page),
                    ));
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    // An unknown fragment is refused by validation; it runs nothing.
                    if let Some(&fragment) = self.index.get(name) {
                        frame.add(kept[fragment].cost, kept[fragment].depth);
                    }
                }
                Selection::InlineFragment(inline) => {
                    open.push(Frame::new(&inline.node.selection_set.node, Close::Inline));
                }
            }
        }
    }

    /// How many times a field's selection runs: once, or for a paged field the page
    /// size its `first` asks for, as the schema counts it (`first` or 10, at least 1).
    /// A value that is not a whole number counts as the largest page.
    fn page(&self, field: &Field) -> u64 {
        if !self.paged.contains(field.name.node.as_str()) {
            return 1;
        }
        let first = field
            .arguments
            .iter()
            .find(|(name, _)| name.node == "first");
        match first.map(|(_, value)| &value.node) {
            None | Some(Value::Null) => DEFAULT_PAGE_SIZE as u64,
            Some(Value::Number(n)) => pages(n.as_i64()),
            Some(Value::Variable(name)) => match self.variables.get(name.as_str()) {
                Some(Json::Number(n)) => pages(n.as_i64()),
                Some(Json::Null) => DEFAULT_PAGE_SIZE as u64,
                Some(_) => MAX_PAGE_SIZE as u64,
                None => {
                    (self.defaults.get(name.as_str()).copied()).unwrap_or(DEFAULT_PAGE_SIZE as u64)
                }
            },
            Some(_) => MAX_PAGE_SIZE as u64,
        }
    }
}

/// The page size a variable's default value gives.
fn default_page(value: &ConstValue) -> u64 {
    match value {
        ConstValue::Null => DEFAULT_PAGE_SIZE as u64,
        ConstValue::Number(n) => pages(n.as_i64()),
        _ => MAX_PAGE_SIZE as u64,
    }
}

fn pages(first: Option<i64>) -> u64 {
    first.map_or(MAX_PAGE_SIZE as u64, |n| n.max(1) as u64)
}
