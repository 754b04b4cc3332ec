//! The call events a media stream has gathered and not yet saved, and the events the stream
//! itself records (recognition failed, a prompt cut short, a voice that failed).
//!
//! Events leave the journal only for a save; a save that fails gives them back, so that the
//! next save carries them (in their order, before the ones gathered meanwhile).

use serde_json::json;

use crate::channels::phone::phone_event;
use crate::store::NewCallEvent;
use crate::telephony::AsrFallback;

#[derive(Debug, Default)]
pub struct Journal {
    unsaved: Vec<NewCallEvent>,
}

impl Journal {
    pub fn record(&mut self, event: NewCallEvent) {
        self.unsaved.push(event);
    }

    pub fn extend(&mut self, events: impl IntoIterator<Item = NewCallEvent>) {
        self.unsaved.extend(events);
    }

    /// The events for a save.
    pub fn take(&mut self) -> Vec<NewCallEvent> {
        std::mem::take(&mut self.unsaved)
    }

    /// A save of `events` (from [`Journal::take`]) failed: they go back in front of the events
    /// gathered since.
    pub fn restore(&mut self, mut events: Vec<NewCallEvent>) {
        events.append(&mut self.unsaved);
        self.unsaved = events;
    }

    #[cfg(test)]
    pub fn kinds(&self) -> Vec<&str> {
        self.unsaved
            .iter()
            .map(|event| event.kind.as_str())
            .collect()
    }
}

pub fn asr_failed(node: Option<&str>, error: &str, fallback: AsrFallback) -> NewCallEvent {
    phone_event(
        "asr_failed",
        node,
        json!({ "provider": "deepgram", "error": error, "fallback": fallback }),
    )
}

/// The caller cut in: `cut` are the texts of the prompts not heard to their end (the first one
/// was playing), `heard` how many prompts of the turn were heard whole.
pub fn prompt_interrupted(node: Option<&str>, cut: &[String], heard: usize) -> NewCallEvent {
    phone_event(
        "prompt_interrupted",
        node,
        json!({ "interrupted": cut[0], "not_played": &cut[1..], "heard_prompts": heard }),
    )
}

/// The prompt's voice failed and the fallback voice spoke (provider names).
pub fn tts_fallback(voice: &str, used: &str) -> NewCallEvent {
    phone_event(
        "tts_fallback",
        None,
        json!({ "voice": voice, "used": used }),
    )
}

pub fn tts_failed(error: &str) -> NewCallEvent {
    phone_event("tts_failed", None, json!({ "error": error }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_a_failed_save_go_back_in_front() {
        let mut journal = Journal::default();
        journal.record(tts_failed("one"));
        let taken = journal.take();
        journal.record(tts_failed("two"));
        journal.restore(taken);
        let errors: Vec<String> = journal
            .take()
            .iter()
            .map(|event| event.data["error"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(errors, ["one", "two"]);
    }
}
