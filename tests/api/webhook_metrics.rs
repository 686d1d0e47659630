//! What an operator sees of webhooks on `/metrics`: attempts by topic and outcome, the
//! time from commit to delivery, the outbox's depth and the open circuits.

use std::time::Duration;

use reset_gateway::auth::{Mode, Role};
use reset_gateway::config::Config;

use crate::eventually::eventually;
use crate::harness::{TestApp, on_both_databases};
use crate::receiver::{Receiver, Reply};
use crate::webhook_fixtures::{guest, quick_polls, reset_circuit, with_open_circuit};

/// Ten polls under [`quick_polls`]: the period of the sweep that measures the gauges.
const SWEEP_PERIOD: Duration = Duration::from_millis(500);

/// The value of the metric line that starts with `series` (name and labels), once it
/// reads `expected`; panics with the last scrape after [`eventually`]'s deadline.
async fn metric_reaches(app: &TestApp, series: &str, expected: f64) {
    eventually(async || {
        let text = app.get_text("/metrics").await;
        let value = text
            .lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse::<f64>().ok());
        match value == Some(expected) {
            true => Ok(()),
            false => Err(format!(
                "{series} is {value:?}, not {expected}, in:\n{text}"
            )),
        }
    })
    .await
}

on_both_databases! {
    #[config(|c: &mut Config| {
        quick_polls(c);
        c.webhook_circuit_threshold = 1;
    })]
    async fn metrics_count_attempts_by_outcome_and_show_what_waits_behind_an_open_circuit(app: TestApp) {
        let receiver = Receiver::start().await;
        let token = app.token(Role::Integration, Mode::Test).await;
        let hook = with_open_circuit(&app, &token, &receiver).await;
        guest(&app, &token, "waiting@example.com").await;
        let attempts = "reset_gateway_webhook_deliveries_total{topic=\"customers.create\",outcome=";
        metric_reaches(&app, &format!("{attempts}\"retrying\"}}"), 1.0).await;
        // The gauges are measured by the sender's sweep, every ten polls of the clock.
        app.advance(SWEEP_PERIOD);
        metric_reaches(&app, "reset_gateway_webhook_open_circuits", 1.0).await;
        metric_reaches(&app, "reset_gateway_webhook_outbox_pending", 2.0).await;

        receiver.answer(Reply::Status(204));
        reset_circuit(&app, &token, &hook).await;
        app.advance(Duration::from_secs(6));
        receiver.wait_for(3, Duration::from_secs(10)).await;
        metric_reaches(&app, &format!("{attempts}\"delivered\"}}"), 2.0).await;
        metric_reaches(&app, "reset_gateway_webhook_delivery_seconds_count", 2.0).await;
        app.advance(SWEEP_PERIOD);
        metric_reaches(&app, "reset_gateway_webhook_outbox_pending", 0.0).await;
        metric_reaches(&app, "reset_gateway_webhook_open_circuits", 0.0).await;
    }
}
