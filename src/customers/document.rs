//! A customer as webhook deliveries show it: its JSON:API document
//! ([`crate::webhooks::payload`]), and the customer as an event's subject.

use serde_json::{Value, json};

use super::Customer;
use crate::webhooks::outbox::Subject;
use crate::webhooks::payload::{metadata, time};

/// The JSON:API type of customers.
pub const CUSTOMERS: &str = "customers";

/// A customer's resource object: a document's `data`, or an entry of a reset's
/// `included`.
pub fn customer_resource(customer: &Customer) -> Value {
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

/// A customer's events (`customers.create`, `customers.create_password`) carry its
/// document.
impl Subject for Customer {
    fn resource_id(&self) -> &str {
        &self.id
    }

    fn document(&self) -> Value {
        json!({ "data": customer_resource(self) })
    }
}
