//! `callflow chat`: a text simulator of a call.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::future::Future;

use flow_engine::conversation::HttpMock;
use flow_engine::runtime::{
    Action, CallInfo, Event, HandoffStatus, HttpFailure, HttpRequest, Record, Session,
};
use server::clock::Clock;
use server::conversation::local_time::{utc_offset_minutes, DEFAULT_TIME_ZONE};
use server::conversation::{take_turn, Renderer, Requests};
use server::store::{now_ms, StoreError};

use super::flows;
use super::http::Client;

pub struct Options {
    pub file: PathBuf,
    pub vars: serde_json::Map<String, serde_json::Value>,
    pub tenant: serde_json::Map<String, serde_json::Value>,
    /// The caller's number.
    pub from: Option<String>,
    /// The customer as a lookup would have found them.
    pub customer: serde_json::Map<String, serde_json::Value>,
    pub mock_http: Option<PathBuf>,
    pub subflows: Vec<PathBuf>,
    /// Knowledge bases by key: their spreadsheets.
    pub knowledge: std::collections::BTreeMap<String, String>,
    pub handoff: HandoffStatus,
    pub trace: bool,
}

/// The simulator's answers to a flow's requests: a matching mock, else a real request.
struct SimulatedRequests {
    mocks: Vec<HttpMock>,
    client: Option<Client>,
}

impl Requests for SimulatedRequests {
    fn send(
        &mut self,
        request: &HttpRequest,
    ) -> impl Future<Output = Result<Event, StoreError>> + Send {
        let mocked = self
            .mocks
            .iter()
            .find(|m| m.matches(request))
            .map(HttpMock::answer);
        let client = self.client.clone();
        let request = request.clone();
        async move {
            Ok(match (mocked, client) {
                (Some(answer), _) => answer,
                (None, Some(client)) => client.send(&request).await,
                (None, None) => Event::HttpFailed {
                    failure: HttpFailure::Failed,
                    error: "the HTTP client is not available".into(),
                },
            })
        }
    }
}

/// The terminal as a channel: a transfer gets the result the options name at once, and the
/// turn's records are shown after it.
struct Terminal {
    handoff: HandoffStatus,
    records: Vec<Record>,
}

impl Renderer for Terminal {
    fn act(&mut self, action: Action) -> Option<Event> {
        match action {
            Action::Transfer(_) => Some(Event::HandoffResult {
                status: self.handoff,
            }),
            _ => None,
        }
    }

    fn record(&mut self, record: &Record) {
        self.records.push(record.clone());
    }
}

/// One turn, as a conversation in the server takes it.
fn turn(
    runtime: &tokio::runtime::Runtime,
    session: &mut Session,
    event: Event,
    requests: &mut SimulatedRequests,
    handoff: HandoffStatus,
) -> Vec<Record> {
    let mut terminal = Terminal {
        handoff,
        records: Vec::new(),
    };
    // The simulator has no tenant policy to read and keeps no copy to confirm, so a turn
    // cannot fail; should that change, the caller is told rather than left guessing.
    if let Err(error) = runtime.block_on(take_turn(
        session,
        event,
        requests,
        None,
        &mut terminal,
        &Clock::System,
    )) {
        eprintln!("the turn failed: {error}");
    }
    terminal.records
}

const HELP: &str = "Type what the caller says. Commands:
  /digits 12#   press keys
  /silence      say nothing until the timeout
  /hangup       hang up
  /vars         show the variables
  /help         show this help";

pub fn run(options: Options) -> Result<ExitCode, String> {
    let subflows = flows::compile_subflows(&options.subflows)?;
    let flow = flows::compile(&options.file, &subflows)?;
    let mocks = match &options.mock_http {
        Some(path) => serde_yaml_ng::from_str::<Vec<HttpMock>>(&flows::read(path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?,
        None => Vec::new(),
    };
    let mut requests = SimulatedRequests {
        mocks,
        client: Client::new().ok(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let started_at = now_ms();
    let call = CallInfo {
        call_id: "chat".into(),
        channel: "simulator".into(),
        started_at_ms: started_at,
        utc_offset_minutes: utc_offset_minutes(DEFAULT_TIME_ZONE, started_at),
        vars: options.vars,
        tenant: options.tenant,
        from: options.from.unwrap_or_default(),
        customer: options.customer,
        redaction: Default::default(),
        ..CallInfo::default()
    };
    let knowledge = flow_engine::conversation::knowledge_from_sheets(&options.knowledge, |path| {
        flows::read(Path::new(path))
    })?;
    let mut session = Session::new(flow.clone(), call);
    session.set_knowledge(knowledge);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} ({}) — type what the caller says; /help lists the commands",
        flow.name(),
        flow.document().language
    );
    let records = turn(
        &runtime,
        &mut session,
        Event::Started,
        &mut requests,
        options.handoff,
    );
    show(&mut out, &session, &records, options.trace);
    let stdin = std::io::stdin();
    // Piped input is not echoed by a terminal; echo it so the transcript reads as a dialogue.
    let interactive = stdin.is_terminal();
    let mut lines = stdin.lock().lines();
    while !session.is_ended() {
        let _ = write!(out, "> ");
        let _ = out.flush();
        let line = match lines.next() {
            Some(Ok(line)) => line,
            Some(Err(error)) => return Err(format!("reading input failed: {error}")),
            None => {
                let _ = writeln!(out);
                "/hangup".to_owned()
            }
        };
        let line = line.trim();
        if !interactive {
            let _ = writeln!(out, "{line}");
        }
        let event = match line
            .split_once(' ')
            .map_or((line, ""), |(c, rest)| (c, rest.trim()))
        {
            ("/digits", keys) if !keys.is_empty() => Event::Digits {
                digits: keys.to_owned(),
            },
            ("/digits", _) => {
                let _ = writeln!(out, "  usage: /digits 12#");
                continue;
            }
            ("/silence", _) => Event::NoInput,
            ("/hangup" | "/quit" | "/exit", _) => Event::HungUp,
            ("/vars", _) => {
                let vars = serde_json::Value::Object(session.vars_json());
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&vars).unwrap_or_default()
                );
                continue;
            }
            ("/help", _) => {
                let _ = writeln!(out, "{HELP}");
                continue;
            }
            (command, _) if command.starts_with('/') => {
                let _ = writeln!(out, "  unknown command {command}; /help lists the commands");
                continue;
            }
            _ if line.is_empty() => continue,
            _ => Event::Heard {
                text: line.to_owned(),
                confidence: None,
            },
        };
        let records = turn(
            &runtime,
            &mut session,
            event,
            &mut requests,
            options.handoff,
        );
        show(&mut out, &session, &records, options.trace);
    }
    Ok(ExitCode::SUCCESS)
}

fn show(out: &mut impl Write, session: &Session, records: &[Record], trace: bool) {
    for record in records {
        if trace {
            let _ = writeln!(
                out,
                "  · {}",
                serde_json::to_string(record).unwrap_or_default()
            );
        }
        match record {
            Record::Said { node, text } => {
                let _ = writeln!(out, "bot [{node}]: {text}");
            }
            Record::Heard {
                intent: Some(intent),
                score,
                global,
                ..
            } => {
                let scope = if *global { "global intent" } else { "intent" };
                let _ = writeln!(
                    out,
                    "  ({scope} {intent}, score {:.2})",
                    score.unwrap_or(1.0)
                );
            }
            Record::Digits {
                intent: Some(intent),
                ..
            } => {
                let _ = writeln!(out, "  (intent {intent} by key)");
            }
            Record::SlotFilled { var, value, .. } => {
                let _ = writeln!(out, "  ({var} = {value})");
            }
            Record::KbAnswered {
                knowledge_base,
                entry,
                score,
                ..
            } => {
                let _ = writeln!(
                    out,
                    "  (answer {entry} from {knowledge_base}, score {score:.2})"
                );
            }
            Record::KbFeedback { entry, helpful, .. } => {
                let verdict = if *helpful { "helped" } else { "did not help" };
                let _ = writeln!(out, "  ({entry} {verdict})");
            }
            Record::KbMissed { knowledge_base, .. } => {
                let _ = writeln!(out, "  (no answer in {knowledge_base})");
            }
            Record::NoMatch { count, .. } => {
                let _ = writeln!(out, "  (no match #{count})");
            }
            Record::NoInput { count, .. } => {
                let _ = writeln!(out, "  (no input #{count})");
            }
            Record::HttpRequested { method, url, .. } => {
                let _ = writeln!(out, "  ({} {url})", method.as_str());
            }
            Record::HttpResult {
                status,
                error,
                port,
                ..
            } => {
                let result = match (status, error) {
                    (Some(status), _) => status.to_string(),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "?".into(),
                };
                let _ = writeln!(out, "  (→ {result}, port {port})");
            }
            Record::Transfer {
                target,
                summary,
                route,
                ..
            } => {
                let why = route.as_ref().map_or_else(String::new, |route| {
                    let reason = route.label.as_deref().unwrap_or(&route.when);
                    format!(" by rule {} ({reason})", route.index + 1)
                });
                let _ = writeln!(out, "  (transfer to {target:?}{why}; summary: {summary})");
            }
            Record::ScriptError {
                node,
                field,
                message,
                ..
            } => {
                let _ = writeln!(out, "  (error in {node} {field}: {message})");
            }
            Record::StepLimit {
                node, limit, scope, ..
            } => {
                let _ = writeln!(
                    out,
                    "  (stopped at {node}: more than {limit} steps in one {scope})"
                );
            }
            _ => {}
        }
    }
    match (session.outcome(), session.current_node()) {
        (Some(outcome), _) => {
            let _ = writeln!(out, "call ended: {}", outcome.as_str());
        }
        (None, Some(node)) => {
            let _ = writeln!(out, "  (waiting at {node})");
        }
        (None, None) => {}
    }
}
