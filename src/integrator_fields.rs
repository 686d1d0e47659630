//! The integrator's fields of customers and resets: `reference`, `referenceOrigin` and
//! `metadata`.
//!
//! They are where an integration keeps its own facts about a record (an ERP id, a CRM
//! tier, a credit limit) for its own systems to read and trust. So only integration
//! tokens write them: a storefront signing a customer up, or a customer editing
//! themself, could otherwise grant itself whatever those systems read from them. Their
//! sizes are capped so that no caller can grow a record without bound; a row stored
//! over a cap before the cap existed is left as it is until that field is written.

use crate::auth::Role;
use crate::listing::FieldProblem;

/// Longest `reference` and `referenceOrigin`, in characters.
pub const MAX_REFERENCE_CHARS: usize = 255;

/// Largest `metadata`, in bytes of its JSON text.
pub const MAX_METADATA_BYTES: usize = 16 * 1024;

/// What an input writes to the integrator's fields: `None` leaves a field alone,
/// `Some(None)` clears it.
#[derive(Debug, Default, Clone, Copy)]
pub struct IntegratorWrites<'a> {
    /// The new `reference`.
    pub reference: Option<Option<&'a str>>,
    /// The new `referenceOrigin`.
    pub reference_origin: Option<Option<&'a str>>,
    /// The new `metadata`, as the JSON text that would be stored.
    pub metadata: Option<&'a str>,
}

/// Why a write to the integrator's fields was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteRefused {
    /// The caller is not an integration; the problem names the first field written.
    Forbidden(FieldProblem),
    /// A value is over its cap.
    Invalid(FieldProblem),
}

/// `metadata` as the JSON text both databases store.
pub fn metadata_text(metadata: &serde_json::Map<String, serde_json::Value>) -> String {
    // A map of JSON values always serialises.
    serde_json::to_string(metadata).unwrap_or_else(|_| "{}".to_owned())
}

impl<'a> IntegratorWrites<'a> {
    /// The writes of a new record: each field given is set (a new record has nothing to
    /// clear).
    pub fn of_new(
        reference: Option<&'a str>,
        reference_origin: Option<&'a str>,
        metadata: Option<&'a str>,
    ) -> Self {
        IntegratorWrites {
            reference: reference.map(Some),
            reference_origin: reference_origin.map(Some),
            metadata,
        }
    }
    /// Checks that `role` may make these writes, and that each value is within its cap.
    pub fn check(&self, role: Role) -> Result<(), WriteRefused> {
        let written = [
            ("reference", self.reference.is_some()),
            ("referenceOrigin", self.reference_origin.is_some()),
            ("metadata", self.metadata.is_some()),
        ];
        if role != Role::Integration {
            if let Some((field, _)) = written.iter().find(|(_, written)| *written) {
                return Err(WriteRefused::Forbidden(FieldProblem::new(
                    format!("/input/{field}"),
                    "forbidden",
                    format!("only integrations may set or clear `{field}`"),
                )));
            }
            return Ok(());
        }
        let too_long = |field: &str, limit: String| {
            WriteRefused::Invalid(FieldProblem::new(
                format!("/input/{field}"),
                "too_long",
                format!("is too long (at most {limit})"),
            ))
        };
        for (field, value) in [
            ("reference", self.reference),
            ("referenceOrigin", self.reference_origin),
        ] {
            if value
                .flatten()
                .is_some_and(|v| v.chars().count() > MAX_REFERENCE_CHARS)
            {
                return Err(too_long(field, format!("{MAX_REFERENCE_CHARS} characters")));
            }
        }
        if self.metadata.is_some_and(|m| m.len() > MAX_METADATA_BYTES) {
            return Err(too_long(
                "metadata",
                format!("{MAX_METADATA_BYTES} bytes as JSON"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_integrations_write_and_the_first_field_written_is_named() {
        let writes = IntegratorWrites {
            reference_origin: Some(None),
            metadata: Some("{}"),
            ..Default::default()
        };
        assert_eq!(writes.check(Role::Integration), Ok(()));
        for role in [Role::SalesChannel, Role::Customer] {
            let Err(WriteRefused::Forbidden(problem)) = writes.check(role) else {
                panic!("refused");
            };
            assert_eq!(problem.pointer, "/input/referenceOrigin");
        }
        assert_eq!(IntegratorWrites::default().check(Role::Customer), Ok(()));
    }

    #[test]
    fn caps_count_characters_for_references_and_bytes_for_metadata() {
        let at_cap = "é".repeat(MAX_REFERENCE_CHARS);
        let over = "e".repeat(MAX_REFERENCE_CHARS + 1);
        let ok = IntegratorWrites {
            reference: Some(Some(&at_cap)),
            ..Default::default()
        };
        assert_eq!(ok.check(Role::Integration), Ok(()));
        let long = IntegratorWrites {
            reference_origin: Some(Some(&over)),
            ..Default::default()
        };
        assert!(matches!(
            long.check(Role::Integration),
            Err(WriteRefused::Invalid(p)) if p.pointer == "/input/referenceOrigin" && p.key == "too_long"
        ));
        let metadata = "x".repeat(MAX_METADATA_BYTES + 1);
        let big = IntegratorWrites {
            metadata: Some(&metadata),
            ..Default::default()
        };
        assert!(matches!(
            big.check(Role::Integration),
            Err(WriteRefused::Invalid(p)) if p.pointer == "/input/metadata"
        ));
    }
}
