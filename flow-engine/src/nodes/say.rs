//! `say`: speaks a text, or plays audio, and goes on.

use super::{Compiled, Kind, Ports, Run};
use crate::compile::{NodeCompiler, NodeIx};
use crate::messages::term;
use crate::model::{default_true, is_true, node_common};
use crate::runtime::{Action, Record, Step, Visit};
use crate::template::Template;
use crate::validate::{Checker, Diagnostic};

node_common! {
    /// Speaks a text (or plays audio) and continues.
    pub struct SayNode {
        /// Text to speak; may contain `{{ expr }}` templates.
        pub text: String,
        /// URL of an audio file to play instead of synthesising `text` (template).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub audio: Option<String>,
        /// Voice for this node only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub voice: Option<String>,
        /// Whether the caller may interrupt this prompt by speaking (default true).
        #[serde(default = "default_true", skip_serializing_if = "is_true")]
        pub barge_in: bool,
        /// Next node.
        pub next: String,
    }
}

impl Kind for SayNode {
    const TYPE: &'static str = "say";
    const WAITS: bool = false;

    fn ports<'a>(&'a self, ports: &mut Ports<'a>) {
        ports.add("/next", "next", &self.next);
    }

    fn check(&self, c: &mut Checker<'_>, base: &str) {
        let id = Some(self.id.as_str());
        let at = |field: &str| format!("{base}{field}");
        c.template(id, at("/text"), &self.text);
        if let Some(audio) = &self.audio {
            c.template(id, at("/audio"), audio);
        }
        if self.text.trim().is_empty() && self.audio.as_deref().is_none_or(|a| a.trim().is_empty())
        {
            let message = term("empty_text.say");
            c.warning("empty_text", id, at("/text"), message);
        }
    }

    fn compile(&self, c: &NodeCompiler<'_>) -> Result<Compiled, Diagnostic> {
        Ok(Compiled::Say(Say {
            text: c.template("/text", &self.text)?,
            audio: c.optional_template("/audio", self.audio.as_deref())?,
            voice: c.voice(self.voice.as_ref()),
            barge_in: self.barge_in,
            next: c.port("/next", &self.next)?,
        }))
    }
}

pub(crate) struct Say {
    text: Template,
    audio: Option<Template>,
    voice: Option<String>,
    barge_in: bool,
    next: NodeIx,
}

impl Run for Say {
    fn enter(&self, visit: &mut Visit<'_>) -> Step {
        let spoken = visit.render("/text", &self.text);
        match &self.audio {
            Some(audio) => {
                let url = visit.render("/audio", audio);
                visit.act(Action::Play {
                    url,
                    text: spoken.clone(),
                    barge_in: self.barge_in,
                });
                visit.record(Record::Said {
                    node: visit.id(),
                    text: spoken,
                });
            }
            None => visit.say(spoken, self.voice.clone(), self.barge_in),
        }
        Step::Goto(self.next)
    }
}
