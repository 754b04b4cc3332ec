//! Compiling a flow document once into the form every call runs: ports resolved to indices,
//! templates parsed, scripts compiled, intent matchers indexed. A compiled flow is immutable and
//! shared by every call through an `Arc`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::model::{FlowDocument, Intent};
use crate::msg;
use crate::nlu::{Scope, Utterance, DEFAULT_THRESHOLD};
use crate::nodes::listening::IntentSet;
use crate::nodes::{self, Compiled};
use crate::runtime::NodeId;
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
    /// Where an angry caller goes, and from which anger.
    pub(crate) angry_caller: Option<AngryTrigger>,
    pub(crate) initial_vars: rhai::Map,
    pub(crate) sandbox: Arc<Sandbox>,
    pub(crate) limits: RuntimeLimits,
    pub(crate) fingerprint: String,
    pub(crate) threshold: f32,
    pub(crate) error_message: Option<Template>,
    pub(crate) warnings: Vec<Diagnostic>,
    /// The knowledge base listening nodes try before a no-match ("FAQ from anywhere").
    pub(crate) faq_from_anywhere: Option<String>,
    /// Keys of every knowledge base a call of this flow may search, its subflows' included.
    pub(crate) knowledge_bases: BTreeSet<String>,
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

/// The flow's `angry_caller`, compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AngryTrigger {
    pub next: NodeIx,
    pub threshold: f32,
}

pub(crate) struct CompiledNode {
    pub id: NodeId,
    /// The node's `type`, for the records of the steps a call takes.
    pub type_name: &'static str,
    pub kind: Compiled,
}

/// Why a flow did not compile: its error diagnostics (warnings included for context).
#[derive(Debug, Clone, thiserror::Error)]
#[error("the flow has {} error(s)", .diagnostics.iter().filter(|d| d.severity == Severity::Error).count())]
pub struct CompileError {
    pub diagnostics: Vec<Diagnostic>,
}

const DEFAULT_NO_INPUT_TIMEOUT_MS: u32 = 5_000;

/// How a listening node would understand a sentence (the editor's "try a sentence" box).
#[derive(Debug, Clone, PartialEq)]
pub struct IntentRanking {
    /// The intent taken: the best one when it clears the threshold.
    pub intent: Option<String>,
    /// The best intent's confidence (0 when the node has no intents).
    pub confidence: f32,
    /// The node's intents with their confidences, best first (negated ones left out).
    pub ranking: Vec<(String, f32)>,
    /// The threshold the node applies.
    pub threshold: f32,
}

impl CompiledFlow {
    /// How the listening node `node` ranks its own intents for `text`, as a call would (global
    /// intents aside); `None` when there is no such node or it does not listen.
    pub fn rank_intents(&self, node: &str, text: &str) -> Option<IntentRanking> {
        let &ix = self.ids.get(node)?;
        let Compiled::Listen(scope) = &self.nodes.get(ix)?.kind else {
            return None;
        };
        let threshold = scope.threshold;
        let Some(set) = &scope.intents else {
            return Some(IntentRanking {
                intent: None,
                confidence: 0.0,
                ranking: Vec::new(),
                threshold,
            });
        };
        let ranking: Vec<(String, f32)> = set
            .index
            .rank(&Utterance::new(text))
            .into_iter()
            .map(|m| (set.names[m.index].clone(), m.score))
            .collect();
        let confidence = ranking.first().map_or(0.0, |r| r.1);
        Some(IntentRanking {
            intent: ranking
                .first()
                .filter(|r| r.1 >= threshold)
                .map(|r| r.0.clone()),
            confidence,
            ranking,
            threshold,
        })
    }

    /// Validates and compiles a flow. Any error-level diagnostic fails the compilation.
    pub fn compile(
        document: &FlowDocument,
        options: &CompileOptions,
    ) -> Result<Arc<CompiledFlow>, CompileError> {
        let known: BTreeSet<String> = options.subflows.keys().cloned().collect();
        let context = ValidationContext::new(&options.sandbox).with_subflows(&known);
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

    /// How people are shown the node `id`: its label, else its id (also for a node of a
    /// subflow, which this document does not hold).
    pub fn node_display_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.document
            .nodes
            .iter()
            .find(|node| node.id() == id)
            .map_or(id, |node| node.display_name())
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

    /// Keys of the knowledge bases a call of this flow may search (its `answer` nodes, its
    /// "FAQ from anywhere" and those of the subflows it calls): the ones a driver loads and
    /// gives to [`crate::runtime::Session::set_knowledge`].
    pub fn knowledge_bases(&self) -> &BTreeSet<String> {
        &self.knowledge_bases
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
                let at = NodeCompiler {
                    compiler: &self,
                    id: node.id(),
                    ix,
                };
                Ok(CompiledNode {
                    id: node.id().into(),
                    type_name: node.type_name(),
                    kind: nodes::compile(node, &at)?,
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
        let mut knowledge_bases: BTreeSet<String> = document
            .settings
            .knowledge
            .iter()
            .map(|k| k.knowledge_base.clone())
            .collect();
        for node in &nodes {
            match &node.kind {
                Compiled::Answer(answer) => {
                    knowledge_bases.insert(answer.knowledge_base.clone());
                }
                Compiled::Subflow(call) => {
                    knowledge_bases.extend(call.flow.knowledge_bases.iter().cloned());
                }
                _ => {}
            }
        }
        let faq_from_anywhere = document
            .settings
            .knowledge
            .as_ref()
            .filter(|k| k.from_anywhere)
            .map(|k| k.knowledge_base.clone());
        Ok(Arc::new(CompiledFlow {
            document: document.clone(),
            faq_from_anywhere,
            knowledge_bases,
            nodes,
            start,
            global_intents: self.intents(&document.global_intents, Scope::Global)?,
            angry_caller: match &document.angry_caller {
                Some(angry) => Some(AngryTrigger {
                    next: self.port("", "/angry_caller/next", &angry.next)?,
                    threshold: angry.threshold(),
                }),
                None => None,
            },
            initial_vars,
            sandbox: self.options.sandbox.clone(),
            limits: self.options.limits,
            fingerprint: fingerprint(document),
            threshold: self.threshold(),
            error_message,
            warnings,
            ids: self.ids,
        }))
    }

    /// A fault of the engine's own that validation should have caught: worded as it came.
    fn internal(node: &str, field: &str, message: String) -> Diagnostic {
        Diagnostic::error("internal", field, msg!("internal", detail = message)).on(Some(node))
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

    fn intents(&self, intents: &[Intent], scope: Scope) -> Result<Option<IntentSet>, Diagnostic> {
        for intent in intents {
            self.port("", "/intents", &intent.next)?;
        }
        Ok(IntentSet::new(intents, &self.ids, scope))
    }

    fn threshold(&self) -> f32 {
        self.document
            .settings
            .intent_threshold
            .unwrap_or(DEFAULT_THRESHOLD)
    }
}

/// One node being compiled: what its kind's `compile` works with. Fields are named by JSON
/// pointers below the node (`/text`, `/no_match/next`); a field's full pointer is only spelled
/// out for a diagnostic.
pub(crate) struct NodeCompiler<'c> {
    compiler: &'c Compiler<'c>,
    id: &'c str,
    /// The node's index in the document's `nodes`.
    ix: NodeIx,
}

impl NodeCompiler<'_> {
    /// An error that validation should have caught.
    pub fn internal(&self, field: &str, message: String) -> Diagnostic {
        Compiler::internal(self.id, &format!("/nodes/{}{field}", self.ix), message)
    }

    pub fn port(&self, field: &str, target: &str) -> Result<NodeIx, Diagnostic> {
        self.compiler
            .ids
            .get(target)
            .copied()
            .ok_or_else(|| self.internal(field, format!("no node \"{target}\"")))
    }

    pub fn optional_port(
        &self,
        field: &str,
        target: Option<&str>,
    ) -> Result<Option<NodeIx>, Diagnostic> {
        target.map(|t| self.port(field, t)).transpose()
    }

    pub fn template(&self, field: &str, text: &str) -> Result<Template, Diagnostic> {
        Template::parse(text, &self.compiler.options.sandbox)
            .map_err(|e| self.internal(field, e.to_string()))
    }

    pub fn optional_template(
        &self,
        field: &str,
        text: Option<&str>,
    ) -> Result<Option<Template>, Diagnostic> {
        text.map(|t| self.template(field, t)).transpose()
    }

    pub fn intents(&self, intents: &[Intent]) -> Result<Option<IntentSet>, Diagnostic> {
        self.compiler.intents(intents, Scope::Node)
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.compiler.options.sandbox
    }

    /// The node's own voice, else the flow's.
    pub fn voice(&self, own: Option<&String>) -> Option<String> {
        own.or(self.compiler.document.settings.voice.as_ref())
            .cloned()
    }

    /// Silence before a no-input: the node's own, else the flow's.
    pub fn no_input_timeout(&self, own: Option<u32>) -> u32 {
        own.or(self.compiler.document.settings.no_input_timeout_ms)
            .unwrap_or(DEFAULT_NO_INPUT_TIMEOUT_MS)
    }

    /// The flow's intent threshold.
    pub fn threshold(&self) -> f32 {
        self.compiler.threshold()
    }

    /// A compiled flow that `subflow` nodes may call.
    pub fn subflow(&self, name: &str) -> Option<&Arc<CompiledFlow>> {
        self.compiler.options.subflows.get(name)
    }
}
