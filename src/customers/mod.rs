//! Customers: the people whose passwords are reset. The model, its queries, and the rules
//! for who may create, read, change and delete them.

pub mod document;
mod email;
pub mod queries;
mod rules;

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use email::{Email, EmailProblem};
pub use rules::{CustomerChanges, NewCustomerInput, create, delete, find_visible, list, update};

use crate::auth::password::HashError;
use crate::db::DbError;
use crate::db::schema::customers;
use crate::listing::{Direction, FieldProblem, Keyset, SortKind, SortValue};

/// A customer as clients see it (the password hash is never loaded with it).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
pub struct Customer {
    /// Opaque random id.
    pub id: String,
    /// `test` or `live`.
    pub mode: String,
    /// Normalised email address.
    pub email: String,
    /// True once the customer has a password (a guest has none).
    #[diesel(select_expression = customers::password_hash.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<customers::password_hash>)]
    pub has_password: bool,
    /// The integrator's own identifier.
    pub reference: Option<String>,
    /// Where `reference` comes from.
    pub reference_origin: Option<String>,
    /// Key-value pairs, as JSON text.
    pub metadata: String,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it was last changed (UTC).
    pub updated_at: NaiveDateTime,
}

impl Customer {
    /// The metadata as a JSON object (an empty one if the stored text were ever damaged).
    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.metadata).unwrap_or_default()
    }
}

/// What customers can be filtered on (Commerce Layer's predicate names).
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Email equals (case-insensitive).
    pub email_eq: Option<String>,
    /// Email contains (case-insensitive).
    pub email_cont: Option<String>,
    /// Email starts with (case-insensitive).
    pub email_start: Option<String>,
    /// Has a password, or is a guest.
    pub has_password_eq: Option<bool>,
    /// Reference equals.
    pub reference_eq: Option<String>,
}

/// What customers can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerSortField {
    /// Id.
    Id,
    /// Creation time (the default).
    #[default]
    CreatedAt,
    /// Last change time.
    UpdatedAt,
    /// Reference.
    Reference,
    /// Reference origin.
    ReferenceOrigin,
    /// Email.
    Email,
}

/// A sort order for customer lists; ties are broken by id.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerSort {
    /// The field.
    pub field: CustomerSortField,
    /// The direction.
    pub direction: Direction,
}

impl CustomerSort {
    /// The list and sort a cursor of this order belongs to: a cursor is valid only here.
    pub fn scope(&self) -> String {
        crate::listing::scope("customers", &self.field, self.direction)
    }

    /// The kind of value the sort field holds.
    pub fn kind(&self) -> SortKind {
        queries::sort_kind(self.field)
    }

    /// Where `record` stands in this order.
    pub fn key(&self, record: &Customer) -> Keyset {
        let value = match self.field {
            CustomerSortField::Id => SortValue::Id,
            CustomerSortField::CreatedAt => SortValue::Time(record.created_at),
            CustomerSortField::UpdatedAt => SortValue::Time(record.updated_at),
            CustomerSortField::Reference => SortValue::Text(record.reference.clone()),
            CustomerSortField::ReferenceOrigin => SortValue::Text(record.reference_origin.clone()),
            CustomerSortField::Email => SortValue::Text(Some(record.email.clone())),
        };
        Keyset {
            value,
            id: record.id.clone(),
        }
    }
}

/// Why a customer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    /// No such customer in the caller's mode (or not one the caller may see).
    #[error("customer not found")]
    NotFound,
    /// The caller may not do this.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    /// The caller may not write this field.
    #[error("not allowed to write {}", .0.pointer)]
    ForbiddenField(FieldProblem),
    /// An input value was refused.
    #[error("invalid input at {}: {}", .0.pointer, .0.key)]
    Invalid(FieldProblem),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl From<crate::integrator_fields::WriteRefused> for CustomerError {
    fn from(refused: crate::integrator_fields::WriteRefused) -> Self {
        use crate::integrator_fields::WriteRefused;
        match refused {
            WriteRefused::Forbidden(problem) => CustomerError::ForbiddenField(problem),
            WriteRefused::Invalid(problem) => CustomerError::Invalid(problem),
        }
    }
}
