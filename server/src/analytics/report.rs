//! The reports the dashboard and the analytics API show, read from the sum tables: an
//! overview, the per-node funnel, what callers said that was not understood, and how helpful
//! each knowledge entry was. Rates are fractions (0.25 for 25%); `None` where nothing was there
//! to divide by.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::tally::{handle_time_bucket_end, handoff_reason};
use crate::store::{AnalyticsFilter, CallOutcome, Part, Store, StoreError, Table, UnheardTotal};

/// Measures of a set of calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Measures {
    pub calls: i64,
    /// Ended `resolved` with no person involved.
    pub contained: i64,
    pub containment_rate: Option<f64>,
    /// Went to a person.
    pub handoffs: i64,
    pub handoff_rate: Option<f64>,
    pub abandoned: i64,
    pub abandonment_rate: Option<f64>,
    pub failed: i64,
    pub failure_rate: Option<f64>,
    /// Outbound calls nobody answered.
    pub unreached: i64,
    pub average_handle_ms: Option<i64>,
    /// 90% of calls took at most this long (to within 15%).
    pub p90_handle_ms: Option<i64>,
    pub turns_per_call: Option<f64>,
    /// Caller turns that matched nothing, of all caller turns.
    pub no_match_rate: Option<f64>,
    /// Prompts that heard nothing, of prompts answered or not.
    pub no_input_rate: Option<f64>,
    pub knowledge_answered: i64,
    pub knowledge_missed: i64,
}

/// Handoffs by why they happened.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct HandoffReasons {
    /// The caller asked for a person.
    pub asked: i64,
    /// The bot did not understand or heard nothing.
    pub not_understood: i64,
    /// A web request or a script failed.
    pub error: i64,
    /// The flow transferred on its own.
    pub by_flow: i64,
    /// The caller was angry and the flow's angry-caller trigger sent them on.
    pub angry: i64,
}

/// One point of a series: a day (`2026-12-01`) or an hour (`2026-12-01 09`). `contained`,
/// `handoffs` and `abandoned` do not overlap (a caller who hung up waiting for a person is
/// abandoned), so that they stack within `calls`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Point {
    pub at: String,
    pub calls: i64,
    pub contained: i64,
    pub handoffs: i64,
    pub abandoned: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct IntentCount {
    pub intent: String,
    /// What the flows call the intent (the label of the first that labels it), else its key.
    pub intent_label: Option<String>,
    /// Caller turns that matched it.
    pub heard: i64,
    /// Calls in which it matched at least once.
    pub calls: i64,
}

/// The measures of one version of a flow (0: the draft), for comparing versions.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct VersionMeasures {
    pub flow_id: String,
    /// The flow's name (its title, else its key).
    pub flow_title: Option<String>,
    pub version: i64,
    pub measures: Measures,
}

/// Outbound calls: how many were placed, and whether the callee picked up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Outbound {
    /// Outbound calls placed (and ended).
    pub placed: i64,
    /// The callee picked up.
    pub answered: i64,
    /// Busy, no answer, or the carrier could not connect.
    pub unreached: i64,
    /// Answered, of placed.
    pub answer_rate: Option<f64>,
}

/// Everything the overview page shows.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Overview {
    /// The first and the last local day the figures cover (the tenant's time zone), as the
    /// filter chose them: the defaults (the last seven days) named.
    #[schema(example = "2026-12-01")]
    pub from: String,
    #[schema(example = "2026-12-07")]
    pub to: String,
    pub measures: Measures,
    pub outbound: Outbound,
    pub handoff_reasons: HandoffReasons,
    /// By day, or by hour when the range is one day.
    pub series: Vec<Point>,
    /// Calls by the local hour they started in, 0 to 23: the peak hours.
    pub by_hour: Vec<i64>,
    /// The most matched intents first, at most 10.
    pub top_intents: Vec<IntentCount>,
    /// Per flow and version, newest version first.
    pub versions: Vec<VersionMeasures>,
}

/// One node of a flow as calls went through it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct NodeFunnel {
    pub node: String,
    /// What the node is called (see `node_label` of a call's events): in the version named,
    /// else in the flow's draft; with no flow named, in the first flow that has the node.
    pub node_label: Option<String>,
    /// Calls that reached it.
    pub reached: i64,
    /// Times it was entered (a node asked again counts again).
    pub entered: i64,
    /// Calls that ended there, and of those, how many the caller left.
    pub ended: i64,
    pub abandoned: i64,
    pub no_match: i64,
    pub no_input: i64,
}

/// A step from one node to the next.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Step {
    pub from: String,
    pub to: String,
    /// What the nodes `from` and `to` are called, as in `nodes`.
    pub from_label: Option<String>,
    pub to_label: Option<String>,
    pub calls: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Funnel {
    /// The first and the last local day covered, as in [`Overview`].
    pub from: String,
    pub to: String,
    /// The most reached first.
    pub nodes: Vec<NodeFunnel>,
    pub steps: Vec<Step>,
}

/// A phrasing callers used, and how often.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Phrasing {
    pub text: String,
    pub said: i64,
}

/// What callers said that matched no intent (`no_match`) or no knowledge entry (`kb_missed`),
/// similar phrasings together.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct UnheardGroup {
    pub flow_id: String,
    /// The flow's name (its title, else its key).
    pub flow_title: Option<String>,
    pub node: String,
    /// What the node is called in the flow's draft.
    pub node_label: Option<String>,
    pub kind: String,
    /// Times said, all phrasings together.
    pub said: i64,
    /// The most said first.
    pub phrasings: Vec<Phrasing>,
    /// The latest conversation where one of them was said.
    pub example_call: String,
    pub last_at: i64,
}

/// A knowledge entry as callers received it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct EntryHelpfulness {
    pub knowledge_base: String,
    /// The knowledge base's name.
    pub knowledge_base_name: Option<String>,
    pub entry: String,
    /// The entry's question; its id when it was deleted since.
    pub question: Option<String>,
    pub answered: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    /// Helpful answers of those callers judged.
    pub helpful_rate: Option<f64>,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn text(part: &Part) -> String {
    match part {
        Part::Text(text) => text.to_string(),
        Part::Int(n) => n.to_string(),
    }
}

fn int(part: &Part) -> i64 {
    match part {
        Part::Int(n) => *n,
        Part::Text(_) => 0,
    }
}

/// Sums of the calls table's measures in the order of `Table::Calls.measures()`.
#[derive(Default, Clone)]
struct CallSums {
    calls: i64,
    contained: i64,
    handle_ms: i64,
    turns: i64,
    no_match: i64,
    no_input: i64,
    kb_answered: i64,
    kb_missed: i64,
    handoffs: i64,
    abandoned: i64,
    failed: i64,
    unreached: i64,
}

impl CallSums {
    fn add(&mut self, outcome: &str, reason: &str, sums: &[i64]) {
        let [calls, contained, handle_ms, turns, no_match, no_input, kb_answered, kb_missed] =
            <[i64; 8]>::try_from(sums).unwrap_or_default();
        self.calls += calls;
        self.contained += contained;
        self.handle_ms += handle_ms;
        self.turns += turns;
        self.no_match += no_match;
        self.no_input += no_input;
        self.kb_answered += kb_answered;
        self.kb_missed += kb_missed;
        if !reason.is_empty() {
            self.handoffs += calls;
        }
        match outcome {
            "abandoned" => self.abandoned += calls,
            "failed" => self.failed += calls,
            "unreached" => self.unreached += calls,
            _ => {}
        }
    }

    fn measures(&self, p90_handle_ms: Option<i64>) -> Measures {
        Measures {
            calls: self.calls,
            contained: self.contained,
            containment_rate: rate(self.contained, self.calls),
            handoffs: self.handoffs,
            handoff_rate: rate(self.handoffs, self.calls),
            abandoned: self.abandoned,
            abandonment_rate: rate(self.abandoned, self.calls),
            failed: self.failed,
            failure_rate: rate(self.failed, self.calls),
            unreached: self.unreached,
            average_handle_ms: (self.calls > 0).then(|| self.handle_ms / self.calls),
            p90_handle_ms,
            turns_per_call: rate(self.turns, self.calls),
            no_match_rate: rate(self.no_match, self.turns),
            no_input_rate: rate(self.no_input, self.turns + self.no_input),
            knowledge_answered: self.kb_answered,
            knowledge_missed: self.kb_missed,
        }
    }
}

/// The 90th percentile of handle times counted per bucket: the end of the bucket where the
/// running count reaches 90%.
fn p90(buckets: &BTreeMap<i64, i64>) -> Option<i64> {
    let total: i64 = buckets.values().sum();
    if total <= 0 {
        return None;
    }
    let mut running = 0;
    for (bucket, n) in buckets {
        running += n;
        if running * 10 >= total * 9 {
            return Some(handle_time_bucket_end(*bucket));
        }
    }
    buckets.keys().last().map(|b| handle_time_bucket_end(*b))
}

/// The overview of the calls `filter` selects.
pub async fn overview(store: &Store, filter: &AnalyticsFilter) -> Result<Overview, StoreError> {
    let one_day = filter.from_day == filter.to_day;
    // The database sums, and few rows come back. Each grouping reads the period's rows once:
    // the hours' table has 24 times the rows of the days' (a busy quarter, a hundred thousand),
    // so only what needs the hour reads it.
    let sums = |table: Table, group_by: &'static [&'static str]| {
        store.analytics_sums(table, filter, group_by)
    };
    let mut total = CallSums::default();
    let mut reasons = HandoffReasons::default();
    let mut outbound = Outbound::default();
    let mut per_version: BTreeMap<(String, i64), CallSums> = BTreeMap::new();
    const GROUPING: [&str; 5] = [
        "flow_id",
        "version",
        "direction",
        "outcome",
        "handoff_reason",
    ];
    for (key, counts) in &sums(Table::CallsDaily, &GROUPING).await? {
        let [flow, version, direction, outcome, reason] = key.as_slice() else {
            continue;
        };
        let (outcome, reason) = (text(outcome), text(reason));
        total.add(&outcome, &reason, &counts.sums);
        per_version
            .entry((text(flow), int(version)))
            .or_default()
            .add(&outcome, &reason, &counts.sums);
        let calls = counts.sums.first().copied().unwrap_or(0);
        match reason.as_str() {
            handoff_reason::ASKED => reasons.asked += calls,
            handoff_reason::NOT_UNDERSTOOD => reasons.not_understood += calls,
            handoff_reason::ERROR => reasons.error += calls,
            handoff_reason::BY_FLOW => reasons.by_flow += calls,
            handoff_reason::ANGRY => reasons.angry += calls,
            _ => {}
        }
        if text(direction) == "outbound" {
            outbound.placed += calls;
            // An outbound call ends `unreached` only when its flow never began: nobody
            // picked up.
            if outcome == CallOutcome::Unreached.as_str() {
                outbound.unreached += calls;
            } else {
                outbound.answered += calls;
            }
        }
    }
    let mut by_hour = vec![0; 24];
    for (key, counts) in &sums(Table::Calls, &["hour"]).await? {
        let hour = key.first().map(int).unwrap_or(-1);
        if let Some(slot) = usize::try_from(hour).ok().and_then(|h| by_hour.get_mut(h)) {
            *slot += counts.sums.first().copied().unwrap_or(0);
        }
    }
    outbound.answer_rate = rate(outbound.answered, outbound.placed);
    let (series_table, series_keys): (Table, &'static [&'static str]) = if one_day {
        (Table::Calls, &["day", "hour", "outcome", "handoff_reason"])
    } else {
        (Table::CallsDaily, &["day", "outcome", "handoff_reason"])
    };
    let mut series: BTreeMap<String, Point> = BTreeMap::new();
    for (key, counts) in &sums(series_table, series_keys).await? {
        let (at, outcome, reason) = match key.as_slice() {
            [day, hour, outcome, reason] => (
                format!("{} {:02}", text(day), int(hour)),
                text(outcome),
                text(reason),
            ),
            [day, outcome, reason] => (text(day), text(outcome), text(reason)),
            _ => continue,
        };
        let calls = counts.sums.first().copied().unwrap_or(0);
        let point = series.entry(at.clone()).or_insert(Point {
            at,
            calls: 0,
            contained: 0,
            handoffs: 0,
            abandoned: 0,
        });
        point.calls += calls;
        point.contained += counts.sums.get(1).copied().unwrap_or(0);
        if outcome == "abandoned" {
            point.abandoned += calls;
        } else if !reason.is_empty() {
            point.handoffs += calls;
        }
    }
    let handle = store
        .analytics_sums(
            Table::HandleTimes,
            filter,
            &["flow_id", "version", "bucket"],
        )
        .await?;
    let mut buckets: BTreeMap<i64, i64> = BTreeMap::new();
    let mut version_buckets: BTreeMap<(String, i64), BTreeMap<i64, i64>> = BTreeMap::new();
    for (key, counts) in &handle {
        let [flow, version, bucket] = key.as_slice() else {
            continue;
        };
        let n = counts.sums.first().copied().unwrap_or(0);
        *buckets.entry(int(bucket)).or_default() += n;
        *version_buckets
            .entry((text(flow), int(version)))
            .or_default()
            .entry(int(bucket))
            .or_default() += n;
    }
    let mut versions: Vec<VersionMeasures> = per_version
        .into_iter()
        .map(|((flow_id, version), sums)| {
            let p90 = version_buckets
                .get(&(flow_id.clone(), version))
                .and_then(p90);
            VersionMeasures {
                flow_id,
                flow_title: None,
                version,
                measures: sums.measures(p90),
            }
        })
        .collect();
    versions.sort_by(|a, b| a.flow_id.cmp(&b.flow_id).then(b.version.cmp(&a.version)));
    let mut top_intents: Vec<IntentCount> = store
        .analytics_sums(Table::Intents, filter, &["intent"])
        .await?
        .into_iter()
        .map(|(key, counts)| IntentCount {
            intent: key.first().map(text).unwrap_or_default(),
            intent_label: None,
            heard: counts.sums.first().copied().unwrap_or(0),
            calls: counts.sums.get(1).copied().unwrap_or(0),
        })
        .filter(|i| i.heard > 0)
        .collect();
    top_intents.sort_by(|a, b| b.heard.cmp(&a.heard).then(a.intent.cmp(&b.intent)));
    top_intents.truncate(10);
    Ok(Overview {
        from: filter.from_day.clone(),
        to: filter.to_day.clone(),
        measures: total.measures(p90(&buckets)),
        outbound,
        handoff_reasons: reasons,
        series: series.into_values().collect(),
        by_hour,
        top_intents,
        versions,
    })
}

/// How calls went through the nodes of the flows `filter` selects (name one flow for a
/// funnel that means something).
pub async fn funnel(store: &Store, filter: &AnalyticsFilter) -> Result<Funnel, StoreError> {
    let mut nodes: Vec<NodeFunnel> = store
        .analytics_sums(Table::Nodes, filter, &["node"])
        .await?
        .into_iter()
        .filter_map(|(key, counts)| {
            let [reached, entered, ended, abandoned, no_match, no_input] =
                <[i64; 6]>::try_from(counts.sums.as_slice()).ok()?;
            Some(NodeFunnel {
                node: key.first().map(text)?,
                node_label: None,
                reached,
                entered,
                ended,
                abandoned,
                no_match,
                no_input,
            })
        })
        .filter(|n| n.reached > 0 || n.no_match > 0 || n.no_input > 0)
        .collect();
    nodes.sort_by(|a, b| b.reached.cmp(&a.reached).then(a.node.cmp(&b.node)));
    let steps = store
        .analytics_sums(Table::Edges, filter, &["from_node", "to_node"])
        .await?
        .into_iter()
        .filter_map(|(key, counts)| {
            let calls = counts.sums.first().copied().unwrap_or(0);
            (calls > 0).then(|| Step {
                from: key.first().map(text).unwrap_or_default(),
                to: key.get(1).map(text).unwrap_or_default(),
                from_label: None,
                to_label: None,
                calls,
            })
        })
        .collect();
    Ok(Funnel {
        from: filter.from_day.clone(),
        to: filter.to_day.clone(),
        nodes,
        steps,
    })
}

/// Where a phrasing was not understood: flow, node and kind.
type Place = (String, String, String);

/// The most said texts the "not understood" list groups: enough for a manager's day of work,
/// few enough that a busy tenant's million no-matches still answer at once.
const UNHEARD_TEXTS: i64 = 2000;

/// What callers said that nobody understood, phrasings of the same node grouped by meaning, the
/// most said first; at most `limit` groups. Phrasings the manager dealt with (added as an
/// example or an alternative question, or dismissed) are left out.
pub async fn unheard(
    store: &Store,
    filter: &AnalyticsFilter,
    limit: usize,
) -> Result<Vec<UnheardGroup>, StoreError> {
    let handled: std::collections::HashSet<Vec<String>> = store
        .handled_unheard(&filter.tenant_id)
        .await?
        .into_iter()
        .map(|h| vec![h.flow_id, h.node, h.kind, h.text])
        .collect();
    let totals: Vec<UnheardTotal> = store
        .unheard_top(filter, UNHEARD_TEXTS)
        .await?
        .into_iter()
        .filter(|t| {
            t.said > 0
                && !handled
                    .contains(&[&t.flow_id, &t.node, &t.kind, &t.text].map(String::clone)[..])
        })
        .collect();
    // Phrasings of one node and kind, most said first, grouped by meaning
    // (`nlu::grouping`): the most said phrasing of a group leads it.
    let mut places: Vec<(Place, Vec<UnheardTotal>)> = Vec::new();
    for total in totals {
        let place = (
            total.flow_id.clone(),
            total.node.clone(),
            total.kind.clone(),
        );
        match places.iter_mut().find(|(p, _)| *p == place) {
            Some((_, list)) => list.push(total),
            None => places.push((place, vec![total])),
        }
    }
    // Each group with the number and time of its latest phrasing, for its example call.
    let mut groups: Vec<(UnheardGroup, (i64, i64))> = Vec::new();
    for ((flow, node, kind), phrasings) in places {
        let texts: Vec<&str> = phrasings.iter().map(|p| p.text.as_str()).collect();
        let first = groups.len();
        let grouped = flow_engine::nlu::grouping::group(&texts);
        for (g, phrasing) in grouped.into_iter().zip(phrasings) {
            if first + g == groups.len() {
                let group = UnheardGroup {
                    flow_id: flow.clone(),
                    flow_title: None,
                    node: node.clone(),
                    node_label: None,
                    kind: kind.clone(),
                    said: 0,
                    phrasings: Vec::new(),
                    example_call: String::new(),
                    last_at: phrasing.last_at,
                };
                groups.push((group, (phrasing.text_id, phrasing.last_at)));
            }
            let (group, latest) = &mut groups[first + g];
            group.said += phrasing.said;
            if phrasing.last_at > group.last_at {
                group.last_at = phrasing.last_at;
                *latest = (phrasing.text_id, phrasing.last_at);
            }
            group.phrasings.push(Phrasing {
                text: phrasing.text,
                said: phrasing.said,
            });
        }
    }
    groups.sort_by(|(a, _), (b, _)| b.said.cmp(&a.said).then(b.last_at.cmp(&a.last_at)));
    groups.truncate(limit);
    let latest: Vec<(i64, i64)> = groups.iter().map(|(_, latest)| *latest).collect();
    let calls = store.unheard_calls(filter, &latest).await?;
    Ok(groups
        .into_iter()
        .map(|(mut group, latest)| {
            group.example_call = calls.get(&latest).cloned().unwrap_or_default();
            group
        })
        .collect())
}

/// Knowledge entries answered in the calls `filter` selects, the least helpful first (so that
/// the manager rewrites them), then the most answered.
pub async fn knowledge(
    store: &Store,
    filter: &AnalyticsFilter,
) -> Result<Vec<EntryHelpfulness>, StoreError> {
    let mut entries: Vec<EntryHelpfulness> = store
        .analytics_sums(Table::Knowledge, filter, &["knowledge_base", "entry"])
        .await?
        .into_iter()
        .filter_map(|(key, counts)| {
            let [answered, helpful, unhelpful] =
                <[i64; 3]>::try_from(counts.sums.as_slice()).ok()?;
            Some(EntryHelpfulness {
                knowledge_base: key.first().map(text)?,
                knowledge_base_name: None,
                entry: key.get(1).map(text)?,
                question: None,
                answered,
                helpful,
                unhelpful,
                helpful_rate: rate(helpful, helpful + unhelpful),
            })
        })
        .filter(|e| e.answered > 0 || e.helpful > 0 || e.unhelpful > 0)
        .collect();
    entries.sort_by(|a, b| {
        let a_rate = a.helpful_rate.unwrap_or(2.0);
        let b_rate = b.helpful_rate.unwrap_or(2.0);
        a_rate
            .total_cmp(&b_rate)
            .then(b.answered.cmp(&a.answered))
            .then(a.entry.cmp(&b.entry))
    });
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ninetieth_percentile_is_the_end_of_its_bucket() {
        let buckets: BTreeMap<i64, i64> = [(1, 5), (10, 4), (20, 1)].into();
        // 9 of 10 calls are in buckets 1 and 10.
        assert_eq!(p90(&buckets), Some(handle_time_bucket_end(10)));
        assert_eq!(p90(&BTreeMap::new()), None);
    }
}
