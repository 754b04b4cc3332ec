//! Phone load generator: starts `callflow serve` as a child process on a fresh data directory,
//! with an in-process Deepgram so that speech recognition answers instantly (prompts are
//! spoken by espeak-ng, then served from the server's speech cache), binds a phone number to
//! the order-status flow of the demo tenant, and places calls as Twilio does.
//!
//! - `--mode stream`: `--calls` concurrent media-stream calls, started evenly over
//!   `--ramp-secs`, then, after `--settle-secs`, measured for `--secs`. Each caller talks to
//!   the flow at real-time
//!   pace for as long as the run lasts: it listens to the prompts to their end, says what it
//!   wants (real recorded speech, which the local recogniser transcribes as 我还想查一个订单),
//!   types the order number 2024061801# on the keypad, hears the order status, and asks again.
//!   One call goes through every prompt first, so that the measured replies come from the
//!   speech cache. Reported over the measured window: the server's CPU and memory, the
//!   server's own timings of one inbound media frame and of a reply (from the caller's
//!   complete utterance or keys to the first audio byte sent), the latency the callers heard,
//!   and whether the load generator itself kept real-time pace.
//! - `--mode webhook`: `--concurrency` calls at a time in webhook mode (TwiML `<Gather>`):
//!   each call is answered, then takes speech and keypad turns through the same loop and says
//!   goodbye; reports turns per second and latency per turn.
//!
//! The server's log goes to `server.log` in the run's directory; warnings and errors in it
//! are counted in the summary. `scripts/phoneload` builds the binaries and runs it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use callflow_tests::fakes::deepgram::{FakeDeepgram, SPEECH_RMS};
use callflow_tests::fakes::media::{
    replay_fixture_audio, MediaStream, DTMF_GAP, FRAME, FRAME_BYTES,
};
use callflow_tests::fakes::twilio::{new_sid, sign};
use clap::{Parser, ValueEnum};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RunMode {
    /// Media-stream calls (`<Connect><Stream>`), with live recognition and synthesised prompts.
    Stream,
    /// Webhook calls (`<Gather>`), one HTTP request per turn.
    Webhook,
}

#[derive(Debug, Parser)]
#[command(about = "Place phone calls against a Callflow server started for the run")]
struct Args {
    /// Which kind of calls to place.
    #[arg(long, value_enum, default_value_t = RunMode::Stream)]
    mode: RunMode,
    /// Media-stream calls open at once (stream mode).
    #[arg(long, default_value_t = 1000)]
    calls: usize,
    /// Seconds over which the calls are started, evenly (stream mode).
    #[arg(long, default_value_t = 20)]
    ramp_secs: u64,
    /// Seconds between the end of the ramp and the start of the measurement (stream mode), so
    /// that the calls started last are past their setup.
    #[arg(long, default_value_t = 10)]
    settle_secs: u64,
    /// Seconds measured: after the ramp and the settling in stream mode, the whole run in
    /// webhook mode.
    #[arg(long, default_value_t = 60)]
    secs: u64,
    /// Calls in progress at once (webhook mode).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// The `callflow` binary; by default `target/release/callflow` of this repository.
    #[arg(long)]
    server: Option<PathBuf>,
    /// The server's database (`postgres://…`); by default a fresh SQLite file in the run's
    /// directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Name of the flow the number is bound to (the callers' script fits order-status).
    #[arg(long, default_value = "order-status")]
    flow: String,
    /// Run the server on these CPUs only (a `taskset` list such as `0`), to keep it apart
    /// from the load generator.
    #[arg(long)]
    server_cpus: Option<String>,
    /// Run this load generator on these CPUs only (a `taskset` list such as `1`).
    #[arg(long)]
    generator_cpus: Option<String>,
    /// Keep the run's directory (server log and data) instead of removing it.
    #[arg(long)]
    keep: bool,
    /// Also print the summary as one JSON object on the last line.
    #[arg(long)]
    json: bool,
}

/// The number the calls are placed to.
const NUMBER: &str = "+8657188880000";
/// The number the calls come from.
const CALLER: &str = "+8613800138000";
/// What the local recogniser hears whenever the caller speaks: asks for an order lookup,
/// both at the main menu and after an answer.
const TRANSCRIPT: &str = "我还想查一个订单";
/// The order number the callers type (shipped, in the demo shop).
const KEYS: &str = "2024061801#";
/// How long a caller waits before typing, after the prompt asking for the number ends.
const KEY_THINK: Duration = Duration::from_secs(1);
/// How long a caller waits for a prompt to be played to its end before giving up.
const PROMPT_WAIT: Duration = Duration::from_secs(30);
/// Silence after speech after which the server's recogniser ends a phrase (Deepgram's
/// `endpointing`, as the server asks for it).
const ENDPOINTING: Duration = Duration::from_millis(300);
/// Prompts the flow plays after the greeting, after speech, and after the order number.
const PROMPTS_AT_START: usize = 2;
const PROMPTS_AFTER_SPEECH: usize = 1;
const PROMPTS_AFTER_KEYS: usize = 3;

fn main() -> Result<(), String> {
    let args = Args::parse();
    if let Some(cpus) = &args.generator_cpus {
        // Before the runtime starts, so that every thread it makes inherits the affinity.
        let pinned = Command::new("taskset")
            .args(["-pc", cpus, &std::process::id().to_string()])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("taskset: {e}"))?;
        if !pinned.success() {
            return Err(format!("taskset could not pin this process to CPUs {cpus}"));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<(), String> {
    let root = callflow_tests::root();
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| root.join("target/release/callflow"));
    let binary = std::fs::canonicalize(&binary).map_err(|e| {
        format!(
            "no server binary at {} ({e}): build it with `cargo build --release -p server --bin callflow`",
            binary.display()
        )
    })?;
    let work = std::env::temp_dir().join(format!(
        "phoneload-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let deepgram = FakeDeepgram::start().await;
    deepgram.set_default_transcript(Some(TRANSCRIPT.to_owned()));
    let quiet = CpuSample::take(std::process::id());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let busy_before = CpuSample::take(std::process::id()).machine_percent(&quiet);
    eprintln!("machine busy before the run: {busy_before:.0} %");
    let mut server = ServerProcess::start(
        &binary,
        &work,
        &deepgram.base_url(),
        args.database_url.as_deref(),
        args.server_cpus.as_deref(),
    )?;
    let result = async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(4096)
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        server.wait_ready(&http).await?;
        let key = server.api_key().await?;
        let account = Account {
            sid: format!("AC{}", uuid::Uuid::new_v4().simple()),
            token: uuid::Uuid::new_v4().simple().to_string(),
        };
        let mode = match args.mode {
            RunMode::Stream => "stream",
            RunMode::Webhook => "webhook",
        };
        setup(
            &http,
            &server.base,
            &key,
            &account,
            deepgram.api_key(),
            &args.flow,
            mode,
        )
        .await?;
        let ctx = Arc::new(Ctx {
            http,
            base: server.base.clone(),
            account,
            speech: speech_audio(),
        });
        match args.mode {
            RunMode::Stream => run_stream(&args, ctx, &server, &deepgram).await,
            RunMode::Webhook => run_webhook(&args, ctx, &server).await,
        }
    }
    .await;
    server.stop();
    let log = scan_log(&server.log);
    let mut summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!(
                "the run failed; the server's log and data are kept in {}",
                work.display()
            );
            return Err(error);
        }
    };
    summary["server_log"] = log;
    summary["run_directory_kept"] = json!(args.keep);
    summary["machine_busy_before_percent"] = json!(busy_before);
    summary["server_cpus"] = json!(args.server_cpus);
    summary["generator_cpus"] = json!(args.generator_cpus);
    summary["database"] = json!(match &args.database_url {
        Some(url) if url.starts_with("postgres") => "postgresql",
        _ => "sqlite",
    });
    print_summary(&summary);
    if args.keep {
        println!("run directory kept: {} (server.log, data/)", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    if args.json {
        println!("{summary}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

struct ServerProcess {
    child: Option<Child>,
    pid: u32,
    base: String,
    data: PathBuf,
    log: PathBuf,
}

impl ServerProcess {
    fn start(
        binary: &Path,
        work: &Path,
        deepgram_url: &str,
        database_url: Option<&str>,
        cpus: Option<&str>,
    ) -> Result<ServerProcess, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr: SocketAddr| addr.port())
            .map_err(|e| format!("no free port: {e}"))?;
        let data = work.join("data");
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        let log = work.join("server.log");
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut command = match cpus {
            Some(cpus) => {
                let mut taskset = Command::new("taskset");
                taskset.args(["-c", cpus]).arg(binary);
                taskset
            }
            None => Command::new(binary),
        };
        command
            .arg("serve")
            .current_dir(work)
            .env("CALLFLOW_LISTEN", format!("127.0.0.1:{port}"))
            .env("CALLFLOW_DATA_DIR", &data)
            // Only the load's own calls: the demo tenant's past ones would be counted meanwhile.
            .env("CALLFLOW_WITHOUT_DEMO_HISTORY", "true")
            .env("CALLFLOW_DEEPGRAM_URL", deepgram_url)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .env("NO_COLOR", "1")
            .env_remove("CALLFLOW_PUBLIC_URL")
            .env_remove("CALLFLOW_CONFIG")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        match database_url {
            Some(url) => command.env("DATABASE_URL", url),
            None => command.env_remove("DATABASE_URL"),
        };
        let child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        Ok(ServerProcess {
            pid: child.id(),
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            data,
            log,
        })
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!(
                        "the server exited ({status}); its log is {}",
                        self.log.display()
                    ));
                }
            }
            let ready = http
                .get(format!("{}/readyz", self.base))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the server was not ready within 60 s".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The demo owner's API key, from the credentials the first run wrote.
    async fn api_key(&self) -> Result<String, String> {
        let path = self.data.join("first-run.txt");
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&path) {
                let key = text
                    .lines()
                    .find_map(|line| line.trim().strip_prefix("API key:"))
                    .map(|rest| rest.trim().to_owned());
                if let Some(key) = key.filter(|key| !key.is_empty()) {
                    return Ok(key);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("no API key in {}", path.display()))
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s).
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Twilio account the calls belong to.
struct Account {
    sid: String,
    token: String,
}

/// Sets the demo tenant's telephony (the account, the local Deepgram, espeak-ng voices) and
/// binds [`NUMBER`] to the flow in `mode`.
async fn setup(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    account: &Account,
    deepgram_key: &str,
    flow: &str,
    mode: &str,
) -> Result<(), String> {
    let settings = json!({
        "twilio": { "account_sid": account.sid, "auth_token": account.token },
        "deepgram": { "api_key": deepgram_key },
        "speech": { "asr": { "provider": "deepgram", "fallback": "twilio" },
                    "tts": { "provider": "espeak" } },
    });
    api(
        http,
        reqwest::Method::PUT,
        base,
        key,
        "/api/v1/telephony",
        Some(&settings),
    )
    .await?;
    let flows = api(http, reqwest::Method::GET, base, key, "/api/v1/flows", None).await?;
    let list = flows
        .as_array()
        .or_else(|| flows["flows"].as_array())
        .cloned()
        .unwrap_or_default();
    let flow_id = list
        .iter()
        .find(|f| f["name"] == flow)
        .and_then(|f| f["id"].as_str())
        .ok_or_else(|| format!("no flow named {flow}: {flows}"))?
        .to_owned();
    let path = format!("/api/v1/phone-numbers/{}", NUMBER.replace('+', "%2B"));
    api(
        http,
        reqwest::Method::PUT,
        base,
        key,
        &path,
        Some(&json!({ "flow_id": flow_id, "mode": mode })),
    )
    .await?;
    Ok(())
}

async fn api(
    http: &reqwest::Client,
    method: reqwest::Method,
    base: &str,
    key: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut request = http
        .request(method, format!("{base}{path}"))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{path}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{path}: {status}: {text}"));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Calls, as Twilio places them
// ---------------------------------------------------------------------------------------------

struct Ctx {
    http: reqwest::Client,
    base: String,
    account: Account,
    /// The caller's speech: the replay fixture's recording up to the end of its last word.
    speech: Vec<u8>,
}

impl Ctx {
    /// Twilio's standard parameters of a voice webhook for `call_sid`.
    fn params(&self, call_sid: &str, status: &str) -> Vec<(String, String)> {
        [
            ("AccountSid", self.account.sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", call_sid),
            ("CallStatus", status),
            ("Direction", "inbound"),
            ("From", CALLER),
            ("To", NUMBER),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// A signed webhook: a form POST to `url` with `X-Twilio-Signature` over the exact URL;
    /// returns the TwiML.
    async fn webhook(&self, url: &str, params: &[(String, String)]) -> Result<String, String> {
        let signature = sign(&self.account.token, url, params);
        let response = self
            .http
            .post(url)
            .header("X-Twilio-Signature", signature)
            .form(params)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {url}: {status}: {text}"));
        }
        Ok(text)
    }

    /// Rings the number as a new inbound call; returns the TwiML that answers it.
    async fn ring(&self, call_sid: &str) -> Result<String, String> {
        let url = format!("{}/twilio/voice", self.base);
        self.webhook(&url, &self.params(call_sid, "ringing")).await
    }
}

/// The `<Connect><Stream>` of a TwiML answer: the WebSocket URL and the `<Parameter>`s.
fn stream_of(twiml: &str) -> Result<(String, Vec<(String, String)>), String> {
    let document = roxmltree::Document::parse(twiml).map_err(|e| format!("TwiML: {e}"))?;
    let stream = document
        .descendants()
        .find(|node| node.has_tag_name("Stream"))
        .ok_or_else(|| format!("the answer has no <Stream>: {twiml}"))?;
    let url = stream
        .attribute("url")
        .ok_or("the <Stream> has no url")?
        .to_owned();
    let parameters = stream
        .children()
        .filter(|node| node.has_tag_name("Parameter"))
        .filter_map(|node| {
            Some((
                node.attribute("name")?.to_owned(),
                node.attribute("value")?.to_owned(),
            ))
        })
        .collect();
    Ok((url, parameters))
}

/// What a webhook-mode TwiML answer asks for next.
enum Twiml {
    /// A `<Gather>` posting to this action.
    Gather(String),
    Hangup,
    /// Anything else (a transfer, an error message).
    Other,
}

fn twiml_next(twiml: &str) -> Twiml {
    let Ok(document) = roxmltree::Document::parse(twiml) else {
        return Twiml::Other;
    };
    if let Some(action) = document
        .descendants()
        .find(|node| node.has_tag_name("Gather"))
        .and_then(|gather| gather.attribute("action"))
    {
        return Twiml::Gather(action.to_owned());
    }
    if document
        .descendants()
        .any(|node| node.has_tag_name("Hangup"))
    {
        return Twiml::Hangup;
    }
    Twiml::Other
}

/// The replay fixture's speech, cut after its last speech block (by the local recogniser's
/// own rule), so that the caller's input ends where the words end and the recogniser's
/// endpointing runs on the line's silence that follows.
fn speech_audio() -> Vec<u8> {
    let audio = replay_fixture_audio();
    let threshold = u64::from(SPEECH_RMS) * u64::from(SPEECH_RMS) * FRAME_BYTES as u64;
    let mut end = audio.len();
    for (index, block) in audio.chunks(FRAME_BYTES).enumerate() {
        let energy: u64 = block
            .iter()
            .map(|&code| {
                let sample = i64::from(speech::mulaw::decode(code));
                (sample * sample) as u64
            })
            .sum();
        if block.len() == FRAME_BYTES && energy > threshold {
            end = (index + 1) * FRAME_BYTES;
        }
    }
    audio[..end].to_vec()
}

// ---------------------------------------------------------------------------------------------
// Media-stream mode
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Speech,
    Keys,
}

/// One input the server answered: when its first audio arrived, and how long after the end of
/// the input.
struct Answer {
    at: Instant,
    input: Input,
    latency: Duration,
}

#[derive(Default)]
struct CallOutcome {
    connected: bool,
    /// Why the call did not last until the end of the run.
    failure: Option<String>,
    failed_at: Option<Instant>,
    answers: Vec<Answer>,
    /// Inputs answered with another number of prompts than the script expects.
    off_script: usize,
    protocol_errors: Vec<String>,
    frames_sent: u64,
    /// Frames a real-time line would have sent while the call was up.
    frames_due: u64,
    /// When the stream was open, from the `start` message to the hang-up.
    open: Option<(Instant, Instant)>,
    /// From ringing to the TwiML answer.
    answer_latency: Option<Duration>,
    /// From the stream's start to the first audio of the greeting.
    greeting_latency: Option<Duration>,
    clears: usize,
}

/// One media-stream call: rings, connects the stream, follows the script until `stop` (or
/// for `max_inputs` inputs), and hangs up.
async fn stream_call(
    ctx: Arc<Ctx>,
    mut stop: watch::Receiver<bool>,
    max_inputs: Option<usize>,
) -> CallOutcome {
    let mut outcome = CallOutcome::default();
    let call_sid = new_sid("CA");
    let connected = async {
        let ringing = Instant::now();
        let twiml = ctx.ring(&call_sid).await?;
        outcome.answer_latency = Some(ringing.elapsed());
        let (url, parameters) = stream_of(&twiml)?;
        MediaStream::connect(
            &url,
            &ctx.account.token,
            &ctx.account.sid,
            &call_sid,
            parameters,
        )
        .await
    }
    .await;
    let mut stream = match connected {
        Ok(stream) => stream,
        Err(error) => {
            outcome.failure = Some(error);
            outcome.failed_at = Some(Instant::now());
            return outcome;
        }
    };
    outcome.connected = true;
    let started = Instant::now();
    if stream.wait_playing(PROMPT_WAIT).await {
        outcome.greeting_latency = Some(started.elapsed());
    }
    let failure = tokio::select! {
        failure = converse(&mut stream, &ctx, &mut outcome, max_inputs) => failure,
        _ = stop.wait_for(|stopped| *stopped) => None,
    };
    if failure.is_some() {
        outcome.failed_at = Some(Instant::now());
    }
    outcome.failure = failure;
    let lived = started.elapsed();
    outcome.open = Some((started, started + lived));
    let report = stream.hang_up().await;
    outcome.frames_sent = report.media_messages_sent as u64;
    outcome.frames_due = (lived.as_micros() / FRAME.as_micros()) as u64;
    outcome.protocol_errors = report.protocol_errors;
    outcome.clears = report.clears;
    outcome
}

/// The caller's side of the conversation; returns why it could not go on, if it could not.
async fn converse(
    stream: &mut MediaStream,
    ctx: &Ctx,
    outcome: &mut CallOutcome,
    max_inputs: Option<usize>,
) -> Option<String> {
    if !stream.wait_prompt_played(PROMPT_WAIT).await {
        return Some(stuck(stream, "the greeting"));
    }
    let mut marks = stream.report().marks_sent_by_server.len();
    if marks != PROMPTS_AT_START {
        outcome.off_script += 1;
    }
    let mut inputs = 0;
    loop {
        for (input, expected) in [
            (Input::Speech, PROMPTS_AFTER_SPEECH),
            (Input::Keys, PROMPTS_AFTER_KEYS),
        ] {
            if max_inputs.is_some_and(|max| inputs >= max) {
                return None;
            }
            match input {
                Input::Speech => stream.send_audio_owned(ctx.speech.clone()).await,
                Input::Keys => {
                    tokio::time::sleep(KEY_THINK).await;
                    for (i, key) in KEYS.chars().enumerate() {
                        if i > 0 {
                            tokio::time::sleep(DTMF_GAP).await;
                        }
                        stream.send_dtmf(key).await;
                    }
                }
            }
            let ended = Instant::now();
            inputs += 1;
            if !stream.wait_prompt_played(PROMPT_WAIT).await {
                let what = match input {
                    Input::Speech => "speech",
                    Input::Keys => "the order number",
                };
                return Some(stuck(stream, &format!("the answer to {what}")));
            }
            let report = stream.report();
            if let Some(latency) = report.first_audio_after_last_input {
                outcome.answers.push(Answer {
                    at: ended + latency,
                    input,
                    latency,
                });
            }
            let now = report.marks_sent_by_server.len();
            if now - marks != expected {
                outcome.off_script += 1;
            }
            marks = now;
        }
    }
}

fn stuck(stream: &MediaStream, waiting_for: &str) -> String {
    match stream.is_closed() {
        true => format!("the server closed the stream while the caller waited for {waiting_for}"),
        false => format!("{waiting_for} was not heard within {PROMPT_WAIT:?}"),
    }
}

async fn run_stream(
    args: &Args,
    ctx: Arc<Ctx>,
    server: &ServerProcess,
    deepgram: &FakeDeepgram,
) -> Result<Value, String> {
    // One call through every prompt of the loop, so that the measured replies are cached.
    let (hold, held) = watch::channel(false);
    let warm = stream_call(ctx.clone(), held, Some(3)).await;
    drop(hold);
    if let Some(failure) = &warm.failure {
        return Err(format!("the warm-up call failed: {failure}"));
    }
    if warm.off_script > 0 || !warm.protocol_errors.is_empty() {
        return Err(format!(
            "the warm-up call did not follow the script ({} turns off script; protocol errors: {:?})",
            warm.off_script, warm.protocol_errors
        ));
    }
    eprintln!(
        "warm-up call done (every prompt of the loop synthesised and cached); starting {} calls over {} s",
        args.calls, args.ramp_secs
    );

    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let ramp = Duration::from_secs(args.ramp_secs);
    let window_start = started + ramp + Duration::from_secs(args.settle_secs);
    let window_end = window_start + Duration::from_secs(args.secs);
    let worst_lag = Arc::new(AtomicU64::new(0));
    let probe = tokio::spawn(timer_probe(stop_rx.clone(), worst_lag.clone()));
    let launched = Arc::new(AtomicUsize::new(0));
    let progress = tokio::spawn(progress(
        ctx.clone(),
        server.pid,
        launched.clone(),
        worst_lag,
        started,
        stop_rx.clone(),
    ));
    let launcher = {
        let (ctx, stop_rx, launched) = (ctx.clone(), stop_rx.clone(), launched.clone());
        let calls = args.calls.max(1);
        tokio::spawn(async move {
            let mut handles = Vec::with_capacity(calls);
            for i in 0..calls {
                tokio::time::sleep_until(started + ramp.mul_f64(i as f64 / calls as f64)).await;
                handles.push(tokio::spawn(stream_call(
                    ctx.clone(),
                    stop_rx.clone(),
                    None,
                )));
                launched.fetch_add(1, Ordering::Relaxed);
            }
            handles
        })
    };
    tokio::time::sleep_until(window_start).await;
    let cpu_before = CpuSample::take(server.pid);
    let metrics_before = Metrics::fetch(&ctx).await?;
    let audio_before = deepgram.stats().audio_bytes;
    tokio::time::sleep_until(window_end).await;
    let cpu_after = CpuSample::take(server.pid);
    let audio_after = deepgram.stats().audio_bytes;
    let metrics_after = Metrics::fetch(&ctx).await?;
    let memory = Memory::of(server.pid);
    stop_tx.send_replace(true);
    let handles = launcher.await.map_err(|e| e.to_string())?;
    let mut outcomes = Vec::with_capacity(handles.len());
    for handle in handles {
        outcomes.push(handle.await.map_err(|e| e.to_string())?);
    }
    let lags = probe.await.map_err(|e| e.to_string())?;
    let _ = progress.await;

    let window = Window {
        start: window_start,
        end: window_end,
    };
    let wall = cpu_after.at.duration_since(cpu_before.at).as_secs_f64();
    let streams_before = metrics_before
        .value("callflow_active_streams")
        .unwrap_or(0.0);
    let streams_after = metrics_after
        .value("callflow_active_streams")
        .unwrap_or(0.0);
    let turns = metrics_after.value("callflow_turns_total").unwrap_or(0.0)
        - metrics_before.value("callflow_turns_total").unwrap_or(0.0);
    let frame = metrics_after.histogram_since("callflow_phone_frame_seconds", &metrics_before);
    let reply = metrics_after.histogram_since("callflow_phone_reply_seconds", &metrics_before);

    let mut speech = Vec::new();
    let mut keys = Vec::new();
    for answer in outcomes.iter().flat_map(|o| &o.answers) {
        if window.contains(answer.at) {
            let micros = u32::try_from(answer.latency.as_micros()).unwrap_or(u32::MAX);
            match answer.input {
                Input::Speech => speech.push(micros),
                Input::Keys => keys.push(micros),
            }
        }
    }
    speech.sort_unstable();
    keys.sort_unstable();
    let mut lag_in_window: Vec<u32> = lags
        .iter()
        .filter(|(at, _)| window.contains(*at))
        .map(|(_, lag)| *lag)
        .collect();
    lag_in_window.sort_unstable();
    let connected = outcomes.iter().filter(|o| o.connected).count();
    let failed: Vec<&CallOutcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
    let failed_in_window = failed
        .iter()
        .filter(|o| o.failed_at.is_some_and(|at| at <= window.end))
        .count();
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for outcome in &failed {
        if let Some(failure) = &outcome.failure {
            *failures.entry(failure.clone()).or_default() += 1;
        }
    }
    let protocol_errors: usize = outcomes.iter().map(|o| o.protocol_errors.len()).sum();
    let mut protocol_examples: Vec<&String> =
        outcomes.iter().flat_map(|o| &o.protocol_errors).collect();
    protocol_examples.dedup();
    protocol_examples.truncate(5);
    let off_script: usize = outcomes.iter().map(|o| o.off_script).sum();
    let clears: usize = outcomes.iter().map(|o| o.clears).sum();
    let frames_sent: u64 = outcomes.iter().map(|o| o.frames_sent).sum();
    let frames_due: u64 = outcomes.iter().map(|o| o.frames_due).sum();
    // Every open stream carries 8,000 bytes of caller audio a second, speech or silence.
    let audio_expected: f64 = outcomes
        .iter()
        .filter_map(|o| o.open)
        .map(|(opened, closed)| {
            let from = opened.max(cpu_before.at);
            let to = closed.min(cpu_after.at);
            to.saturating_duration_since(from).as_secs_f64() * 8000.0
        })
        .sum();
    let sorted_micros = |pick: fn(&CallOutcome) -> Option<Duration>| {
        let mut micros: Vec<u32> = outcomes
            .iter()
            .filter_map(pick)
            .map(|d| u32::try_from(d.as_micros()).unwrap_or(u32::MAX))
            .collect();
        micros.sort_unstable();
        micros
    };
    let answer_latency = sorted_micros(|o| o.answer_latency);
    let greeting_latency = sorted_micros(|o| o.greeting_latency);
    let audio_forwarded = (audio_after - audio_before) as f64;

    Ok(json!({
        "mode": "stream",
        "calls": args.calls,
        "ramp_secs": args.ramp_secs,
        "settle_secs": args.settle_secs,
        "window_secs": wall,
        "active_streams": { "window_start": streams_before, "window_end": streams_after },
        "calls_connected": connected,
        "calls_completed": outcomes.iter().filter(|o| o.connected && o.failure.is_none()).count(),
        "calls_failed": failed.len(),
        "calls_failed_by_window_end": failed_in_window,
        "failures": failures,
        "turns_off_script": off_script,
        "protocol_errors": protocol_errors,
        "protocol_error_examples": protocol_examples,
        "clears": clears,
        "turns_per_s": turns / wall,
        "setup_answer_ms": latency_json(&answer_latency),
        "setup_greeting_ms": latency_json(&greeting_latency),
        "server": cpu_json(&cpu_before, &cpu_after, &memory),
        "frame_ms": frame.as_ref().map(Histogram::summary_ms),
        "reply_ms": reply.as_ref().map(Histogram::summary_ms),
        "client_speech_reply_ms": latency_json(&speech),
        "client_keys_reply_ms": latency_json(&keys),
        "endpointing_ms": ENDPOINTING.as_millis() as u64,
        "audio_to_recognition": {
            "bytes": audio_forwarded,
            "expected_bytes": audio_expected,
            "ratio": if audio_expected > 0.0 { audio_forwarded / audio_expected } else { 0.0 },
        },
        "load_generator": {
            "timer_lag_ms": latency_json(&lag_in_window),
            "frames_sent": frames_sent,
            "frames_due": frames_due,
            "frames_short": frames_due.saturating_sub(frames_sent),
        },
    }))
}

struct Window {
    start: Instant,
    end: Instant,
}

impl Window {
    fn contains(&self, at: Instant) -> bool {
        at >= self.start && at <= self.end
    }
}

/// How late this process's timers fire: a task asks to wake every 20 ms (the media frames'
/// period) and notes how late it woke, in microseconds.
async fn timer_probe(
    mut stop: watch::Receiver<bool>,
    worst: Arc<AtomicU64>,
) -> Vec<(Instant, u32)> {
    let mut lags = Vec::new();
    let mut next = Instant::now() + FRAME;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = stop.wait_for(|stopped| *stopped) => return lags,
        }
        let now = Instant::now();
        let lag = now.saturating_duration_since(next);
        let micros = u32::try_from(lag.as_micros()).unwrap_or(u32::MAX);
        worst.fetch_max(u64::from(micros), Ordering::Relaxed);
        lags.push((now, micros));
        next += FRAME;
        if next < now {
            next = now + FRAME;
        }
    }
}

/// Prints how the run is going every 5 s, on stderr.
async fn progress(
    ctx: Arc<Ctx>,
    pid: u32,
    launched: Arc<AtomicUsize>,
    worst_lag: Arc<AtomicU64>,
    started: Instant,
    mut stop: watch::Receiver<bool>,
) {
    let mut last = CpuSample::take(pid);
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        let now = CpuSample::take(pid);
        let streams = match Metrics::fetch(&ctx).await {
            Ok(metrics) => metrics.value("callflow_active_streams").unwrap_or(0.0),
            Err(_) => f64::NAN,
        };
        eprintln!(
            "{:>5.1} s: {} calls started, {streams} streams open; server CPU {:.0} % of one core, this process {:.0} %, its worst timer lag {:.1} ms",
            started.elapsed().as_secs_f64(),
            launched.load(Ordering::Relaxed),
            now.server_core_percent(&last),
            now.own_core_percent(&last),
            worst_lag.swap(0, Ordering::Relaxed) as f64 / 1000.0,
        );
        last = now;
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook mode
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TurnKind {
    Answer,
    Speech,
    Keys,
}

/// What the caller says or types after the call is answered, in order; the last ends the call.
const WEBHOOK_SCRIPT: &[(TurnKind, &str)] = &[
    (TurnKind::Speech, "我的快递到哪了"),
    (TurnKind::Keys, "2024061801"),
    (TurnKind::Speech, TRANSCRIPT),
    (TurnKind::Keys, "2024061801"),
    (TurnKind::Speech, "没有了，谢谢"),
];

#[derive(Default)]
struct WebhookTotals {
    calls: AtomicUsize,
    errors: AtomicUsize,
    off_script: AtomicUsize,
}

/// One webhook-mode call; records each turn's kind and latency in microseconds.
async fn webhook_call(
    ctx: &Ctx,
    totals: &WebhookTotals,
    turns: &mut Vec<(Instant, TurnKind, u32)>,
    stop: &AtomicBool,
) {
    let timed = |started: Instant| u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    let call_sid = new_sid("CA");
    let started = Instant::now();
    let mut twiml = match ctx.ring(&call_sid).await {
        Ok(twiml) => twiml,
        Err(error) => {
            totals.errors.fetch_add(1, Ordering::Relaxed);
            eprintln!("{error}");
            return;
        }
    };
    turns.push((Instant::now(), TurnKind::Answer, timed(started)));
    for (index, (kind, input)) in WEBHOOK_SCRIPT.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let Twiml::Gather(action) = twiml_next(&twiml) else {
            totals.off_script.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let mut params = ctx.params(&call_sid, "in-progress");
        match kind {
            TurnKind::Keys => params.push(("Digits".to_owned(), (*input).to_owned())),
            _ => {
                params.push(("SpeechResult".to_owned(), (*input).to_owned()));
                params.push(("Confidence".to_owned(), "0.92".to_owned()));
            }
        }
        let started = Instant::now();
        twiml = match ctx.webhook(&action, &params).await {
            Ok(twiml) => twiml,
            Err(error) => {
                totals.errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("{error}");
                return;
            }
        };
        turns.push((Instant::now(), *kind, timed(started)));
        if index + 1 == WEBHOOK_SCRIPT.len() && !matches!(twiml_next(&twiml), Twiml::Hangup) {
            totals.off_script.fetch_add(1, Ordering::Relaxed);
        }
    }
    totals.calls.fetch_add(1, Ordering::Relaxed);
}

async fn run_webhook(args: &Args, ctx: Arc<Ctx>, server: &ServerProcess) -> Result<Value, String> {
    // One call first, to check that the flow follows the script.
    let totals = Arc::new(WebhookTotals::default());
    let stop = Arc::new(AtomicBool::new(false));
    webhook_call(&ctx, &totals, &mut Vec::new(), &stop).await;
    if totals.calls.load(Ordering::Relaxed) != 1 || totals.off_script.load(Ordering::Relaxed) > 0 {
        return Err("the first webhook call did not follow the script".to_owned());
    }
    let totals = Arc::new(WebhookTotals::default());
    let metrics_before = Metrics::fetch(&ctx).await?;
    let cpu_before = CpuSample::take(server.pid);
    let workers: Vec<_> = (0..args.concurrency.max(1))
        .map(|_| {
            let (ctx, totals, stop) = (ctx.clone(), totals.clone(), stop.clone());
            tokio::spawn(async move {
                let mut turns = Vec::with_capacity(100_000);
                while !stop.load(Ordering::Relaxed) {
                    webhook_call(&ctx, &totals, &mut turns, &stop).await;
                }
                turns
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(args.secs)).await;
    stop.store(true, Ordering::Relaxed);
    let cpu_after = CpuSample::take(server.pid);
    let mut turns = Vec::new();
    for worker in workers {
        turns.extend(worker.await.map_err(|e| e.to_string())?);
    }
    let metrics_after = Metrics::fetch(&ctx).await?;
    let memory = Memory::of(server.pid);
    let end = cpu_after.at;
    let wall = end.duration_since(cpu_before.at).as_secs_f64();
    let mut all: Vec<u32> = Vec::new();
    let mut by_kind: BTreeMap<TurnKind, Vec<u32>> = BTreeMap::new();
    for (_, kind, latency) in turns.iter().filter(|(at, _, _)| *at <= end) {
        all.push(*latency);
        by_kind.entry(*kind).or_default().push(*latency);
    }
    all.sort_unstable();
    let kinds: serde_json::Map<String, Value> = by_kind
        .iter_mut()
        .map(|(kind, latencies)| {
            latencies.sort_unstable();
            let name = match kind {
                TurnKind::Answer => "answer",
                TurnKind::Speech => "speech",
                TurnKind::Keys => "keys",
            };
            (name.to_owned(), latency_json(latencies))
        })
        .collect();
    let server_turns = metrics_after.value("callflow_turns_total").unwrap_or(0.0)
        - metrics_before.value("callflow_turns_total").unwrap_or(0.0);
    Ok(json!({
        "mode": "webhook",
        "concurrency": args.concurrency,
        "window_secs": wall,
        "turns": all.len(),
        "turns_per_s": all.len() as f64 / wall,
        "flow_events_per_s": server_turns / wall,
        "calls_completed": totals.calls.load(Ordering::Relaxed),
        "errors": totals.errors.load(Ordering::Relaxed),
        "turns_off_script": totals.off_script.load(Ordering::Relaxed),
        "latency_ms": latency_json(&all),
        "latency_by_turn_ms": kinds,
        "server": cpu_json(&cpu_before, &cpu_after, &memory),
    }))
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

/// CPU time used so far by the server and by this process (clock ticks), and by the machine.
#[derive(Clone, Copy)]
struct CpuSample {
    at: Instant,
    server: u64,
    own: u64,
    /// Context switches of all the server's threads so far.
    server_switches: u64,
    machine_busy: u64,
    machine_total: u64,
    /// The machine's time in interrupts and softirqs (the network stack, mostly), and taken
    /// by the hypervisor.
    machine_irq: u64,
    machine_steal: u64,
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The machine's CPUs (not only those this process may run on).
fn cores() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let count = stat
        .lines()
        .filter(|line| {
            line.strip_prefix("cpu")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    count.max(1) as f64
}

/// utime + stime (+ the same for waited-for children) of a process, in clock ticks.
fn process_ticks(stat: &str) -> u64 {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    // Fields 14-17 of /proc/PID/stat; `rest` starts at field 3 (the state, skipped).
    fields.get(10..14).map_or(0, |times| times.iter().sum())
}

/// Voluntary and involuntary context switches of every thread of a process.
fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter(|line| line.contains("ctxt_switches:"))
                .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}

impl CpuSample {
    fn take(pid: u32) -> CpuSample {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let machine: Vec<u64> = read("/proc/stat")
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .map(|field| field.parse().unwrap_or(0))
            .collect();
        let total: u64 = machine.iter().take(8).sum();
        let idle = machine.get(3).copied().unwrap_or(0) + machine.get(4).copied().unwrap_or(0);
        CpuSample {
            at: Instant::now(),
            server: process_ticks(&read(&format!("/proc/{pid}/stat"))),
            own: process_ticks(&read("/proc/self/stat")),
            server_switches: context_switches(pid),
            machine_busy: total.saturating_sub(idle),
            machine_total: total,
            machine_irq: machine.get(5).copied().unwrap_or(0)
                + machine.get(6).copied().unwrap_or(0),
            machine_steal: machine.get(7).copied().unwrap_or(0),
        }
    }

    fn seconds(&self, earlier: &CpuSample) -> f64 {
        self.at.duration_since(earlier.at).as_secs_f64().max(1e-9)
    }

    fn server_core_percent(&self, earlier: &CpuSample) -> f64 {
        (self.server.saturating_sub(earlier.server)) as f64
            / clock_ticks_per_second()
            / self.seconds(earlier)
            * 100.0
    }

    fn own_core_percent(&self, earlier: &CpuSample) -> f64 {
        (self.own.saturating_sub(earlier.own)) as f64
            / clock_ticks_per_second()
            / self.seconds(earlier)
            * 100.0
    }

    /// Interrupt and softirq time, and steal time, as % of the machine.
    fn machine_irq_steal_percent(&self, earlier: &CpuSample) -> (f64, f64) {
        let total = self
            .machine_total
            .saturating_sub(earlier.machine_total)
            .max(1) as f64;
        (
            self.machine_irq.saturating_sub(earlier.machine_irq) as f64 / total * 100.0,
            self.machine_steal.saturating_sub(earlier.machine_steal) as f64 / total * 100.0,
        )
    }

    fn machine_percent(&self, earlier: &CpuSample) -> f64 {
        let total = self
            .machine_total
            .saturating_sub(earlier.machine_total)
            .max(1);
        self.machine_busy.saturating_sub(earlier.machine_busy) as f64 / total as f64 * 100.0
    }
}

/// The server's resident memory now and at its peak, in KiB.
struct Memory {
    rss_kib: u64,
    peak_kib: u64,
}

impl Memory {
    fn of(pid: u32) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            peak_kib: field("VmHWM:"),
        }
    }
}

fn cpu_json(before: &CpuSample, after: &CpuSample, memory: &Memory) -> Value {
    let server = after.server_core_percent(before);
    let (irq, steal) = after.machine_irq_steal_percent(before);
    json!({
        "cpu_percent_of_one_core": server,
        "cpu_percent_of_machine": server / cores(),
        "cores": cores(),
        "rss_mib": memory.rss_kib as f64 / 1024.0,
        "peak_rss_mib": memory.peak_kib as f64 / 1024.0,
        "load_generator_cpu_percent_of_one_core": after.own_core_percent(before),
        "machine_busy_percent": after.machine_percent(before),
        "machine_irq_percent": irq,
        "machine_steal_percent": steal,
        "context_switches_per_s": after.server_switches.saturating_sub(before.server_switches)
            as f64
            / after.seconds(before),
        // Interrupt and softirq time is part of the processes' own system time when it runs on
        // their behalf, so it is not taken off here.
        "other_processes_percent_of_one_core": (after.machine_percent(before) * cores()
            - server
            - after.own_core_percent(before))
            .max(0.0),
    })
}

/// A scrape of the server's `/metrics`.
struct Metrics {
    text: String,
}

/// A Prometheus histogram: cumulative counts by upper bound, `+Inf` last.
struct Histogram {
    buckets: Vec<(f64, f64)>,
    sum: f64,
    count: f64,
}

impl Metrics {
    async fn fetch(ctx: &Ctx) -> Result<Metrics, String> {
        let text = ctx
            .http
            .get(format!("{}/metrics", ctx.base))
            .send()
            .await
            .map_err(|e| format!("/metrics: {e}"))?
            .text()
            .await
            .map_err(|e| format!("/metrics: {e}"))?;
        Ok(Metrics { text })
    }

    fn samples(&self) -> impl Iterator<Item = (&str, f64)> {
        self.text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (series, value) = line.rsplit_once(' ')?;
                Some((series.trim(), value.trim().parse().ok()?))
            })
    }

    fn value(&self, series: &str) -> Option<f64> {
        self.samples()
            .find(|(name, _)| *name == series)
            .map(|(_, value)| value)
    }

    fn histogram(&self, name: &str) -> Option<Histogram> {
        let bucket = format!("{name}_bucket{{le=\"");
        let mut buckets = Vec::new();
        for (series, value) in self.samples() {
            if let Some(bound) = series.strip_prefix(&bucket) {
                let bound = bound.trim_end_matches("\"}");
                let bound = match bound {
                    "+Inf" => f64::INFINITY,
                    other => other.parse().ok()?,
                };
                buckets.push((bound, value));
            }
        }
        if buckets.is_empty() {
            return None;
        }
        Some(Histogram {
            buckets,
            sum: self.value(&format!("{name}_sum"))?,
            count: self.value(&format!("{name}_count"))?,
        })
    }

    /// The observations of histogram `name` made since `earlier`.
    fn histogram_since(&self, name: &str, earlier: &Metrics) -> Option<Histogram> {
        let now = self.histogram(name)?;
        let before = earlier.histogram(name)?;
        Some(Histogram {
            buckets: now
                .buckets
                .iter()
                .zip(&before.buckets)
                .map(|((bound, after), (_, before))| (*bound, after - before))
                .collect(),
            sum: now.sum - before.sum,
            count: now.count - before.count,
        })
    }
}

impl Histogram {
    /// The `q` quantile in seconds, interpolated linearly within its bucket (the way
    /// Prometheus's `histogram_quantile` does); `None` without observations. When it falls
    /// in the first bucket only its bound is known (`"at_most"`), and in the `+Inf` bucket
    /// only the last finite bound (`"above"`).
    fn quantile(&self, q: f64) -> Option<(f64, Option<&'static str>)> {
        let total = self.buckets.last()?.1;
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let mut lower: Option<(f64, f64)> = None;
        for &(bound, count) in &self.buckets {
            if count >= rank {
                let Some((low, below)) = lower else {
                    return Some((bound, Some("at_most")));
                };
                if bound.is_infinite() {
                    return Some((low, Some("above")));
                }
                let within = count - below;
                let fraction = if within > 0.0 {
                    (rank - below) / within
                } else {
                    1.0
                };
                return Some((low + (bound - low) * fraction, None));
            }
            lower = Some((bound, count));
        }
        lower.map(|(low, _)| (low, Some("above")))
    }

    fn summary_ms(&self) -> Value {
        let quantile = |q: f64| {
            self.quantile(q)
                .map(|(seconds, bound)| json!({ "ms": seconds * 1000.0, "bound": bound }))
        };
        let le = |limit: f64| {
            self.buckets
                .iter()
                .find(|(bound, _)| (*bound - limit).abs() < 1e-12)
                .map(|(_, count)| count / self.count.max(1.0))
        };
        json!({
            "count": self.count,
            "mean": if self.count > 0.0 { self.sum / self.count * 1000.0 } else { 0.0 },
            "p50": quantile(0.50),
            "p99": quantile(0.99),
            "p999": quantile(0.999),
            "share_within_2ms": le(0.002),
            "share_within_5ms": le(0.005),
        })
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

fn latency_json(sorted: &[u32]) -> Value {
    json!({
        "count": sorted.len(),
        "p50": percentile(sorted, 50.0),
        "p90": percentile(sorted, 90.0),
        "p99": percentile(sorted, 99.0),
        "max": percentile(sorted, 100.0),
    })
}

/// Warnings and errors in the server's log: how many, and the distinct messages.
fn scan_log(path: &Path) -> Value {
    let raw = std::fs::read_to_string(path).unwrap_or_default();
    let text = strip_ansi(&raw);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut warnings, mut errors) = (0, 0);
    for line in text.lines() {
        let level = if line.contains(" ERROR ") {
            errors += 1;
            "ERROR"
        } else if line.contains(" WARN ") {
            warnings += 1;
            "WARN"
        } else {
            continue;
        };
        // Without the timestamp, and with words holding digits (ids, numbers) as `#`, so that
        // alike messages count together.
        let message = line.split_once(level).map_or(line, |(_, rest)| rest).trim();
        let mut key = format!("{level} ");
        let mut word = String::new();
        for c in message.chars().take(200).chain(std::iter::once(' ')) {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                word.push(c);
                continue;
            }
            match word.chars().any(|c| c.is_ascii_digit()) {
                true => key.push('#'),
                false => key.push_str(&word),
            }
            word.clear();
            key.push(c);
        }
        let key = key.trim_end().to_owned();
        *counts.entry(key).or_default() += 1;
    }
    let mut distinct: Vec<(String, usize)> = counts.into_iter().collect();
    distinct.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    distinct.truncate(10);
    json!({
        "path": path.display().to_string(),
        "warnings": warnings,
        "errors": errors,
        "messages": distinct.into_iter().map(|(m, n)| json!({"count": n, "message": m})).collect::<Vec<_>>(),
    })
}

/// `text` without terminal colour sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The summary
// ---------------------------------------------------------------------------------------------

fn fmt_ms(value: &Value) -> String {
    if value.is_null() {
        return "n/a".to_owned();
    }
    let ms = value["ms"].as_f64().unwrap_or(0.0);
    match value["bound"].as_str() {
        Some("above") => format!("> {ms:.3} ms"),
        Some("at_most") => format!("≤ {ms:.3} ms"),
        _ => format!("{ms:.3} ms"),
    }
}

fn fmt_latency(value: &Value) -> String {
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
        value["p50"].as_f64().unwrap_or(0.0),
        value["p90"].as_f64().unwrap_or(0.0),
        value["p99"].as_f64().unwrap_or(0.0),
        value["max"].as_f64().unwrap_or(0.0),
        value["count"].as_u64().unwrap_or(0),
    )
}

fn verdict(met: bool) -> &'static str {
    match met {
        true => "met",
        false => "NOT met",
    }
}

fn print_summary(summary: &Value) {
    let mut out = String::new();
    let server = &summary["server"];
    let cpu_machine = server["cpu_percent_of_machine"].as_f64().unwrap_or(0.0);
    let pinned = match (
        summary["server_cpus"].as_str(),
        summary["generator_cpus"].as_str(),
    ) {
        (None, None) => String::new(),
        (server, generator) => format!(
            ", server on CPUs {}, load generator on CPUs {}",
            server.unwrap_or("any"),
            generator.unwrap_or("any")
        ),
    };
    let _ = writeln!(
        out,
        "== phoneload: {} mode on {}{pinned}; machine busy {:.0} % before the run",
        summary["mode"].as_str().unwrap_or("?"),
        summary["database"].as_str().unwrap_or("?"),
        summary["machine_busy_before_percent"]
            .as_f64()
            .unwrap_or(0.0),
    );
    match summary["mode"].as_str() {
        Some("stream") => {
            let _ = writeln!(
                out,
                "{} media-stream calls started over {} s, measured {} s later for {:.1} s with {} → {} streams open",
                summary["calls"], summary["ramp_secs"], summary["settle_secs"],
                summary["window_secs"].as_f64().unwrap_or(0.0),
                summary["active_streams"]["window_start"], summary["active_streams"]["window_end"],
            );
            let _ = writeln!(
                out,
                "calls: {} connected, {} completed, {} failed ({} by the end of the window); {} turns off script; {} protocol errors; {} clears",
                summary["calls_connected"], summary["calls_completed"], summary["calls_failed"],
                summary["calls_failed_by_window_end"], summary["turns_off_script"],
                summary["protocol_errors"], summary["clears"],
            );
            let _ = writeln!(
                out,
                "call setup while the calls were starting: ringing → TwiML {}; stream start → greeting audio {}",
                fmt_latency(&summary["setup_answer_ms"]),
                fmt_latency(&summary["setup_greeting_ms"]),
            );
            if let Some(failures) = summary["failures"].as_object() {
                for (failure, count) in failures.iter().take(5) {
                    let _ = writeln!(out, "  {count} × {failure}");
                }
            }
            let _ = writeln!(
                out,
                "server CPU {:.1} % of one core = {cpu_machine:.1} % of the {}-core machine (target < 70 %: {}); RSS {:.0} MiB (peak {:.0} MiB); {:.0} context switches/s; flow turns {:.1}/s",
                server["cpu_percent_of_one_core"].as_f64().unwrap_or(0.0),
                server["cores"], verdict(cpu_machine < 70.0),
                server["rss_mib"].as_f64().unwrap_or(0.0),
                server["peak_rss_mib"].as_f64().unwrap_or(0.0),
                server["context_switches_per_s"].as_f64().unwrap_or(0.0),
                summary["turns_per_s"].as_f64().unwrap_or(0.0),
            );
            let frame = &summary["frame_ms"];
            let frame_p99 = frame["p99"]["ms"].as_f64().unwrap_or(f64::INFINITY);
            let _ = writeln!(
                out,
                "server, one inbound media frame: p50 {}, p99 {}, p99.9 {}, mean {:.4} ms over {} frames (target p99 < 2 ms: {})",
                fmt_ms(&frame["p50"]), fmt_ms(&frame["p99"]), fmt_ms(&frame["p999"]),
                frame["mean"].as_f64().unwrap_or(0.0), frame["count"],
                verdict(frame_p99 < 2.0 && frame["p99"]["bound"] != "above"),
            );
            let reply = &summary["reply_ms"];
            let reply_p99 = reply["p99"]["ms"].as_f64().unwrap_or(f64::INFINITY);
            let _ = writeln!(
                out,
                "server, complete utterance or keys → first audio byte sent: p50 {}, p99 {}, mean {:.3} ms over {} replies (target p99 < 5 ms: {})",
                fmt_ms(&reply["p50"]), fmt_ms(&reply["p99"]),
                reply["mean"].as_f64().unwrap_or(0.0), reply["count"],
                verdict(reply_p99 < 5.0 && reply["p99"]["bound"] != "above"),
            );
            let _ = writeln!(
                out,
                "  (percentiles interpolated linearly within the server's histogram buckets)"
            );
            let _ = writeln!(
                out,
                "caller, end of speech → first reply audio (includes {} ms of endpointing silence): {}",
                summary["endpointing_ms"], fmt_latency(&summary["client_speech_reply_ms"]),
            );
            let _ = writeln!(
                out,
                "caller, # key → first reply audio: {}",
                fmt_latency(&summary["client_keys_reply_ms"]),
            );
            let audio = &summary["audio_to_recognition"];
            let _ = writeln!(
                out,
                "caller audio reaching recognition in the window: {:.1} % of real time",
                audio["ratio"].as_f64().unwrap_or(0.0) * 100.0,
            );
            let generator = &summary["load_generator"];
            let _ =
                writeln!(
                out,
                "load generator: CPU {:.1} % of one core; timer lag {}; frames sent {} of {} due",
                server["load_generator_cpu_percent_of_one_core"].as_f64().unwrap_or(0.0),
                fmt_latency(&generator["timer_lag_ms"]),
                generator["frames_sent"], generator["frames_due"],
            );
            let _ = writeln!(
                out,
                "machine busy {:.1} % (of which interrupts and softirqs {:.1} %, stolen {:.1} %); other processes and kernel threads used {:.0} % of one core meanwhile",
                server["machine_busy_percent"].as_f64().unwrap_or(0.0),
                server["machine_irq_percent"].as_f64().unwrap_or(0.0),
                server["machine_steal_percent"].as_f64().unwrap_or(0.0),
                server["other_processes_percent_of_one_core"]
                    .as_f64()
                    .unwrap_or(0.0),
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{} webhook calls at a time for {:.1} s: {} turns, {:.0} turns/s; {} calls completed, {} errors, {} turns off script",
                summary["concurrency"], summary["window_secs"].as_f64().unwrap_or(0.0),
                summary["turns"], summary["turns_per_s"].as_f64().unwrap_or(0.0),
                summary["calls_completed"], summary["errors"], summary["turns_off_script"],
            );
            let _ = writeln!(
                out,
                "latency per turn: {}",
                fmt_latency(&summary["latency_ms"])
            );
            if let Some(kinds) = summary["latency_by_turn_ms"].as_object() {
                for (kind, latency) in kinds {
                    let _ = writeln!(out, "  {kind}: {}", fmt_latency(latency));
                }
            }
            let _ = writeln!(
                out,
                "server CPU {:.1} % of one core ({cpu_machine:.1} % of the machine); RSS {:.0} MiB; load generator CPU {:.1} % of one core; machine busy {:.1} %, other processes and kernel threads {:.0} % of one core",
                server["cpu_percent_of_one_core"].as_f64().unwrap_or(0.0),
                server["rss_mib"].as_f64().unwrap_or(0.0),
                server["load_generator_cpu_percent_of_one_core"].as_f64().unwrap_or(0.0),
                server["machine_busy_percent"].as_f64().unwrap_or(0.0),
                server["other_processes_percent_of_one_core"].as_f64().unwrap_or(0.0),
            );
        }
    }
    let log = &summary["server_log"];
    let kept = match summary["run_directory_kept"].as_bool() {
        Some(true) => log["path"].as_str().unwrap_or("").to_owned(),
        _ => "removed with the run's directory; --keep keeps it".to_owned(),
    };
    let _ = writeln!(
        out,
        "server log: {} warnings, {} errors ({kept})",
        log["warnings"], log["errors"],
    );
    if let Some(messages) = log["messages"].as_array() {
        for message in messages {
            let _ = writeln!(
                out,
                "  {} × {}",
                message["count"],
                message["message"].as_str().unwrap_or("")
            );
        }
    }
    print!("{out}");
}
