//! Seeds a database for the benchmarks (`bench/run.sh`, `bench/scale.sh`), through the library's
//! own rows and queries.
//!
//! Proves nothing by itself: it makes the data the benchmark reads. `--customers` customers
//! (test mode, all sharing one precomputed argon2id hash, as computed by the service's
//! hasher) and `--resets` password resets spread evenly over them: most created over the
//! last 30 days and long expired, a fifth of those used, and the newest 5% created within
//! the last 5 hours, so still pending (a token lives 6 hours). Each reset has its own random
//! token digest. A quarter of the customers and of the resets have no `reference`, a third of
//! the resets no `reference_origin`, and the resets carry a small metadata object
//! (`{"channel": "web" | "app" | "support", "batch": 0..99}`), so that the nullable sorts and
//! the reference and metadata filters have both kinds of rows to read.
//!
//! Writes `customers.tsv` (id, email) and `resets.tsv` (id, customer id, status, token) to
//! `--out` for the load generator's request bodies.
//!
//! ```sh
//! cargo run --release --example seed -- --database-url postgres://postgres@127.0.0.1/rg_bench \
//!     --customers 1000 --resets 10000 --out /tmp/rg-bench/postgres
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;

use reset_gateway::auth::password::{Password, PasswordHasher, PasswordPolicy};
use reset_gateway::auth::secrets;
use reset_gateway::customers::queries::{self as customer_queries, NewCustomer};
use reset_gateway::db::schema::customer_password_resets as resets_table;
use reset_gateway::db::{Conn, DatabaseUrl, Db, PoolOptions, now, run_migrations};
use reset_gateway::resets::queries::{self as reset_queries, NewReset};

/// Rows written per transaction.
const BATCH: usize = 500;

/// Seeds a database for bench/run.sh: customers and password resets, and the TSV files the
/// load generator's bodies are made from.
#[derive(clap::Parser)]
struct Args {
    /// The database to seed (migrated first).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: DatabaseUrl,
    /// Customers to create (at least 1).
    #[arg(long, default_value_t = 1_000)]
    customers: usize,
    /// Password resets to create, spread over the customers.
    #[arg(long, default_value_t = 10_000)]
    resets: usize,
    /// Where `customers.tsv` and `resets.tsv` go.
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

/// A progress bar on stderr: `label [#####.....] done/total`.
struct Progress {
    label: &'static str,
    total: usize,
    started: Instant,
}

impl Progress {
    fn new(label: &'static str, total: usize) -> Progress {
        let progress = Progress {
            label,
            total,
            started: Instant::now(),
        };
        progress.show(0);
        progress
    }

    fn show(&self, done: usize) {
        let width = 40;
        let filled = (done * width).checked_div(self.total).unwrap_or(width);
        eprint!(
            "\r{:<9} [{}{}] {done:>6}/{} {:>5.1}s",
            self.label,
            "#".repeat(filled),
            ".".repeat(width - filled),
            self.total,
            self.started.elapsed().as_secs_f64()
        );
        if done == self.total {
            eprintln!();
        }
        let _ = std::io::stderr().flush();
    }
}

/// Inserts the customers, `BATCH` per transaction; returns (id, email) in creation order.
async fn seed_customers(
    conn: &mut Conn,
    count: usize,
    hash: &str,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<(String, String)>> {
    let progress = Progress::new("customers", count);
    let span = chrono::Duration::days(90);
    let mut made = Vec::with_capacity(count);
    for start in (0..count).step_by(BATCH) {
        let rows: Vec<NewCustomer> = (start..(start + BATCH).min(count))
            .map(|i| {
                let created_at = now - span + span * i as i32 / count as i32;
                NewCustomer {
                    id: secrets::random_id(10),
                    mode: "test".into(),
                    email: format!("bench-customer-{i:05}@example.com"),
                    password_hash: Some(hash.to_owned()),
                    reference: (i % 4 != 3).then(|| format!("crm-{i:05}")),
                    reference_origin: Some("bench".into()),
                    metadata: "{}".into(),
                    created_at,
                    updated_at: created_at,
                }
            })
            .collect();
        made.extend(rows.iter().map(|c| (c.id.clone(), c.email.clone())));
        conn.transaction(|conn| {
            async move {
                for row in &rows {
                    customer_queries::insert(conn, row).await?;
                }
                Ok::<_, anyhow::Error>(())
            }
            .boxed()
        })
        .await?;
        progress.show(made.len());
    }
    Ok(made)
}

/// What one seeded reset is: its row, its token, and when it was used, if it was.
struct SeedReset {
    row: NewReset,
    token: String,
    used_at: Option<NaiveDateTime>,
}

fn plan_resets(customers: &[(String, String)], count: usize, now: NaiveDateTime) -> Vec<SeedReset> {
    let recent = count / 20; // the newest 5%
    let old = count - recent;
    (0..count)
        .map(|j| {
            let (customer_id, email) = &customers[j % customers.len()];
            let created_at = if j < old {
                // Spread over 30 days, ending 7 hours ago: expired by now.
                now - chrono::Duration::days(30)
                    + (chrono::Duration::days(30) - chrono::Duration::hours(7)) * j as i32
                        / old.max(1) as i32
            } else {
                // Spread over the last 5 hours: still pending.
                now - chrono::Duration::hours(5)
                    + chrono::Duration::hours(5) * (j - old) as i32 / recent.max(1) as i32
            };
            let used_at =
                (j < old && j % 5 == 0).then(|| created_at + chrono::Duration::minutes(10));
            let token = secrets::random_secret();
            SeedReset {
                row: NewReset {
                    id: secrets::random_id(10),
                    mode: "test".into(),
                    customer_id: customer_id.clone(),
                    customer_email: email.clone(),
                    token_digest: secrets::digest(&token),
                    expires_at: created_at + chrono::Duration::hours(6),
                    reference: (j % 4 != 3).then(|| format!("ticket-{j:06}")),
                    reference_origin: (j % 3 != 2).then(|| "bench".into()),
                    metadata: format!(
                        r#"{{"channel":"{}","batch":{}}}"#,
                        ["web", "app", "support"][j % 3],
                        j % 100
                    ),
                    created_at,
                    updated_at: used_at.unwrap_or(created_at),
                },
                token,
                used_at,
            }
        })
        .collect()
}

/// Inserts the resets, `BATCH` per transaction (one multi-row insert on PostgreSQL; a row
/// at a time on SQLite, where diesel has no multi-row insert of rows with nulls), and
/// marks the used ones with one update per batch: a used reset last changed when it was
/// used.
async fn seed_resets(conn: &mut Conn, planned: Vec<SeedReset>) -> anyhow::Result<()> {
    let progress = Progress::new("resets", planned.len());
    let mut done = 0;
    let mut planned = planned.into_iter().peekable();
    while planned.peek().is_some() {
        let batch: Vec<SeedReset> = planned.by_ref().take(BATCH).collect();
        done += batch.len();
        let used: Vec<String> = batch
            .iter()
            .filter(|reset| reset.used_at.is_some())
            .map(|reset| reset.row.id.clone())
            .collect();
        let rows: Vec<NewReset> = batch.into_iter().map(|reset| reset.row).collect();
        conn.transaction(|conn| {
            async move {
                match &mut *conn {
                    Conn::Pg(c) => {
                        let c: &mut &reset_gateway::db::PgConn = &mut &**c;
                        diesel::insert_into(resets_table::table)
                            .values(&rows)
                            .execute(c)
                            .await?;
                    }
                    Conn::Sqlite(_) => {
                        for row in &rows {
                            reset_queries::insert(conn, row).await?;
                        }
                    }
                }
                let mark_used = diesel::update(
                    resets_table::table.filter(resets_table::id.eq_any(&used)),
                )
                .set(resets_table::reset_password_at.eq(resets_table::updated_at.nullable()));
                match &mut *conn {
                    Conn::Pg(c) => {
                        let c: &mut &reset_gateway::db::PgConn = &mut &**c;
                        mark_used.execute(c).await?;
                    }
                    Conn::Sqlite(c) => {
                        let c: &mut reset_gateway::db::SqliteConn = &mut *c;
                        mark_used.execute(c).await?;
                    }
                }
                Ok::<_, anyhow::Error>(())
            }
            .boxed()
        })
        .await?;
        progress.show(done);
    }
    Ok(())
}

fn status(reset: &SeedReset, now: NaiveDateTime) -> &'static str {
    match (reset.used_at, reset.row.expires_at > now) {
        (Some(_), _) => "used",
        (None, true) => "pending",
        (None, false) => "expired",
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = <Args as clap::Parser>::parse();
    args.customers = args.customers.max(1);
    run_migrations(&args.database_url).await?;
    let options = PoolOptions {
        max_size: 1,
        shared_reads: 0,
        acquire_timeout: Duration::from_secs(30),
        statement_timeout: Duration::from_secs(60),
    };
    let db = Db::connect(&args.database_url, &options).await?;
    let mut conn = db.conn().await?;

    // One argon2id hash at the service's default parameters, shared by every customer.
    let hasher = PasswordHasher::new(PasswordPolicy { min_length: 8 }, 19_456, 2, 1, 1, 1)?;
    let hash = hasher
        .hash(&Password::new("bench password, shared"))
        .await?;

    let now = now();
    let customers = seed_customers(&mut conn, args.customers, &hash, now).await?;
    let planned = plan_resets(&customers, args.resets, now);
    std::fs::create_dir_all(&args.out)?;
    let mut lines = String::new();
    for (id, email) in &customers {
        lines.push_str(&format!("{id}\t{email}\n"));
    }
    std::fs::write(args.out.join("customers.tsv"), lines)?;
    let mut lines = String::new();
    for reset in &planned {
        let status = status(reset, now);
        lines.push_str(&format!(
            "{}\t{}\t{status}\t{}\n",
            reset.row.id, reset.row.customer_id, reset.token
        ));
    }
    std::fs::write(args.out.join("resets.tsv"), lines)?;
    seed_resets(&mut conn, planned).await?;
    eprintln!(
        "seeded {} customers and {} resets ({} statements)",
        args.customers,
        args.resets,
        db.statements_sent()
    );
    Ok(())
}
