//! The overview page: the filters, the measures as cards, calls per day and per hour of day as
//! charts, the top intents and the versions side by side.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};

use super::chart::{self, Bar};
use super::words::Words;
use super::{csv, duration, internal, pairs, percent, Form, Nav, Viewer};
use crate::analytics::report::{self, IntentCount, Overview, Point};
use crate::flows::names;
use crate::state::AppState;
use crate::store::AnalyticsFilter;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/overview.html")]
pub struct OverviewPage {
    t: Words,
    nav: Nav,
    form: Form,
    /// `None` when the filters are wrong.
    report: Option<OverviewView>,
}

pub struct Card {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub note: String,
}

pub struct VersionRow {
    pub flow: String,
    pub version: String,
    pub calls: i64,
    pub containment: String,
    pub handoff: String,
    pub abandonment: String,
    /// Of the caller's turns: did the new version understand more than the old?
    pub no_match: String,
    pub average: String,
    pub p90: String,
}

pub struct OverviewView {
    pub empty: bool,
    pub cards: Vec<Card>,
    pub reasons: Vec<(&'static str, i64)>,
    pub series_title: &'static str,
    pub series_chart: Option<String>,
    pub hour_chart: Option<String>,
    pub intents: Vec<IntentCount>,
    pub versions: Vec<VersionRow>,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let t = viewer.words;
    let flows = match names::flows(&state, &viewer.principal.tenant_id).await {
        Ok(flows) => flows,
        Err(error) => return internal(t, &error),
    };
    let (pairs, filter) = match pairs(t, query) {
        Ok(pairs) => {
            let filter = viewer.filter(&pairs, &["format"]);
            (pairs, filter)
        }
        Err(message) => (Vec::new(), Err(message)),
    };
    let filter = match filter {
        Ok(filter) => filter,
        Err(message) => {
            let mut form = Form::new("/dashboard", &viewer, &pairs, None, &flows, false);
            form.error = Some(message);
            let nav = viewer.nav("overview", String::new());
            let page = OverviewPage {
                t,
                nav,
                form,
                report: None,
            };
            return (StatusCode::BAD_REQUEST, page).into_response();
        }
    };
    let mut overview = match report::overview(&state.store, &filter).await {
        Ok(overview) => overview,
        Err(error) => return internal(t, &error),
    };
    // Intents are counted by key; people read them by the labels the flows give them.
    let ids = flows.iter().map(|(id, _)| id.clone()).collect();
    let drafts = match names::Drafts::of(&state, &viewer.principal.tenant_id, ids).await {
        Ok(drafts) => drafts,
        Err(error) => return internal(t, &error),
    };
    for counted in &mut overview.top_intents {
        counted.intent = drafts.intent_anywhere(&counted.intent);
    }
    let versions = version_rows(t, &overview, &flows);
    if pairs.iter().any(|(k, v)| k == "format" && v == "csv") {
        return versions_csv(t, &versions);
    }
    let form = Form::new("/dashboard", &viewer, &pairs, Some(&filter), &flows, false);
    let nav = viewer.nav("overview", form.query());
    OverviewPage {
        t,
        nav,
        report: Some(view(t, &filter, overview, versions)),
        form,
    }
    .into_response()
}

fn view(
    t: Words,
    filter: &AnalyticsFilter,
    overview: Overview,
    versions: Vec<VersionRow>,
) -> OverviewView {
    let m = &overview.measures;
    let o = &overview.outbound;
    let count = |n: i64| {
        if n == 1 {
            t.w("one_call").to_owned()
        } else {
            format!("{n} {}", t.w("of_calls"))
        }
    };
    let handle = |ms: Option<i64>| ms.map_or_else(|| "—".to_owned(), |ms| duration(t, ms));
    let cards = vec![
        Card {
            id: "calls",
            label: "calls",
            value: m.calls.to_string(),
            note: String::new(),
        },
        Card {
            id: "containment",
            label: "containment",
            value: percent(m.containment_rate),
            note: format!("{} · {}", count(m.contained), t.w("containment_note")),
        },
        Card {
            id: "handoff",
            label: "handoff_rate",
            value: percent(m.handoff_rate),
            note: count(m.handoffs),
        },
        Card {
            id: "abandonment",
            label: "abandonment",
            value: percent(m.abandonment_rate),
            note: count(m.abandoned),
        },
        Card {
            id: "failure",
            label: "failure",
            value: percent(m.failure_rate),
            note: count(m.failed),
        },
        Card {
            id: "unreached",
            label: "unreached",
            value: m.unreached.to_string(),
            note: t.w("unreached_note").to_owned(),
        },
        Card {
            id: "outbound-answered",
            label: "outbound_answered",
            value: o.answered.to_string(),
            note: format!("{} {}", o.placed, t.w("outbound_placed")),
        },
        Card {
            id: "answer-rate",
            label: "answer_rate",
            value: percent(o.answer_rate),
            note: format!("{} / {}", o.answered, o.placed),
        },
        Card {
            id: "average-handle",
            label: "average_handle",
            value: handle(m.average_handle_ms),
            note: String::new(),
        },
        Card {
            id: "p90-handle",
            label: "p90_handle",
            value: handle(m.p90_handle_ms),
            note: String::new(),
        },
        Card {
            id: "turns",
            label: "turns_per_call",
            value: m
                .turns_per_call
                .map_or_else(|| "—".to_owned(), |n| format!("{n:.1}")),
            note: String::new(),
        },
        Card {
            id: "no-match",
            label: "no_match_rate",
            value: percent(m.no_match_rate),
            note: String::new(),
        },
        Card {
            id: "no-input",
            label: "no_input_rate",
            value: percent(m.no_input_rate),
            note: String::new(),
        },
        Card {
            id: "kb-answered",
            label: "kb_answered",
            value: m.knowledge_answered.to_string(),
            note: String::new(),
        },
        Card {
            id: "kb-missed",
            label: "kb_missed",
            value: m.knowledge_missed.to_string(),
            note: String::new(),
        },
    ];
    let r = &overview.handoff_reasons;
    let reasons = vec![
        ("reason_asked", r.asked),
        ("reason_not_understood", r.not_understood),
        ("reason_error", r.error),
        ("reason_by_flow", r.by_flow),
        ("reason_angry", r.angry),
    ];
    let one_day = filter.from_day == filter.to_day;
    let series_chart = chart::stacked_bars(
        &series_bars(filter, &overview.series),
        &chart::OUTCOME_COLOURS,
        720,
        260,
    );
    let hours: Vec<Bar> = overview
        .by_hour
        .iter()
        .enumerate()
        .map(|(hour, calls)| Bar {
            label: format!("{hour:02}"),
            parts: vec![*calls],
        })
        .collect();
    OverviewView {
        empty: m.calls == 0,
        cards,
        reasons,
        series_title: if one_day {
            "per_hour_of_range"
        } else {
            "per_day"
        },
        series_chart,
        hour_chart: chart::stacked_bars(&hours, &chart::ACCENT, 720, 220),
        intents: overview.top_intents,
        versions,
    }
}

/// One bar per day of the range (or per hour of a one-day range), days without calls too.
fn series_bars(filter: &AnalyticsFilter, series: &[Point]) -> Vec<Bar> {
    let parts = |at: &str| {
        series.iter().find(|p| p.at == at).map_or(vec![0; 4], |p| {
            let other = (p.calls - p.contained - p.handoffs - p.abandoned).max(0);
            vec![p.contained, p.handoffs, p.abandoned, other]
        })
    };
    if filter.from_day == filter.to_day {
        return (0..24)
            .map(|hour| Bar {
                label: format!("{hour:02}"),
                parts: parts(&format!("{} {hour:02}", filter.from_day)),
            })
            .collect();
    }
    let parse = |day: &str| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok();
    let (Some(mut day), Some(last)) = (parse(&filter.from_day), parse(&filter.to_day)) else {
        return Vec::new();
    };
    let mut bars = Vec::new();
    while day <= last {
        let at = day.format("%Y-%m-%d").to_string();
        bars.push(Bar {
            label: day.format("%m-%d").to_string(),
            parts: parts(&at),
        });
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    bars
}

fn version_rows(t: Words, overview: &Overview, flows: &[(String, String)]) -> Vec<VersionRow> {
    overview
        .versions
        .iter()
        .map(|v| VersionRow {
            flow: names::flow(t, flows, &v.flow_id),
            version: if v.version == 0 {
                t.w("draft").to_owned()
            } else {
                v.version.to_string()
            },
            calls: v.measures.calls,
            containment: percent(v.measures.containment_rate),
            handoff: percent(v.measures.handoff_rate),
            abandonment: percent(v.measures.abandonment_rate),
            no_match: percent(v.measures.no_match_rate),
            average: v
                .measures
                .average_handle_ms
                .map_or_else(|| "—".to_owned(), |ms| duration(t, ms)),
            p90: v
                .measures
                .p90_handle_ms
                .map_or_else(|| "—".to_owned(), |ms| duration(t, ms)),
        })
        .collect()
}

fn versions_csv(t: Words, rows: &[VersionRow]) -> Response {
    let header = [
        "flow",
        "version",
        "calls",
        "containment",
        "handoff_rate",
        "abandonment",
        "no_match_rate",
        "average_handle",
        "p90_handle",
    ]
    .map(|key| t.w(key).to_owned());
    let lines = rows.iter().map(|r| {
        vec![
            r.flow.clone(),
            r.version.clone(),
            r.calls.to_string(),
            r.containment.clone(),
            r.handoff.clone(),
            r.abandonment.clone(),
            r.no_match.clone(),
            r.average.clone(),
            r.p90.clone(),
        ]
    });
    csv::response(t, "versions", &header, lines)
}
