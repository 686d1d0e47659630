//! Delivery payloads: Commerce Layer's JSON:API documents, with snake_case attributes.
//!
//! A document is rendered in the transaction of the change, so that a delivery shows the
//! resource as that change left it, however late it goes out. Two things are added only
//! when an attempt is sent: the `links` (they name this service's public address, which is
//! configuration, not data) and a create event's `reset_password_token` (held sealed
//! until then, never in the stored document).
//!
//! `links.self` has Commerce Layer's form, `{public URL}/api/{type}/{id}`: it identifies
//! the resource the way a receiver written for Commerce Layer expects; this service
//! serves GraphQL, not that REST path.
//!
//! The resources render their own documents (`crate::customers`, `crate::resets`) with
//! [`time`] and [`metadata`] and hand them to the outbox as a
//! [`Subject`](crate::webhooks::outbox::Subject): this module names neither of them.

use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::{Map, Value, json};

/// The attribute that carries a create event's token.
pub const TOKEN_ATTRIBUTE: &str = "reset_password_token";

/// A time attribute: RFC 3339 in UTC, to the microsecond.
pub fn time(at: NaiveDateTime) -> Value {
    Value::String(at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true))
}

/// The `metadata` attribute from its stored JSON text (an empty object if it were ever
/// damaged).
pub fn metadata(text: &str) -> Value {
    Value::Object(serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default())
}

/// Puts a create event's token among the reset's attributes.
pub fn with_token(document: &mut Value, token: &str) {
    if let Some(attributes) = document["data"]["attributes"].as_object_mut() {
        attributes.insert(TOKEN_ATTRIBUTE.to_owned(), Value::String(token.to_owned()));
    }
}

/// Adds the `links` of every resource in the document and of its relationships, under
/// the service's public URL (without a trailing slash).
pub fn with_links(document: &mut Value, public_url: &str) {
    link_resource(&mut document["data"], public_url);
    if let Some(included) = document.get_mut("included").and_then(Value::as_array_mut) {
        for resource in included {
            link_resource(resource, public_url);
        }
    }
}

fn link_resource(resource: &mut Value, public_url: &str) {
    let (Some(kind), Some(id)) = (resource["type"].as_str(), resource["id"].as_str()) else {
        return;
    };
    let own = format!("{public_url}/api/{kind}/{id}");
    if let Some(relationships) = resource
        .get_mut("relationships")
        .and_then(Value::as_object_mut)
    {
        for (name, relationship) in relationships.iter_mut() {
            relationship["links"] = json!({
                "self": format!("{own}/relationships/{name}"),
                "related": format!("{own}/{name}"),
            });
        }
    }
    if let Some(object) = resource.as_object_mut() {
        object.insert("links".to_owned(), json!({ "self": own }));
    }
}
