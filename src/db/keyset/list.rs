//! A list's page, built from the one place the list states its order: which column each
//! sort field orders by, and of which kind.
//!
//! The columns differ in type, so each sort field needs its own arm of a `match`, which
//! only a macro can write from one list of fields. A list states its fields in a macro of
//! its own that hands them to the macros here (a callback), so that they are written once
//! for its page, its explained page, every statement of both, and the kind a cursor's
//! value must be ([`keyset_kind!`]):
//!
//! ```text
//! macro_rules! sort_columns {
//!     ($list:ident!($($args:tt)*)) => {
//!         crate::$list!($($args)*; ResetSortField, resets::id, {
//!             Id => Id,
//!             CreatedAt => Time(resets::created_at),
//!             Reference => NullableText(resets::reference),
//!         })
//!     };
//! }
//! let page = sort_columns!(keyset_page!(conn, filtered!(mode, filter), select, sort, &window));
//! ```
//!
//! The kinds are [`SortKind`](crate::listing::SortKind)'s: `Id` (the id alone), `Time` and
//! `Text` (never null), `NullableText` (nulls last ascending and first descending, read in
//! two parts: see the module documentation of `crate::db::keyset`). The id breaks ties
//! in every order. The queries are boxed and built anew in each backend's arm of
//! `db_run!`, so both databases run the same statement, each typed for its backend. The
//! caller has `diesel::prelude::*` and `diesel_async::RunQueryDsl` in scope.

/// A page of a list: its first statement, and a second when a nullable sort's page runs
/// past the part of the order its cursor stands in (see [`rest_after`]). `$query` is the
/// list's filtered boxed query and `$select` its selection (each evaluated in each
/// backend's arm, as their types are the backend's), `$window` a `&PageWindow`; then `;`
/// and the list's fields (see the module documentation). Evaluates to the records, or
/// returns the database's error with `?`.
///
/// [`rest_after`]: crate::db::keyset::rest_after
#[macro_export]
macro_rules! keyset_page {
    ($conn:expr, $query:expr, $select:expr, $sort:expr, $window:expr; $($fields:tt)*) => {{
        let window: &$crate::listing::PageWindow = $window;
        let sort = $sort;
        let mut page: ::std::vec::Vec<_> = $crate::db_run!($conn, |c| {
            $crate::keyset_statement!(after $query, sort, window.after.clone(); $($fields)*)
                .select($select)
                .limit(window.limit)
                .load(c)
                .await
        })?;
        if let Some(rest) =
            $crate::db::keyset::rest_after(sort.kind(), sort.direction, window, page.len())
        {
            let limit = window.limit - page.len() as i64;
            let more: ::std::vec::Vec<_> = $crate::db_run!($conn, |c| {
                $crate::keyset_statement!(rest $query, sort, rest; $($fields)*)
                    .select($select)
                    .limit(limit)
                    .load(c)
                    .await
            })?;
            page.extend(more);
        }
        page
    }};
}

/// [`keyset_page!`]'s statements run under `EXPLAIN (ANALYZE, FORMAT JSON)` on
/// PostgreSQL, the same arguments giving the same statements: their plans as JSON, one
/// per statement the page runs (the second when the first read fewer rows than the page
/// holds), or none on SQLite. How a test sees the rows a page reads. Both macros build
/// their statements with [`keyset_statement!`] and decide the second step with
/// `rest_after`; they differ in how a statement runs (loaded on either backend, or
/// explained on PostgreSQL alone) and so in what counts the first step's rows.
#[macro_export]
macro_rules! keyset_explain {
    ($conn:expr, $query:expr, $select:expr, $sort:expr, $window:expr; $($fields:tt)*) => {{
        let window: &$crate::listing::PageWindow = $window;
        let sort = $sort;
        match $conn {
            $crate::db::Conn::Sqlite(_) => None,
            $crate::db::Conn::Pg(c) => {
                use $crate::db::explain::{ExplainAnalyze, plan_of};
                let c: &mut &$crate::db::PgConn = &mut &**c;
                let query =
                    $crate::keyset_statement!(after $query, sort, window.after.clone(); $($fields)*)
                        .select($select)
                        .limit(window.limit);
                let plan: String = ExplainAnalyze(query).get_result(c).await?;
                let mut plans = vec![plan_of(&plan)];
                let read = plans[0]["Plan"]["Actual Rows"].as_u64().unwrap_or(0) as usize;
                if let Some(rest) =
                    $crate::db::keyset::rest_after(sort.kind(), sort.direction, window, read)
                {
                    let query = $crate::keyset_statement!(rest $query, sort, rest; $($fields)*)
                        .select($select)
                        .limit(window.limit - read as i64);
                    let plan: String = ExplainAnalyze(query).get_result(c).await?;
                    plans.push(plan_of(&plan));
                }
                Some(plans)
            }
        }
    }};
}

/// The [`SortKind`](crate::listing::SortKind) of `$value`, a sort field of the list whose
/// fields follow `;`: the kinds their columns are stated with, so that a cursor's value is
/// checked against the same kind the statements read it as.
#[macro_export]
macro_rules! keyset_kind {
    ($value:expr; $field:ident, $id:expr,
        { $($variant:ident => $kind:ident $(($column:expr))?),* $(,)? }) => {
        match $value {
            $($field::$variant => $crate::listing::SortKind::$kind,)*
        }
    };
}

/// One statement of a page, ordered by the sort then the id: `after`, the records after
/// `$after` (the window's `Option<Keyset>`); `rest`, the [`NullableRest`] part `$rest` of
/// a nullable sort. The `@` rules are each kind's order, key and rest; a field of another
/// kind has no rest, and a key whose value does not fit its field (a signed cursor's
/// always does) keeps nothing.
///
/// [`NullableRest`]: crate::db::keyset::NullableRest
#[macro_export]
macro_rules! keyset_statement {
    (after $query:expr, $sort:expr, $after:expr; $field:ident, $id:expr,
        { $($variant:ident => $kind:ident $(($column:expr))?),* $(,)? }) => {{
        let sort = $sort;
        let query = $query;
        let after: ::std::option::Option<$crate::listing::Keyset> = $after;
        match sort.field {
            $($field::$variant => {
                let query = match after {
                    None => query,
                    Some(key) => $crate::keyset_statement!(
                        @after $kind, query, key, sort.direction, $id $(, $column)?
                    ),
                };
                $crate::keyset_statement!(@order $kind, query, sort.direction, $id $(, $column)?)
            })*
        }
    }};
    (rest $query:expr, $sort:expr, $rest:expr; $field:ident, $id:expr,
        { $($variant:ident => $kind:ident $(($column:expr))?),* $(,)? }) => {{
        let sort = $sort;
        let query = $query;
        let rest: $crate::db::keyset::NullableRest = $rest;
        match sort.field {
            $($field::$variant => {
                let query = $crate::keyset_statement!(@rest $kind, query, rest $(, $column)?);
                $crate::keyset_statement!(@order $kind, query, sort.direction, $id $(, $column)?)
            })*
        }
    }};

    (@order Id, $query:expr, $direction:expr, $id:expr) => {
        match $direction {
            $crate::listing::Direction::Asc => $query.order_by($id.asc()),
            $crate::listing::Direction::Desc => $query.order_by($id.desc()),
        }
    };
    (@order Time, $($args:tt)*) => { $crate::keyset_statement!(@order_never_null $($args)*) };
    (@order Text, $($args:tt)*) => { $crate::keyset_statement!(@order_never_null $($args)*) };
    (@order NullableText, $query:expr, $direction:expr, $id:expr, $column:expr) => {
        $crate::order_nullable!($query, $column, $id, $direction)
    };
    (@order_never_null $query:expr, $direction:expr, $id:expr, $column:expr) => {
        match $direction {
            $crate::listing::Direction::Asc => {
                $query.order_by($column.asc()).then_order_by($id.asc())
            }
            $crate::listing::Direction::Desc => {
                $query.order_by($column.desc()).then_order_by($id.desc())
            }
        }
    };

    (@after Id, $query:expr, $key:expr, $direction:expr, $id:expr) => {
        match $direction {
            $crate::listing::Direction::Asc => $query.filter($id.gt($key.id)),
            $crate::listing::Direction::Desc => $query.filter($id.lt($key.id)),
        }
    };
    (@after Time, $query:expr, $key:expr, $direction:expr, $id:expr, $column:expr) => {
        match $key.value {
            $crate::listing::SortValue::Time(value) => {
                $crate::after_key!($query, $column, value, $id, $key.id, $direction)
            }
            _ => $crate::keyset_statement!(@nothing $query),
        }
    };
    (@after Text, $query:expr, $key:expr, $direction:expr, $id:expr, $column:expr) => {
        match $key.value {
            $crate::listing::SortValue::Text(Some(value)) => {
                $crate::after_key!($query, $column, value, $id, $key.id, $direction)
            }
            _ => $crate::keyset_statement!(@nothing $query),
        }
    };
    (@after NullableText, $query:expr, $key:expr, $direction:expr, $id:expr, $column:expr) => {
        match $key.value {
            $crate::listing::SortValue::Text(value) => {
                $crate::after_nullable_key!($query, $column, value, $id, $key.id, $direction)
            }
            _ => $crate::keyset_statement!(@nothing $query),
        }
    };

    (@rest NullableText, $query:expr, $rest:expr, $column:expr) => {
        $crate::nullable_rest!($query, $column, $rest)
    };
    (@rest $kind:ident, $query:expr, $rest:expr $(, $column:expr)?) => {
        $crate::keyset_statement!(@nothing $query)
    };

    (@nothing $query:expr) => {
        $query.filter(false.into_sql::<::diesel::sql_types::Bool>())
    };
}
