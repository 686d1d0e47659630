//! Prometheus metrics for `GET /metrics`: requests by operation and outcome, latency
//! histograms, pool usage, the password-hash queue and rate-limit refusals. One registry
//! per running service (no global recorder), so tests can run many services at once.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    operation: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    topic: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    scope: String,
}

type LatencyFamily = Family<OperationLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<OutcomeLabels, Counter>,
    latency: LatencyFamily,
    rate_limited: Family<ScopeLabels, Counter>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    read_connections: Gauge,
    reads_in_flight: Gauge,
    hashes_running: Gauge,
    hashes_waiting: Gauge,
    hashes_computed: Gauge,
    hashes_dropped: Gauge,
    hashes_refused: Gauge,
    statements: Gauge,
    webhook_deliveries: Family<DeliveryLabels, Counter>,
    webhook_delivery_latency: Histogram,
    outbox_pending: Gauge,
    outbox_oldest_age: Gauge,
    webhook_open_circuits: Gauge,
}

/// Readings taken at scrape time.
pub struct Readings {
    /// Connections open in the pool, and how many are idle.
    pub pool: (usize, usize),
    /// Shared read connections open, and the readers holding them.
    pub shared_reads: (usize, usize),
    /// Password hashes running, and waiting for a worker.
    pub hashing: (usize, usize),
    /// Password hashes computed, dropped and refused since start.
    pub hash_totals: crate::auth::password::PoolTotals,
    /// SQL statements sent since start.
    pub statements: u64,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("reset_gateway");
        let requests = Family::<OutcomeLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let rate_limited = Family::<ScopeLabels, Counter>::default();
        let (pool_connections, pool_idle) = (Gauge::default(), Gauge::default());
        let (read_connections, reads_in_flight) = (Gauge::default(), Gauge::default());
        let (hashes_running, hashes_waiting) = (Gauge::default(), Gauge::default());
        let (hashes_computed, hashes_dropped, hashes_refused) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        let statements = Gauge::default();
        let webhook_deliveries = Family::<DeliveryLabels, Counter>::default();
        // 10 ms to about 5.8 days: a delivery waits from its commit, retries included.
        let webhook_delivery_latency = Histogram::new(exponential_buckets(0.01, 4.0, 16));
        let (outbox_pending, outbox_oldest_age, webhook_open_circuits) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by topic and outcome (delivered, retrying, failed, discarded)",
            webhook_deliveries.clone(),
        );
        registry.register(
            "webhook_delivery_seconds",
            "Time from an event's commit to its delivery's 2xx answer",
            webhook_delivery_latency.clone(),
        );
        registry.register(
            "webhook_outbox_pending",
            "Webhook deliveries waiting in the outbox (as of the last sweep)",
            outbox_pending.clone(),
        );
        registry.register(
            "webhook_outbox_oldest_age_seconds",
            "Age of the longest-waiting webhook delivery (as of the last sweep)",
            outbox_oldest_age.clone(),
        );
        registry.register(
            "webhook_open_circuits",
            "Webhooks whose circuit is open (as of the last sweep)",
            webhook_open_circuits.clone(),
        );
        registry.register(
            "requests",
            "Requests by operation (GraphQL root field or endpoint) and outcome (ok or error code)",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Request latency by operation",
            latency.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit, by scope",
            rate_limited.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Database connections open",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle",
            "Database connections idle",
            pool_idle.clone(),
        );
        registry.register(
            "db_read_connections",
            "Shared PostgreSQL read connections open",
            read_connections.clone(),
        );
        registry.register(
            "db_reads_in_flight",
            "Reads holding a shared read connection",
            reads_in_flight.clone(),
        );
        registry.register(
            "password_hashes_running",
            "Password hashes being computed",
            hashes_running.clone(),
        );
        registry.register(
            "password_hashes_waiting",
            "Password hashes waiting for a worker",
            hashes_waiting.clone(),
        );
        registry.register(
            "password_hashes_computed",
            "argon2 computations run since start (new passwords and password checks)",
            hashes_computed.clone(),
        );
        registry.register(
            "password_hashes_dropped",
            "Queued password hashes skipped since start because their request had gone",
            hashes_dropped.clone(),
        );
        registry.register(
            "password_hashes_refused",
            "Password hashes refused since start because the hash queue was full",
            hashes_refused.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements sent since start",
            statements.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            rate_limited,
            pool_connections,
            pool_idle,
            read_connections,
            reads_in_flight,
            hashes_running,
            hashes_waiting,
            hashes_computed,
            hashes_dropped,
            hashes_refused,
            statements,
            webhook_deliveries,
            webhook_delivery_latency,
            outbox_pending,
            outbox_oldest_age,
            webhook_open_circuits,
        }
    }
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, operation: &str, outcome: &str, elapsed: Duration) {
        let labels = OutcomeLabels {
            operation: operation.to_owned(),
            outcome: outcome.to_owned(),
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&OperationLabels {
                operation: operation.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Records a request refused by a rate limit.
    pub fn rate_limited(&self, scope: &str) {
        self.rate_limited
            .get_or_create(&ScopeLabels {
                scope: scope.to_owned(),
            })
            .inc();
    }

    /// Records a webhook delivery attempt's outcome.
    pub fn delivery(&self, topic: &str, outcome: &str) {
        self.webhook_deliveries
            .get_or_create(&DeliveryLabels {
                topic: topic.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Records how long a delivered event took from its commit.
    pub fn delivered_after(&self, waited: Duration) {
        self.webhook_delivery_latency.observe(waited.as_secs_f64());
    }

    /// Records the outbox's depth as measured at `now`: `pending` deliveries waiting, the
    /// longest-waiting one committed at `oldest`, and `open_circuits` webhooks whose
    /// circuit is open. Plain numbers, so that the outbox reports to the metrics without
    /// the metrics knowing the outbox.
    pub fn outbox(
        &self,
        pending: i64,
        oldest: Option<chrono::NaiveDateTime>,
        open_circuits: i64,
        now: chrono::NaiveDateTime,
    ) {
        self.outbox_pending.set(pending);
        let age = oldest.map_or(0, |oldest| (now - oldest).num_seconds().max(0));
        self.outbox_oldest_age.set(age);
        self.webhook_open_circuits.set(open_circuits);
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self, readings: Readings) -> String {
        self.pool_connections.set(readings.pool.0 as i64);
        self.pool_idle.set(readings.pool.1 as i64);
        self.read_connections.set(readings.shared_reads.0 as i64);
        self.reads_in_flight.set(readings.shared_reads.1 as i64);
        self.hashes_running.set(readings.hashing.0 as i64);
        self.hashes_waiting.set(readings.hashing.1 as i64);
        let totals = readings.hash_totals;
        for (gauge, total) in [
            (&self.hashes_computed, totals.computed),
            (&self.hashes_dropped, totals.dropped),
            (&self.hashes_refused, totals.refused),
        ] {
            gauge.set(total.min(i64::MAX as u64) as i64);
        }
        self.statements
            .set(readings.statements.min(i64::MAX as u64) as i64);
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
