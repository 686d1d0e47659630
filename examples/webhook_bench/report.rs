//! The results as a markdown table, with the machine and the date.

use crate::phases::{Burst, Latencies};

/// One backend's figures.
pub struct Row {
    /// The backend's name.
    pub backend: &'static str,
    /// Events one at a time.
    pub latency: Latencies,
    /// The live burst.
    pub live: Burst,
    /// The drain of a full outbox.
    pub drain: Burst,
}

/// The `p`th percentile (nearest rank) of `values`, in milliseconds.
fn percentile(values: &[i64], p: f64) -> String {
    if values.is_empty() {
        return "-".to_owned();
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let value = sorted[rank.clamp(1, sorted.len()) - 1];
    format!("{:.1}", value as f64 / 1000.0)
}

fn three(values: &[i64]) -> String {
    format!(
        "{} / {} / {}",
        percentile(values, 50.0),
        percentile(values, 99.0),
        percentile(values, 100.0)
    )
}

fn burst_line(backend: &str, name: &str, from: &str, b: &Burst) -> String {
    format!(
        "| {backend} | {name} | {} | {:.0} | {:.0} | {:.2} s after {from} | {} | {} |\n",
        b.events,
        b.created_per_second,
        b.delivered_per_second,
        b.last_arrival_after.as_secs_f64(),
        b.lost,
        b.duplicates
    )
}

/// The whole report.
pub fn markdown(args: &str, rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("# Webhook benchmark results\n\n");
    out.push_str(&format!(
        "`cargo run --release --example webhook_bench -- {args}` on {}, {} CPUs ({}), load average {} at the end.\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_average(),
    ));
    out.push_str("| backend | latency p50 | p99 | max | after `created_at`: p50 / p99 / max | live burst | drain |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for row in rows {
        let after_answer = &row.latency.after_answer;
        out.push_str(&format!(
            "| {} | {} ms | {} ms | {} ms | {} ms | {:.0} events/s | {:.0} events/s |\n",
            row.backend,
            percentile(after_answer, 50.0),
            percentile(after_answer, 99.0),
            percentile(after_answer, 100.0),
            three(&row.latency.after_created_at),
            row.live.delivered_per_second,
            row.drain.delivered_per_second,
        ));
    }
    out.push_str("\nThe bursts:\n\n");
    out.push_str("| backend | burst | events | created/s | delivered/s | last delivery | lost | duplicate `webhook-id`s |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for row in rows {
        out.push_str(&burst_line(
            row.backend,
            "live",
            "the last answer",
            &row.live,
        ));
        out.push_str(&burst_line(
            row.backend,
            "drain",
            "`resetCircuit`",
            &row.drain,
        ));
    }
    out
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
