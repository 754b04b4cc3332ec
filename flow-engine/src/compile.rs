//! Compiling a flow document once into the form every call runs: ports resolved to indices,
//! templates parsed, scripts compiled, intent matchers indexed. A compiled flow is immutable and
//! shared by every call through an `Arc`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use regex::Regex;
use rhai::{Dynamic, AST};

use crate::model::{FlowDocument, HttpMethod, InputMode, Intent, Node, Outcome, Retry, SlotType};
use crate::nlu::{IntentIndex, IntentSpec};
use crate::script::Sandbox;
use crate::template::Template;
use crate::validate::{self, Diagnostic, Severity, ValidationContext};
use crate::value;

/// Index of a node inside its compiled flow.
pub(crate) type NodeIx = usize;

/// Limits that end runaway flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeLimits {
    /// Nodes one event may run through before the call fails.
    pub max_steps_per_turn: u32,
    /// Nodes one call may run through in all.
    pub max_steps_per_call: u32,
    /// How deep subflows may nest.
    pub max_subflow_depth: usize,
}

impl Default for RuntimeLimits {
    fn default() -> Self {
        RuntimeLimits {
            max_steps_per_turn: 200,
            max_steps_per_call: 10_000,
            max_subflow_depth: 8,
        }
    }
}

/// What compiling needs besides the document.
#[derive(Clone)]
pub struct CompileOptions {
    pub sandbox: Arc<Sandbox>,
    /// Flows that `subflow` nodes may call, by name, already compiled.
    pub subflows: BTreeMap<String, Arc<CompiledFlow>>,
    pub limits: RuntimeLimits,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            sandbox: Sandbox::shared(),
            subflows: BTreeMap::new(),
            limits: RuntimeLimits::default(),
        }
    }
}

/// A validated flow, ready to run.
pub struct CompiledFlow {
    pub(crate) document: FlowDocument,
    pub(crate) nodes: Vec<CompiledNode>,
    pub(crate) ids: HashMap<String, NodeIx>,
    pub(crate) start: NodeIx,
    pub(crate) global_intents: Option<IntentSet>,
    pub(crate) initial_vars: rhai::Map,
    pub(crate) sandbox: Arc<Sandbox>,
    pub(crate) limits: RuntimeLimits,
    pub(crate) fingerprint: String,
    pub(crate) threshold: f32,
    pub(crate) error_message: Option<Template>,
    pub(crate) warnings: Vec<Diagnostic>,
}

impl std::fmt::Debug for CompiledFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledFlow")
            .field("name", &self.document.name)
            .field("nodes", &self.nodes.len())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

pub(crate) struct CompiledNode {
    pub id: String,
    pub kind: NodeKind,
}

pub(crate) enum NodeKind {
    Say {
        text: Template,
        audio: Option<Template>,
        voice: Option<String>,
        barge_in: bool,
        next: NodeIx,
    },
    Listen(Box<Listener>),
    Branch {
        cases: Vec<(AST, NodeIx)>,
        otherwise: NodeIx,
    },
    Set {
        assign: Vec<(String, Assigned)>,
        next: NodeIx,
    },
    Script {
        ast: AST,
        next: NodeIx,
        error: NodeIx,
    },
    Http(Box<HttpCall>),
    Handoff(Box<Handoff>),
    Subflow(Box<SubflowCall>),
    End {
        outcome: Outcome,
    },
}

impl NodeKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Say { .. } => "say",
            NodeKind::Listen(l) if l.is_menu => "menu",
            NodeKind::Listen(_) => "ask",
            NodeKind::Branch { .. } => "branch",
            NodeKind::Set { .. } => "set",
            NodeKind::Script { .. } => "script",
            NodeKind::Http(_) => "http",
            NodeKind::Handoff(_) => "handoff",
            NodeKind::Subflow(_) => "subflow",
            NodeKind::End { .. } => "end",
        }
    }
}

pub(crate) enum Assigned {
    Literal(Dynamic),
    Template(Template),
}

/// Intents with their ports, their DTMF keys and their matcher.
pub(crate) struct IntentSet {
    pub names: Vec<String>,
    pub targets: Vec<NodeIx>,
    pub keys: Vec<(String, usize)>,
    pub index: IntentIndex,
}

impl IntentSet {
    fn new(intents: &[Intent], ids: &HashMap<String, NodeIx>) -> Option<IntentSet> {
        if intents.is_empty() {
            return None;
        }
        Some(IntentSet {
            names: intents.iter().map(|i| i.name.clone()).collect(),
            targets: intents.iter().map(|i| ids[&i.next]).collect(),
            keys: intents
                .iter()
                .enumerate()
                .filter_map(|(n, i)| Some((i.dtmf.clone()?, n)))
                .collect(),
            index: IntentIndex::new(intents.iter().map(|i| IntentSpec {
                examples: &i.examples,
                keywords: &i.keywords,
            })),
        })
    }

    pub fn by_key(&self, digits: &str) -> Option<usize> {
        self.keys
            .iter()
            .find(|(key, _)| key == digits)
            .map(|(_, n)| *n)
    }
}

/// An `ask` or a `menu`: says a prompt and waits for the caller.
pub(crate) struct Listener {
    pub is_menu: bool,
    pub prompt: Template,
    pub modes: Vec<InputMode>,
    pub intents: Option<IntentSet>,
    pub slot: Option<CompiledSlot>,
    pub save_as: Option<String>,
    pub next: Option<NodeIx>,
    pub no_match: CompiledRetry,
    pub no_input: CompiledRetry,
    pub timeout_ms: u32,
    pub hints: Vec<String>,
    pub max_digits: Option<u32>,
    pub finish_on_key: Option<String>,
    pub threshold: f32,
    pub global_intents: bool,
    pub barge_in: bool,
    pub voice: Option<String>,
}

pub(crate) struct CompiledSlot {
    pub var: String,
    pub kind: SlotType,
    pub pattern: Option<Regex>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

pub(crate) struct CompiledRetry {
    pub prompts: Vec<Template>,
    pub max: u32,
    pub next: NodeIx,
}

pub(crate) struct HttpCall {
    pub method: HttpMethod,
    pub url: Template,
    pub headers: Vec<(String, Template)>,
    pub body: Option<Template>,
    pub timeout_ms: u32,
    pub save: Vec<(String, Vec<String>)>,
    pub on_status: Vec<(StatusPattern, NodeIx)>,
    pub next: NodeIx,
    pub error: NodeIx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusPattern {
    Exact(u16),
    Class(u16),
}

impl StatusPattern {
    fn parse(text: &str) -> Option<StatusPattern> {
        let bytes = text.as_bytes();
        if bytes.len() != 3 || !(b'1'..=b'5').contains(&bytes[0]) {
            return None;
        }
        if text[1..].eq_ignore_ascii_case("xx") {
            return Some(StatusPattern::Class(u16::from(bytes[0] - b'0')));
        }
        text.parse().ok().map(StatusPattern::Exact)
    }

    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class,
        }
    }
}

pub(crate) enum TransferKind {
    Queue,
    Phone,
    Sip,
}

pub(crate) struct Handoff {
    pub kind: TransferKind,
    pub target: Template,
    pub message: Option<Template>,
    pub summary: Option<Template>,
    pub next: Option<NodeIx>,
    pub no_answer: NodeIx,
    pub busy: NodeIx,
    pub error: NodeIx,
}

pub(crate) struct SubflowCall {
    pub flow: Arc<CompiledFlow>,
    pub inputs: Vec<(String, Template)>,
    pub outputs: Vec<(String, String)>,
    pub next: NodeIx,
    pub error: NodeIx,
}

/// Why a flow did not compile: its error diagnostics (warnings included for context).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the flow has {} error(s)", .diagnostics.iter().filter(|d| d.severity == Severity::Error).count())]
pub struct CompileError {
    pub diagnostics: Vec<Diagnostic>,
}

const DEFAULT_NO_INPUT_TIMEOUT_MS: u32 = 5_000;
const DEFAULT_HTTP_TIMEOUT_MS: u32 = 5_000;
const DEFAULT_THRESHOLD: f32 = 0.5;

impl CompiledFlow {
    /// Validates and compiles a flow. Any error-level diagnostic fails the compilation.
    pub fn compile(
        document: &FlowDocument,
        options: &CompileOptions,
    ) -> Result<Arc<CompiledFlow>, CompileError> {
        let known: BTreeSet<String> = options.subflows.keys().cloned().collect();
        let context = ValidationContext {
            sandbox: &options.sandbox,
            known_subflows: Some(&known),
        };
        let diagnostics = validate::validate_document(document, &context);
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            return Err(CompileError { diagnostics });
        }
        Compiler::new(document, options)
            .build(diagnostics)
            .map_err(|diagnostic| CompileError {
                diagnostics: vec![diagnostic],
            })
    }

    pub fn document(&self) -> &FlowDocument {
        &self.document
    }

    pub fn name(&self) -> &str {
        &self.document.name
    }

    /// A stable fingerprint of the document; snapshots carry it so that a session is never
    /// resumed on a different flow.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Warnings found while compiling.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    pub fn limits(&self) -> RuntimeLimits {
        self.limits
    }

    pub(crate) fn node_ix(&self, id: &str) -> Option<NodeIx> {
        self.ids.get(id).copied()
    }
}

/// FNV-1a over the canonical JSON of the document: stable across processes and builds.
fn fingerprint(document: &FlowDocument) -> String {
    let text = serde_json::to_vec(document).unwrap_or_default();
    let hash = text.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

struct Compiler<'a> {
    document: &'a FlowDocument,
    options: &'a CompileOptions,
    ids: HashMap<String, NodeIx>,
}

impl<'a> Compiler<'a> {
    fn new(document: &'a FlowDocument, options: &'a CompileOptions) -> Self {
        let ids = document
            .nodes
            .iter()
            .enumerate()
            .map(|(ix, node)| (node.id().to_owned(), ix))
            .collect();
        Compiler {
            document,
            options,
            ids,
        }
    }

    /// Validation passed, so every lookup below succeeds; a failure here is reported as an
    /// internal diagnostic rather than a panic.
    fn build(self, warnings: Vec<Diagnostic>) -> Result<Arc<CompiledFlow>, Diagnostic> {
        let document = self.document;
        let nodes = document
            .nodes
            .iter()
            .enumerate()
            .map(|(ix, node)| {
                Ok(CompiledNode {
                    id: node.id().to_owned(),
                    kind: self.node(ix, node)?,
                })
            })
            .collect::<Result<Vec<_>, Diagnostic>>()?;
        let start = self.port("", "/start", &document.start)?;
        let error_message = match &document.settings.error_message {
            Some(text) => Some(self.template("", "/settings/error_message", text)?),
            None => None,
        };
        let initial_vars = document
            .variables
            .iter()
            .map(|(name, value)| (name.as_str().into(), value::to_dynamic(value)))
            .collect();
        Ok(Arc::new(CompiledFlow {
            document: document.clone(),
            nodes,
            start,
            global_intents: self.intents(&document.global_intents)?,
            initial_vars,
            sandbox: self.options.sandbox.clone(),
            limits: self.options.limits,
            fingerprint: fingerprint(document),
            threshold: document
                .settings
                .intent_threshold
                .unwrap_or(DEFAULT_THRESHOLD),
            error_message,
            warnings,
            ids: self.ids,
        }))
    }

    fn internal(node: &str, field: &str, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: "internal",
            node: (!node.is_empty()).then(|| node.to_owned()),
            field: field.to_owned(),
            message,
            line: None,
            column: None,
        }
    }

    fn port(&self, node: &str, field: &str, target: &str) -> Result<NodeIx, Diagnostic> {
        self.ids
            .get(target)
            .copied()
            .ok_or_else(|| Self::internal(node, field, format!("no node \"{target}\"")))
    }

    fn template(&self, node: &str, field: &str, text: &str) -> Result<Template, Diagnostic> {
        Template::parse(text, &self.options.sandbox)
            .map_err(|e| Self::internal(node, field, e.to_string()))
    }

    fn intents(&self, intents: &[Intent]) -> Result<Option<IntentSet>, Diagnostic> {
        for intent in intents {
            self.port("", "/intents", &intent.next)?;
        }
        Ok(IntentSet::new(intents, &self.ids))
    }

    fn retry(&self, id: &str, base: &str, retry: &Retry) -> Result<CompiledRetry, Diagnostic> {
        Ok(CompiledRetry {
            prompts: retry
                .prompts
                .iter()
                .enumerate()
                .map(|(i, p)| self.template(id, &format!("{base}/prompts/{i}"), p))
                .collect::<Result<_, _>>()?,
            max: retry.max,
            next: self.port(id, &format!("{base}/next"), &retry.next)?,
        })
    }

    fn node(&self, ix: usize, node: &Node) -> Result<NodeKind, Diagnostic> {
        let id = node.id();
        let at = |field: &str| format!("/nodes/{ix}{field}");
        let sandbox = &self.options.sandbox;
        Ok(match node {
            Node::Say(n) => NodeKind::Say {
                text: self.template(id, &at("/text"), &n.text)?,
                audio: n
                    .audio
                    .as_deref()
                    .map(|a| self.template(id, &at("/audio"), a))
                    .transpose()?,
                voice: n
                    .voice
                    .clone()
                    .or_else(|| self.document.settings.voice.clone()),
                barge_in: n.barge_in,
                next: self.port(id, &at("/next"), &n.next)?,
            },
            Node::Ask(n) => NodeKind::Listen(Box::new(Listener {
                is_menu: false,
                prompt: self.template(id, &at("/prompt"), &n.prompt)?,
                modes: n.input.clone(),
                intents: self.intents(&n.intents)?,
                slot: match &n.slot {
                    Some(slot) => Some(CompiledSlot {
                        var: slot.var.clone(),
                        kind: slot.kind,
                        pattern: slot
                            .pattern
                            .as_deref()
                            .map(|p| {
                                Regex::new(&format!("^(?:{p})$")).map_err(|e| {
                                    Self::internal(id, &at("/slot/pattern"), e.to_string())
                                })
                            })
                            .transpose()?,
                        min: slot.min,
                        max: slot.max,
                    }),
                    None => None,
                },
                save_as: n.save_as.clone(),
                next: n
                    .next
                    .as_deref()
                    .map(|t| self.port(id, &at("/next"), t))
                    .transpose()?,
                no_match: self.retry(id, &at("/no_match"), &n.no_match)?,
                no_input: self.retry(id, &at("/no_input"), &n.no_input)?,
                timeout_ms: n.timeout_ms.unwrap_or(self.no_input_timeout()),
                hints: n.hints.clone(),
                max_digits: n.dtmf.as_ref().and_then(|d| d.max_digits),
                finish_on_key: Some(
                    n.dtmf
                        .as_ref()
                        .and_then(|d| d.finish_on_key.clone())
                        .unwrap_or_else(|| "#".to_owned()),
                ),
                threshold: n.threshold.unwrap_or(self.threshold()),
                global_intents: n.global_intents,
                barge_in: n.barge_in,
                voice: n
                    .voice
                    .clone()
                    .or_else(|| self.document.settings.voice.clone()),
            })),
            Node::Menu(n) => {
                // A menu is a listener whose intents are its choices: a key press or a spoken
                // key selects one, and so does saying its label.
                let intents: Vec<Intent> = n
                    .choices
                    .iter()
                    .map(|c| Intent {
                        name: c.label.clone().unwrap_or_else(|| c.key.clone()),
                        examples: c.label.iter().cloned().collect(),
                        keywords: Vec::new(),
                        dtmf: Some(c.key.clone()),
                        next: c.next.clone(),
                    })
                    .collect();
                NodeKind::Listen(Box::new(Listener {
                    is_menu: true,
                    prompt: self.template(id, &at("/prompt"), &n.prompt)?,
                    modes: vec![InputMode::Speech, InputMode::Dtmf],
                    intents: self.intents(&intents)?,
                    slot: None,
                    save_as: None,
                    next: None,
                    no_match: self.retry(id, &at("/no_match"), &n.no_match)?,
                    no_input: self.retry(id, &at("/no_input"), &n.no_input)?,
                    timeout_ms: n.timeout_ms.unwrap_or(self.no_input_timeout()),
                    hints: n.choices.iter().filter_map(|c| c.label.clone()).collect(),
                    max_digits: Some(1),
                    finish_on_key: None,
                    threshold: self.threshold(),
                    global_intents: n.global_intents,
                    barge_in: n.barge_in,
                    voice: n
                        .voice
                        .clone()
                        .or_else(|| self.document.settings.voice.clone()),
                }))
            }
            Node::Branch(n) => NodeKind::Branch {
                cases: n
                    .cases
                    .iter()
                    .enumerate()
                    .map(|(i, case)| {
                        let ast = sandbox.compile_expression(&case.when).map_err(|e| {
                            Self::internal(id, &at(&format!("/cases/{i}/when")), e.to_string())
                        })?;
                        Ok((
                            ast,
                            self.port(id, &at(&format!("/cases/{i}/next")), &case.next)?,
                        ))
                    })
                    .collect::<Result<_, Diagnostic>>()?,
                otherwise: self.port(id, &at("/else"), &n.otherwise)?,
            },
            Node::Set(n) => NodeKind::Set {
                assign: n
                    .assign
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let value = match &a.value {
                            serde_json::Value::String(text) => {
                                let template =
                                    self.template(id, &at(&format!("/assign/{i}/value")), text)?;
                                if template.is_literal() {
                                    Assigned::Literal(Dynamic::from(text.clone()))
                                } else {
                                    Assigned::Template(template)
                                }
                            }
                            other => Assigned::Literal(value::to_dynamic(other)),
                        };
                        Ok((a.var.clone(), value))
                    })
                    .collect::<Result<_, Diagnostic>>()?,
                next: self.port(id, &at("/next"), &n.next)?,
            },
            Node::Script(n) => NodeKind::Script {
                ast: sandbox
                    .compile_script(&n.code)
                    .map_err(|e| Self::internal(id, &at("/code"), e.to_string()))?,
                next: self.port(id, &at("/next"), &n.next)?,
                error: self.port(id, &at("/error"), &n.error)?,
            },
            Node::Http(n) => NodeKind::Http(Box::new(HttpCall {
                method: n.method,
                url: self.template(id, &at("/url"), &n.url)?,
                headers: n
                    .headers
                    .iter()
                    .map(|(name, value)| {
                        Ok((name.clone(), self.template(id, &at("/headers"), value)?))
                    })
                    .collect::<Result<_, Diagnostic>>()?,
                body: n
                    .body
                    .as_deref()
                    .map(|b| self.template(id, &at("/body"), b))
                    .transpose()?,
                timeout_ms: n.timeout_ms.unwrap_or(DEFAULT_HTTP_TIMEOUT_MS),
                save: n
                    .save
                    .iter()
                    .map(|(var, path)| (var.clone(), path.split('.').map(str::to_owned).collect()))
                    .collect(),
                on_status: {
                    let mut routes = n
                        .on_status
                        .iter()
                        .map(|(status, target)| {
                            let pattern = StatusPattern::parse(status).ok_or_else(|| {
                                Self::internal(
                                    id,
                                    &at("/on_status"),
                                    format!("bad status \"{status}\""),
                                )
                            })?;
                            Ok((pattern, self.port(id, &at("/on_status"), target)?))
                        })
                        .collect::<Result<Vec<_>, Diagnostic>>()?;
                    // Exact codes win over classes.
                    routes.sort_by_key(|(pattern, _)| matches!(pattern, StatusPattern::Class(_)));
                    routes
                },
                next: self.port(id, &at("/next"), &n.next)?,
                error: self.port(id, &at("/error"), &n.error)?,
            })),
            Node::Handoff(n) => {
                let (kind, target, field) = if let Some(queue) = &n.queue {
                    (TransferKind::Queue, queue, "/queue")
                } else if let Some(phone) = &n.phone {
                    (TransferKind::Phone, phone, "/phone")
                } else if let Some(sip) = &n.sip {
                    (TransferKind::Sip, sip, "/sip")
                } else {
                    return Err(Self::internal(id, &at(""), "no handoff target".into()));
                };
                let error = self.port(id, &at("/error"), &n.error)?;
                NodeKind::Handoff(Box::new(Handoff {
                    kind,
                    target: self.template(id, &at(field), target)?,
                    message: n
                        .message
                        .as_deref()
                        .map(|m| self.template(id, &at("/message"), m))
                        .transpose()?,
                    summary: n
                        .summary
                        .as_deref()
                        .map(|s| self.template(id, &at("/summary"), s))
                        .transpose()?,
                    next: n
                        .next
                        .as_deref()
                        .map(|t| self.port(id, &at("/next"), t))
                        .transpose()?,
                    no_answer: n
                        .no_answer
                        .as_deref()
                        .map_or(Ok(error), |t| self.port(id, &at("/no_answer"), t))?,
                    busy: n
                        .busy
                        .as_deref()
                        .map_or(Ok(error), |t| self.port(id, &at("/busy"), t))?,
                    error,
                }))
            }
            Node::Subflow(n) => {
                let next = self.port(id, &at("/next"), &n.next)?;
                NodeKind::Subflow(Box::new(SubflowCall {
                    flow: self.options.subflows.get(&n.flow).cloned().ok_or_else(|| {
                        Self::internal(id, &at("/flow"), format!("unknown flow \"{}\"", n.flow))
                    })?,
                    inputs: n
                        .inputs
                        .iter()
                        .map(|(var, text)| {
                            Ok((var.clone(), self.template(id, &at("/inputs"), text)?))
                        })
                        .collect::<Result<_, Diagnostic>>()?,
                    outputs: n
                        .outputs
                        .iter()
                        .map(|(a, b)| (a.clone(), b.clone()))
                        .collect(),
                    next,
                    error: n
                        .error
                        .as_deref()
                        .map_or(Ok(next), |t| self.port(id, &at("/error"), t))?,
                }))
            }
            Node::End(n) => NodeKind::End { outcome: n.outcome },
        })
    }

    fn no_input_timeout(&self) -> u32 {
        self.document
            .settings
            .no_input_timeout_ms
            .unwrap_or(DEFAULT_NO_INPUT_TIMEOUT_MS)
    }

    fn threshold(&self) -> f32 {
        self.document
            .settings
            .intent_threshold
            .unwrap_or(DEFAULT_THRESHOLD)
    }
}
