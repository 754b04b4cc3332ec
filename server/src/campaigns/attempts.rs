//! What one dial came to, and what follows it: done, or another try after a wait that grows
//! with each retry, within the campaign's limits per result and per contact. Pure.

use super::settings::{Retries, Retry};

/// What a dial came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttemptResult {
    /// A person answered (or a machine the flow ran for): the call ran the flow.
    Completed,
    Busy,
    NoAnswer,
    /// The carrier could not place it, or it failed after answering.
    Failed,
    /// A machine answered.
    Voicemail,
}

impl AttemptResult {
    pub const ALL: [AttemptResult; 5] = [
        AttemptResult::Completed,
        AttemptResult::Busy,
        AttemptResult::NoAnswer,
        AttemptResult::Failed,
        AttemptResult::Voicemail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptResult::Completed => "completed",
            AttemptResult::Busy => "busy",
            AttemptResult::NoAnswer => "no_answer",
            AttemptResult::Failed => "failed",
            AttemptResult::Voicemail => "voicemail",
        }
    }

    pub fn parse(code: &str) -> Option<AttemptResult> {
        AttemptResult::ALL
            .into_iter()
            .find(|result| result.as_str() == code)
    }
}

/// What the call record of a dial says, as the carrier and the flow left it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallEnded<'a> {
    /// The call's outcome: `resolved`, `handoff`, `abandoned`, `failed` or `unreached`.
    pub outcome: Option<&'a str>,
    /// The carrier's final status: `completed`, `busy`, `no-answer`, `failed`, `canceled`.
    pub carrier_status: Option<&'a str>,
    /// `human`, `machine_start`, `machine_end_beep`, `fax`, `unknown`…
    pub answered_by: Option<&'a str>,
    /// The flow ran for the machine (the campaign said so).
    pub flow_ran_for_machine: bool,
}

/// The result of a dial whose call has ended.
pub fn classify(call: CallEnded) -> AttemptResult {
    let machine = call
        .answered_by
        .is_some_and(|by| by.starts_with("machine") || by == "fax");
    if machine && !call.flow_ran_for_machine {
        return AttemptResult::Voicemail;
    }
    match (call.outcome, call.carrier_status) {
        (_, Some("busy")) => AttemptResult::Busy,
        (_, Some("no-answer" | "canceled")) => AttemptResult::NoAnswer,
        // Answered, but the flow never started: this side failed the callee (a server down
        // as the carrier asked it what to say).
        (Some("unreached"), Some("failed" | "completed")) | (Some("failed"), _) => {
            AttemptResult::Failed
        }
        (Some("unreached"), _) => AttemptResult::NoAnswer,
        _ => AttemptResult::Completed,
    }
}

/// When to try again after `result`, the contact's `attempts` so far (this one included) and
/// the earlier results of the same kind (`same_before`, this one excluded); `None`: no more.
pub fn retry_at(
    retries: &Retries,
    result: AttemptResult,
    attempts: u32,
    same_before: u32,
    now_ms: i64,
) -> Option<i64> {
    let rule: Retry = match result {
        AttemptResult::Completed => return None,
        AttemptResult::Busy => retries.busy,
        AttemptResult::NoAnswer => retries.no_answer,
        AttemptResult::Failed => retries.failed,
        AttemptResult::Voicemail => retries.voicemail,
    };
    if same_before >= rule.max || attempts >= retries.max_attempts {
        return None;
    }
    let factor = retries.backoff.max(1.0).powi(same_before.min(30) as i32);
    let wait_ms = (f64::from(rule.delay_minutes) * 60_000.0 * factor).min(366.0 * 86_400_000.0);
    Some(now_ms + wait_ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended<'a>(
        outcome: &'a str,
        carrier: &'a str,
        answered_by: Option<&'a str>,
    ) -> CallEnded<'a> {
        CallEnded {
            outcome: Some(outcome),
            carrier_status: Some(carrier),
            answered_by,
            flow_ran_for_machine: false,
        }
    }

    #[test]
    fn calls_are_classified_by_the_carrier_and_who_answered() {
        use AttemptResult::*;
        assert_eq!(
            classify(ended("resolved", "completed", Some("human"))),
            Completed
        );
        assert_eq!(classify(ended("abandoned", "completed", None)), Completed);
        assert_eq!(classify(ended("unreached", "busy", None)), Busy);
        assert_eq!(classify(ended("unreached", "no-answer", None)), NoAnswer);
        assert_eq!(classify(ended("unreached", "failed", None)), Failed);
        assert_eq!(classify(ended("failed", "failed", None)), Failed);
        assert_eq!(classify(ended("unreached", "completed", None)), Failed);
        assert_eq!(
            classify(ended("unreached", "completed", Some("machine_start"))),
            Voicemail
        );
        let mut for_machine = ended("resolved", "completed", Some("machine_end_beep"));
        for_machine.flow_ran_for_machine = true;
        assert_eq!(classify(for_machine), Completed);
    }

    #[test]
    fn retries_wait_longer_each_time_and_stop_at_their_limits() {
        let retries = Retries::default(); // busy: 2 more after 30 min, backoff 2, 4 attempts
        let now = 1_000_000;
        assert_eq!(
            retry_at(&retries, AttemptResult::Busy, 1, 0, now),
            Some(now + 30 * 60_000)
        );
        assert_eq!(
            retry_at(&retries, AttemptResult::Busy, 2, 1, now),
            Some(now + 60 * 60_000)
        );
        assert_eq!(retry_at(&retries, AttemptResult::Busy, 3, 2, now), None);
        assert_eq!(
            retry_at(&retries, AttemptResult::Completed, 1, 0, now),
            None
        );
        // The per-contact maximum wins over a result's own allowance.
        let strict = Retries {
            max_attempts: 2,
            ..Retries::default()
        };
        assert_eq!(retry_at(&strict, AttemptResult::NoAnswer, 2, 0, now), None);
    }
}
