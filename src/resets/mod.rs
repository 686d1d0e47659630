//! Customer password resets (the seed's three steps): an integration creates one for an
//! email and gets a token once; a storefront redeems it with a new password; tokens expire
//! after six hours, work once, and die after five wrong guesses.

mod document;
pub mod queries;
mod redemption;
mod rules;

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use redemption::{Redemption, RedemptionInputs, check, redeem};
pub use rules::{
    CreatedReset, CreationRules, ListExtras, ListedReset, NewResetInput, ResetChanges, create,
    delete, find, list, update,
};

use crate::auth::password::HashError;
use crate::db::DbError;
use crate::db::schema::customer_password_resets;
use crate::listing::{Direction, FieldProblem, Keyset, SortKind, SortValue};
use crate::pending_resets::MAX_FAILED_ATTEMPTS;

/// A stored reset (never its token, of which only a digest is kept).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = customer_password_resets)]
pub struct PasswordReset {
    /// Opaque random id.
    pub id: String,
    /// `test` or `live`.
    pub mode: String,
    /// The customer whose password it resets.
    pub customer_id: String,
    /// The email it was created for.
    pub customer_email: String,
    /// When the token stops working.
    pub expires_at: NaiveDateTime,
    /// When the password was reset with it.
    pub reset_password_at: Option<NaiveDateTime>,
    /// Wrong tokens tried so far.
    pub failed_attempts: i32,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// Key-value pairs, as JSON text.
    pub metadata: String,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change time.
    pub updated_at: NaiveDateTime,
}

/// Where a reset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetStatus {
    /// Its token can still be redeemed.
    Pending,
    /// The password was reset with it.
    Used,
    /// Its token expired, was superseded, or was guessed at too often.
    Expired,
}

impl PasswordReset {
    /// The status at time `now`.
    pub fn status(&self, now: NaiveDateTime) -> ResetStatus {
        if self.reset_password_at.is_some() {
            ResetStatus::Used
        } else if self.expires_at <= now || self.failed_attempts >= MAX_FAILED_ATTEMPTS {
            ResetStatus::Expired
        } else {
            ResetStatus::Pending
        }
    }

    /// The metadata as a JSON object.
    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.metadata).unwrap_or_default()
    }
}

/// What resets can be filtered on (Commerce Layer's predicate names).
#[derive(Debug, Clone, Default)]
pub struct ResetFilter {
    /// Email equals (case-insensitive).
    pub customer_email_eq: Option<String>,
    /// Email contains (case-insensitive).
    pub customer_email_cont: Option<String>,
    /// Customer id equals.
    pub customer_id_eq: Option<String>,
    /// The reset whose token this is (matched by digest).
    pub reset_password_token_eq: Option<String>,
    /// True: not used yet; false: used.
    pub reset_password_at_null: Option<bool>,
    /// Created after.
    pub created_at_gt: Option<NaiveDateTime>,
    /// Created at or after.
    pub created_at_gteq: Option<NaiveDateTime>,
    /// Created before.
    pub created_at_lt: Option<NaiveDateTime>,
    /// Created at or before.
    pub created_at_lteq: Option<NaiveDateTime>,
    /// Reference equals.
    pub reference_eq: Option<String>,
    /// Metadata contains this JSON object.
    pub metadata_jcont: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What resets can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetSortField {
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
}

/// A sort order for reset lists; ties are broken by id.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResetSort {
    /// The field.
    pub field: ResetSortField,
    /// The direction.
    pub direction: Direction,
}

impl ResetSort {
    /// The list and sort a cursor of this order belongs to: a cursor is valid only here.
    pub fn scope(&self) -> String {
        crate::listing::scope("customer_password_resets", &self.field, self.direction)
    }

    /// The kind of value the sort field holds.
    pub fn kind(&self) -> SortKind {
        queries::sort_kind(self.field)
    }

    /// Where `record` stands in this order.
    pub fn key(&self, record: &PasswordReset) -> Keyset {
        let value = match self.field {
            ResetSortField::Id => SortValue::Id,
            ResetSortField::CreatedAt => SortValue::Time(record.created_at),
            ResetSortField::UpdatedAt => SortValue::Time(record.updated_at),
            ResetSortField::Reference => SortValue::Text(record.reference.clone()),
            ResetSortField::ReferenceOrigin => SortValue::Text(record.reference_origin.clone()),
        };
        Keyset {
            value,
            id: record.id.clone(),
        }
    }
}

/// Why a reset operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// No such reset in the caller's mode.
    #[error("password reset not found")]
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
    /// Unknown reset, or a wrong, used or expired token: deliberately one answer, at the
    /// pointer of the input that gave the token.
    #[error("the reset token is invalid or expired")]
    TokenRefused {
        /// Where the token was given (`/input/resetPasswordToken`, `/token`).
        pointer: &'static str,
    },
    /// The customer was sent as many resets as their budget allows for now.
    #[error("too many resets for this customer; retry in {retry_after} s")]
    TooManyCreations {
        /// Seconds until the budget's window ends.
        retry_after: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl From<crate::integrator_fields::WriteRefused> for ResetError {
    fn from(refused: crate::integrator_fields::WriteRefused) -> Self {
        use crate::integrator_fields::WriteRefused;
        match refused {
            WriteRefused::Forbidden(problem) => ResetError::ForbiddenField(problem),
            WriteRefused::Invalid(problem) => ResetError::Invalid(problem),
        }
    }
}
