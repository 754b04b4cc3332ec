//! `callflow chat`: a text simulator of a call.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::future::Future;

use flow_engine::conversation::HttpMock;
use flow_engine::messages::term;
use flow_engine::msg;
use flow_engine::runtime::{
    script_error_reason, Action, CallInfo, Event, HandoffStatus, HttpFailure, HttpRequest, Record,
    Session,
};
use server::clock::Clock;
use server::conversation::local_time::{utc_offset_minutes, DEFAULT_TIME_ZONE};
use server::conversation::{take_turn, Renderer, Requests};
use server::store::{now_ms, StoreError};

use server::dashboard::words::Words;
use server::flows::names;
use server::language::Language;

use super::http::Client;
use super::{flows, language};

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

const HELP_ZH: &str = "输入来电者说的话。命令：
  /digits 12#   按键
  /silence      一直不说话，直到超时
  /hangup       挂断
  /vars         查看变量
  /help         显示这段帮助";

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
    // The flow by its title, its key after it: what `subflow` nodes and the API name it by.
    let title = match &flow.document().title {
        Some(title) if !title.trim().is_empty() => format!("{} ({})", title.trim(), flow.name()),
        _ => flow.name().to_owned(),
    };
    let _ = writeln!(
        out,
        "{title} [{}] — {}",
        flow.document().language,
        language().pick(
            "输入来电者说的话；/help 列出命令",
            "type what the caller says; /help lists the commands"
        )
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
                let _ = writeln!(
                    out,
                    "  {}",
                    language().pick("用法：/digits 12#", "usage: /digits 12#")
                );
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
                let _ = writeln!(out, "{}", language().pick(HELP_ZH, HELP));
                continue;
            }
            (command, _) if command.starts_with('/') => {
                let _ = match language() {
                    Language::Chinese => writeln!(out, "  没有 {command} 这个命令；/help 列出命令"),
                    Language::English => {
                        writeln!(out, "  unknown command {command}; /help lists the commands")
                    }
                };
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

/// What the flow calls its nodes and intents: the transcript names them so, as the editor does.
struct Names {
    words: Words,
    document: serde_json::Value,
}

impl Names {
    fn of(session: &Session) -> Names {
        Names {
            words: Words::new(language()),
            document: serde_json::to_value(session.flow().document()).unwrap_or_default(),
        }
    }

    fn node(&self, id: &str) -> String {
        let nodes = self
            .document
            .get("nodes")
            .and_then(serde_json::Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        names::node_label(self.words, nodes, id)
    }

    fn intent(&self, key: &str) -> String {
        names::intent_label(&self.document, key)
    }
}

fn show(out: &mut impl Write, session: &Session, records: &[Record], trace: bool) {
    let chinese = language() == Language::Chinese;
    let names = Names::of(session);
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
                let bot = if chinese { "机器人" } else { "bot" };
                let _ = writeln!(out, "{bot} [{}]: {text}", names.node(node));
            }
            Record::Heard {
                intent: Some(intent),
                score,
                global,
                ..
            } => {
                let score = score.unwrap_or(1.0);
                let intent = names.intent(intent);
                let _ = match (chinese, *global) {
                    (true, true) => writeln!(out, "  （全局意图 {intent}，得分 {score:.2}）"),
                    (true, false) => writeln!(out, "  （意图 {intent}，得分 {score:.2}）"),
                    (false, true) => writeln!(out, "  (global intent {intent}, score {score:.2})"),
                    (false, false) => writeln!(out, "  (intent {intent}, score {score:.2})"),
                };
            }
            Record::Digits {
                intent: Some(intent),
                ..
            } => {
                let intent = names.intent(intent);
                let _ = if chinese {
                    writeln!(out, "  （按键选中意图 {intent}）")
                } else {
                    writeln!(out, "  (intent {intent} by key)")
                };
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
                let _ = if chinese {
                    writeln!(
                        out,
                        "  （知识库 {knowledge_base} 的答案 {entry}，得分 {score:.2}）"
                    )
                } else {
                    writeln!(
                        out,
                        "  (answer {entry} from {knowledge_base}, score {score:.2})"
                    )
                };
            }
            Record::KbFeedback { entry, helpful, .. } => {
                let verdict = match (chinese, *helpful) {
                    (true, true) => "有帮助",
                    (true, false) => "没有帮助",
                    (false, true) => "helped",
                    (false, false) => "did not help",
                };
                let _ = writeln!(out, "  ({entry} {verdict})");
            }
            Record::KbMissed { knowledge_base, .. } => {
                let _ = if chinese {
                    writeln!(out, "  （知识库 {knowledge_base} 里没有答案）")
                } else {
                    writeln!(out, "  (no answer in {knowledge_base})")
                };
            }
            Record::NoMatch { count, .. } => {
                let _ = if chinese {
                    writeln!(out, "  （第 {count} 次没听懂）")
                } else {
                    writeln!(out, "  (no match #{count})")
                };
            }
            Record::NoInput { count, .. } => {
                let _ = if chinese {
                    writeln!(out, "  （第 {count} 次没回应）")
                } else {
                    writeln!(out, "  (no input #{count})")
                };
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
                let _ = if chinese {
                    writeln!(out, "  （→ {result}，走 {port} 连线）")
                } else {
                    writeln!(out, "  (→ {result}, port {port})")
                };
            }
            Record::Transfer {
                target,
                summary,
                route,
                ..
            } => {
                let why = route.as_ref().map_or_else(String::new, |route| {
                    let reason = route.label.as_deref().unwrap_or(&route.when);
                    let rule = route.index + 1;
                    if chinese {
                        format!("，按规则 {rule}（{reason}）")
                    } else {
                        format!(" by rule {rule} ({reason})")
                    }
                });
                let _ = if chinese {
                    writeln!(out, "  （转接到 {target:?}{why}；摘要：{summary}）")
                } else {
                    writeln!(out, "  (transfer to {target:?}{why}; summary: {summary})")
                };
            }
            Record::OptedOut { .. } => {
                let line = msg!("report.note", note = term("report.opted_out"));
                let _ = writeln!(out, "  {}", line.render(language().locale()));
            }
            Record::ScriptError {
                node,
                message,
                text,
                ..
            } => {
                let reason = script_error_reason(text.as_ref(), message, language().locale());
                let line = msg!(
                    "script.error_at",
                    node = session.flow().node_display_name(node),
                    reason = reason
                );
                let line = msg!("report.note", note = line);
                let _ = writeln!(out, "  {}", line.render(language().locale()));
            }
            Record::StepLimit {
                node, limit, scope, ..
            } => {
                let node = names.node(node);
                let _ = if chinese {
                    writeln!(out, "  （停在 {node}：一个 {scope} 里超过 {limit} 步）")
                } else {
                    writeln!(
                        out,
                        "  (stopped at {node}: more than {limit} steps in one {scope})"
                    )
                };
            }
            _ => {}
        }
    }
    match (session.outcome(), session.current_node()) {
        (Some(outcome), _) => {
            let _ = if chinese {
                writeln!(out, "通话结束：{}", outcome_in_chinese(outcome.as_str()))
            } else {
                writeln!(out, "call ended: {}", outcome.as_str())
            };
        }
        (None, Some(node)) => {
            let node = names.node(node);
            let _ = if chinese {
                writeln!(out, "  （停在 {node} 等待）")
            } else {
                writeln!(out, "  (waiting at {node})")
            };
        }
        (None, None) => {}
    }
}

/// An outcome as the editor names it in Chinese.
fn outcome_in_chinese(outcome: &str) -> &str {
    match outcome {
        "resolved" => "已解决",
        "handoff" => "已转人工",
        "abandoned" => "中途放弃",
        "failed" => "失败",
        other => other,
    }
}
