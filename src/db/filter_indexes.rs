//! Whether the optional trigram indexes of the list filters exist (see the module
//! documentation of [`crate::db`]): the migration skips them without `pg_trgm`, with a
//! notice nobody reads, so the start-up says it in the log.

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;

use super::{Conn, Db, DbError};

/// The indexes the `filter_indexes` migration creates only when `pg_trgm` is available.
pub const TRIGRAM_INDEXES: [&str; 2] = [
    "customers_email_trgm",
    "customer_password_resets_customer_email_trgm",
];

#[derive(QueryableByName)]
struct IndexName {
    #[diesel(sql_type = Text)]
    indexname: String,
}

impl Db {
    /// The trigram indexes missing from the database: none on SQLite, which has no such
    /// indexes to miss; on PostgreSQL, those the migration could not create. Without them
    /// the `...Cont` filters still answer right, by reading every row of the mode.
    pub async fn missing_trigram_indexes(&self) -> Result<Vec<&'static str>, DbError> {
        let Conn::Pg(conn) = &mut self.conn().await? else {
            return Ok(Vec::new());
        };
        let present: Vec<IndexName> = diesel::sql_query(
            "SELECT indexname::text AS indexname FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname LIKE '%\\_trgm'",
        )
        .load(&mut &**conn)
        .await?;
        Ok(TRIGRAM_INDEXES
            .into_iter()
            .filter(|name| !present.iter().any(|p| p.indexname == *name))
            .collect())
    }
}
