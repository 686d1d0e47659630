//! Webhook and event callback queries, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{
    EventCallback, LAST_EVENT_CALLBACKS, Webhook, WebhookFilter, WebhookSort, WebhookSortField,
};
use crate::auth::Mode;
use crate::db::schema::{event_callbacks, webhooks};
use crate::db::{CachedSqlExt, Conn, DbError};
use crate::db_run;
use crate::listing::{PageWindow, SortKind};

/// A webhook row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = webhooks)]
pub struct NewWebhook {
    /// Opaque random id.
    pub id: String,
    /// `test` or `live`.
    pub mode: String,
    /// A name for people.
    pub name: String,
    /// The topic.
    pub topic: String,
    /// Where events go.
    pub callback_url: String,
    /// JSON array of included resources.
    pub include_resources: String,
    /// The secret that signs deliveries.
    pub shared_secret: String,
    /// `closed`.
    pub circuit_state: String,
    /// The integrator's identifier.
    pub reference: Option<String>,
    /// Where the reference comes from.
    pub reference_origin: Option<String>,
    /// JSON text of an object.
    pub metadata: String,
    /// Creation time.
    pub created_at: NaiveDateTime,
    /// Last change time.
    pub updated_at: NaiveDateTime,
}

/// Changes to a webhook (`None`: leave as is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhooks)]
pub struct WebhookUpdate {
    /// New name.
    pub name: Option<String>,
    /// New topic.
    pub topic: Option<String>,
    /// New callback URL.
    pub callback_url: Option<String>,
    /// New included resources, as a JSON array.
    pub include_resources: Option<String>,
    /// `Some(Some(t))` disables, `Some(None)` enables.
    pub disabled_at: Option<Option<NaiveDateTime>>,
    /// New circuit state.
    pub circuit_state: Option<String>,
    /// New count of failures in a row.
    pub circuit_failure_count: Option<i32>,
    /// New reference (`Some(None)` clears it).
    pub reference: Option<Option<String>>,
    /// New reference origin (`Some(None)` clears it).
    pub reference_origin: Option<Option<String>>,
    /// New metadata as JSON text.
    pub metadata: Option<String>,
    /// The change time.
    pub updated_at: Option<NaiveDateTime>,
}

/// A new shared secret, the current one kept as the previous one until `previous_until`.
#[derive(Debug)]
pub struct Rotation {
    /// The new secret.
    pub secret: String,
    /// When the previous one stops signing.
    pub previous_until: NaiveDateTime,
}

macro_rules! filtered {
    ($mode:expr, $filter:expr) => {{
        let filter: &WebhookFilter = $filter;
        let mut query = webhooks::table
            .filter(webhooks::mode.eq($mode.as_str()))
            .into_boxed();
        if let Some(topic) = &filter.topic_eq {
            query = query.filter(webhooks::topic.eq(topic));
        }
        if let Some(name) = &filter.name_eq {
            query = query.filter(webhooks::name.eq(name));
        }
        if let Some(state) = filter.circuit_state_eq {
            query = query.filter(webhooks::circuit_state.eq(state.as_str()));
        }
        query = match filter.disabled_at_null {
            Some(true) => query.filter(webhooks::disabled_at.is_null()),
            Some(false) => query.filter(webhooks::disabled_at.is_not_null()),
            None => query,
        };
        query
    }};
}

/// The webhooks' sort fields, each with the column it orders by and that column's kind:
/// the one place a webhook list's order is stated, handed to `crate::db::keyset::list`'s
/// `$list` macro after its arguments.
macro_rules! sort_columns {
    ($list:ident!($($args:tt)*)) => {
        crate::$list!($($args)*; WebhookSortField, webhooks::id, {
            Id => Id,
            CreatedAt => Time(webhooks::created_at),
            UpdatedAt => Time(webhooks::updated_at),
            Name => Text(webhooks::name),
            Reference => NullableText(webhooks::reference),
            ReferenceOrigin => NullableText(webhooks::reference_origin),
        })
    };
}

/// The kind of value a sort field holds, as `sort_columns!` states it.
pub(super) fn sort_kind(field: WebhookSortField) -> SortKind {
    sort_columns!(keyset_kind!(field))
}

/// Inserts a webhook and returns it as stored.
pub async fn insert(conn: &mut Conn, webhook: &NewWebhook) -> Result<Webhook, DbError> {
    Ok(db_run!(conn, |c| {
        diesel::insert_into(webhooks::table)
            .values(webhook)
            .returning(Webhook::as_returning())
            .get_result(c)
            .await
    })?)
}

/// One webhook of this mode.
pub async fn find(conn: &mut Conn, mode: Mode, id: &str) -> Result<Option<Webhook>, DbError> {
    Ok(db_run!(conn, |c| {
        webhooks::table
            .find(id)
            .filter(webhooks::mode.eq(mode.as_str()))
            .select(Webhook::as_select())
            .limit(1)
            .cached_sql()
            .get_result(c)
            .await
            .optional()
    })?)
}

/// A page of webhooks: one statement, and a second when a nullable sort's page runs past
/// the part of the order its cursor stands in (see `crate::db::keyset`).
pub async fn list(
    conn: &mut Conn,
    mode: Mode,
    filter: &WebhookFilter,
    sort: WebhookSort,
    window: PageWindow,
) -> Result<Vec<Webhook>, DbError> {
    Ok(sort_columns!(keyset_page!(
        conn,
        filtered!(mode, filter),
        Webhook::as_select(),
        sort,
        &window
    )))
}

/// How many webhooks match.
pub async fn count(conn: &mut Conn, mode: Mode, filter: &WebhookFilter) -> Result<i64, DbError> {
    Ok(db_run!(conn, |c| {
        filtered!(mode, filter).count().get_result(c).await
    })?)
}

/// Applies `changes`, and `rotation` when given, in one statement (the previous secret is
/// the one the row held, whatever a concurrent rotation did); None when there is no such
/// webhook in this mode.
pub async fn update(
    conn: &mut Conn,
    mode: Mode,
    id: &str,
    changes: &WebhookUpdate,
    rotation: Option<&Rotation>,
) -> Result<Option<Webhook>, DbError> {
    let rotation = rotation.map(|r| {
        (
            webhooks::previous_shared_secret.eq(webhooks::shared_secret.nullable()),
            webhooks::previous_secret_expires_at.eq(Some(r.previous_until)),
            webhooks::shared_secret.eq(r.secret.as_str()),
        )
    });
    Ok(db_run!(conn, |c| {
        diesel::update(
            webhooks::table
                .find(id)
                .filter(webhooks::mode.eq(mode.as_str())),
        )
        .set((changes, rotation))
        .returning(Webhook::as_returning())
        .get_result(c)
        .await
        .optional()
    })?)
}

/// Deletes a webhook of this mode (its event callbacks go with it). False when there was
/// none.
pub async fn delete(conn: &mut Conn, mode: Mode, id: &str) -> Result<bool, DbError> {
    let deleted = db_run!(conn, |c| {
        diesel::delete(
            webhooks::table
                .find(id)
                .filter(webhooks::mode.eq(mode.as_str())),
        )
        .execute(c)
        .await
    })?;
    Ok(deleted == 1)
}

/// The last [`LAST_EVENT_CALLBACKS`] callbacks of each of these webhooks, newest first.
/// One bounded query per webhook (an index range each) rather than one query that reads
/// every callback of every webhook: a busy webhook keeps thousands.
pub async fn last_callbacks(
    conn: &mut Conn,
    webhook_ids: &[String],
) -> Result<Vec<EventCallback>, DbError> {
    let mut found = Vec::new();
    for id in webhook_ids {
        let rows: Vec<EventCallback> = db_run!(conn, |c| {
            event_callbacks::table
                .filter(event_callbacks::webhook_id.eq(id))
                .order_by((
                    event_callbacks::created_at.desc(),
                    event_callbacks::id.desc(),
                ))
                .limit(LAST_EVENT_CALLBACKS)
                .select(EventCallback::as_select())
                .cached_sql()
                .load(c)
                .await
        })?;
        found.extend(rows);
    }
    Ok(found)
}
