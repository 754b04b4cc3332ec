//! Driving a session through one turn: the caller's event, then the driver's answers to what
//! the flow asks (an HTTP response, a transfer's result) until the flow waits for the caller
//! or ends. [`EventFeed`] goes step by step, for drivers that await their I/O between steps;
//! [`drive`] runs a whole turn for drivers that answer at once (tests, the CLI simulator).
//! Nothing here reads a clock: a driver that stamps records takes the time itself.

use crate::model::Outcome;
use crate::runtime::{Action, Event, HttpRequest, Record, Session, Transfer};

/// Events one turn may feed (the caller's, then HTTP and transfer results); the flow's step
/// limits end real loops long before, so this only guards the driver itself.
pub const MAX_EVENTS_PER_TURN: usize = 1_000;

/// One turn's events as a driver feeds them: the caller's event, then each answer the driver
/// gives to what the flow asked, until the flow waits.
///
/// ```text
/// let mut feed = EventFeed::new(event);
/// while let Some(actions) = feed.step(&mut session) {
///     for action in actions {
///         // … Action::Http(request) => feed.answer(send(request).await),
///     }
/// }
/// ```
#[derive(Debug)]
pub struct EventFeed {
    next: Option<Event>,
    fed: usize,
}

impl EventFeed {
    /// A turn that starts with `event`.
    pub fn new(event: Event) -> EventFeed {
        EventFeed {
            next: Some(event),
            fed: 0,
        }
    }

    /// Feeds the next event and returns the actions it produced; `None` once no answer is
    /// pending (the flow waits for the caller, or has ended) or the turn has fed
    /// [`MAX_EVENTS_PER_TURN`] events.
    pub fn step(&mut self, session: &mut Session) -> Option<Vec<Action>> {
        let event = self.next.take()?;
        self.fed += 1;
        if self.fed > MAX_EVENTS_PER_TURN {
            return None;
        }
        Some(session.handle(event))
    }

    /// The answer to what the flow just asked ([`Action::Http`] or [`Action::Transfer`]),
    /// fed by the next [`EventFeed::step`].
    pub fn answer(&mut self, event: Event) {
        self.next = Some(event);
    }
}

/// What a driver does with the requests a flow makes during a turn.
pub trait Resolver {
    /// Answers an HTTP request with `HttpResponse` or `HttpFailed`.
    fn http(&mut self, request: &HttpRequest) -> Event;
    /// Answers a transfer with `HandoffResult`.
    fn transfer(&mut self, transfer: &Transfer) -> Event;
}

/// Everything that happened in one turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnOutput {
    /// What the bot said, in order.
    pub lines: Vec<String>,
    pub records: Vec<Record>,
    pub http: Vec<HttpRequest>,
    pub transfers: Vec<Transfer>,
    /// Set when the bot hung up.
    pub hung_up: Option<Outcome>,
}

impl TurnOutput {
    /// The intent recognised in this turn, if any.
    pub fn intent(&self) -> Option<&str> {
        self.records.iter().find_map(|record| match record {
            Record::Heard {
                intent: Some(intent),
                ..
            }
            | Record::Digits {
                intent: Some(intent),
                ..
            } => Some(intent.as_str()),
            _ => None,
        })
    }

    /// The last node the flow entered in this turn.
    pub fn last_node(&self) -> Option<&str> {
        self.records.iter().rev().find_map(|record| match record {
            Record::NodeEntered { node, .. } => Some(&**node),
            _ => None,
        })
    }

    /// The nodes entered in this turn, in order.
    pub fn path(&self) -> Vec<&str> {
        self.records
            .iter()
            .filter_map(|record| match record {
                Record::NodeEntered { node, .. } => Some(&**node),
                _ => None,
            })
            .collect()
    }
}

/// Feeds one event and resolves the HTTP requests and transfers that follow it.
pub fn drive(session: &mut Session, event: Event, resolver: &mut impl Resolver) -> TurnOutput {
    let mut output = TurnOutput::default();
    let mut feed = EventFeed::new(event);
    while let Some(actions) = feed.step(session) {
        for action in actions {
            match action {
                Action::Say { text, .. } | Action::Play { text, .. } => output.lines.push(text),
                Action::Listen(_) => {}
                Action::Http(request) => {
                    feed.answer(resolver.http(&request));
                    output.http.push(request);
                }
                Action::Transfer(transfer) => {
                    feed.answer(resolver.transfer(&transfer));
                    output.transfers.push(transfer);
                }
                Action::HangUp { outcome } => output.hung_up = Some(outcome),
                Action::Record(record) => output.records.push(record),
            }
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::compile::{CompileOptions, RuntimeLimits};
    use crate::runtime::HandoffStatus;
    use crate::testing::{compile, compile_with, handoff_flow, heard};

    fn ok() -> Event {
        Event::HttpResponse {
            status: 200,
            headers: BTreeMap::new(),
            body: String::new(),
        }
    }

    #[test]
    fn a_turn_feeds_each_answer_until_the_flow_waits() {
        let flow = compile(json!({
            "schema": 1, "name": "two requests", "language": "en-US", "start": "first",
            "nodes": [
                { "id": "first", "type": "http", "url": "https://shop.test/a", "next": "second", "error": "bye" },
                { "id": "second", "type": "http", "url": "https://shop.test/b", "next": "bye", "error": "bye" },
                { "id": "bye", "type": "end", "outcome": "resolved" }
            ]
        }));
        let mut session = Session::new(flow, Default::default());
        let mut feed = EventFeed::new(Event::Started);
        let mut asked = Vec::new();
        while let Some(actions) = feed.step(&mut session) {
            for action in actions {
                if let Action::Http(request) = action {
                    asked.push(request.url);
                    feed.answer(ok());
                }
            }
        }
        assert_eq!(asked, ["https://shop.test/a", "https://shop.test/b"]);
        assert_eq!(session.outcome(), Some(Outcome::Resolved));
    }

    #[test]
    fn a_turn_without_an_answer_leaves_the_flow_waiting() {
        let mut session = Session::new(handoff_flow(), Default::default());
        session.handle(Event::Started);
        let mut feed = EventFeed::new(heard("转人工"));
        let actions = feed.step(&mut session).expect("the caller's event");
        assert!(actions.iter().any(|a| matches!(a, Action::Transfer(_))));
        assert!(feed.step(&mut session).is_none(), "nothing was answered");
        assert_eq!(session.current_node(), Some("agent"));
        feed.answer(Event::HandoffResult {
            status: HandoffStatus::Connected,
        });
        assert!(feed.step(&mut session).is_some());
        assert_eq!(session.outcome(), Some(Outcome::Handoff));
    }

    #[test]
    fn a_turn_feeds_at_most_its_cap_of_events() {
        // A flow whose request leads back to itself: only the driver's cap ends the turn.
        let options = CompileOptions {
            limits: RuntimeLimits {
                max_steps_per_turn: 10 * MAX_EVENTS_PER_TURN as u32,
                ..RuntimeLimits::default()
            },
            ..CompileOptions::default()
        };
        let flow = compile_with(
            json!({
                "schema": 1, "name": "poll", "language": "en-US", "start": "poll",
                "nodes": [
                    { "id": "poll", "type": "http", "url": "https://shop.test/poll", "next": "poll", "error": "bye" },
                    { "id": "bye", "type": "end", "outcome": "resolved" }
                ]
            }),
            &options,
        );
        let mut session = Session::new(flow, Default::default());
        let mut feed = EventFeed::new(Event::Started);
        let mut steps = 0;
        while feed.step(&mut session).is_some() {
            steps += 1;
            feed.answer(ok());
        }
        assert_eq!(steps, MAX_EVENTS_PER_TURN);
    }
}
