//! The statements every request runs, kept prepared and their SQL text built once.
//!
//! Two costs of diesel that [`CachedSql`] removes for the statements it wraps:
//!
//! - diesel refuses to keep any `UPDATE` or `INSERT` prepared, because a changeset of
//!   optional values or a multi-row insert can take unboundedly many forms. So each one
//!   was parsed and planned afresh on every run: one more round trip to PostgreSQL per
//!   statement (`Parse`/`Describe` before `Bind`/`Execute`). A wrapped statement is kept
//!   prepared on each connection, keyed by its SQL text, as diesel keeps its selects.
//! - diesel-async builds a query's SQL text every time it runs it, on both backends, even
//!   when the prepared statement is cached. Building it writes and escapes every
//!   identifier: for the one-row read of a reset, 28 quoted names, a visible part of the
//!   service's work per request. The text of a query whose type has a static id
//!   and that diesel itself would cache (its text is then fixed by its type; values are
//!   bind parameters) is built on its first use only, as diesel's sync connections do.
//!
//! Wrap only statements whose SQL text takes a bounded number of forms: no `eq_any` over
//! a list, no multi-row insert, no changeset of `Option`s. Each form stays prepared on
//! every connection.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryBuilder, QueryFragment, QueryId};

/// The SQL text of each query type, per backend.
static TEXTS: LazyLock<RwLock<HashMap<(TypeId, TypeId), &'static str>>> =
    LazyLock::new(Default::default);

/// A statement kept prepared, its SQL text built on its type's first use when that text
/// is fixed by the type. Run it as the statement it wraps: `query.cached_sql().execute(c)`.
#[derive(Debug, Clone, Copy)]
pub struct CachedSql<Q>(pub Q);

/// `.cached_sql()` on any query.
pub trait CachedSqlExt: Sized {
    /// Wraps the query in [`CachedSql`].
    fn cached_sql(self) -> CachedSql<Self> {
        CachedSql(self)
    }
}

impl<Q: QueryId> CachedSqlExt for Q {}

impl<Q: Query> Query for CachedSql<Q> {
    type SqlType = Q::SqlType;
}

impl<Q: QueryId> QueryId for CachedSql<Q> {
    type QueryId = Q::QueryId;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q, DB> QueryFragment<DB> for CachedSql<Q>
where
    DB: Backend + 'static,
    DB::QueryBuilder: Default,
    Q: QueryFragment<DB> + QueryId,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &DB) -> QueryResult<bool> {
        // The wrapper's contract: a bounded number of SQL texts (see the module).
        Ok(true)
    }

    fn to_sql(&self, out: &mut DB::QueryBuilder, backend: &DB) -> QueryResult<()> {
        let Some(query_type) = Q::query_id() else {
            return self.0.to_sql(out, backend);
        };
        let key = (query_type, TypeId::of::<DB>());
        let known = TEXTS
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied();
        let text = match known {
            Some(text) => text,
            // Whether diesel would cache a query of a static type is fixed by the type
            // too: asked once, when its text is first built.
            None if !self.0.is_safe_to_cache_prepared(backend)? => {
                return self.0.to_sql(out, backend);
            }
            None => {
                let mut builder = DB::QueryBuilder::default();
                self.0.to_sql(&mut builder, backend)?;
                // One string per query type in the program, kept for its lifetime.
                let text: &'static str = builder.finish().leak();
                *TEXTS
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(key)
                    .or_insert(text)
            }
        };
        out.push_sql(text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use diesel::pg::Pg;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::schema::customer_password_resets as resets;

    fn sql<DB>(query: &impl QueryFragment<DB>) -> String
    where
        DB: Backend + Default,
        DB::QueryBuilder: Default,
    {
        let mut builder = DB::QueryBuilder::default();
        query.to_sql(&mut builder, &DB::default()).unwrap();
        builder.finish()
    }

    fn reset_by_id(id: &str) -> impl QueryFragment<Pg> + QueryFragment<Sqlite> + QueryId + '_ {
        resets::table
            .find(id)
            .filter(resets::mode.eq("test"))
            .select((resets::id, resets::expires_at))
            .limit(1)
    }

    fn has_static_id<Q: QueryId>(_: &Q) -> bool {
        Q::HAS_STATIC_QUERY_ID
    }

    #[test]
    fn a_cached_query_has_the_sql_text_diesel_builds_on_each_backend() {
        assert!(has_static_id(&reset_by_id("any")), "its text is kept");
        for id in ["first", "second"] {
            let built = sql::<Pg>(&reset_by_id(id));
            assert!(built.contains("\"customer_password_resets\".\"id\" = $1"));
            assert_eq!(sql::<Pg>(&CachedSql(reset_by_id(id))), built);
            let built = sql::<Sqlite>(&reset_by_id(id));
            assert!(built.contains("`customer_password_resets`.`id` = ?"));
            assert_eq!(sql::<Sqlite>(&CachedSql(reset_by_id(id))), built);
        }
    }

    #[test]
    fn a_query_whose_text_depends_on_its_values_is_built_every_time() {
        let ids = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>();
        let (two, three) = (ids(2), ids(3));
        let query = |ids: &[String]| {
            resets::table
                .filter(resets::id.eq_any(ids.to_vec()))
                .select(resets::id)
        };
        assert!(sql::<Sqlite>(&CachedSql(query(&two))).contains("IN (?, ?)"));
        assert!(sql::<Sqlite>(&CachedSql(query(&three))).contains("IN (?, ?, ?)"));
    }
}
