//! An open-loop load client for the ingestion benchmark: it sends `POST` requests of
//! `EVENTS` Segment track events at a fixed rate, whatever the server does, and measures each
//! request's latency from the moment it was *due*, not from when it went out. A closed-loop
//! client (wrk) waits for an answer before the next request on a connection, so a slow
//! server slows the client down and its p99 hides the wait (coordinated omission); here a
//! request that could not even start on time counts its wait.
//!
//! ```text
//! open_loop URL WRITE_KEY RATE_PER_SECOND SECONDS [EVENTS_PER_REQUEST] [SKEW_MS]
//! ```
//!
//! Each event is stamped with the current time (minus a random 0..SKEW_MS, as analytics
//! clients flush a queue now and then), has a new messageId, and belongs to one of 1,000
//! accounts (`ACC-000001`…, as `lodestar demo --accounts 1000` makes them).

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{SecondsFormat, Utc};
use rand::Rng;
use tokio::sync::mpsc;

struct Args {
    url: String,
    auth: String,
    rate: u32,
    seconds: u32,
    events: u32,
    skew_ms: i64,
}

fn args() -> Result<Args, String> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: open_loop URL WRITE_KEY RATE_PER_SECOND SECONDS [EVENTS_PER_REQUEST] [SKEW_MS]";
    if a.len() < 4 {
        return Err(usage.into());
    }
    let number = |i: usize, default: u32| -> Result<u32, String> {
        a.get(i).map_or(Ok(default), |v| {
            v.parse().map_err(|e| format!("argument {}: {e}; {usage}", i + 1))
        })
    };
    let key = &a[1];
    Ok(Args {
        url: a[0].clone(),
        auth: format!("Basic {}", BASE64.encode(format!("{key}:"))),
        rate: number(2, 0)?.max(1),
        seconds: number(3, 0)?.max(1),
        events: number(4, 100)?.max(1),
        skew_ms: i64::from(number(5, 0)?),
    })
}

fn body(request: u64, events: u32, skew_ms: i64, rng: &mut impl Rng) -> String {
    let run = std::process::id();
    let mut parts = Vec::with_capacity(events as usize);
    for i in 0..u64::from(events) {
        let account = (request * 7 + i) % 1000 + 1;
        let skew = if skew_ms > 0 { rng.random_range(0..skew_ms) } else { 0 };
        let at = (Utc::now() - chrono::Duration::milliseconds(skew)).to_rfc3339_opts(SecondsFormat::Millis, true);
        parts.push(format!(
            r#"{{"type":"track","messageId":"ol{run}-{request}-{i}","userId":"acc{account}-u{}","event":"Report Exported","context":{{"groupId":"ACC-{account:06}"}},"timestamp":"{at}"}}"#,
            i % 8
        ));
    }
    format!(r#"{{"batch":[{}]}}"#, parts.join(","))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let total = u64::from(args.rate) * u64::from(args.seconds);
    let every = Duration::from_secs_f64(1.0 / f64::from(args.rate));
    // Each answer's latency and whether it was a 2xx; or the transport's error.
    let (done, mut results) = mpsc::unbounded_channel::<Result<(Duration, bool), String>>();
    let start = Instant::now();
    let mut rng = rand::rng();
    for n in 0..total {
        let due = start + every.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let request = client
            .post(&args.url)
            .header("authorization", &args.auth)
            .header("content-type", "application/json")
            .body(body(n, args.events, args.skew_ms, &mut rng));
        let done = done.clone();
        tokio::spawn(async move {
            let answer = match request.send().await {
                Ok(r) => Ok((due.elapsed(), r.status().is_success())),
                Err(e) => Err(e.to_string()),
            };
            let _ = done.send(answer);
        });
    }
    drop(done);
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors: Vec<String> = Vec::new();
    let mut not_2xx = 0;
    while let Some(r) = results.recv().await {
        match r {
            Ok((l, success)) => {
                latencies.push(l);
                not_2xx += usize::from(!success);
            }
            Err(e) => errors.push(e),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "offered {} req/s = {} events/s for {} s; answered {} in {:.1} s ({} not 2xx); errors {}{}; \
         latency from due time: p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        args.rate,
        u64::from(args.rate) * u64::from(args.events),
        args.seconds,
        latencies.len(),
        elapsed,
        not_2xx,
        errors.len(),
        errors.first().map_or_else(String::new, |e| format!(" (first: {e})")),
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(percentile(&latencies, 100.0)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&d, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&d, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&d, 100.0), Duration::from_millis(100));
    }
}
