//! A session frozen between two events, to be resumed exactly, on any server.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{call_map, CallInfo, Frame, Session, Wait};
use crate::compile::CompiledFlow;
use crate::emotion::Trend;
use crate::knowledge::Knowledge;
use crate::model::Outcome;
use crate::nodes::answer::{Candidate, Shortlist, Stage};
use crate::nodes::Compiled;
use crate::script::Bindings;
use crate::value;

/// A session frozen between two events; [`Session::resume`] continues it exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Fingerprint of the root flow.
    pub flow: String,
    /// Callers of the active subflows, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<FrameSnapshot>,
    pub wait: WaitSnapshot,
    pub vars: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub input: serde_json::Map<String, serde_json::Value>,
    pub call: CallInfo,
    pub steps: u32,
    /// The caller's anger over the call so far; snapshots from before it was kept resume calm.
    #[serde(default, skip_serializing_if = "Trend::is_new")]
    pub emotion: Trend,
    /// Whether the angry-caller trigger fired and the caller has not calmed down since.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub angry_fired: bool,
    /// The last intent recognised in the call; snapshots from before it was kept resume
    /// without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
}

/// A subflow caller in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSnapshot {
    /// The `subflow` node that called.
    pub node: String,
    pub vars: serde_json::Map<String, serde_json::Value>,
}

/// What a snapshotted session waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum WaitSnapshot {
    Start,
    Input {
        node: String,
        no_match: u32,
        no_input: u32,
    },
    /// At an `answer` node.
    Answer {
        node: String,
        /// The knowledge base's revision whose entries `stage` numbers.
        revision: i64,
        stage: AnswerStageSnapshot,
        #[serde(default)]
        no_input: u32,
    },
    Http {
        node: String,
    },
    Handoff {
        node: String,
    },
    Ended {
        outcome: Outcome,
    },
}

/// Where an `answer` node is: waiting for the question, for which entry was meant, or for
/// whether the answer helped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum AnswerStageSnapshot {
    Question,
    Choosing { candidates: Vec<CandidateSnapshot> },
    Feedback { candidates: Vec<CandidateSnapshot> },
}

/// An entry an `answer` node considers: its index in the revision's entries, and its score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CandidateSnapshot {
    pub entry: u32,
    pub score: f32,
}

impl AnswerStageSnapshot {
    fn of(stage: Stage) -> Self {
        let candidates = |list: Shortlist| {
            list.as_slice()
                .iter()
                .map(|c| CandidateSnapshot {
                    entry: c.entry,
                    score: c.score,
                })
                .collect()
        };
        match stage {
            Stage::Question => AnswerStageSnapshot::Question,
            Stage::Choosing(list) => AnswerStageSnapshot::Choosing {
                candidates: candidates(list),
            },
            Stage::Feedback(list) => AnswerStageSnapshot::Feedback {
                candidates: candidates(list),
            },
        }
    }

    fn stage(&self) -> Stage {
        let list = |candidates: &[CandidateSnapshot]| {
            Shortlist::from_candidates(candidates.iter().map(|c| Candidate {
                entry: c.entry,
                score: c.score,
            }))
        };
        match self {
            AnswerStageSnapshot::Question => Stage::Question,
            AnswerStageSnapshot::Choosing { candidates } => Stage::Choosing(list(candidates)),
            AnswerStageSnapshot::Feedback { candidates } => Stage::Feedback(list(candidates)),
        }
    }
}

/// Why a snapshot cannot be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    #[error("the snapshot was taken on another version of the flow")]
    OtherFlow,
    #[error("the snapshot names node \"{0}\", which the flow does not have")]
    UnknownNode(String),
    #[error("the snapshot's node \"{0}\" does not wait for anything")]
    NotWaiting(String),
}

impl Session {
    /// Freezes the session. The call's tenant settings and customer are part of it.
    pub fn snapshot(&self) -> Snapshot {
        let frames = self
            .frames
            .iter()
            .map(|frame| FrameSnapshot {
                node: frame.flow.nodes[frame.node].id.to_string(),
                vars: value::map_to_json(&frame.vars).unwrap_or_default(),
            })
            .collect();
        let wait = match self.wait {
            Wait::NotStarted => WaitSnapshot::Start,
            Wait::Listening {
                node,
                no_match,
                no_input,
            } => WaitSnapshot::Input {
                node: self.id(node).to_string(),
                no_match,
                no_input,
            },
            Wait::Answering {
                node,
                revision,
                stage,
                no_input,
            } => WaitSnapshot::Answer {
                node: self.id(node).to_string(),
                revision,
                stage: AnswerStageSnapshot::of(stage),
                no_input,
            },
            Wait::Http { node } => WaitSnapshot::Http {
                node: self.id(node).to_string(),
            },
            Wait::Handoff { node } => WaitSnapshot::Handoff {
                node: self.id(node).to_string(),
            },
            Wait::Ended { outcome } => WaitSnapshot::Ended { outcome },
        };
        let mut call = self.call.clone();
        // Initial variables are already in `vars`.
        call.vars.clear();
        Snapshot {
            flow: self.root.fingerprint.clone(),
            frames,
            wait,
            vars: self.vars_json(),
            input: value::map_to_json(&self.bindings.input).unwrap_or_default(),
            call,
            steps: self.steps_in_call,
            emotion: self.emotion.clone(),
            angry_fired: self.angry_fired,
            intent: self.intent.clone(),
        }
    }

    /// Continues a snapshotted session on the same compiled flow.
    pub fn resume(root: Arc<CompiledFlow>, snapshot: Snapshot) -> Result<Session, ResumeError> {
        if snapshot.flow != root.fingerprint {
            return Err(ResumeError::OtherFlow);
        }
        let mut flow = root.clone();
        let mut frames = Vec::with_capacity(snapshot.frames.len());
        for frame in &snapshot.frames {
            let node = flow
                .node_ix(&frame.node)
                .ok_or_else(|| ResumeError::UnknownNode(frame.node.clone()))?;
            let Compiled::Subflow(call) = &flow.nodes[node].kind else {
                return Err(ResumeError::NotWaiting(frame.node.clone()));
            };
            let child = call.flow.clone();
            frames.push(Frame {
                flow,
                node,
                vars: value::to_map(&frame.vars),
            });
            flow = child;
        }
        let lookup = |id: &str| {
            flow.node_ix(id)
                .ok_or_else(|| ResumeError::UnknownNode(id.to_owned()))
        };
        let wait = match &snapshot.wait {
            WaitSnapshot::Start => Wait::NotStarted,
            WaitSnapshot::Input {
                node,
                no_match,
                no_input,
            } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, Compiled::Listen(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Listening {
                    node: ix,
                    no_match: *no_match,
                    no_input: *no_input,
                }
            }
            WaitSnapshot::Answer {
                node,
                revision,
                stage,
                no_input,
            } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, Compiled::Answer(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Answering {
                    node: ix,
                    revision: *revision,
                    stage: stage.stage(),
                    no_input: *no_input,
                }
            }
            WaitSnapshot::Http { node } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, Compiled::Http(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Http { node: ix }
            }
            WaitSnapshot::Handoff { node } => {
                let ix = lookup(node)?;
                if !matches!(flow.nodes[ix].kind, Compiled::Handoff(_)) {
                    return Err(ResumeError::NotWaiting(node.clone()));
                }
                Wait::Handoff { node: ix }
            }
            WaitSnapshot::Ended { outcome } => Wait::Ended { outcome: *outcome },
        };
        let bindings = Bindings {
            vars: value::to_map(&snapshot.vars),
            call: call_map(&snapshot.call),
            input: value::to_map(&snapshot.input),
            tenant: value::to_map(&snapshot.call.tenant),
            customer: value::to_map(&snapshot.call.customer),
        };
        Ok(Session {
            root,
            flow,
            frames,
            wait,
            bindings,
            call: snapshot.call,
            knowledge: Knowledge::default(),
            steps_in_call: snapshot.steps,
            steps_in_turn: 0,
            emotion: snapshot.emotion,
            angry_fired: snapshot.angry_fired,
            heard: None,
            intent: snapshot.intent,
        }
        .with_conversation_facts())
    }
}
