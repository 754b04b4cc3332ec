//! The results page: per variable the flows mark as a result, how many calls gave one, a bar
//! chart of how often each value was given, the mean and the Net Promoter Score.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use flow_engine::model::ResultKind;

use super::chart::{self, Bar};
use super::tables::{csv_href, read};
use super::words::Words;
use super::{csv, internal, Form, Nav, Viewer};
use crate::analytics::names;
use crate::analytics::results::{self, ResultSummary};
use crate::state::AppState;

/// Bars drawn at most per variable: the most given values of a choice, the whole range of a
/// score.
const MAX_BARS: usize = 24;

pub struct ResultView {
    pub var: String,
    /// What the flow calls the result (its label, else the variable's name): the heading.
    pub label: String,
    /// The kind's word.
    pub kind: &'static str,
    pub count: i64,
    pub mean: String,
    pub nps: String,
    /// Whether the kind has a mean (and for scores a Net Promoter Score) to show.
    pub numeric: bool,
    pub is_score: bool,
    /// Free answers: counted only, so a table of values would say nothing.
    pub is_text: bool,
    /// Value and count, in the report's order.
    pub values: Vec<(String, i64)>,
    /// Calls counted without a value of their own (text answers, rare values).
    pub other: i64,
    pub chart: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/results.html")]
pub struct ResultsPage {
    t: Words,
    nav: Nav,
    form: Form,
    results: Vec<ResultView>,
    csv_href: String,
}

/// The word for a kind; a kind this server does not know reads as text, which is only counted.
fn kind_word(kind: Option<ResultKind>) -> &'static str {
    match kind {
        Some(ResultKind::Score) => "result_score",
        Some(ResultKind::Number) => "result_number",
        Some(ResultKind::Choice) => "result_choice",
        Some(ResultKind::Text) | None => "result_text",
    }
}

pub(super) fn view(t: Words, summary: ResultSummary) -> ResultView {
    let kind = ResultKind::parse(&summary.kind);
    let numeric = kind.is_some_and(ResultKind::is_numeric);
    let bars: Vec<Bar> = summary
        .distribution
        .iter()
        .take(MAX_BARS)
        .map(|v| Bar {
            label: v.value.chars().take(12).collect(),
            parts: vec![v.count],
        })
        .collect();
    let chart = (!bars.is_empty())
        .then(|| chart::stacked_bars(&bars, &chart::ACCENT, 560, 200))
        .flatten();
    ResultView {
        kind: t.w(kind_word(kind)),
        count: summary.count,
        mean: summary
            .mean
            .map_or_else(|| "—".to_owned(), |mean| format!("{mean:.2}")),
        nps: summary
            .nps
            .map_or_else(|| "—".to_owned(), |nps| format!("{nps:.0}")),
        numeric,
        is_score: kind == Some(ResultKind::Score),
        is_text: matches!(kind, Some(ResultKind::Text) | None),
        values: summary
            .distribution
            .into_iter()
            .map(|v| (v.value, v.count))
            .collect(),
        other: summary.other,
        chart,
        label: summary.label.unwrap_or_else(|| summary.var.clone()),
        var: summary.var,
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let t = viewer.words;
    let action = "/dashboard/results";
    let refused = |form| ResultsPage {
        t,
        nav: viewer.nav("results", String::new()),
        form,
        results: Vec::new(),
        csv_href: String::new(),
    };
    let request = match read(&state, &viewer, action, query, &["format"], refused).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let mut summaries = match results::results(&state.store, &request.filter).await {
        Ok(summaries) => summaries,
        Err(error) => return internal(t, &error),
    };
    if let Err(error) = names::results(&state, &request.filter, &mut summaries).await {
        return internal(t, &error);
    }
    let mut views: Vec<ResultView> = summaries.into_iter().map(|s| view(t, s)).collect();
    // Figures first; free answers, which are only counted, after them.
    views.sort_by_key(|view| view.is_text);
    if request.csv {
        let header = ["result_var", "result_kind", "result_value", "result_count"]
            .map(|k| t.w(k).to_owned());
        let mut lines = Vec::new();
        for r in &views {
            for (value, count) in &r.values {
                lines.push(vec![
                    r.label.clone(),
                    r.kind.to_owned(),
                    value.clone(),
                    count.to_string(),
                ]);
            }
            if r.other > 0 {
                lines.push(vec![
                    r.label.clone(),
                    r.kind.to_owned(),
                    t.w("result_other").to_owned(),
                    r.other.to_string(),
                ]);
            }
        }
        return csv::response(t, "results", &header, lines);
    }
    let form = Form::new(
        action,
        &viewer,
        &request.pairs,
        Some(&request.filter),
        &request.flows,
        false,
    );
    ResultsPage {
        t,
        nav: viewer.nav("results", form.query()),
        csv_href: csv_href(action, &form),
        form,
        results: views,
    }
    .into_response()
}
