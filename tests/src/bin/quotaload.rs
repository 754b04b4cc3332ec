//! Quota fairness benchmark: one tenant's latency while another floods the API. Tenant B sends
//! a typical API request (`GET /api/v1/flows`) at a steady rate, first alone (its idle
//! figures), then while tenant A sends the same request as fast as `--flood-concurrency`
//! connections allow (or at `--flood-rate`). The flood starts at the beginning of a minute,
//! the quota's window: B is measured while A's first requests are still let in (until A's
//! first 429), then for `--seconds` while A is refused. It reports B's p50/p99 in each phase,
//! the ratios to idle, and A's rate and share of 429s. B's requests are sent on a clock (open
//! loop), not after the previous answer, so a slow answer does not hide the ones that would
//! have waited behind it.
//! `scripts/quotaload` runs it against `callflow serve` on SQLite and on PostgreSQL.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Measure one tenant's API latency while another floods the API")]
struct Args {
    /// The server's base URL; only addresses on this machine are accepted.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Tenant B's API key: the tenant whose latency is measured.
    #[arg(long)]
    quiet_key: String,
    /// Tenant A's API key: the tenant that floods.
    #[arg(long)]
    flood_key: String,
    /// B's requests per second, in both phases.
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// Seconds of each phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// A's requests in flight at once during the flood.
    #[arg(long, default_value_t = 16)]
    flood_concurrency: usize,
    /// A's requests per second in all, spread over its connections; 0 for as fast as the
    /// server answers.
    #[arg(long, default_value_t = 0.0)]
    flood_rate: f64,
    /// The request both tenants send.
    #[arg(long, default_value = "/api/v1/flows")]
    path: String,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// B's requests at `rate` a second for `seconds`: the latencies of those answered 200, and
/// how many were answered otherwise.
async fn steady(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    rate: f64,
    seconds: u64,
) -> (Vec<Duration>, u64) {
    steady_until(
        http,
        url,
        key,
        rate,
        tokio::time::sleep(Duration::from_secs(seconds)),
    )
    .await
}

/// B's requests at `rate` a second until `done` finishes.
async fn steady_until(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    rate: f64,
    done: impl std::future::Future<Output = ()>,
) -> (Vec<Duration>, u64) {
    tokio::pin!(done);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicU64::new(0));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    loop {
        tokio::select! {
            _ = &mut done => break,
            _ = ticker.tick() => {}
        }
        let (http, url, key) = (http.clone(), url.to_owned(), key.to_owned());
        let (latencies, failed) = (latencies.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let answer = http.get(&url).bearer_auth(&key).send().await;
            match answer {
                Ok(response) if response.status().is_success() => {
                    let _ = response.bytes().await;
                    latencies
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(started.elapsed());
                }
                _ => {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut latencies = std::mem::take(
        &mut *latencies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    latencies.sort();
    (latencies, failed.load(Ordering::Relaxed))
}

#[derive(Default)]
struct FloodCounts {
    ok: AtomicU64,
    refused: AtomicU64,
    other: AtomicU64,
}

fn report(label: &str, latencies: &[Duration], failed: u64) -> (f64, f64) {
    let (p50, p99) = (percentile(latencies, 50.0), percentile(latencies, 99.0));
    println!(
        "B {label}: {} answered, {failed} failed; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(p50),
        ms(percentile(latencies, 90.0)),
        ms(p99),
        ms(latencies.last().copied().unwrap_or_default()),
    );
    (ms(p50), ms(p99))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let host = reqwest::Url::parse(&args.url)
        .map_err(|error| format!("--url: {error}"))?
        .host_str()
        .unwrap_or_default()
        .to_owned();
    if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Err("--url must be on this machine".to_owned());
    }
    let url = format!("{}{}", args.url.trim_end_matches('/'), args.path);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .map_err(|error| error.to_string())?;

    // Warm-up: connections open, the keys' and tenants' lookups remembered.
    let _ = steady(&http, &url, &args.quiet_key, args.rate, 2).await;
    let (idle, idle_failed) = steady(&http, &url, &args.quiet_key, args.rate, args.seconds).await;
    let (_, idle_p99) = report("idle", &idle, idle_failed);

    // The flood starts with a minute, so that the quota's window does not reset while B is
    // measured beside a refused flood.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|error| error.to_string())?;
    let into_minute = now.as_millis() % 60_000;
    tokio::time::sleep(Duration::from_millis(
        u64::try_from(60_000 - into_minute).unwrap_or(0) + 200,
    ))
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(FloodCounts::default());
    let mut flooders = Vec::new();
    for _ in 0..args.flood_concurrency {
        let (http, url, key) = (http.clone(), url.clone(), args.flood_key.clone());
        let (stop, counts) = (stop.clone(), counts.clone());
        let pause = (args.flood_rate > 0.0)
            .then(|| Duration::from_secs_f64(args.flood_concurrency as f64 / args.flood_rate));
        flooders.push(tokio::spawn(async move {
            let mut ticker = pause.map(tokio::time::interval);
            while !stop.load(Ordering::Relaxed) {
                if let Some(ticker) = ticker.as_mut() {
                    ticker.tick().await;
                }
                match http.get(&url).bearer_auth(&key).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        let counter = match status {
                            200 => &counts.ok,
                            429 => &counts.refused,
                            _ => &counts.other,
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        counts.other.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let flood_started = Instant::now();
    // While A is let in: B's requests until A's first refusal (at most 30 s).
    let ramp = {
        let counts = counts.clone();
        async move {
            while counts.refused.load(Ordering::Relaxed) == 0
                && flood_started.elapsed() < Duration::from_secs(30)
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    let (ramp_latencies, ramp_failed) =
        steady_until(&http, &url, &args.quiet_key, args.rate, ramp).await;
    let admitted_in = flood_started.elapsed().as_secs_f64();
    let admitted = counts.ok.load(Ordering::Relaxed);
    let refused_before = counts.refused.load(Ordering::Relaxed);
    let refused_from =
        refused_before + counts.ok.load(Ordering::Relaxed) + counts.other.load(Ordering::Relaxed);
    let refused_started = Instant::now();
    let (flooded, flooded_failed) =
        steady(&http, &url, &args.quiet_key, args.rate, args.seconds).await;
    stop.store(true, Ordering::Relaxed);
    let refused_seconds = refused_started.elapsed().as_secs_f64();
    let flood_seconds = flood_started.elapsed().as_secs_f64();
    for flooder in flooders {
        let _ = flooder.await;
    }
    let ok = counts.ok.load(Ordering::Relaxed);
    let refused = counts.refused.load(Ordering::Relaxed);
    let other = counts.other.load(Ordering::Relaxed);
    let total = ok + refused + other;
    println!(
        "A flood: {total} requests in {flood_seconds:.1} s ({:.0}/s, {} at once): {ok} answered 200, {refused} 429 ({:.1} %), {other} other",
        total as f64 / flood_seconds,
        args.flood_concurrency,
        100.0 * refused as f64 / total.max(1) as f64,
    );
    println!(
        "A let in: {admitted} requests in the first {admitted_in:.1} s; then {:.0} requests/s, {:.1} % of them 429",
        (total - refused_from) as f64 / refused_seconds,
        100.0 * (refused - refused_before) as f64 / ((total - refused_from).max(1)) as f64,
    );
    let (_, ramp_p99) = report("while A is let in", &ramp_latencies, ramp_failed);
    let (_, flood_p99) = report("while A is refused", &flooded, flooded_failed);
    let idle_p99 = idle_p99.max(f64::MIN_POSITIVE);
    println!(
        "B p99 / idle: {:.2} while A is refused (target ≤ 1.20); {:.2} while A's first requests are let in",
        flood_p99 / idle_p99,
        ramp_p99 / idle_p99,
    );
    Ok(())
}
