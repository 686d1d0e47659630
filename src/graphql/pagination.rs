//! Relay connections over the domain's pages: `first`/`after` in, edges and `pageInfo` out.
//!
//! Cursors are opaque to clients; today they carry the position in the sorted list.

use async_graphql::{ComplexObject, OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::customer::CustomerNode;
use super::error::ApiError;
use super::reset::ResetNode;
use super::webhook::WebhookNode;
use crate::listing::{DEFAULT_PAGE_SIZE, FieldProblem, MAX_PAGE_SIZE, Page, PageWindow};

type CustomerEdge = ListEdge<CustomerNode>;
type ResetEdge = ListEdge<ResetNode>;
type WebhookEdge = ListEdge<WebhookNode>;

/// A connection of `N` records.
pub type ListConnection<N> = Connection<ListEdge<N>>;

/// One page of a list, as a Relay connection: the records with their cursors, where the
/// page stands, and how many records match in all.
#[derive(SimpleObject)]
#[graphql(
    serial,
    concrete(name = "CustomerConnection", params(CustomerEdge)),
    concrete(name = "CustomerPasswordResetConnection", params(ResetEdge)),
    concrete(name = "WebhookConnection", params(WebhookEdge))
)]
pub struct Connection<E: OutputType> {
    /// The records of this page, each with its cursor.
    pub edges: Vec<E>,
    /// Where this page stands in the list.
    pub page_info: PageInfo,
    /// How many records match the filter, across all pages.
    pub total_count: i64,
}

/// A record and its cursor.
#[derive(SimpleObject)]
#[graphql(
    serial,
    complex,
    concrete(name = "CustomerEdge", params(CustomerNode)),
    concrete(name = "CustomerPasswordResetEdge", params(ResetNode)),
    concrete(name = "WebhookEdge", params(WebhookNode))
)]
pub struct ListEdge<N: OutputType> {
    /// The record's position in the sorted list: its cursor, encoded only when asked for.
    #[graphql(skip)]
    pub position: i64,
    /// The record.
    pub node: N,
}

#[ComplexObject]
impl<N: OutputType> ListEdge<N> {
    /// Pass it as `after` to read the records that follow this one.
    async fn cursor(&self) -> String {
        encode_cursor(self.position)
    }
}

/// Where a page stands in its list.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct PageInfo {
    /// True when records come before this page.
    pub has_previous_page: bool,
    /// True when records follow this page.
    pub has_next_page: bool,
    /// The cursor of the page's first record.
    pub start_cursor: Option<String>,
    /// The cursor of the page's last record: pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

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

/// The connection for one page of records mapped to their GraphQL type; `total` is
/// zero when the client did not ask for it.
pub fn connection<T, N>(
    page: Page<T>,
    total: Option<i64>,
    node: impl Fn(T) -> N,
) -> ListConnection<N>
where
    N: OutputType,
    ListEdge<N>: OutputType,
{
    let edges: Vec<ListEdge<N>> = page
        .items
        .into_iter()
        .enumerate()
        .map(|(i, item)| ListEdge {
            position: page.offset + i as i64,
            node: node(item),
        })
        .collect();
    Connection {
        page_info: PageInfo {
            has_previous_page: page.offset > 0,
            has_next_page: page.has_next,
            start_cursor: edges.first().map(|e| encode_cursor(e.position)),
            end_cursor: edges.last().map(|e| encode_cursor(e.position)),
        },
        edges,
        total_count: total.unwrap_or_default(),
    }
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
