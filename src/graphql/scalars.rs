//! The schema's own scalars and the small types every resource shares.

use async_graphql::{
    Enum, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};
use chrono::{NaiveDateTime, SecondsFormat};

use crate::auth;

/// A point in time: RFC 3339, UTC, written with `Z` (e.g. `2026-11-23T14:05:00.000000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<chrono::Utc>);

impl From<NaiveDateTime> for DateTime {
    fn from(t: NaiveDateTime) -> Self {
        DateTime(t.and_utc())
    }
}

impl DateTime {
    /// The time as the database keeps it (UTC, microseconds).
    pub fn naive(self) -> NaiveDateTime {
        crate::db::truncate_to_micros(self.0.naive_utc())
    }
}

/// An RFC 3339 date and time in UTC, written with `Z`, e.g. `2026-11-23T14:05:00.000000Z`.
/// Input may use any offset; it is converted to UTC.
#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| DateTime(t.to_utc()))
            .map_err(|_| InputValueError::custom("expected an RFC 3339 date and time"))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

/// A JSON object of key-value pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Json(pub serde_json::Map<String, serde_json::Value>);

/// A JSON object of key-value pairs (for `metadata`). Other JSON values are refused.
#[Scalar(name = "JSON")]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value.into_json() {
            Ok(serde_json::Value::Object(map)) => Ok(Json(map)),
            _ => Err(InputValueError::custom("expected a JSON object")),
        }
    }

    fn to_value(&self) -> Value {
        Value::from_json(serde_json::Value::Object(self.0.clone())).unwrap_or(Value::Null)
    }
}

/// The environment a record belongs to.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Test data.
    Test,
    /// Live data.
    Live,
}

impl Mode {
    /// The GraphQL value of a stored mode name.
    pub fn from_stored(mode: &str) -> Mode {
        match auth::Mode::parse(mode) {
            Some(auth::Mode::Live) => Mode::Live,
            _ => Mode::Test,
        }
    }
}

/// Facts about a record that are not its attributes.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(serial)]
pub struct ResourceMeta {
    /// The environment the record belongs to (`TEST` or `LIVE`).
    pub mode: Mode,
}

/// Sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    /// Smallest first.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

impl From<SortDirection> for crate::listing::Direction {
    fn from(d: SortDirection) -> Self {
        match d {
            SortDirection::Asc => crate::listing::Direction::Asc,
            SortDirection::Desc => crate::listing::Direction::Desc,
        }
    }
}
