//! Relay connections over the domain's pages: `first`/`after` in, edges and `pageInfo` out.
//!
//! Cursors are opaque to clients; today they carry the position in the sorted list.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;
use crate::listing::{DEFAULT_PAGE_SIZE, FieldProblem, MAX_PAGE_SIZE, Page, PageWindow};

/// Extra fields on every connection.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct ConnectionTotals {
    /// How many records match the filter, across all pages.
    pub total_count: i64,
}

/// A Relay connection of `N` with a total count.
pub type ListConnection<N> = Connection<String, N, ConnectionTotals>;

fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("position:{position}"))
}

fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let position: i64 = text.strip_prefix("position:")?.parse().ok()?;
    (position >= 0).then_some(position)
}

/// The window that `first` and `after` ask for; `pointer_base` prefixes the pointers of
/// the errors (empty for root fields).
pub fn window(
    first: Option<i32>,
    after: Option<&str>,
    pointer_base: &str,
) -> Result<PageWindow, ApiError> {
    let limit = i64::from(first.unwrap_or(DEFAULT_PAGE_SIZE as i32));
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::Invalid(FieldProblem::new(
            format!("{pointer_base}/first"),
            "out_of_range",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        )));
    }
    let offset = match after {
        None => 0,
        Some(cursor) => {
            decode_cursor(cursor).ok_or_else(|| {
                ApiError::Invalid(FieldProblem::new(
                    format!("{pointer_base}/after"),
                    "invalid",
                    "is not a cursor from this list",
                ))
            })? + 1
        }
    };
    Ok(PageWindow { offset, limit })
}

/// The connection for one page of records mapped to their GraphQL type.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    total: Option<i64>,
    node: impl Fn(T) -> N,
) -> ListConnection<N> {
    let has_previous = page.offset > 0;
    let mut connection = Connection::with_additional_fields(
        has_previous,
        page.has_next,
        ConnectionTotals {
            total_count: total.unwrap_or_default(),
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Edge::new(encode_cursor(page.offset + i as i64), node(item))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_position() {
        assert_eq!(decode_cursor(&encode_cursor(41)), Some(41));
        assert_eq!(decode_cursor("not-a-cursor"), None);
    }
}
