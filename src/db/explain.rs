//! `EXPLAIN (ANALYZE, FORMAT JSON)` of a statement the service runs, binds and all, on
//! PostgreSQL: how a test sees the rows a page query reads (a diagnostic, never called
//! while serving).

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::Text;

/// The statement `Q`, explained and run: one row, the plan as JSON text.
#[derive(Debug, Clone)]
pub struct ExplainAnalyze<Q>(pub Q);

impl<Q> QueryId for ExplainAnalyze<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for ExplainAnalyze<Q> {
    type SqlType = Text;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for ExplainAnalyze<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("EXPLAIN (ANALYZE, FORMAT JSON) ");
        self.0.walk_ast(out.reborrow())
    }
}

/// The rows a plan's nodes produced and removed, summed over every node: about the rows
/// the statement read.
pub fn rows_touched(plan: &serde_json::Value) -> u64 {
    let node = &plan["Plan"];
    let mut total = 0;
    let mut stack = vec![if node.is_null() { plan } else { node }];
    while let Some(node) = stack.pop() {
        for key in [
            "Actual Rows",
            "Rows Removed by Filter",
            "Rows Removed by Index Recheck",
        ] {
            total += node[key].as_u64().unwrap_or(0);
        }
        if let Some(children) = node["Plans"].as_array() {
            stack.extend(children);
        }
    }
    total
}

/// The plan in the answer of `EXPLAIN (FORMAT JSON)`: its one element (null when the
/// answer is not such JSON).
pub fn plan_of(answer: &str) -> serde_json::Value {
    let plan: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
    plan[0].clone()
}
