//! The `settings` table: values every instance on one database must share, such as a key
//! generated when none is configured.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::settings;
use super::{Conn, DbError};
use crate::db_run;

/// The value stored under `name`, storing `candidate` first when there is none. Instances
/// starting together agree: the first insert wins and every one reads it back.
pub async fn stored_or_insert(
    conn: &mut Conn,
    name: &str,
    candidate: &str,
) -> Result<String, DbError> {
    db_run!(conn, |c| {
        diesel::insert_into(settings::table)
            .values((settings::name.eq(name), settings::value.eq(candidate)))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        settings::table
            .find(name)
            .select(settings::value)
            .first::<String>(c)
            .await
    })
    .map_err(Into::into)
}
