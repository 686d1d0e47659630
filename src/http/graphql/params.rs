//! GraphQL request parameters from a GET query string or a POST JSON body, with their
//! types checked (GraphQL over HTTP).

use serde_json::{Map, Value};

use crate::http::nesting;

/// One GraphQL request's parameters.
#[derive(Debug, Default, Clone)]
pub struct GraphqlParams {
    /// The document (absent when an Apollo persisted-query hash stands for it).
    pub query: Option<String>,
    /// Which operation of the document to run.
    pub operation_name: Option<String>,
    /// Variable values.
    pub variables: Map<String, Value>,
    /// Protocol extensions (`persistedQuery`).
    pub extensions: Map<String, Value>,
}

/// A POST body: one request or a batch.
pub enum PostBody {
    /// One request.
    Single(GraphqlParams),
    /// Several requests in one body (Apollo's batch link).
    Batch(Vec<GraphqlParams>),
}

fn optional_string(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn optional_map(object: &Map<String, Value>, key: &str) -> Result<Map<String, Value>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(format!("`{key}` must be an object")),
    }
}

/// Reads one request from a JSON value.
pub fn from_json(value: &Value) -> Result<GraphqlParams, String> {
    let Value::Object(object) = value else {
        return Err("the request must be a JSON object".into());
    };
    Ok(GraphqlParams {
        query: optional_string(object, "query")?,
        operation_name: optional_string(object, "operationName")?,
        variables: optional_map(object, "variables")?,
        extensions: optional_map(object, "extensions")?,
    })
}

/// Reads a POST body: a JSON object, or an array of them (a batch). A body nested deeper
/// than `max_nesting` is refused before it is parsed.
pub fn from_body(body: &[u8], max_nesting: usize) -> Result<PostBody, String> {
    nesting::check_json(body, max_nesting).map_err(|e| format!("the body is {e}"))?;
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))?;
    match &value {
        Value::Array(items) => Ok(PostBody::Batch(
            items.iter().map(from_json).collect::<Result<_, _>>()?,
        )),
        _ => Ok(PostBody::Single(from_json(&value)?)),
    }
}

/// Reads a GET query string; `variables` and `extensions` are JSON text there, refused
/// when nested deeper than `max_nesting`.
pub fn from_query_string(query: &str, max_nesting: usize) -> Result<GraphqlParams, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| "the query string is malformed".to_owned())?;
    let mut object = Map::new();
    for (key, value) in pairs {
        let value = match key.as_str() {
            "variables" | "extensions" => {
                nesting::check_json(value.as_bytes(), max_nesting)
                    .map_err(|e| format!("`{key}` is {e}"))?;
                serde_json::from_str(&value)
                    .map_err(|_| format!("`{key}` must be a JSON object"))?
            }
            _ => Value::String(value),
        };
        object.insert(key, value);
    }
    from_json(&Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrongly_typed_parameters_are_refused() {
        assert!(from_json(&serde_json::json!({ "query": 1 })).is_err());
        assert!(from_json(&serde_json::json!({ "query": "{a}", "variables": "x" })).is_err());
        assert!(from_json(&serde_json::json!({ "query": "{a}", "operationName": [] })).is_err());
        assert!(from_query_string("query=%7Ba%7D&variables=%5B%5D", 64).is_err());
        let ok = from_query_string("query=%7Ba%7D&variables=%7B%22x%22%3A1%7D", 64).unwrap();
        assert_eq!(ok.variables["x"], 1);
    }

    #[test]
    fn bodies_and_parameters_nested_too_deep_are_refused_before_they_are_parsed() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let body = |n| {
            format!(
                "{{\"query\":\"{{a}}\",\"variables\":{{\"x\":{}}}}}",
                deep(n)
            )
        };
        assert!(from_body(body(3).as_bytes(), 5).is_ok());
        let Err(refused) = from_body(body(4).as_bytes(), 5) else {
            panic!("a body over the limit is refused")
        };
        assert!(
            refused.starts_with("the body is nested deeper than 5"),
            "{refused}"
        );
        // Far past serde_json's own limit of 128: refused by the scan, not by the parser.
        assert!(from_body(deep(100_000).as_bytes(), 64).is_err());
        let query = |n| format!("query=%7Ba%7D&variables=%7B%22x%22%3A{}%7D", deep(n));
        assert!(from_query_string(&query(4), 5).is_ok());
        let refused = from_query_string(&query(5), 5).unwrap_err();
        assert!(
            refused.starts_with("`variables` is nested deeper"),
            "{refused}"
        );
    }
}
