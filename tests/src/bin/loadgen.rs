//! Load generator: runs the order-status happy path as web-chat conversations, many at once,
//! against a running `callflow serve`, and reports turns per second and latency percentiles.
//! With `--hold`, it instead opens sessions and leaves them waiting, and reports the server's
//! memory per open session. `scripts/loadtest` runs it on SQLite and on PostgreSQL.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};

#[derive(Debug, Parser)]
#[command(about = "Drive order-status web-chat conversations against a Callflow server")]
struct Args {
    /// The server's base URL; only addresses on this machine are accepted.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API key allowed to run sessions.
    #[arg(long, env = "CALLFLOW_API_KEY")]
    key: String,
    /// Name of the flow to run (the happy path below fits the order-status example).
    #[arg(long, default_value = "order-status")]
    flow: String,
    /// Conversations running at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Open this many sessions, leave them waiting, and report memory per session instead.
    #[arg(long)]
    hold: Option<usize>,
    /// Send at most this many turns per second in all (spread evenly over the conversations),
    /// to measure latency at a given load rather than at the server's limit.
    #[arg(long)]
    rate: Option<f64>,
    /// The server's process id, for its memory use (with --hold).
    #[arg(long)]
    pid: Option<u32>,
}

/// What the caller says after the greeting, in order; the last line ends the call.
const HAPPY_PATH: &[&str] = &["查物流", "二零二四零六一八零一", "没有了，谢谢"];

struct Client {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Client {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{status}: {body}"))
        }
    }

    async fn flow_id(&self, name: &str) -> Result<String, String> {
        let flows: Value = self
            .http
            .get(format!("{}/api/v1/flows?search={name}", self.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        flows
            .as_array()
            .and_then(|list| list.iter().find(|f| f["name"] == name))
            .and_then(|f| f["id"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("no flow named {name}: {flows}"))
    }
}

#[derive(Default)]
struct Totals {
    turns: AtomicU64,
    conversations: AtomicU64,
    resolved: AtomicU64,
    errors: AtomicU64,
}

/// One conversation; records each request's step (0 = the start) and latency in microseconds.
async fn conversation(
    client: &Client,
    flow_id: &str,
    totals: &Totals,
    latencies: &mut Vec<(usize, u32)>,
    pace: &mut Pace,
) {
    pace.wait().await;
    let timed = |started: Instant| u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    let started = Instant::now();
    let session = match client
        .post(
            "/api/v1/sessions",
            &json!({ "flow_id": flow_id, "version": "published" }),
        )
        .await
    {
        Ok(session) => session,
        Err(error) => {
            totals.errors.fetch_add(1, Ordering::Relaxed);
            eprintln!("start failed: {error}");
            return;
        }
    };
    latencies.push((0, timed(started)));
    totals.turns.fetch_add(1, Ordering::Relaxed);
    let Some(id) = session["id"].as_str() else {
        return;
    };
    let path = format!("/api/v1/sessions/{id}/events");
    let mut last = session.clone();
    for (step, line) in HAPPY_PATH.iter().enumerate() {
        pace.wait().await;
        let started = Instant::now();
        match client
            .post(&path, &json!({ "type": "text", "text": line }))
            .await
        {
            Ok(view) => {
                latencies.push((step + 1, timed(started)));
                totals.turns.fetch_add(1, Ordering::Relaxed);
                last = view;
            }
            Err(error) => {
                totals.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("turn failed: {error}");
                return;
            }
        }
    }
    totals.conversations.fetch_add(1, Ordering::Relaxed);
    if last["outcome"] == "resolved" {
        totals.resolved.fetch_add(1, Ordering::Relaxed);
    }
}

/// Spaces one conversation's requests `interval` apart (when a rate is set); a request that
/// takes longer than that delays the next one, so the concurrency never exceeds the workers.
struct Pace {
    interval: Option<Duration>,
    next: tokio::time::Instant,
}

impl Pace {
    async fn wait(&mut self) {
        if let Some(interval) = self.interval {
            tokio::time::sleep_until(self.next).await;
            self.next = (self.next + interval).max(tokio::time::Instant::now());
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

fn local_only(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("http://").unwrap_or_default();
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if rest.starts_with("[::1]") || host == "localhost" || host.starts_with("127.") {
        Ok(())
    } else {
        Err(format!(
            "load is only ever sent to this machine (127.0.0.0/8), not {url}"
        ))
    }
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    local_only(&args.url)?;
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency.max(1))
            .build()
            .map_err(|e| e.to_string())?,
        url: args.url.trim_end_matches('/').to_owned(),
        key: args.key.clone(),
    });
    let flow_id = client.flow_id(&args.flow).await?;
    if let Some(count) = args.hold {
        let pid = args
            .pid
            .ok_or("--hold needs --pid to read the server's memory")?;
        let before = rss_kib(pid).ok_or("cannot read the server's memory")?;
        for _ in 0..count {
            client
                .post(
                    "/api/v1/sessions",
                    &json!({ "flow_id": flow_id, "version": "published" }),
                )
                .await?;
        }
        let after = rss_kib(pid).ok_or("cannot read the server's memory")?;
        let per_session = (after.saturating_sub(before) as f64) * 1024.0 / count as f64;
        println!(
            "{count} sessions open: server RSS {before} KiB → {after} KiB, {per_session:.0} bytes per open session"
        );
        return Ok(());
    }
    let totals = Arc::new(Totals::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let interval = args
        .rate
        .filter(|rate| *rate > 0.0)
        .map(|rate| Duration::from_secs_f64(args.concurrency as f64 / rate));
    let workers: Vec<_> = (0..args.concurrency)
        .map(|worker| {
            // Workers start spread over one interval, so that the requests do not come in waves.
            let mut pace = Pace {
                interval,
                next: tokio::time::Instant::now()
                    + interval
                        .unwrap_or_default()
                        .mul_f64(worker as f64 / args.concurrency as f64),
            };
            let (client, totals, stop, flow_id) = (
                client.clone(),
                totals.clone(),
                stop.clone(),
                flow_id.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(100_000);
                while !stop.load(Ordering::Relaxed) {
                    conversation(&client, &flow_id, &totals, &mut latencies, &mut pace).await;
                }
                latencies
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.map_err(|e| e.to_string())?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut by_step: Vec<Vec<u32>> = vec![Vec::new(); HAPPY_PATH.len() + 1];
    for (step, latency) in &latencies {
        by_step[*step].push(*latency);
    }
    let mut latencies: Vec<u32> = latencies.into_iter().map(|(_, latency)| latency).collect();
    latencies.sort_unstable();
    let turns = totals.turns.load(Ordering::Relaxed);
    println!(
        "{} concurrent conversations for {elapsed:.1} s: {turns} turns, {:.0} turns/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} conversations ({} resolved), {} errors",
        args.concurrency,
        turns as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
        totals.conversations.load(Ordering::Relaxed),
        totals.resolved.load(Ordering::Relaxed),
        totals.errors.load(Ordering::Relaxed),
    );
    let steps: Vec<String> = by_step
        .iter_mut()
        .enumerate()
        .map(|(step, latencies)| {
            latencies.sort_unstable();
            let name = match step {
                0 => "start".to_owned(),
                n => format!("\"{}\"", HAPPY_PATH[n - 1]),
            };
            format!(
                "{name} p50 {:.2} p99 {:.2}",
                percentile(latencies, 50.0),
                percentile(latencies, 99.0)
            )
        })
        .collect();
    println!("  by step (ms): {}", steps.join("; "));
    Ok(())
}
