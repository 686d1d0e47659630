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

use chrono::{NaiveDateTime, SecondsFormat};
use serde_json::{Map, Value, json};

use crate::customers::Customer;
use crate::resets::PasswordReset;

/// The JSON:API type of resets.
pub const RESETS: &str = "customer_password_resets";
/// The JSON:API type of customers.
pub const CUSTOMERS: &str = "customers";

/// The attribute that carries a create event's token.
pub const TOKEN_ATTRIBUTE: &str = "reset_password_token";

fn time(at: NaiveDateTime) -> Value {
    Value::String(at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true))
}

fn metadata(text: &str) -> Value {
    Value::Object(serde_json::from_str::<Map<String, Value>>(text).unwrap_or_default())
}

fn customer_resource(customer: &Customer) -> Value {
    json!({
        "id": customer.id,
        "type": CUSTOMERS,
        "attributes": {
            "email": customer.email,
            "has_password": customer.has_password,
            "reference": customer.reference,
            "reference_origin": customer.reference_origin,
            "metadata": metadata(&customer.metadata),
            "created_at": time(customer.created_at),
            "updated_at": time(customer.updated_at),
        },
        "relationships": {},
        "meta": { "mode": customer.mode },
    })
}

/// A customer's document.
pub fn customer_document(customer: &Customer) -> Value {
    json!({ "data": customer_resource(customer) })
}

/// A reset's document, with its customer in `included` when given. The token is not in
/// it: see [`with_token`].
pub fn reset_document(reset: &PasswordReset, customer: Option<&Customer>) -> Value {
    let data = json!({
        "id": reset.id,
        "type": RESETS,
        "attributes": {
            "customer_email": reset.customer_email,
            "reset_password_at": reset.reset_password_at.map(time),
            "reference": reset.reference,
            "reference_origin": reset.reference_origin,
            "metadata": metadata(&reset.metadata),
            "created_at": time(reset.created_at),
            "updated_at": time(reset.updated_at),
        },
        "relationships": {
            "customer": { "data": { "type": CUSTOMERS, "id": reset.customer_id } },
        },
        "meta": { "mode": reset.mode },
    });
    match customer {
        Some(customer) => json!({ "data": data, "included": [customer_resource(customer)] }),
        None => json!({ "data": data }),
    }
}

/// A deleted reset's document: its id only.
pub fn deleted_reset_document(id: &str, mode: &str) -> Value {
    json!({ "data": { "id": id, "type": RESETS, "meta": { "mode": mode } } })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn customer() -> Customer {
        Customer {
            id: "cus1".into(),
            mode: "test".into(),
            email: "ada@example.com".into(),
            has_password: false,
            reference: None,
            reference_origin: None,
            metadata: r#"{"tier":"gold"}"#.into(),
            created_at: at("2026-12-06 10:00:00"),
            updated_at: at("2026-12-06 10:00:00"),
        }
    }

    fn reset() -> PasswordReset {
        PasswordReset {
            id: "res1".into(),
            mode: "test".into(),
            customer_id: "cus1".into(),
            customer_email: "ada@example.com".into(),
            expires_at: at("2026-12-06 16:00:00"),
            reset_password_at: None,
            failed_attempts: 0,
            reference: Some("r-1".into()),
            reference_origin: None,
            metadata: "{}".into(),
            created_at: at("2026-12-06 10:00:00"),
            updated_at: at("2026-12-06 10:00:00"),
        }
    }

    #[test]
    fn a_reset_document_is_commerce_layers_json_api_with_the_customer_included() {
        let mut document = reset_document(&reset(), Some(&customer()));
        with_token(&mut document, "tok");
        with_links(&mut document, "https://gw.example");
        let data = &document["data"];
        assert_eq!(data["type"], "customer_password_resets");
        assert_eq!(data["attributes"]["reset_password_token"], "tok");
        assert_eq!(data["attributes"]["customer_email"], "ada@example.com");
        assert_eq!(data["attributes"]["reset_password_at"], Value::Null);
        assert_eq!(
            data["attributes"]["created_at"],
            "2026-12-06T10:00:00.000000Z"
        );
        assert_eq!(data["meta"]["mode"], "test");
        assert_eq!(
            data["links"]["self"],
            "https://gw.example/api/customer_password_resets/res1"
        );
        let customer = &data["relationships"]["customer"];
        assert_eq!(customer["data"], json!({"type": "customers", "id": "cus1"}));
        assert_eq!(
            customer["links"]["related"],
            "https://gw.example/api/customer_password_resets/res1/customer"
        );
        let included = &document["included"][0];
        assert_eq!(included["attributes"]["metadata"]["tier"], "gold");
        assert_eq!(
            included["links"]["self"],
            "https://gw.example/api/customers/cus1"
        );
    }

    #[test]
    fn a_stored_document_holds_no_token_and_a_deleted_reset_only_its_id() {
        let document = reset_document(&reset(), None);
        assert!(
            document["data"]["attributes"]
                .get(TOKEN_ATTRIBUTE)
                .is_none()
        );
        assert!(document.get("included").is_none());
        let deleted = deleted_reset_document("res1", "live");
        assert_eq!(
            deleted,
            json!({"data": {"id": "res1", "type": "customer_password_resets", "meta": {"mode": "live"}}})
        );
    }
}
