//! The tables of what callers said that was not understood, and of how helpful knowledge
//! answers were; how a table page reads its filters (the results page's too).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::teach::{csrf_token, Notice, TeachForm, NOTICE_PARAMETERS};
use super::words::Words;
use super::{csv, encode, internal, pairs, percent, Form, Nav, Viewer};
use crate::analytics::report;
use crate::flows;
use crate::flows::names;
use crate::state::AppState;
use crate::store::AnalyticsFilter;

/// Groups of phrasings shown at most.
const UNHEARD_GROUPS: usize = 100;

pub struct UnheardRow {
    pub flow: String,
    pub node: String,
    pub kind: &'static str,
    pub said: i64,
    /// The phrasings with how often each was said, the most said first.
    pub phrasings: Vec<(String, i64)>,
    pub example_href: String,
    /// What the visitor may teach it to, or dismiss it.
    pub teach: Option<TeachForm>,
}

pub struct KnowledgeRow {
    pub knowledge_base: String,
    pub entry: String,
    pub answered: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub helpful_rate: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/unheard.html")]
pub struct UnheardPage {
    t: Words,
    nav: Nav,
    form: Form,
    rows: Vec<UnheardRow>,
    csv_href: String,
    /// For the rows' forms.
    csrf_token: String,
    back: String,
    notice: Option<Notice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/knowledge.html")]
pub struct KnowledgePage {
    t: Words,
    nav: Nav,
    form: Form,
    rows: Vec<KnowledgeRow>,
    csv_href: String,
}

/// What a table page needs first: the flows, the pairs and the filter, or the answer to give.
pub(super) struct Request {
    pub flows: Vec<(String, String)>,
    pub pairs: Vec<(String, String)>,
    pub filter: AnalyticsFilter,
    pub csv: bool,
}

/// The table page's request, or the answer to give instead: for a filter that means nothing,
/// the page `refused` builds around the form that explains it (400); for a failure, the
/// internal-error page.
pub(super) async fn read<P: IntoResponse>(
    state: &AppState,
    viewer: &Viewer,
    action: &'static str,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    others: &[&str],
    refused: impl FnOnce(Form) -> P,
) -> Result<Request, Response> {
    let t = viewer.words;
    let flows = names::flows(state, &viewer.principal.tenant_id)
        .await
        .map_err(|error| internal(t, &error))?;
    let (pairs, filter) = match pairs(t, query) {
        Ok(pairs) => {
            let filter = viewer.filter(&pairs, others);
            (pairs, filter)
        }
        Err(message) => (Vec::new(), Err(message)),
    };
    match filter {
        Ok(filter) => Ok(Request {
            csv: pairs.iter().any(|(k, v)| k == "format" && v == "csv"),
            flows,
            pairs,
            filter,
        }),
        Err(message) => {
            let mut form = Form::new(action, viewer, &pairs, None, &flows, false);
            form.error = Some(message);
            Err((StatusCode::BAD_REQUEST, refused(form)).into_response())
        }
    }
}

pub(super) fn csv_href(action: &str, form: &Form) -> String {
    let query = form.query();
    format!(
        "{action}{query}{}format=csv",
        if query.is_empty() { "?" } else { "&" }
    )
}

pub async fn unheard(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let t = viewer.words;
    let action = "/dashboard/unheard";
    let others = ["format", NOTICE_PARAMETERS[0], NOTICE_PARAMETERS[1]];
    let refused = |form| UnheardPage {
        t,
        nav: viewer.nav("unheard", String::new()),
        form,
        rows: Vec::new(),
        csv_href: String::new(),
        csrf_token: String::new(),
        back: String::new(),
        notice: None,
    };
    let request = match read(&state, &viewer, action, query, &others, refused).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let groups = match report::unheard(&state.store, &request.filter, UNHEARD_GROUPS).await {
        Ok(groups) => groups,
        Err(error) => return internal(t, &error),
    };
    let tenant_id = &viewer.principal.tenant_id;
    let flow_ids = groups.iter().map(|g| g.flow_id.clone()).collect();
    let drafts = match names::Drafts::of(&state, tenant_id, flow_ids).await {
        Ok(drafts) => drafts,
        Err(error) => return internal(t, &error),
    };
    // The CSV needs no forms, so no knowledge entries.
    let bases = if request.csv {
        Default::default()
    } else {
        groups
            .iter()
            .filter_map(|g| drafts.get(&g.flow_id).map(|flow| (flow, &g.node)))
            .filter_map(|(flow, node)| flows::teachable(&flow.draft, node).knowledge_base)
            .collect()
    };
    let knowledge = match names::Knowledge::of(&state, tenant_id, bases).await {
        Ok(knowledge) => knowledge,
        Err(error) => return internal(t, &error),
    };
    let rows: Vec<UnheardRow> = groups
        .into_iter()
        .map(|g| UnheardRow {
            teach: TeachForm::of(&viewer.principal, &g, &drafts, &knowledge),
            flow: names::flow(t, &request.flows, &g.flow_id),
            node: drafts.label(t, &g.flow_id, &g.node),
            kind: t.w(if g.kind == "kb_missed" {
                "kind_kb_missed"
            } else {
                "kind_no_match"
            }),
            said: g.said,
            phrasings: g.phrasings.into_iter().map(|p| (p.text, p.said)).collect(),
            example_href: format!("/dashboard/calls/{}", encode(&g.example_call)),
        })
        .collect();
    if request.csv {
        let header = ["flow", "node", "kind", "times_said", "phrasings"].map(|k| t.w(k).to_owned());
        let lines = rows.iter().map(|r| {
            let phrasings: Vec<String> = r
                .phrasings
                .iter()
                .map(|(text, said)| format!("{text} ({said})"))
                .collect();
            vec![
                r.flow.clone(),
                r.node.clone(),
                r.kind.to_owned(),
                r.said.to_string(),
                phrasings.join(" | "),
            ]
        });
        return csv::response(t, "unheard", &header, lines);
    }
    let form = Form::new(
        action,
        &viewer,
        &request.pairs,
        Some(&request.filter),
        &request.flows,
        false,
    );
    UnheardPage {
        t,
        nav: viewer.nav("unheard", form.query()),
        csv_href: csv_href(action, &form),
        form,
        rows,
        csrf_token: csrf_token(&viewer.principal),
        back: viewer.here.clone(),
        notice: Notice::of(&request.pairs),
    }
    .into_response()
}

pub async fn knowledge(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let t = viewer.words;
    let action = "/dashboard/knowledge";
    let refused = |form| KnowledgePage {
        t,
        nav: viewer.nav("knowledge", String::new()),
        form,
        rows: Vec::new(),
        csv_href: String::new(),
    };
    let request = match read(&state, &viewer, action, query, &["format"], refused).await {
        Ok(request) => request,
        Err(response) => return response,
    };
    let entries = match report::knowledge(&state.store, &request.filter).await {
        Ok(entries) => entries,
        Err(error) => return internal(t, &error),
    };
    let keys = entries.iter().map(|e| e.knowledge_base.clone()).collect();
    let knowledge = match names::Knowledge::of(&state, &viewer.principal.tenant_id, keys).await {
        Ok(knowledge) => knowledge,
        Err(error) => return internal(t, &error),
    };
    let rows: Vec<KnowledgeRow> = entries
        .into_iter()
        .map(|e| KnowledgeRow {
            knowledge_base: knowledge.base(&e.knowledge_base),
            entry: knowledge.entry(&e.entry),
            answered: e.answered,
            helpful: e.helpful,
            unhelpful: e.unhelpful,
            helpful_rate: percent(e.helpful_rate),
        })
        .collect();
    if request.csv {
        let header = [
            "knowledge_base",
            "entry",
            "answered",
            "helpful",
            "not_helpful",
            "helpful_rate",
        ]
        .map(|k| t.w(k).to_owned());
        let lines = rows.iter().map(|r| {
            vec![
                r.knowledge_base.clone(),
                r.entry.clone(),
                r.answered.to_string(),
                r.helpful.to_string(),
                r.unhelpful.to_string(),
                r.helpful_rate.clone(),
            ]
        });
        return csv::response(t, "knowledge", &header, lines);
    }
    let form = Form::new(
        action,
        &viewer,
        &request.pairs,
        Some(&request.filter),
        &request.flows,
        false,
    );
    KnowledgePage {
        t,
        nav: viewer.nav("knowledge", form.query()),
        csv_href: csv_href(action, &form),
        form,
        rows,
    }
    .into_response()
}
