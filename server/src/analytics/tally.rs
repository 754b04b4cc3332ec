//! What one conversation adds to the analytics tables: a pure function of its record and its
//! events, so that the roll-up can count the difference a few late events make (the tally of
//! all events minus the tally of those already counted) and a test can recount from scratch.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use flow_engine::model::ResultKind;
use serde_json::Value;

use crate::store::{Call, CallEvent, CallOutcome, Counts, Key, NewCallEvent, Part, Table};

/// Rows to add to the analytics tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub rows: BTreeMap<(Table, Key), Counts>,
}

/// Why a conversation went to a person, as the dashboard groups handoffs.
pub mod handoff_reason {
    /// The caller asked for a person (a transfer after something the caller said was understood).
    pub const ASKED: &str = "asked";
    /// The bot did not understand or heard nothing, and escalated.
    pub const NOT_UNDERSTOOD: &str = "not_understood";
    /// A web request or a script failed on the way.
    pub const ERROR: &str = "error";
    /// The flow transferred without the caller saying anything that led there.
    pub const BY_FLOW: &str = "by_flow";
    /// The caller was angry, and the flow's angry-caller trigger sent them on.
    pub const ANGRY: &str = "angry";
    pub const ALL: [&str; 5] = [ASKED, NOT_UNDERSTOOD, ERROR, BY_FLOW, ANGRY];
}

/// The value a result's row is counted under when it has none of its own: every text result,
/// and the values of a variable beyond the limit of distinct values the roll-up keeps.
pub const OTHER_RESULT_VALUE: &str = "";

/// Characters of a choice result that count; a longer answer is cut here.
const MAX_CHOICE_CHARS: usize = 100;

/// What a result is counted under: the number for score and number results (`9`, `7.5`,
/// rounded to hundredths), the answer for choice results, nothing of its own for text results.
/// `None` when the value is not of its kind (an old event, a hand-edited record).
pub fn result_value(kind: ResultKind, value: &Value) -> Option<String> {
    match kind {
        ResultKind::Score | ResultKind::Number => {
            let number = value.as_f64().filter(|n| n.is_finite())?;
            let hundredths = (number * 100.0).round() / 100.0;
            // Whole numbers without a fraction, others without trailing zeros: one text per
            // number, so that 9 and 9.0 count together.
            let mut text = format!("{hundredths:.2}");
            while text.ends_with('0') {
                text.pop();
            }
            if text.ends_with('.') {
                text.pop();
            }
            Some(if text == "-0" { "0".to_owned() } else { text })
        }
        ResultKind::Choice => {
            let text = value.as_str().map(str::trim).filter(|t| !t.is_empty())?;
            Some(text.chars().take(MAX_CHOICE_CHARS).collect())
        }
        ResultKind::Text => Some(OTHER_RESULT_VALUE.to_owned()),
    }
}

/// Handle-time buckets per doubling: a bucket's bounds are 2^(1/5) ≈ 15% apart.
const BUCKETS_PER_DOUBLING: f64 = 5.0;

/// The bucket of a handle time.
pub fn handle_time_bucket(ms: i64) -> i64 {
    let seconds = ms.max(0) as f64 / 1000.0;
    (BUCKETS_PER_DOUBLING * (1.0 + seconds).log2()).floor() as i64
}

/// The longest handle time in `bucket`, in milliseconds.
pub fn handle_time_bucket_end(bucket: i64) -> i64 {
    let seconds = 2f64.powf((bucket + 1) as f64 / BUCKETS_PER_DOUBLING) - 1.0;
    (seconds * 1000.0).round() as i64
}

/// What a caller said as the analytics table keeps it: trimmed, spaces collapsed, Latin letters
/// in lower case, closing punctuation dropped, at most 200 characters — so that 查不到。 and
/// 查不到 count together.
pub fn normalized_said(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ").to_lowercase();
    let trimmed = joined.trim_end_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | '!' | '?' | '。' | '，' | '！' | '？' | '~' | '～' | '…'
        )
    });
    trimmed.chars().take(200).collect()
}

/// The local day (`YYYY-MM-DD`) and hour of `at_ms` in `zone`.
pub fn local_day_hour(zone: Tz, at_ms: i64) -> (String, i64) {
    DateTime::from_timestamp_millis(at_ms).map_or_else(
        || ("1970-01-01".to_owned(), 0),
        |utc| {
            let local = utc.with_timezone(&zone);
            // Written by hand: `format("%Y-%m-%d")` parses its pattern on every call, and
            // every ended chat asks.
            (
                format!(
                    "{:04}-{:02}-{:02}",
                    local.year(),
                    local.month(),
                    local.day()
                ),
                i64::from(local.hour()),
            )
        },
    )
}

fn text(value: &str) -> Part {
    Part::text(value)
}

impl Tally {
    /// What an ended conversation with `events` (all of them, or the first ones counted
    /// before) adds, its days counted in `zone`. A conversation not ended adds nothing.
    pub fn of_call(call: &Call, events: &[CallEvent], zone: Tz) -> Tally {
        let mut seen = Seen::default();
        for event in events {
            seen.event(event);
        }
        Tally::of_seen(call, &seen, zone)
    }

    /// What an ended conversation adds, from its events as `seen`.
    pub fn of_seen(call: &Call, seen: &Seen, zone: Tz) -> Tally {
        let mut tally = Tally::default();
        let Some(outcome) = call.outcome else {
            return tally;
        };
        let (day, hour) = local_day_hour(zone, call.started_at);
        let common = [
            text(&call.tenant_id),
            text(&call.flow_id),
            Part::Int(call.flow_version.unwrap_or(0)),
            Part::Text(day.into()),
            text(call.channel.as_str()),
            text(crate::store::direction_name(call.direction)),
        ];
        let key = |own: Vec<Part>| -> Key {
            let mut key = Vec::with_capacity(common.len() + own.len());
            key.extend_from_slice(&common);
            key.extend(own);
            key
        };

        let handle_ms = call
            .duration_ms
            .or_else(|| call.ended_at.map(|end| end - call.started_at))
            .unwrap_or(0)
            .max(0);
        let human = seen.transfer_reason.is_some() || outcome == CallOutcome::Handoff;
        let reason = if human {
            seen.transfer_reason.unwrap_or(handoff_reason::BY_FLOW)
        } else {
            ""
        };
        let contained = outcome == CallOutcome::Resolved && !human;
        let measures = vec![
            1,
            i64::from(contained),
            handle_ms,
            seen.turns,
            seen.no_match,
            seen.no_input,
            seen.kb_answered,
            seen.kb_missed,
        ];
        tally.add(
            Table::CallsDaily,
            key(vec![text(outcome.as_str()), text(reason)]),
            measures.clone(),
            None,
        );
        tally.add(
            Table::Calls,
            key(vec![Part::Int(hour), text(outcome.as_str()), text(reason)]),
            measures,
            None,
        );
        tally.add(
            Table::HandleTimes,
            key(vec![Part::Int(handle_time_bucket(handle_ms))]),
            vec![1],
            None,
        );
        for (node, n) in &seen.nodes {
            let last = seen.last_node.as_ref() == Some(node);
            tally.add(
                Table::Nodes,
                key(vec![Part::Text(node.clone())]),
                vec![
                    i64::from(n.entered > 0),
                    n.entered,
                    i64::from(last),
                    i64::from(last && outcome == CallOutcome::Abandoned),
                    n.no_match,
                    n.no_input,
                ],
                None,
            );
        }
        for ((from, to), steps) in &seen.edges {
            tally.add(
                Table::Edges,
                key(vec![Part::Text(from.clone()), Part::Text(to.clone())]),
                vec![*steps],
                None,
            );
        }
        for (intent, heard) in &seen.intents {
            tally.add(
                Table::Intents,
                key(vec![Part::Text(intent.clone())]),
                vec![*heard, 1],
                None,
            );
        }
        for ((base, entry), k) in &seen.knowledge {
            tally.add(
                Table::Knowledge,
                key(vec![text(base), text(entry)]),
                vec![k.answered, k.helpful, k.unhelpful],
                None,
            );
        }
        for ((var, kind), value) in &seen.results {
            tally.add(
                Table::Results,
                key(vec![text(var), text(kind.as_str()), text(value)]),
                vec![1],
                None,
            );
        }
        for ((node, kind, said), (n, at)) in &seen.unheard {
            tally.add(
                Table::Unheard,
                key(vec![text(node), text(kind), text(said)]),
                vec![*n],
                Some((*at, call.id.clone())),
            );
        }
        tally
    }

    fn add(&mut self, table: Table, key: Key, sums: Vec<i64>, latest: Option<(i64, String)>) {
        let counts = self.rows.entry((table, key)).or_insert_with(|| Counts {
            sums: vec![0; sums.len()],
            latest: None,
        });
        for (total, n) in counts.sums.iter_mut().zip(sums) {
            *total += n;
        }
        if latest > counts.latest {
            counts.latest = latest;
        }
    }

    /// The result variables counted here with a value of their own, as tenant, flow and
    /// variable.
    pub fn result_vars(&self) -> Vec<(String, String, String)> {
        let mut vars: Vec<(String, String, String)> = self
            .rows
            .keys()
            .filter(|(table, _)| *table == Table::Results)
            .filter_map(|(_, key)| match key.as_slice() {
                [Part::Text(tenant), Part::Text(flow), .., Part::Text(var), _, Part::Text(value)]
                    if &**value != OTHER_RESULT_VALUE =>
                {
                    Some((tenant.to_string(), flow.to_string(), var.to_string()))
                }
                _ => None,
            })
            .collect();
        vars.sort();
        vars.dedup();
        vars
    }

    /// The same rows with each result value that `keep` (tenant, flow, variable, value) turns
    /// down counted under [`OTHER_RESULT_VALUE`] instead: how the roll-up bounds a variable's
    /// distinct values.
    pub fn with_result_values(self, mut keep: impl FnMut(&str, &str, &str, &str) -> bool) -> Tally {
        let mut kept = Tally::default();
        for ((table, mut key), counts) in self.rows {
            if let [Part::Text(tenant), Part::Text(flow), .., Part::Text(var), _, Part::Text(value)] =
                key.as_mut_slice()
            {
                if table == Table::Results
                    && &**value != OTHER_RESULT_VALUE
                    && !keep(tenant, flow, var, value)
                {
                    *value = OTHER_RESULT_VALUE.into();
                }
            }
            kept.add(table, key, counts.sums, counts.latest);
        }
        kept
    }

    /// Adds `other`'s rows to these.
    pub fn merge(&mut self, other: Tally) {
        for ((table, key), counts) in other.rows {
            self.add(table, key, counts.sums, counts.latest);
        }
    }

    /// What must be added to the tables that hold `before` so that they hold `self`: the
    /// difference of every row, rows that did not change left out.
    pub fn minus(mut self, before: &Tally) -> Tally {
        for (row, old) in &before.rows {
            let counts = self.rows.entry(row.clone()).or_insert_with(|| Counts {
                sums: vec![0; old.sums.len()],
                latest: None,
            });
            for (total, n) in counts.sums.iter_mut().zip(&old.sums) {
                *total -= n;
            }
            if counts.latest == old.latest {
                counts.latest = None;
            }
        }
        self.rows
            .retain(|_, counts| counts.latest.is_some() || counts.sums.iter().any(|&n| n != 0));
        self
    }
}

#[derive(Clone, Debug, Default)]
struct NodeSeen {
    entered: i64,
    no_match: i64,
    no_input: i64,
}

#[derive(Clone, Debug, Default)]
struct KnowledgeSeen {
    answered: i64,
    helpful: i64,
    unhelpful: i64,
}

/// A conversation's events read in order: what its tally is made of. A web chat keeps one
/// beside each conversation, so that the turn that ends it can count it.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Events read.
    pub events: i64,
    turns: i64,
    no_match: i64,
    no_input: i64,
    kb_answered: i64,
    kb_missed: i64,
    // Node and intent ids are shared with the rows counted from them.
    nodes: BTreeMap<Arc<str>, NodeSeen>,
    edges: BTreeMap<(Arc<str>, Arc<str>), i64>,
    last_node: Option<Arc<str>>,
    intents: BTreeMap<Arc<str>, i64>,
    knowledge: BTreeMap<(String, String), KnowledgeSeen>,
    unheard: BTreeMap<(String, &'static str, String), (i64, i64)>,
    /// Each result variable's last value (a call ends once, but a record read twice must not
    /// count twice).
    results: BTreeMap<(String, ResultKind), String>,
    /// What the caller's last turn came to: understood, not, or an error on the way.
    last_turn: Option<&'static str>,
    transfer_reason: Option<&'static str>,
}

impl Seen {
    /// Reads the next event.
    pub fn event(&mut self, event: &CallEvent) {
        self.read(&event.kind, event.node.as_deref(), &event.data, event.at);
    }

    /// Reads the next event, before it is written.
    pub fn new_event(&mut self, event: &NewCallEvent) {
        self.read(&event.kind, event.node.as_deref(), &event.data, event.at);
    }

    fn read(&mut self, kind: &str, node: Option<&str>, data: &Value, at: i64) {
        self.events += 1;
        let field = |name: &str| data.get(name).and_then(Value::as_str);
        let node = node.unwrap_or_default();
        match kind {
            "node_entered" => {
                let node: Arc<str> = Arc::from(node);
                if let Some(from) = self.last_node.replace(node.clone()) {
                    *self.edges.entry((from, node.clone())).or_default() += 1;
                }
                self.nodes.entry(node).or_default().entered += 1;
            }
            "heard" | "digits" => {
                self.turns += 1;
                self.last_turn = Some(handoff_reason::ASKED);
                if let Some(intent) = field("intent") {
                    match self.intents.get_mut(intent) {
                        Some(heard) => *heard += 1,
                        None => {
                            self.intents.insert(Arc::from(intent), 1);
                        }
                    }
                }
            }
            "no_match" => {
                self.no_match += 1;
                self.node(node).no_match += 1;
                self.last_turn = Some(handoff_reason::NOT_UNDERSTOOD);
                if let Some(said) = field("text") {
                    self.unheard_said(node, "no_match", said, at);
                }
            }
            "no_input" => {
                self.no_input += 1;
                self.node(node).no_input += 1;
                self.last_turn = Some(handoff_reason::NOT_UNDERSTOOD);
            }
            "http_result"
                if data.get("failure").is_some_and(|f| !f.is_null())
                    || data.get("error").is_some_and(|e| !e.is_null()) =>
            {
                self.last_turn = Some(handoff_reason::ERROR);
            }
            "script_error" => self.last_turn = Some(handoff_reason::ERROR),
            // After the `heard` of the same turn: the caller did not ask, their anger sent them.
            "emotion_triggered" => self.last_turn = Some(handoff_reason::ANGRY),
            "kb_answered" => {
                self.kb_answered += 1;
                self.knowledge_entry(data).answered += 1;
                self.last_turn = Some(handoff_reason::ASKED);
            }
            "kb_feedback" => {
                let helpful = data.get("helpful").and_then(Value::as_bool);
                let entry = self.knowledge_entry(data);
                match helpful {
                    Some(true) => entry.helpful += 1,
                    Some(false) => entry.unhelpful += 1,
                    None => {}
                }
            }
            "kb_missed" => {
                self.kb_missed += 1;
                self.last_turn = Some(handoff_reason::NOT_UNDERSTOOD);
                if let Some(said) = field("text") {
                    self.unheard_said(node, "kb_missed", said, at);
                }
            }
            "result" => {
                let kind = field("result_kind").and_then(ResultKind::parse);
                let var = field("var").filter(|var| !var.is_empty());
                if let (Some(kind), Some(var)) = (kind, var) {
                    let value = data.get("value").unwrap_or(&Value::Null);
                    if let Some(value) = result_value(kind, value) {
                        self.results.insert((var.to_owned(), kind), value);
                    }
                }
            }
            "transfer" if self.transfer_reason.is_none() => {
                self.transfer_reason = Some(self.last_turn.unwrap_or(handoff_reason::BY_FLOW));
            }
            _ => {}
        }
    }

    fn node(&mut self, node: &str) -> &mut NodeSeen {
        self.nodes.entry(Arc::from(node)).or_default()
    }

    fn knowledge_entry(&mut self, data: &Value) -> &mut KnowledgeSeen {
        let field = |name: &str| {
            data.get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        self.knowledge
            .entry((field("knowledge_base"), field("entry")))
            .or_default()
    }

    fn unheard_said(&mut self, node: &str, kind: &'static str, said: &str, at: i64) {
        let said = normalized_said(said);
        if said.is_empty() {
            return;
        }
        let seen = self
            .unheard
            .entry((node.to_owned(), kind, said))
            .or_insert((0, at));
        seen.0 += 1;
        seen.1 = seen.1.max(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Channel, COMMON_KEYS};
    use flow_engine::runtime::Direction;
    use serde_json::json;

    fn call(outcome: CallOutcome, version: Option<i64>) -> Call {
        Call {
            id: "cal_1".into(),
            tenant_id: "ten".into(),
            flow_id: "flw".into(),
            flow_version: version,
            channel: Channel::Phone,
            direction: Direction::Inbound,
            from_number: None,
            to_number: None,
            // 2025-12-01 23:30 in Shanghai, 15:30 UTC: the local day counts.
            started_at: 1_764_603_000_000,
            ended_at: Some(1_764_603_090_000),
            outcome: Some(outcome),
            summary: None,
            call_sid: None,
            duration_ms: Some(90_000),
            event_count: 0,
            carrier_status: None,
            carrier_duration_ms: None,
            answered_by: None,
            customer_id: None,
        }
    }

    fn events(list: &[(&str, &str, serde_json::Value)]) -> Vec<CallEvent> {
        list.iter()
            .enumerate()
            .map(|(i, (kind, node, data))| CallEvent {
                seq: i as i64 + 1,
                at: 1_764_603_000_000 + i as i64 * 1000,
                kind: (*kind).into(),
                node: Some((*node).into()),
                data: data.clone(),
            })
            .collect()
    }

    fn row<'a>(tally: &'a Tally, table: Table, own: &[Part]) -> Option<&'a Counts> {
        tally
            .rows
            .iter()
            .find(|((t, key), _)| *t == table && key[COMMON_KEYS.len()..] == *own)
            .map(|(_, counts)| counts)
    }

    fn t(s: &str) -> Part {
        Part::Text(s.into())
    }

    #[test]
    fn a_handoff_of_an_angry_caller_is_counted_as_angry_not_asked() {
        let list = events(&[
            ("node_entered", "ask", json!({})),
            ("heard", "ask", json!({ "text": "太失望了，我要投诉！" })),
            ("emotion_triggered", "ask", json!({ "next": "agent" })),
            ("node_entered", "agent", json!({})),
            ("transfer", "agent", json!({})),
        ]);
        let tally = Tally::of_call(
            &call(CallOutcome::Handoff, Some(2)),
            &list,
            Tz::Asia__Shanghai,
        );
        let reason = |reason| {
            row(
                &tally,
                Table::Calls,
                &[Part::Int(23), t("handoff"), t(reason)],
            )
        };
        assert!(reason(handoff_reason::ANGRY).is_some());
        assert!(reason(handoff_reason::ASKED).is_none());
    }

    #[test]
    fn a_handoff_after_not_understanding_is_counted_with_its_reason() {
        let list = events(&[
            ("node_entered", "ask", json!({})),
            ("no_match", "ask", json!({ "text": "嗯 那个。" })),
            ("no_match", "ask", json!({ "text": "嗯 那个" })),
            ("node_entered", "agent", json!({})),
            ("transfer", "agent", json!({})),
        ]);
        let tally = Tally::of_call(
            &call(CallOutcome::Handoff, Some(2)),
            &list,
            Tz::Asia__Shanghai,
        );
        let calls = row(
            &tally,
            Table::Calls,
            &[
                Part::Int(23),
                t("handoff"),
                t(handoff_reason::NOT_UNDERSTOOD),
            ],
        )
        .expect("the call's row");
        // calls, contained, handle_ms, turns, no_match, no_input, kb_answered, kb_missed
        assert_eq!(calls.sums, vec![1, 0, 90_000, 0, 2, 0, 0, 0]);
        let day = &tally.rows.keys().next().expect("a row").1[3];
        assert_eq!(day, &t("2025-12-01"));
        let ask = row(&tally, Table::Nodes, &[t("ask")]).expect("ask");
        // reached, entered, ended, abandoned, no_match, no_input
        assert_eq!(ask.sums, vec![1, 1, 0, 0, 2, 0]);
        let agent = row(&tally, Table::Nodes, &[t("agent")]).expect("agent");
        assert_eq!(agent.sums, vec![1, 1, 1, 0, 0, 0]);
        assert_eq!(
            row(&tally, Table::Edges, &[t("ask"), t("agent")]).map(|c| c.sums.clone()),
            Some(vec![1])
        );
        // Both phrasings are one text.
        let unheard = row(
            &tally,
            Table::Unheard,
            &[t("ask"), t("no_match"), t("嗯 那个")],
        )
        .expect("the unheard text");
        assert_eq!(unheard.sums, vec![2]);
        assert_eq!(unheard.latest, Some((1_764_603_002_000, "cal_1".into())));
    }

    #[test]
    fn containment_needs_a_resolution_without_a_person() {
        let asked = events(&[
            ("node_entered", "ask", json!({})),
            (
                "heard",
                "ask",
                json!({ "text": "转人工", "intent": "agent" }),
            ),
            ("transfer", "ask", json!({})),
        ]);
        let tally = Tally::of_call(
            &call(CallOutcome::Resolved, Some(1)),
            &asked,
            Tz::Asia__Shanghai,
        );
        let calls = row(
            &tally,
            Table::Calls,
            &[Part::Int(23), t("resolved"), t("asked")],
        )
        .expect("a resolved call that went to a person");
        assert_eq!((calls.sums[0], calls.sums[1], calls.sums[3]), (1, 0, 1));
        assert_eq!(
            row(&tally, Table::Intents, &[t("agent")]).map(|c| c.sums.clone()),
            Some(vec![1, 1])
        );

        let alone = events(&[
            ("node_entered", "faq", json!({})),
            (
                "kb_answered",
                "faq",
                json!({ "knowledge_base": "faq", "entry": "e1" }),
            ),
            (
                "kb_feedback",
                "faq",
                json!({ "knowledge_base": "faq", "entry": "e1", "helpful": false }),
            ),
        ]);
        let tally = Tally::of_call(
            &call(CallOutcome::Resolved, None),
            &alone,
            Tz::Asia__Shanghai,
        );
        let calls =
            row(&tally, Table::Calls, &[Part::Int(23), t("resolved"), t("")]).expect("contained");
        assert_eq!(calls.sums[1], 1);
        assert_eq!(
            tally.rows.keys().next().expect("a row").1[2],
            Part::Int(0),
            "the draft is version 0"
        );
        assert_eq!(
            row(&tally, Table::Knowledge, &[t("faq"), t("e1")]).map(|c| c.sums.clone()),
            Some(vec![1, 0, 1])
        );
    }

    #[test]
    fn a_hang_up_is_counted_where_the_caller_left_and_late_events_move_it() {
        let list = events(&[
            ("node_entered", "greet", json!({})),
            ("node_entered", "ask", json!({})),
            ("no_input", "ask", json!({})),
        ]);
        let c = call(CallOutcome::Abandoned, Some(1));
        let before = Tally::of_call(&c, &list[..2], Tz::Asia__Shanghai);
        let after = Tally::of_call(&c, &list, Tz::Asia__Shanghai);
        assert_eq!(
            row(&after, Table::Nodes, &[t("ask")]).map(|c| c.sums[3]),
            Some(1)
        );
        assert_eq!(
            row(&after, Table::Nodes, &[t("greet")]).map(|c| c.sums[3]),
            Some(0)
        );
        // The difference holds only what the late event changed.
        let difference = after.clone().minus(&before);
        let calls = row(
            &difference,
            Table::Calls,
            &[Part::Int(23), t("abandoned"), t("")],
        )
        .expect("the call row changed");
        assert_eq!(calls.sums, vec![0, 0, 0, 0, 0, 1, 0, 0]);
        assert!(row(
            &difference,
            Table::HandleTimes,
            &[Part::Int(handle_time_bucket(90_000))]
        )
        .is_none());
        let mut total = before;
        total.merge(difference);
        let total = total.minus(&Tally::default());
        assert_eq!(total, after.minus(&Tally::default()));
    }

    #[test]
    fn results_are_counted_once_per_call_under_their_value() {
        let list = events(&[
            ("node_entered", "ask", json!({})),
            (
                "result",
                "",
                json!({ "var": "score", "result_kind": "score", "value": 9.0 }),
            ),
            (
                "result",
                "",
                json!({ "var": "plan", "result_kind": "choice", "value": " 年卡 " }),
            ),
            (
                "result",
                "",
                json!({ "var": "note", "result_kind": "text", "value": "送货快" }),
            ),
            (
                "result",
                "",
                json!({ "var": "bad", "result_kind": "score", "value": "很好" }),
            ),
            (
                "result",
                "",
                json!({ "var": "score", "result_kind": "score", "value": 7.456 }),
            ),
        ]);
        let tally = Tally::of_call(
            &call(CallOutcome::Resolved, Some(1)),
            &list,
            Tz::Asia__Shanghai,
        );
        let results: Vec<(Vec<Part>, Vec<i64>)> = tally
            .rows
            .iter()
            .filter(|((table, _), _)| *table == Table::Results)
            .map(|((_, key), counts)| (key[COMMON_KEYS.len()..].to_vec(), counts.sums.clone()))
            .collect();
        assert_eq!(
            results,
            vec![
                (vec![t("note"), t("text"), t("")], vec![1]),
                (vec![t("plan"), t("choice"), t("年卡")], vec![1]),
                // The last value of a variable counts, rounded to hundredths.
                (vec![t("score"), t("score"), t("7.46")], vec![1]),
            ]
        );
        assert_eq!(
            tally.result_vars(),
            vec![
                ("ten".to_owned(), "flw".to_owned(), "plan".to_owned()),
                ("ten".to_owned(), "flw".to_owned(), "score".to_owned()),
            ],
            "text results have no values to bound"
        );
        // Values turned down are counted together under the empty value.
        let capped = tally.with_result_values(|_, _, var, _| var != "plan");
        assert!(row(&capped, Table::Results, &[t("plan"), t("choice"), t("")]).is_some());
        assert!(row(
            &capped,
            Table::Results,
            &[t("score"), t("score"), t("7.46")]
        )
        .is_some());
    }

    #[test]
    fn result_values_read_the_same_however_they_were_written() {
        use flow_engine::model::ResultKind;
        assert_eq!(result_value(ResultKind::Score, &json!(9)), Some("9".into()));
        assert_eq!(
            result_value(ResultKind::Score, &json!(9.0)),
            Some("9".into())
        );
        assert_eq!(
            result_value(ResultKind::Number, &json!(-0.001)),
            Some("0".into())
        );
        assert_eq!(
            result_value(ResultKind::Number, &json!(2.5)),
            Some("2.5".into())
        );
        assert_eq!(result_value(ResultKind::Number, &json!("9")), None);
        assert_eq!(
            result_value(ResultKind::Choice, &json!("长".repeat(150))).map(|v| v.chars().count()),
            Some(100)
        );
        assert_eq!(result_value(ResultKind::Choice, &json!(" ")), None);
        assert_eq!(
            result_value(ResultKind::Text, &json!("x")),
            Some(String::new())
        );
    }

    #[test]
    fn handle_time_buckets_are_fifteen_percent_wide() {
        assert_eq!(handle_time_bucket(0), 0);
        for ms in [1_000, 59_000, 60_000, 61_000, 3_600_000] {
            let bucket = handle_time_bucket(ms);
            let end = handle_time_bucket_end(bucket);
            let start = handle_time_bucket_end(bucket - 1);
            assert!(start <= ms && ms <= end, "{ms} in {start}..{end}");
            assert!((end + 1000) as f64 / (start + 1000) as f64 <= 1.15, "{ms}");
        }
    }

    #[test]
    fn said_texts_are_normalised() {
        assert_eq!(
            normalized_said("  Where is   MY order?? "),
            "where is my order"
        );
        assert_eq!(normalized_said("查不到。"), "查不到");
        assert_eq!(normalized_said("。。"), "");
        assert_eq!(normalized_said(&"长".repeat(300)).chars().count(), 200);
    }
}
