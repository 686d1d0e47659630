//! The results as markdown tables, with the machine and the date: one row per run, and
//! the median of each figure over the runs when there are several (the machine is shared,
//! and one run's figures move with its neighbours' load).

use crate::phases::{Burst, Latencies};

/// One run's figures on one backend.
pub struct Row {
    /// The backend's name.
    pub backend: &'static str,
    /// The run's number, from 1.
    pub run: usize,
    /// Events one at a time.
    pub latency: Latencies,
    /// The live burst.
    pub live: Burst,
    /// The drain of a full outbox.
    pub drain: Burst,
}

/// The `p`th percentile (nearest rank) of `values`, in microseconds.
fn percentile(values: &[i64], p: f64) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// The figures of the main table, in its columns' order.
fn figures(row: &Row) -> [f64; 8] {
    let (answer, created) = (&row.latency.after_answer, &row.latency.after_created_at);
    let f = |v: Option<i64>| v.map_or(f64::NAN, |m| m as f64);
    [
        f(percentile(answer, 50.0)),
        f(percentile(answer, 99.0)),
        f(percentile(answer, 100.0)),
        f(percentile(created, 50.0)),
        f(percentile(created, 99.0)),
        f(percentile(created, 100.0)),
        row.live.delivered_per_second,
        row.drain.delivered_per_second,
    ]
}

fn line(backend: &str, run: &str, f: [f64; 8]) -> String {
    let ms = |v: f64| format!("{:.1} ms", v / 1000.0);
    format!(
        "| {backend} | {run} | {} | {} | {} | {} / {} / {} | {:.0} events/s | {:.0} events/s |\n",
        ms(f[0]),
        ms(f[1]),
        ms(f[2]),
        ms(f[3]).trim_end_matches(" ms"),
        ms(f[4]).trim_end_matches(" ms"),
        ms(f[5]),
        f[6],
        f[7],
    )
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn burst_line(row: &Row, name: &str, from: &str, b: &Burst) -> String {
    format!(
        "| {} | {} | {name} | {} | {:.0} | {:.0} | {:.2} s after {from} | {} | {} |\n",
        row.backend,
        row.run,
        b.events,
        b.created_per_second,
        b.delivered_per_second,
        b.last_arrival_after.as_secs_f64(),
        b.lost,
        b.duplicates
    )
}

/// The whole report.
pub fn markdown(args: &str, load_at_start: &str, rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("# Webhook benchmark results\n\n");
    out.push_str(&format!(
        "`cargo run --release --example webhook_bench -- {args}` on {}, {} CPUs ({}), load average {load_at_start} at the start and {} at the end.\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        load_average(),
    ));
    out.push_str("| backend | run | latency p50 | p99 | max | after `created_at`: p50 / p99 / max | live burst | drain |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    let mut backends: Vec<&str> = Vec::new();
    for row in rows {
        if !backends.contains(&row.backend) {
            backends.push(row.backend);
        }
    }
    for backend in backends {
        let runs: Vec<&Row> = rows.iter().filter(|r| r.backend == backend).collect();
        if runs.len() > 1 {
            let medians: Vec<f64> = (0..8)
                .map(|i| median(runs.iter().map(|r| figures(r)[i]).collect()))
                .collect();
            let medians: [f64; 8] = medians.try_into().unwrap_or([f64::NAN; 8]);
            out.push_str(&line(backend, "**median**", medians));
        }
        for row in runs {
            out.push_str(&line(backend, &row.run.to_string(), figures(row)));
        }
    }
    out.push_str("\nThe bursts:\n\n");
    out.push_str("| backend | run | burst | events | created/s | delivered/s | last delivery | lost | duplicate `webhook-id`s |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for row in rows {
        out.push_str(&burst_line(row, "live", "the last answer", &row.live));
        out.push_str(&burst_line(row, "drain", "`resetCircuit`", &row.drain));
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

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
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
