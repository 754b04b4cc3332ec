//! The campaigns page: each outbound campaign's progress (contacts, dialled, answered,
//! completed, opted out, remaining) and the survey report over its contacts' results, drawn as
//! the results page draws a period's.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::results::{view, ResultView};
use super::words::Words;
use super::{internal, message, Nav, Viewer};
use crate::auth::Permission;
use crate::campaigns::lifecycle;
use crate::campaigns::results::{self as campaign_results, ReasonGroup};
use crate::state::AppState;

pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub flow: String,
    pub list: String,
    pub status: &'static str,
    pub contacts: i64,
    pub dialed: i64,
    pub answered: i64,
    pub completed: i64,
    pub opted_out: i64,
    pub remaining: i64,
    /// Final statuses in words, with their counts.
    pub finals: Vec<(&'static str, i64)>,
    pub results: Vec<CampaignResult>,
}

/// A result as the results page draws it, with a text result's answers grouped by meaning.
pub struct CampaignResult {
    pub view: ResultView,
    pub groups: Vec<ReasonRow>,
}

/// A group of answers: its leading wording, how many gave it, and its wordings when more than
/// one.
pub struct ReasonRow {
    pub text: String,
    pub count: i64,
    pub wordings: String,
}

impl ReasonRow {
    fn of(group: ReasonGroup, t: Words) -> ReasonRow {
        let wordings = if group.wordings.len() > 1 {
            let separator = t.language.pick("、", ", ");
            group
                .wordings
                .iter()
                .map(|wording| format!("{} ({})", wording.text, wording.count))
                .collect::<Vec<_>>()
                .join(separator)
        } else {
            String::new()
        };
        ReasonRow {
            text: group.text,
            count: group.count,
            wordings,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/campaigns.html")]
pub struct CampaignsPage {
    t: Words,
    nav: Nav,
    campaigns: Vec<CampaignView>,
}

fn status_word(status: &str) -> &'static str {
    match status {
        "draft" => "campaign_draft",
        "running" => "campaign_running",
        "paused" => "campaign_paused",
        "stopped" => "campaign_stopped",
        _ => "campaign_completed",
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let t = viewer.words;
    if viewer.principal.require(Permission::ReadContacts).is_err() {
        return message(t, StatusCode::FORBIDDEN, "error_title", "forbidden");
    }
    let tenant_id = viewer.principal.tenant_id.as_str();
    let now = state.clock.now_ms();
    let campaigns = match lifecycle::list(&state.store, tenant_id).await {
        Ok(campaigns) => campaigns,
        Err(error) => return internal(t, &error),
    };
    let mut views = Vec::with_capacity(campaigns.len());
    for campaign in campaigns {
        let progress =
            match campaign_results::progress(&state.store, tenant_id, &campaign.id, now).await {
                Ok(progress) => progress,
                Err(error) => return internal(t, &error),
            };
        let report = match campaign_results::report(&state.store, tenant_id, &campaign.id).await {
            Ok(report) => report,
            Err(error) => return internal(t, &error),
        };
        let mut results: Vec<CampaignResult> = report
            .results
            .into_iter()
            .map(|result| CampaignResult {
                view: view(t, result.summary),
                groups: result
                    .groups
                    .into_iter()
                    .map(|group| ReasonRow::of(group, t))
                    .collect(),
            })
            .collect();
        results.sort_by_key(|result| result.view.is_text);
        views.push(CampaignView {
            status: status_word(&campaign.status),
            finals: progress
                .by_status
                .iter()
                .map(|(status, count)| (campaign_results::status_label(status, t.language), *count))
                .collect(),
            contacts: progress.contacts,
            dialed: progress.dialed,
            answered: progress.answered,
            completed: progress.completed,
            opted_out: progress.opted_out,
            remaining: progress.remaining,
            results,
            id: campaign.id,
            name: campaign.name,
            flow: campaign.flow_title,
            list: campaign.list_name,
        });
    }
    CampaignsPage {
        t,
        nav: viewer.nav("campaigns", String::new()),
        campaigns: views,
    }
    .into_response()
}
