//! Keyset paging in SQL: explicit null ordering, and the predicate that reads the records
//! after a key.
//!
//! Nullable sort fields order their nulls last ascending and first descending, on both
//! databases: nulls sort as if larger than every value. That is PostgreSQL's default, so
//! its B-tree indexes serve both directions; SQLite's default is the opposite, so every
//! nullable ordering writes `NULLS LAST` or `NULLS FIRST` (SQLite 3.30+) explicitly.

use diesel::expression::expression_types::NotSelectable;

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

/// Keeps the records of a boxed query that follow `($value, $key_id)` in the order of a
/// never-null `$column` then `$id`. Written `column >= value AND (column > value OR id >
/// key_id)` (mirrored for descending): the first conjunct is a range both databases
/// start an index scan of `(mode, column, id)` at, the second drops the ties already read.
#[macro_export]
macro_rules! after_key {
    ($query:expr, $column:expr, $value:expr, $id:expr, $key_id:expr, $direction:expr) => {{
        let value = $value;
        let key_id: String = $key_id;
        match $direction {
            $crate::listing::Direction::Asc => $query.filter(
                $column
                    .ge(value.clone())
                    .and($column.gt(value).or($id.gt(key_id))),
            ),
            $crate::listing::Direction::Desc => $query.filter(
                $column
                    .le(value.clone())
                    .and($column.lt(value).or($id.lt(key_id))),
            ),
        }
    }};
}

/// As [`after_key!`] for a nullable text `$column`, nulls last ascending and first
/// descending; `$value` is the key's `Option<String>`. Ascending after a value, the nulls
/// all follow; descending after a null, every value follows.
#[macro_export]
macro_rules! after_nullable_key {
    ($query:expr, $column:expr, $value:expr, $id:expr, $key_id:expr, $direction:expr) => {{
        let value: Option<String> = $value;
        let key_id: String = $key_id;
        let present = $column.assume_not_null();
        match ($direction, value) {
            ($crate::listing::Direction::Asc, Some(value)) => $query.filter(
                present
                    .ge(value.clone())
                    .and(present.gt(value).or($id.gt(key_id)))
                    .or($column.is_null()),
            ),
            ($crate::listing::Direction::Asc, None) => {
                $query.filter($column.is_null().and($id.gt(key_id)))
            }
            ($crate::listing::Direction::Desc, Some(value)) => $query.filter(
                present
                    .le(value.clone())
                    .and(present.lt(value).or($id.lt(key_id))),
            ),
            ($crate::listing::Direction::Desc, None) => $query.filter(
                $column
                    .is_null()
                    .and($id.lt(key_id))
                    .or($column.is_not_null()),
            ),
        }
    }};
}
