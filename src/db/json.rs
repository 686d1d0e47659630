//! JSON containment (`metadataJcont`): PostgreSQL's `jsonb @>` on JSON kept as text.
//!
//! [`json_contains`] is one diesel expression that query code writes once, inside
//! `db_run!`, and that renders per backend: on PostgreSQL `((doc)::jsonb @> (fragment)::jsonb)`,
//! the expression the GIN index `customer_password_resets_metadata_jsonb` (on
//! `(metadata::jsonb)`) serves, so a containment filter reads the matching rows rather
//! than every row; on SQLite `rg_json_contains(doc, fragment)`, the Rust function below,
//! registered on every connection. PostgreSQL also keeps a SQL function of that name (from
//! its first migration) that no query calls any more: a function call hides the cast
//! from the planner, and no index serves it. The columns stay text on both backends.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, expression::AsExpression};
use serde_json::Value;

diesel::define_sql_function! {
    /// True when the JSON document `doc` contains `fragment` (PostgreSQL's `@>`): the
    /// SQLite side of [`json_contains`].
    fn rg_json_contains(doc: Text, fragment: Text) -> Bool;
}

/// True when the JSON text `doc` contains the JSON text `fragment`, by PostgreSQL's `@>`
/// rules on both backends (see the module documentation for what each one runs).
pub fn json_contains<D, F>(doc: D, fragment: F) -> JsonContains<D, F::Expression>
where
    D: Expression<SqlType = Text>,
    F: AsExpression<Text>,
{
    JsonContains {
        doc,
        fragment: fragment.as_expression(),
    }
}

/// The expression [`json_contains`] builds.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
pub struct JsonContains<D, F> {
    doc: D,
    fragment: F,
}

impl<D, F> Expression for JsonContains<D, F>
where
    D: Expression<SqlType = Text>,
    F: Expression<SqlType = Text>,
{
    type SqlType = Bool;
}

impl<QS, D, F> AppearsOnTable<QS> for JsonContains<D, F>
where
    Self: Expression,
    D: AppearsOnTable<QS>,
    F: AppearsOnTable<QS>,
{
}

impl<QS, D, F> SelectableExpression<QS> for JsonContains<D, F>
where
    Self: AppearsOnTable<QS>,
    D: SelectableExpression<QS>,
    F: SelectableExpression<QS>,
{
}

impl<D, F> QueryFragment<Pg> for JsonContains<D, F>
where
    D: QueryFragment<Pg>,
    F: QueryFragment<Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The cast of the column must read as the index's expression, `(metadata)::jsonb`,
        // for the planner to match them.
        out.push_sql("((");
        self.doc.walk_ast(out.reborrow())?;
        out.push_sql(")::jsonb @> (");
        self.fragment.walk_ast(out.reborrow())?;
        out.push_sql(")::jsonb)");
        Ok(())
    }
}

impl<D, F> QueryFragment<Sqlite> for JsonContains<D, F>
where
    D: QueryFragment<Sqlite>,
    F: QueryFragment<Sqlite>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("rg_json_contains(");
        self.doc.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.fragment.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

/// Registers the function on a SQLite connection.
pub fn register_on_sqlite(conn: &mut diesel::SqliteConnection) -> diesel::QueryResult<()> {
    rg_json_contains_utils::register_impl(conn, |doc: String, fragment: String| {
        match (serde_json::from_str(&doc), serde_json::from_str(&fragment)) {
            (Ok(doc), Ok(fragment)) => contains(&doc, &fragment, true),
            _ => false,
        }
    })
}

/// PostgreSQL's containment: objects contain sub-objects, arrays contain arrays whose
/// every element some element contains, scalars contain equal scalars; and, at the top
/// level only, an array contains a bare scalar that is one of its elements.
pub fn contains(doc: &Value, fragment: &Value, top: bool) -> bool {
    match (doc, fragment) {
        (Value::Object(doc), Value::Object(fragment)) => fragment.iter().all(|(key, wanted)| {
            doc.get(key)
                .is_some_and(|have| contains(have, wanted, false))
        }),
        (Value::Array(doc), Value::Array(fragment)) => fragment
            .iter()
            .all(|wanted| doc.iter().any(|have| contains(have, wanted, false))),
        (Value::Array(doc), scalar) if top && !scalar.is_object() && !scalar.is_array() => {
            doc.iter().any(|have| have == scalar)
        }
        (doc, fragment) => doc == fragment,
    }
}

#[cfg(test)]
mod tests {
    use super::contains;
    use serde_json::json;

    #[test]
    fn containment_follows_postgres() {
        let doc = json!({ "tier": "gold", "tags": ["a", "b"], "nested": { "x": 1, "y": 2 } });
        let has = |fragment: serde_json::Value| contains(&doc, &fragment, true);
        assert!(has(json!({})));
        assert!(has(json!({ "tier": "gold" })));
        assert!(has(json!({ "tags": ["b"], "nested": { "x": 1 } })));
        assert!(!has(json!({ "tier": "silver" })));
        assert!(!has(json!({ "nested": { "x": 2 } })));
        assert!(!has(json!({ "missing": null })));
        assert!(
            !has(json!({ "tags": "b" })),
            "a scalar is not in a nested array"
        );
        assert!(
            contains(&json!(["a", "b"]), &json!("b"), true),
            "but is in a top-level one"
        );
    }
}
