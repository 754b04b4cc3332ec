//! Load generator for the chat widget and the agent console, against a running `callflow
//! serve` (the demo tenant: its widget channel, its order-status flow, its owner as the agent):
//! opens `--visitors` widget conversations, each holding a long-polling request for new lines
//! as a widget does while a person has its chat, hands `--active` of them to a queue, has the
//! agent take each and keep its console stream open, then for `--seconds` plays messages both
//! ways on the active chats and reports how long each took to arrive — visitor → agent (the
//! visitor's message, to the console's stream) and agent → visitor (the agent's message, to the
//! visitor's long poll) — and the server's memory per open visitor connection.
//!
//! Visitors come from distinct addresses (`X-Forwarded-For` from this machine, as behind a
//! local proxy), so that the per-address rate limit sees each as its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};
use tokio::sync::mpsc;

#[derive(Debug, Parser)]
#[command(about = "Drive widget visitors and an agent console against a Callflow server")]
struct Args {
    /// The server's base URL; only addresses on this machine are accepted.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The owner API key from the first run (to find the widget channel).
    #[arg(long, env = "CALLFLOW_API_KEY")]
    key: String,
    /// The agent's sign-in (the demo owner's, from first-run.txt).
    #[arg(long)]
    email: String,
    #[arg(long)]
    password: String,
    /// Widget conversations open at once, each with a long-polling request.
    #[arg(long, default_value_t = 2000)]
    visitors: usize,
    /// Of those, chats an agent has taken and messages go both ways on.
    #[arg(long, default_value_t = 200)]
    active: usize,
    /// Seconds of messages.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds between two messages of one chat (each way in turn): every message is also a
    /// line the visitor's long poll returns with, and a visitor may make 60 requests a minute.
    #[arg(long, default_value_t = 4.0)]
    pause: f64,
    /// Put the idle visitors' long polls out of step (each starts polling 0 to 20 s later), as
    /// visitors who came at different times are; without it, the polls opened together end
    /// together every 20 s. The memory per visitor is then read before all of them poll.
    #[arg(long)]
    stagger: bool,
    /// Also print, per second of the run, how many messages were sent and the slowest one's
    /// time: whether slow messages come together (a pause of the server) or spread out.
    #[arg(long)]
    timeline: bool,
    /// The server's process id, for its memory.
    #[arg(long)]
    pid: Option<u32>,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn local_only(url: &str) -> Result<(), Failure> {
    let host = reqwest::Url::parse(url)?
        .host_str()
        .unwrap_or_default()
        .to_owned();
    match host.as_str() {
        "127.0.0.1" | "localhost" | "::1" | "[::1]" => Ok(()),
        _ => Err(format!("only a server on this machine is driven, not {host}").into()),
    }
}

/// The resident memory of a process, in bytes.
fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

struct Visitor {
    conversation: String,
    token: String,
    address: String,
}

struct Widget {
    http: reqwest::Client,
    base: String,
    origin: String,
}

impl Widget {
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        visitor: Option<&Visitor>,
        address: &str,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("origin", &self.origin)
            .header("x-forwarded-for", address);
        if let Some(visitor) = visitor {
            request = request.header("x-callflow-visitor", &visitor.token);
        }
        request
    }

    async fn start(&self, address: String) -> Result<Visitor, Failure> {
        let answer: Value = self
            .request(reqwest::Method::POST, "/conversations", None, &address)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(Visitor {
            conversation: answer["id"]
                .as_str()
                .ok_or("no conversation id")?
                .to_owned(),
            token: answer["visitor_token"]
                .as_str()
                .ok_or("no visitor token")?
                .to_owned(),
            address,
        })
    }

    async fn say(&self, visitor: &Visitor, text: &str) -> Result<Value, Failure> {
        let path = format!("/conversations/{}/messages", visitor.conversation);
        Ok(self
            .request(
                reqwest::Method::POST,
                &path,
                Some(visitor),
                &visitor.address,
            )
            .json(&json!({ "type": "text", "text": text }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// One long poll: the lines after `after` and the new `after`.
    async fn lines(
        &self,
        visitor: &Visitor,
        after: i64,
        wait: u64,
    ) -> Result<(Vec<Value>, i64), Failure> {
        let path = format!(
            "/conversations/{}/events?after={after}&wait={wait}",
            visitor.conversation
        );
        let page: Value = self
            .request(reqwest::Method::GET, &path, Some(visitor), &visitor.address)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let lines = page["lines"].as_array().cloned().unwrap_or_default();
        Ok((lines, page["last_seq"].as_i64().unwrap_or(after)))
    }
}

/// The agent, signed in: the session cookie and its CSRF token.
struct Agent {
    http: reqwest::Client,
    url: String,
    cookie: String,
    csrf: String,
}

impl Agent {
    async fn sign_in(
        http: reqwest::Client,
        url: &str,
        email: &str,
        password: &str,
    ) -> Result<Agent, Failure> {
        let response = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await?
            .error_for_status()?;
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .ok_or("no session cookie")?
            .to_owned();
        let body: Value = response.json().await?;
        Ok(Agent {
            http,
            url: url.to_owned(),
            cookie,
            csrf: body["csrf_token"]
                .as_str()
                .ok_or("no csrf token")?
                .to_owned(),
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
    }
}

/// A token to find a message by where it arrives: `v` for the visitor's, `a` for the agent's,
/// the chat, the message's number, and an end so that no mark is the start of another.
fn mark(from: char, chat: usize, n: u64) -> String {
    format!("{from}m{chat}x{n}z")
}

/// The marks from `from` in `text`.
fn marks(text: &str, from: char) -> impl Iterator<Item = &str> {
    let start = format!("{from}m");
    text.match_indices(start.as_str())
        .map(|(at, _)| at)
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(move |at| {
            let rest = &text[at + 2..];
            let length = rest.find(|c: char| !(c.is_ascii_digit() || c == 'x'))?;
            rest[length..]
                .starts_with('z')
                .then(|| &text[at..at + 2 + length + 1])
        })
}

/// How long listening goes on after the last message was sent.
const GRACE: Duration = Duration::from_secs(10);

/// One chat's messages on their way: when each was sent, by mark.
#[derive(Clone, Default)]
struct Pending(Arc<std::sync::Mutex<HashMap<String, Instant>>>);

impl Pending {
    fn sent(&self, mark: &str) {
        self.lock().insert(mark.to_owned(), Instant::now());
    }

    /// When the message was sent, the first time it is seen.
    fn arrived(&self, mark: &str) -> Option<Instant> {
        self.lock().remove(mark)
    }

    fn waiting(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
struct Latencies {
    to_agent: Vec<Duration>,
    to_visitor: Vec<Duration>,
    /// Every message both ways: when it was sent and how long it took.
    timeline: Vec<(Instant, Duration)>,
}

impl Latencies {
    fn reached_agent(&mut self, sent: Instant, took: Duration) {
        self.to_agent.push(took);
        self.timeline.push((sent, took));
    }

    fn reached_visitor(&mut self, sent: Instant, took: Duration) {
        self.to_visitor.push(took);
        self.timeline.push((sent, took));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args = Args::parse();
    local_only(&args.url)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(60))
        .build()?;
    let channels: Value = http
        .get(format!("{}/api/v1/widget-channels", args.url))
        .bearer_auth(&args.key)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let channel = channels
        .as_array()
        .and_then(|all| all.first())
        .ok_or("the tenant has no widget channel")?;
    let key = channel["key"].as_str().ok_or("no channel key")?;
    let widget = Arc::new(Widget {
        http: http.clone(),
        base: format!("{}/widget/v1/channels/{key}", args.url),
        // The server's own pages are among the demo channel's allowed origins.
        origin: args.url.trim_end_matches('/').to_owned(),
    });
    let agent =
        Arc::new(Agent::sign_in(http.clone(), &args.url, &args.email, &args.password).await?);
    agent
        .request(reqwest::Method::PUT, "/api/v1/agents/me/presence")
        .json(&json!({ "presence": "available" }))
        .send()
        .await?
        .error_for_status()?;

    let before = args.pid.and_then(rss);
    // Visitors, started a few at a time.
    let mut visitors = Vec::with_capacity(args.visitors);
    for batch in (0..args.visitors).collect::<Vec<_>>().chunks(50) {
        let started = futures_util::future::join_all(batch.iter().map(|n| {
            let widget = widget.clone();
            let address = format!("10.{}.{}.{}", n / 65536 % 256, n / 256 % 256, n % 256);
            async move { widget.start(address).await }
        }))
        .await;
        for visitor in started {
            visitors.push(Arc::new(visitor?));
        }
    }
    // The active ones ask for a person; the agent takes each.
    let mut handoffs = Vec::new();
    for visitor in visitors.iter().take(args.active) {
        let answer = widget.say(visitor, "转人工").await?;
        if answer["owner"] != "person" {
            return Err(format!("the chat was not handed to a person: {answer}").into());
        }
        let state: Value = agent
            .request(reqwest::Method::GET, "/api/v1/handoffs")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = state
            .as_array()
            .and_then(|open| open.iter().find(|h| h["state"] == "waiting"))
            .and_then(|h| h["id"].as_str())
            .ok_or("no waiting handoff")?
            .to_owned();
        agent
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/handoffs/{id}/accept"),
            )
            .send()
            .await?
            .error_for_status()?;
        handoffs.push(id);
    }

    // Each active chat's messages on their way, by mark: one map per chat, so that finding
    // a message costs the same with 20 chats as with 2,000.
    let pending: Vec<Pending> = (0..handoffs.len()).map(|_| Pending::default()).collect();
    let latencies: Arc<std::sync::Mutex<Latencies>> = Arc::default();
    // Listening ends when every message has arrived or a while after the last was sent, never
    // at a time fixed in advance: a slow line still counts, late.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (errors_tx, mut errors_rx) = mpsc::unbounded_channel::<String>();

    // Every visitor holds a long poll; an active one's answers are the agent's messages.
    let (stagger, active) = (args.stagger, handoffs.len());
    for (index, visitor) in visitors.iter().enumerate() {
        let (widget, visitor, latencies, errors, mut stop) = (
            widget.clone(),
            visitor.clone(),
            latencies.clone(),
            errors_tx.clone(),
            stop_rx.clone(),
        );
        let pending = pending.get(index).cloned();
        tokio::spawn(async move {
            let mut after = 0;
            // Visitors who came at different times poll out of step; opened together, their
            // 20 s polls end together and are sent again in waves. (The first poll answers at
            // once with the greeting, so it is the start of the loop that is put off.)
            if stagger && index >= active {
                let offset = Duration::from_millis(index as u64 * 997 % 20_000);
                tokio::select! {
                    _ = tokio::time::sleep(offset) => {}
                    _ = stop.changed() => return,
                }
            }
            loop {
                let answer = tokio::select! {
                    answer = widget.lines(&visitor, after, 20) => answer,
                    _ = stop.changed() => break,
                };
                match answer {
                    Ok((lines, last)) => {
                        let now = Instant::now();
                        if let Some(pending) = &pending {
                            for line in lines.iter().filter(|line| line["kind"] == "agent") {
                                let text = line["text"].as_str().unwrap_or_default();
                                if let Some(at) = pending.arrived(text) {
                                    latencies.lock().unwrap().reached_visitor(at, now - at);
                                }
                            }
                        }
                        after = last;
                    }
                    Err(error) => {
                        let _ = errors.send(format!("visitor poll: {error}"));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }
    // The console: one stream per taken chat.
    for (id, pending) in handoffs.iter().zip(&pending) {
        let (agent, id, pending, latencies, errors, mut stop) = (
            agent.clone(),
            id.clone(),
            pending.clone(),
            latencies.clone(),
            errors_tx.clone(),
            stop_rx.clone(),
        );
        tokio::spawn(async move {
            let response = agent
                .request(
                    reqwest::Method::GET,
                    &format!("/console/handoffs/{id}/stream?after=0"),
                )
                .send()
                .await;
            let mut response = match response {
                Ok(response) => response,
                Err(error) => {
                    let _ = errors.send(format!("console stream: {error}"));
                    return;
                }
            };
            // The end of the text before this chunk, in case a mark is split between two.
            let mut carry = String::new();
            loop {
                let chunk = tokio::select! {
                    chunk = response.chunk() => chunk,
                    _ = stop.changed() => break,
                };
                let Ok(Some(chunk)) = chunk else { break };
                let now = Instant::now();
                carry.push_str(&String::from_utf8_lossy(&chunk));
                for text in marks(&carry, 'v') {
                    if let Some(at) = pending.arrived(text) {
                        latencies.lock().unwrap().reached_agent(at, now - at);
                    }
                }
                let keep = carry.len().saturating_sub(32);
                let keep = (keep..carry.len())
                    .find(|&at| carry.is_char_boundary(at))
                    .unwrap_or(carry.len());
                carry.drain(..keep);
            }
        });
    }
    let memory = match (before, args.pid) {
        (Some(before), Some(pid)) => {
            // Let every visitor's first poll go out and wait.
            tokio::time::sleep(Duration::from_secs(3)).await;
            rss(pid).map(|after| (after.saturating_sub(before)) as f64 / args.visitors as f64)
        }
        _ => None,
    };

    // Messages both ways on each active chat.
    let stop = Instant::now() + Duration::from_secs(args.seconds);
    let mut players = Vec::new();
    for (chat, ((visitor, id), pending)) in visitors.iter().zip(&handoffs).zip(&pending).enumerate()
    {
        let (widget, agent, visitor, id, pending, errors) = (
            widget.clone(),
            agent.clone(),
            visitor.clone(),
            id.clone(),
            pending.clone(),
            errors_tx.clone(),
        );
        let pause = Duration::from_secs_f64(args.pause);
        players.push(tokio::spawn(async move {
            // Spread the chats over the first pause.
            tokio::time::sleep(pause.mul_f64(chat as f64 / 200.0 % 1.0)).await;
            let mut n = 0;
            while Instant::now() < stop {
                n += 1;
                let text = mark('v', chat, n);
                pending.sent(&text);
                if let Err(error) = widget.say(&visitor, &text).await {
                    let _ = errors.send(format!("visitor message: {error}"));
                }
                tokio::time::sleep(pause / 2).await;
                let text = mark('a', chat, n);
                pending.sent(&text);
                let answer = agent
                    .request(
                        reqwest::Method::POST,
                        &format!("/api/v1/handoffs/{id}/messages"),
                    )
                    .json(&json!({ "text": text }))
                    .send()
                    .await;
                if let Err(error) = answer.and_then(|a| a.error_for_status()) {
                    let _ = errors.send(format!("agent message: {error}"));
                }
                tokio::time::sleep(pause / 2).await;
            }
        }));
    }
    for player in players {
        let _ = player.await;
    }
    let last_sent = Instant::now();
    while pending.iter().any(|chat| chat.waiting() > 0) && last_sent.elapsed() < GRACE {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    drop(errors_tx);
    let mut errors = Vec::new();
    while let Ok(error) = errors_rx.try_recv() {
        errors.push(error);
    }
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies.to_agent.sort();
    latencies.to_visitor.sort();
    let lost: usize = pending.iter().map(Pending::waiting).sum();
    println!(
        "visitors {} (active {}), {} s, a message each way every {} s per active chat",
        args.visitors, args.active, args.seconds, args.pause
    );
    for (name, values) in [
        ("visitor → agent", &latencies.to_agent),
        ("agent → visitor", &latencies.to_visitor),
    ] {
        println!(
            "{name}: {} messages, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            values.len(),
            percentile(values, 0.50),
            percentile(values, 0.99),
            values.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        );
    }
    println!(
        "not seen arrive within {} s of the last send: {lost}; errors: {}",
        GRACE.as_secs(),
        errors.len()
    );
    for error in errors.iter().take(5) {
        println!("  {error}");
    }
    if args.timeline {
        if let Some(first) = latencies.timeline.iter().map(|(sent, _)| *sent).min() {
            let mut seconds: Vec<(usize, Duration)> = Vec::new();
            for (sent, took) in &latencies.timeline {
                let second = (*sent - first).as_secs() as usize;
                if seconds.len() <= second {
                    seconds.resize(second + 1, (0, Duration::ZERO));
                }
                seconds[second].0 += 1;
                seconds[second].1 = seconds[second].1.max(*took);
            }
            for (second, (count, slowest)) in seconds.iter().enumerate() {
                println!(
                    "  second {second:>3}: {count:>4} messages, slowest {:.1} ms",
                    slowest.as_secs_f64() * 1000.0
                );
            }
        }
    }
    if let Some(per) = memory {
        println!(
            "server memory per open visitor connection: {:.1} KiB",
            per / 1024.0
        );
    }
    Ok(())
}
