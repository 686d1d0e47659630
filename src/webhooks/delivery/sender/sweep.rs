//! The sender's periodic sweep: what no attempt would do by itself.

use chrono::NaiveDateTime;

use super::Context;
use crate::clock;
use crate::db::DbError;
use crate::webhooks::outbox::queries::{self, TokenScope};

/// Erases tokens that can no longer be redeemed, prunes what retention lets go, and
/// measures the outbox.
pub(super) async fn sweep(context: &Context, now: NaiveDateTime) {
    let done: Result<(), DbError> = async {
        let mut conn = context.db.conn().await?;
        queries::forget_tokens(&mut conn, TokenScope::All, now).await?;
        queries::prune(&mut conn, clock::before(now, context.settings.retention)).await?;
        let depth = queries::depth(&mut conn).await?;
        let (pending, oldest, open) = (depth.pending, depth.oldest, depth.open_circuits);
        context.metrics.outbox(pending, oldest, open, now);
        Ok(())
    }
    .await;
    if let Err(error) = done {
        tracing::warn!(%error, "webhook outbox sweep failed; will retry");
    }
}
