//! The predicate that keeps the records after a key: a row comparison, and the two parts
//! of a nullable sort (see the module documentation of `crate::db::keyset`).

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, AsExpression, Expression, SelectableExpression, TypedExpressionType,
    ValidGrouping, is_aggregate,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, SqlType, Text};

use crate::listing::Direction;

/// `(column, id) > (value, key_id)`, `<` descending: the records after a key in the order
/// of `column` then `id`, as one row comparison that both databases serve as a range scan
/// of an index on `(mode, column, id)`, ties included. (`column >= value AND (column >
/// value OR id > key_id)` bounds the scan by the value alone: a page deep in a run of
/// equal values read the whole run before it.)
#[derive(Debug, Clone)]
pub struct After<C, I, V, K> {
    column: C,
    id: I,
    value: V,
    key_id: K,
    descending: bool,
}

/// Builds [`After`] for `column`, `id`, the key's `value` and `key_id`, in `direction`.
pub fn after<C, I, V>(
    column: C,
    id: I,
    value: V,
    key_id: String,
    direction: Direction,
) -> After<C, I, V::Expression, <String as AsExpression<Text>>::Expression>
where
    C: Expression,
    C::SqlType: SqlType + TypedExpressionType,
    I: Expression<SqlType = Text>,
    V: AsExpression<C::SqlType>,
{
    After {
        column,
        id,
        value: value.as_expression(),
        key_id: AsExpression::<Text>::as_expression(key_id),
        descending: direction == Direction::Desc,
    }
}

impl<C, I, V, K> Expression for After<C, I, V, K> {
    type SqlType = Bool;
}

impl<C, I, V, K> QueryId for After<C, I, V, K> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C, I, V, K, GB> ValidGrouping<GB> for After<C, I, V, K> {
    type IsAggregate = is_aggregate::No;
}

impl<QS, C, I, V, K> AppearsOnTable<QS> for After<C, I, V, K>
where
    C: AppearsOnTable<QS>,
    I: AppearsOnTable<QS>,
    V: AppearsOnTable<QS>,
    K: AppearsOnTable<QS>,
{
}

impl<QS, C, I, V, K> SelectableExpression<QS> for After<C, I, V, K>
where
    Self: AppearsOnTable<QS>,
    C: SelectableExpression<QS>,
    I: SelectableExpression<QS>,
    V: SelectableExpression<QS>,
    K: SelectableExpression<QS>,
{
}

impl<DB, C, I, V, K> QueryFragment<DB> for After<C, I, V, K>
where
    DB: Backend,
    C: QueryFragment<DB>,
    I: QueryFragment<DB>,
    V: QueryFragment<DB>,
    K: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("((");
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.id.walk_ast(out.reborrow())?;
        out.push_sql(if self.descending { ") < (" } else { ") > (" });
        self.value.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.key_id.walk_ast(out.reborrow())?;
        out.push_sql("))");
        Ok(())
    }
}

/// Keeps the records of a boxed query that follow `($value, $key_id)` in the order of a
/// never-null `$column` then `$id` (see [`After`]).
#[macro_export]
macro_rules! after_key {
    ($query:expr, $column:expr, $value:expr, $id:expr, $key_id:expr, $direction:expr) => {{
        $query.filter($crate::db::keyset::after(
            $column, $id, $value, $key_id, $direction,
        ))
    }};
}

/// As [`after_key!`] for a nullable text `$column`, nulls last ascending and first
/// descending; `$value` is the key's `Option<String>`. Keeps only the rest of the part
/// of the order the key stands in (the values, or the nulls by id), a range an index of
/// `(mode, column, id)` serves on both databases; what follows that part is read apart,
/// when the page needs it (see [`rest_after`](crate::db::keyset::rest_after) and
/// [`nullable_rest!`]). One predicate for both parts (`... OR column IS NULL`) is no
/// range: PostgreSQL read every row before the key to serve it.
#[macro_export]
macro_rules! after_nullable_key {
    ($query:expr, $column:expr, $value:expr, $id:expr, $key_id:expr, $direction:expr) => {{
        let value: Option<String> = $value;
        let key_id: String = $key_id;
        match ($direction, value) {
            ($crate::listing::Direction::Asc, Some(value)) => $query
                .filter($column.is_not_null())
                .filter($crate::db::keyset::after(
                    $column,
                    $id,
                    value,
                    key_id,
                    $crate::listing::Direction::Asc,
                )),
            ($crate::listing::Direction::Asc, None) => {
                $query.filter($column.is_null().and($id.gt(key_id)))
            }
            ($crate::listing::Direction::Desc, Some(value)) => {
                $query.filter($crate::db::keyset::after(
                    $column,
                    $id,
                    value,
                    key_id,
                    $crate::listing::Direction::Desc,
                ))
            }
            ($crate::listing::Direction::Desc, None) => {
                $query.filter($column.is_null().and($id.lt(key_id)))
            }
        }
    }};
}
