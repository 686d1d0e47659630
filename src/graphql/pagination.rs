//! Relay connections over the domain's pages: `first`/`after` in, edges and `pageInfo` out.
//!
//! Cursors are opaque to clients; they carry the sort key of their record (see
//! `crate::cursor`), so the next page is read by keyset, never by offset.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, OutputType, SimpleObject};

use super::customer::CustomerNode;
use super::error::ApiError;
use super::guards::state;
use super::reset::ResetNode;
use super::webhook::WebhookNode;
use crate::cursor::CursorKey;
use crate::listing::{
    DEFAULT_PAGE_SIZE, FieldProblem, Keyset, MAX_PAGE_SIZE, Page, PageWindow, SortKind,
};

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
    /// The record's sort key: its cursor, encoded only when asked for.
    #[graphql(skip)]
    pub key: Keyset,
    /// The list and order the key belongs to.
    #[graphql(skip)]
    pub scope: Arc<str>,
    /// The record.
    pub node: N,
}

#[ComplexObject]
impl<N: OutputType> ListEdge<N> {
    /// Pass it as `after` to read the records that follow this one.
    async fn cursor(&self, ctx: &Context<'_>) -> String {
        state(ctx)
            .signer
            .cursor_key()
            .encode(&self.scope, &self.key)
    }
}

/// Where a page stands in its list.
#[derive(SimpleObject)]
#[graphql(serial, complex)]
pub struct PageInfo {
    /// True when records come before this page.
    pub has_previous_page: bool,
    /// True when records follow this page.
    pub has_next_page: bool,
    /// The key of the page's first record: its cursor, encoded only when asked for.
    #[graphql(skip)]
    pub start: Option<Keyset>,
    /// The key of the page's last record.
    #[graphql(skip)]
    pub end: Option<Keyset>,
    /// The list and order the keys belong to.
    #[graphql(skip)]
    pub scope: Arc<str>,
}

#[ComplexObject]
impl PageInfo {
    /// The cursor of the page's first record.
    async fn start_cursor(&self, ctx: &Context<'_>) -> Option<String> {
        let cursors = state(ctx).signer.cursor_key();
        self.start
            .as_ref()
            .map(|key| cursors.encode(&self.scope, key))
    }

    /// The cursor of the page's last record: pass it as `after` for the next page.
    async fn end_cursor(&self, ctx: &Context<'_>) -> Option<String> {
        let cursors = state(ctx).signer.cursor_key();
        self.end
            .as_ref()
            .map(|key| cursors.encode(&self.scope, key))
    }
}

/// The window that `first` and `after` ask for in the list and order `scope`, whose sort
/// field holds values of `kind`; `pointer_base` prefixes the pointers of the errors
/// (empty for root fields). A cursor this service did not make for `scope` (another list
/// or order, an edited one, an offset cursor of earlier releases) is refused.
pub fn window(
    cursors: &CursorKey,
    first: Option<i32>,
    after: Option<&str>,
    pointer_base: &str,
    scope: &str,
    kind: SortKind,
) -> Result<PageWindow, ApiError> {
    let limit = i64::from(first.unwrap_or(DEFAULT_PAGE_SIZE as i32));
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(ApiError::Invalid(FieldProblem::new(
            format!("{pointer_base}/first"),
            "out_of_range",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        )));
    }
    let after = match after {
        None => None,
        Some(cursor) => Some(cursors.decode(cursor, scope, kind).ok_or_else(|| {
            ApiError::Invalid(FieldProblem::new(
                format!("{pointer_base}/after"),
                "invalid",
                "is not a cursor from this list and sort order",
            ))
        })?),
    };
    Ok(PageWindow { after, limit })
}

/// The connection for one page of records mapped to their GraphQL type, each keyed by
/// `key` in the order `scope`; `total` is zero when the client did not ask for it.
pub fn connection<T, N>(
    scope: Arc<str>,
    page: Page<T>,
    total: Option<i64>,
    key: impl Fn(&T) -> Keyset,
    node: impl Fn(T) -> N,
) -> ListConnection<N>
where
    N: OutputType,
    ListEdge<N>: OutputType,
{
    let edges: Vec<ListEdge<N>> = page
        .items
        .into_iter()
        .map(|item| ListEdge {
            key: key(&item),
            scope: scope.clone(),
            node: node(item),
        })
        .collect();
    Connection {
        page_info: PageInfo {
            has_previous_page: page.has_previous,
            has_next_page: page.has_next,
            start: edges.first().map(|e| e.key.clone()),
            end: edges.last().map(|e| e.key.clone()),
            scope,
        },
        edges,
        total_count: total.unwrap_or_default(),
    }
}
