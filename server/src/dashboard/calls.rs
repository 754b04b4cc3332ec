//! The calls list (newest first, filtered, a page at a time) and one call's transcript.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};

use super::transcript::{self, Line, Naming};
use super::words::Words;
use super::{csv, duration, encode, internal, message, pairs, Form, Nav, Viewer};
use crate::conversation::local_time;
use crate::flows::names;
use crate::state::AppState;
use crate::store::{AnalyticsFilter, Call, CallFilter, CallOutcome, Channel, StoreError};

/// Calls per page.
const PAGE_SIZE: u32 = 50;
/// Calls in a CSV download at most.
const CSV_ROWS: u32 = 1000;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/calls.html")]
pub struct CallsPage {
    t: Words,
    nav: Nav,
    form: Form,
    rows: Vec<CallRow>,
    /// The link to the next page, keeping the filters.
    next: Option<String>,
    /// Whether this is a later page (to offer the first one).
    paged: bool,
    csv_href: String,
}

pub struct CallRow {
    pub id: String,
    pub href: String,
    pub started: String,
    pub flow: String,
    pub version: String,
    pub channel: &'static str,
    pub direction: &'static str,
    /// The customer's number: who called in, or who was called.
    pub number: String,
    pub outcome: &'static str,
    pub outcome_class: &'static str,
    pub duration: String,
}

fn outcome_key(outcome: Option<CallOutcome>) -> &'static str {
    outcome.map_or("running", CallOutcome::as_str)
}

pub(super) fn row(
    t: Words,
    zone: chrono_tz::Tz,
    call: &Call,
    flows: &[(String, String)],
) -> CallRow {
    let started = chrono::DateTime::from_timestamp_millis(call.started_at)
        .map(|utc| {
            utc.with_timezone(&zone)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default();
    CallRow {
        id: call.id.clone(),
        href: format!("/dashboard/calls/{}", encode(&call.id)),
        started,
        flow: names::flow(t, flows, &call.flow_id),
        version: call
            .flow_version
            .map_or_else(|| t.w("draft").to_owned(), |v| v.to_string()),
        channel: match call.channel {
            Channel::Phone => t.w("phone"),
            _ if call.is_simulated() => t.w("simulated"),
            _ => t.w("chat"),
        },
        direction: t.w(match call.direction {
            flow_engine::runtime::Direction::Inbound => "inbound",
            flow_engine::runtime::Direction::Outbound => "outbound",
        }),
        number: match call.direction {
            flow_engine::runtime::Direction::Inbound => &call.from_number,
            flow_engine::runtime::Direction::Outbound => &call.to_number,
        }
        .clone()
        .unwrap_or_default(),
        outcome: t.w(outcome_key(call.outcome)),
        outcome_class: outcome_key(call.outcome),
        duration: call
            .duration_ms
            .map_or_else(|| "—".to_owned(), |ms| duration(t, ms)),
    }
}

/// The store's filter of the calls the analytics filter names: its local days, from the
/// start of the first to the end of the last.
fn call_filter(
    filter: &AnalyticsFilter,
    zone: chrono_tz::Tz,
    outcome: Option<CallOutcome>,
) -> CallFilter {
    let after_last = NaiveDate::parse_from_str(&filter.to_day, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.checked_add_days(Days::new(1)))
        .map(|day| day.format("%Y-%m-%d").to_string());
    CallFilter {
        flow_id: filter.flow_id.clone(),
        // Version 0 names the draft, whose conversations have no version: all are listed.
        flow_version: filter.version.filter(|v| *v > 0),
        outcome,
        channel: match filter.channel.as_deref() {
            Some("phone") => Some(Channel::Phone),
            Some("chat") => Some(Channel::Chat),
            _ => None,
        },
        direction: None,
        include_simulated: filter.include_simulated,
        from_ms: local_time::parse_moment(&filter.from_day, zone),
        to_ms: after_last.and_then(|day| local_time::parse_moment(&day, zone)),
    }
}

const OUTCOMES: [CallOutcome; 5] = CallOutcome::ALL;

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let t = viewer.words;
    let flows = match names::flows(&state, &viewer.principal.tenant_id).await {
        Ok(flows) => flows,
        Err(error) => return internal(t, &error),
    };
    let pairs = pairs(t, query);
    let value = |pairs: &[(String, String)], name: &str| super::last_value(pairs, name);
    let parsed = pairs.and_then(|pairs| {
        let filter = viewer.filter(&pairs, &["outcome", "cursor", "format"])?;
        let outcome = match value(&pairs, "outcome").as_str() {
            "" => None,
            name => Some(
                OUTCOMES
                    .into_iter()
                    .find(|o| o.as_str() == name)
                    .ok_or_else(|| {
                        format!("{}{}", t.w("outcome"), t.pick("：无效", ": not valid"))
                    })?,
            ),
        };
        Ok((pairs, filter, outcome))
    });
    let (pairs, filter, outcome) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            return bad_filter(t, &viewer, &flows, &[], error);
        }
    };
    let csv_wanted = value(&pairs, "format") == "csv";
    let cursor = value(&pairs, "cursor");
    let page = state
        .store
        .list_calls(
            &viewer.principal.tenant_id,
            &call_filter(&filter, viewer.zone(), outcome),
            (!cursor.is_empty() && !csv_wanted).then_some(cursor.as_str()),
            if csv_wanted { CSV_ROWS } else { PAGE_SIZE },
        )
        .await;
    let page = match page {
        Ok(page) => page,
        Err(StoreError::InvalidCursor) => {
            let error = t.w("bad_cursor").to_owned();
            return bad_filter(t, &viewer, &flows, &pairs, error);
        }
        Err(error) => return internal(t, &error),
    };
    let zone = viewer.zone();
    let rows: Vec<CallRow> = page
        .calls
        .iter()
        .map(|call| row(t, zone, call, &flows))
        .collect();
    if csv_wanted {
        return calls_csv(t, &rows);
    }
    let form = Form::new(
        "/dashboard/calls",
        &viewer,
        &pairs,
        Some(&filter),
        &flows,
        true,
    );
    let outcome_query = outcome.map_or_else(String::new, |o| {
        format!(
            "{}outcome={}",
            if form.query().is_empty() { "?" } else { "&" },
            o.as_str()
        )
    });
    let here = format!("{}{outcome_query}", form.query());
    let joiner = if here.is_empty() { "?" } else { "&" };
    CallsPage {
        t,
        nav: viewer.nav("calls", form.query()),
        next: page
            .next_cursor
            .map(|c| format!("/dashboard/calls{here}{joiner}cursor={}", encode(&c))),
        paged: !cursor.is_empty(),
        csv_href: format!("/dashboard/calls{here}{joiner}format=csv"),
        form,
        rows,
    }
    .into_response()
}

fn bad_filter(
    t: Words,
    viewer: &Viewer,
    flows: &[(String, String)],
    pairs: &[(String, String)],
    error: String,
) -> Response {
    let mut form = Form::new("/dashboard/calls", viewer, pairs, None, flows, true);
    form.error = Some(error);
    let page = CallsPage {
        t,
        nav: viewer.nav("calls", String::new()),
        form,
        rows: Vec::new(),
        next: None,
        paged: false,
        csv_href: String::new(),
    };
    (StatusCode::BAD_REQUEST, page).into_response()
}

fn calls_csv(t: Words, rows: &[CallRow]) -> Response {
    let header = [
        "started",
        "flow",
        "version",
        "channel",
        "direction",
        "customer_number",
        "outcome",
        "duration",
    ]
    .map(|key| t.w(key).to_owned());
    let lines = rows.iter().map(|r| {
        vec![
            r.started.clone(),
            r.flow.clone(),
            r.version.clone(),
            r.channel.to_owned(),
            r.direction.to_owned(),
            r.number.clone(),
            r.outcome.to_owned(),
            r.duration.clone(),
        ]
    });
    csv::response(t, "calls", &header, lines)
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/transcript.html")]
pub struct TranscriptPage {
    t: Words,
    nav: Nav,
    call: CallRow,
    lines: Vec<Line>,
}

pub async fn transcript(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let t = viewer.words;
    let found = match state.store.get_call(&viewer.principal.tenant_id, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return message(t, StatusCode::NOT_FOUND, "not_found_title", "not_found"),
        Err(error) => return internal(t, &error),
    };
    let flows = match names::flows(&state, &viewer.principal.tenant_id).await {
        Ok(flows) => flows,
        Err(error) => return internal(t, &error),
    };
    let bases = found
        .events
        .iter()
        .filter_map(|e| e.data.get("knowledge_base").and_then(|b| b.as_str()))
        .map(str::to_owned)
        .collect();
    let knowledge = match names::Knowledge::of(&state, &viewer.principal.tenant_id, bases).await {
        Ok(knowledge) => knowledge,
        Err(error) => return internal(t, &error),
    };
    let flow_id = &found.call.flow_id;
    let drafts = match names::Drafts::of(
        &state,
        &viewer.principal.tenant_id,
        BTreeSet::from([flow_id.clone()]),
    )
    .await
    {
        Ok(drafts) => drafts,
        Err(error) => return internal(t, &error),
    };
    let node_name = |node: &str| drafts.label(t, flow_id, node);
    let intent_name = |key: &str| drafts.intent(flow_id, key);
    let result_name = |var: &str| drafts.result(flow_id, var);
    let queues = match crate::queues::list(&state.store, &viewer.principal.tenant_id).await {
        Ok(queues) => queues,
        Err(error) => return internal(t, &error),
    };
    let queue_name = |key: &str| names::queue_name(t, &queues, key);
    TranscriptPage {
        t,
        nav: viewer.nav("calls", String::new()),
        lines: transcript::lines(
            t,
            found.call.started_at,
            &found.events,
            &Naming {
                knowledge: &knowledge,
                node: &node_name,
                intent: &intent_name,
                queue: &queue_name,
                result: &result_name,
            },
        ),
        call: row(t, viewer.zone(), &found.call, &flows),
    }
    .into_response()
}
