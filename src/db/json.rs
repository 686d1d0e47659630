//! `rg_json_contains(doc, fragment)`: PostgreSQL's `jsonb @>` on JSON kept as text.
//!
//! PostgreSQL defines it in a migration; SQLite gets the Rust version below, registered
//! on every connection. Queries call the one name on both backends.

use diesel::sql_types::Text;
use serde_json::Value;

diesel::define_sql_function! {
    /// True when the JSON document `doc` contains `fragment` (PostgreSQL's `@>`).
    fn rg_json_contains(doc: Text, fragment: Text) -> Bool;
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
