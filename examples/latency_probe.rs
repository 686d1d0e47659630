//! A latency probe for `bench/run.sh`: one request at a time over one kept-alive HTTP/1.1
//! connection, each timed on its own, for `--seconds S` (default 10).
//!
//! wrk drives the load; this measures the tail a client waiting on one request sees. wrk
//! is an event loop timing many sockets, and beside saturated cores its own wake-ups add
//! to what it records, a tail many times the service's own. A blocking read is the shortest path from the
//! service's answer to the clock: this records the wait a client sees, without a load
//! generator's own tail.
//!
//! Flags: `--help`. Prints one JSON line shaped like `bench/load.lua`'s, with p99.9 added:
//! `{"requests":50000,"rps":5000.0,"p50_us":180,"p99_us":350,"p999_us":900,...}`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

struct Target {
    address: String,
    host: String,
    path: String,
}

fn parse_url(url: &str) -> anyhow::Result<Target> {
    let rest = url
        .strip_prefix("http://")
        .context("--url must start with http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok(Target {
        address,
        host: authority.to_owned(),
        path: path.to_owned(),
    })
}

/// One answer's status and whether its body carries GraphQL `errors`.
struct Answer {
    status: u16,
    graphql_errors: bool,
}

/// Reads one response with a `Content-Length` (the service sends one on every route).
fn read_answer(reader: &mut BufReader<TcpStream>) -> anyhow::Result<Answer> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .context("the connection closed")?
        .parse()?;
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = Some(value.trim().parse::<usize>()?);
        }
    }
    let Some(length) = length else {
        bail!("an answer without Content-Length")
    };
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let graphql_errors = body.windows(8).any(|w| w == b"\"errors\"");
    Ok(Answer {
        status,
        graphql_errors,
    })
}

/// One kept-alive connection: requests are written through `get_mut`, answers read
/// through the buffer.
fn connect(target: &Target) -> anyhow::Result<BufReader<TcpStream>> {
    let stream = TcpStream::connect(&target.address)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(BufReader::new(stream))
}

fn request(target: &Target, token: &str, body: Option<&str>) -> Vec<u8> {
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    let head = |method: &str| {
        format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\n{auth}",
            target.path, target.host
        )
    };
    match body {
        Some(body) => format!(
            "{}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            head("POST"),
            body.len()
        ),
        None => format!("{}\r\n", head("GET")),
    }
    .into_bytes()
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A latency probe: one request at a time over one kept-alive connection; prints one JSON
/// line with requests/s, p50, p99 and p99.9.
#[derive(clap::Parser)]
struct Args {
    /// Where to send the requests: plain http, IP or host name, with the path.
    #[arg(long)]
    url: String,
    /// JSON bodies, one per line, POSTed in turn; without it, GET.
    #[arg(long)]
    bodies: Option<std::path::PathBuf>,
    /// Sent as a bearer token.
    #[arg(long, default_value = "")]
    token: String,
    /// How long to probe.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

fn main() -> anyhow::Result<()> {
    let Args {
        url,
        bodies,
        token,
        seconds,
    } = <Args as clap::Parser>::parse();
    let target = parse_url(&url)?;
    let bodies = match &bodies {
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        }
        None => String::new(),
    };
    let mut requests: Vec<Vec<u8>> = bodies
        .lines()
        .filter(|line| !line.is_empty())
        .map(|body| request(&target, &token, Some(body)))
        .collect();
    if requests.is_empty() {
        requests.push(request(&target, &token, None));
    }

    let (mut latencies, mut non2xx, mut socket_errors, mut gql_errors) = (Vec::new(), 0, 0, 0);
    let mut connection = connect(&target)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut next = 0;
    while Instant::now() < deadline {
        let sent = Instant::now();
        let answer = connection
            .get_mut()
            .write_all(&requests[next % requests.len()])
            .map_err(anyhow::Error::from)
            .and_then(|()| read_answer(&mut connection));
        match answer {
            Ok(answer) => {
                latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                non2xx += u32::from(!(200..300).contains(&answer.status));
                gql_errors += u32::from(answer.graphql_errors);
            }
            Err(_) => {
                socket_errors += 1;
                connection = connect(&target)?;
            }
        }
        next += 1;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    println!(
        "{{\"requests\":{},\"duration_us\":{},\"rps\":{:.2},\"p50_us\":{},\"p99_us\":{},\
         \"p999_us\":{},\"non2xx\":{non2xx},\"socket_errors\":{socket_errors},\
         \"gql_errors\":{gql_errors},\"expected_errors\":0,\"locked\":0,\"client\":\"latency_probe\"}}",
        latencies.len(),
        elapsed.as_micros(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 99.9),
    );
    Ok(())
}
