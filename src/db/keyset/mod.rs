//! Keyset paging in SQL: explicit null ordering, the predicate that reads the records
//! after a key, and the statements of a list's page.
//!
//! Nullable sort fields order their nulls last ascending and first descending, on both
//! databases: nulls sort as if larger than every value. That is PostgreSQL's default, so
//! its B-tree indexes serve both directions; SQLite's default is the opposite, so every
//! nullable ordering writes `NULLS LAST` or `NULLS FIRST` (SQLite 3.30+) explicitly.
//!
//! A page of a nullable sort after a key reads the rest of the part the key stands in
//! (the values, or the nulls) as one range, and only when that leaves the page short the
//! part that follows from its start, as a second statement: each is a range scan of
//! `(mode, column, id)`, so a page costs the same wherever it starts.
//!
//! A list states once which column each of its sort fields orders by, and of which kind
//! (see [`list`]); the statements of its pages are built from that by this module's
//! macros, the same for every list.

mod after;
pub mod list;

pub use after::{After, after};

use diesel::expression::expression_types::NotSelectable;

use crate::listing::{Direction, PageWindow, SortKind, SortValue};

diesel::postfix_operator!(NullsLast, " NULLS LAST", NotSelectable);
diesel::postfix_operator!(NullsFirst, " NULLS FIRST", NotSelectable);

/// Orders a boxed query by a nullable `$column` then `$id`, nulls last ascending and first
/// descending (see the module documentation).
#[macro_export]
macro_rules! order_nullable {
    ($query:expr, $column:expr, $id:expr, $direction:expr) => {{
        match $direction {
            $crate::listing::Direction::Asc => $query
                .order_by($crate::db::keyset::NullsLast::new($column.asc()))
                .then_order_by($id.asc()),
            $crate::listing::Direction::Desc => $query
                .order_by($crate::db::keyset::NullsFirst::new($column.desc()))
                .then_order_by($id.desc()),
        }
    }};
}

/// The part of a nullable sort's order that follows the part a key stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullableRest {
    /// Every null, by id: ascending, after a value.
    Nulls,
    /// Every value: descending, after a null.
    Values,
}

/// What a page after `window`'s key still has to read once the part of the order the key
/// stands in gave `read` records: the other part of a nullable sort, when the page is not
/// full and that part follows; none otherwise (and always for other sorts, whose
/// [`after_key!`] range already reaches the list's end).
pub fn rest_after(
    kind: SortKind,
    direction: Direction,
    window: &PageWindow,
    read: usize,
) -> Option<NullableRest> {
    if kind != SortKind::NullableText || read as i64 >= window.limit {
        return None;
    }
    match (direction, &window.after.as_ref()?.value) {
        (Direction::Asc, SortValue::Text(Some(_))) => Some(NullableRest::Nulls),
        (Direction::Desc, SortValue::Text(None)) => Some(NullableRest::Values),
        _ => None,
    }
}

/// Keeps the records of a boxed query in the [`NullableRest`] part of a nullable
/// `$column`'s order.
#[macro_export]
macro_rules! nullable_rest {
    ($query:expr, $column:expr, $rest:expr) => {{
        match $rest {
            $crate::db::keyset::NullableRest::Nulls => $query.filter($column.is_null()),
            $crate::db::keyset::NullableRest::Values => $query.filter($column.is_not_null()),
        }
    }};
}
