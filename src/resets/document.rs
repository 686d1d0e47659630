//! A reset as webhook deliveries show it: its JSON:API document
//! ([`crate::webhooks::payload`]), and a reset, or a deleted one, as an event's subject.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::PasswordReset;
use crate::auth::Mode;
use crate::customers::Customer;
use crate::customers::document::{CUSTOMERS, customer_resource};
use crate::customers::queries as customer_queries;
use crate::db::{Conn, DbError};
use crate::webhooks::outbox::Subject;
use crate::webhooks::payload::{metadata, time};

/// The JSON:API type of resets.
pub const RESETS: &str = "customer_password_resets";

/// A reset's document, with its customer in `included` when given. The token is not in
/// it: see [`crate::webhooks::payload::with_token`].
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

/// A reset as the change left it, the subject of its create and redemption events.
pub struct ResetSubject<'a> {
    /// The reset.
    pub reset: &'a PasswordReset,
    /// Its token in clear, for `customer_password_resets.create`.
    pub token: Option<&'a str>,
}

impl Subject for ResetSubject<'_> {
    fn resource_id(&self) -> &str {
        &self.reset.id
    }

    fn document(&self) -> Value {
        reset_document(self.reset, None)
    }

    fn document_with_customer<'a>(
        &'a self,
        conn: &'a mut Conn,
        mode: Mode,
    ) -> BoxFuture<'a, Result<Option<Value>, DbError>> {
        async move {
            let customer = customer_queries::find(conn, mode, &self.reset.customer_id).await?;
            Ok(customer.map(|customer| reset_document(self.reset, Some(&customer))))
        }
        .boxed()
    }

    fn token(&self) -> Option<&str> {
        self.token
    }
}

/// A deleted reset, the subject of `customer_password_resets.destroy`.
pub struct DeletedReset<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its mode.
    pub mode: Mode,
}

impl Subject for DeletedReset<'_> {
    fn resource_id(&self) -> &str {
        self.id
    }

    fn document(&self) -> Value {
        deleted_reset_document(self.id, self.mode.as_str())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;
    use crate::webhooks::payload::{TOKEN_ATTRIBUTE, with_links, with_token};

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
