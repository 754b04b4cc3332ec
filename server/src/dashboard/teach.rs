//! The "not understood" list's forms: teach a phrasing to an intent of its flow's draft or to
//! a knowledge entry, or dismiss it. Plain HTML forms, so they work without scripts; each
//! carries the session's CSRF token. The changes are the API's own (`flows::add_example`,
//! `knowledge::add_alternative`, `analytics::handling::dismiss`): the same draft revision
//! check, the same audit entries.

use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::words::Words;
use super::{encode, internal, last_value, message, Choice, Viewer};
use crate::analytics::handling;
use crate::analytics::report::UnheardGroup;
use crate::auth::{self, Permission, Principal};
use crate::flows::names::{Drafts, Knowledge};
use crate::flows::{self, FlowError, NewExample};
use crate::knowledge::{self, KnowledgeError};
use crate::state::AppState;
use crate::store::{now_ms, HandledUnheard};

/// Where the forms send the visitor back to, and the page they may name.
const LIST: &str = "/dashboard/unheard";

/// What a row of the list can be taught to, for its form.
pub struct TeachForm {
    pub flow_id: String,
    pub node: String,
    pub kind: String,
    /// The draft's revision the choices were read from: a draft changed since is a conflict.
    pub revision: i64,
    /// The group's phrasings, the most said first: which one to teach.
    pub texts: Vec<String>,
    /// `intent:<name>` choices: the node's intents, then the flow's global ones.
    pub intents: Vec<Choice>,
    /// The knowledge base the node answers from, by name, and its entries (`entry:<key>:<id>`).
    pub knowledge_base: String,
    pub entries: Vec<Choice>,
    pub may_dismiss: bool,
}

impl TeachForm {
    /// The form of a group, or none when the visitor may change nothing it could teach, or
    /// its flow is gone.
    pub fn of(
        principal: &Principal,
        group: &UnheardGroup,
        drafts: &Drafts,
        knowledge: &Knowledge,
    ) -> Option<TeachForm> {
        let flow = drafts.get(&group.flow_id)?;
        let may = |permission| principal.require(permission).is_ok();
        let teachable = flows::teachable(&flow.draft, &group.node);
        let choice = |value: String, label: &str| Choice {
            value,
            label: label.to_owned(),
            selected: false,
        };
        let intents: Vec<Choice> = if may(Permission::EditFlows) {
            teachable
                .intents
                .iter()
                .map(|intent| {
                    let label = match &intent.example {
                        Some(example) => format!("{} · {example}", intent.label),
                        None => intent.label.clone(),
                    };
                    choice(format!("intent:{}", intent.name), &label)
                })
                .collect()
        } else {
            Vec::new()
        };
        let (knowledge_base, entries) = match &teachable.knowledge_base {
            Some(key) if may(Permission::EditKnowledge) => (
                knowledge.base(key),
                knowledge
                    .entries_of(key)
                    .iter()
                    .map(|(id, question)| choice(format!("entry:{key}:{id}"), question))
                    .collect(),
            ),
            _ => (String::new(), Vec::new()),
        };
        let may_dismiss = may(Permission::EditFlows);
        if intents.is_empty() && entries.is_empty() && !may_dismiss {
            return None;
        }
        Some(TeachForm {
            flow_id: group.flow_id.clone(),
            node: group.node.clone(),
            kind: group.kind.clone(),
            revision: flow.revision,
            texts: group.phrasings.iter().map(|p| p.text.clone()).collect(),
            intents,
            knowledge_base,
            entries,
            may_dismiss,
        })
    }

    pub fn can_teach(&self) -> bool {
        !self.intents.is_empty() || !self.entries.is_empty()
    }
}

/// What the list says after a change, and where the change waits to be published.
pub struct Notice {
    /// `notice_example`, `notice_alternative` or `notice_dismissed`.
    pub text: &'static str,
    /// The editor's page of the flow, when the change is in its draft.
    pub publish_href: Option<String>,
}

impl Notice {
    /// The notice the list's query asks for (`notice`, `notice_flow`), if any.
    pub fn of(pairs: &[(String, String)]) -> Option<Notice> {
        let text = match last_value(pairs, "notice").as_str() {
            "example" => "notice_example",
            "alternative" => "notice_alternative",
            "dismissed" => "notice_dismissed",
            _ => return None,
        };
        let flow = last_value(pairs, "notice_flow");
        Some(Notice {
            text,
            publish_href: (text == "notice_example" && !flow.is_empty())
                .then(|| format!("/#/flows/{}", encode(&flow))),
        })
    }
}

/// The query parameters of the list that only say what just happened.
pub const NOTICE_PARAMETERS: [&str; 2] = ["notice", "notice_flow"];

/// A form posted from a dashboard page by a signed-in visitor, its CSRF token checked.
pub struct Posted {
    pub viewer: Viewer,
    fields: Vec<(String, String)>,
}

impl Posted {
    pub(super) fn field(&self, name: &str) -> String {
        last_value(&self.fields, name)
    }

    /// Every value sent under `name` (a group of checkboxes), in order.
    pub(super) fn values(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// The page saying "not allowed" unless the visitor's role grants `permission`.
    fn refused_unless(&self, permission: Permission) -> Option<Response> {
        let allowed = self.viewer.principal.require(permission).is_ok();
        (!allowed).then(|| failure(self.viewer.words, StatusCode::FORBIDDEN, "forbidden"))
    }

    /// The unheard phrasing the form is about, still to be marked with how it was handled.
    fn phrasing(&self) -> HandledUnheard {
        HandledUnheard {
            flow_id: self.field("flow_id"),
            node: self.field("node"),
            kind: self.field("kind"),
            text: self.field("text"),
            resolution: String::new(),
            target: String::new(),
        }
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let principal = auth::signed_in(&parts, state).await;
        let viewer = Viewer::of(&parts, state, principal).await?;
        let words = viewer.words;
        let request = Request::from_parts(parts, body);
        let Ok(axum::Form(fields)) =
            axum::Form::<Vec<(String, String)>>::from_request(request, state).await
        else {
            return Err(failure(words, StatusCode::BAD_REQUEST, "bad_form"));
        };
        let token = last_value(&fields, "csrf_token");
        if viewer.principal.check_csrf(&token).is_err() {
            return Err(failure(words, StatusCode::FORBIDDEN, "form_expired"));
        }
        Ok(Posted { viewer, fields })
    }
}

/// The session's CSRF token, for the forms of a page; API keys need none.
pub fn csrf_token(principal: &Principal) -> String {
    match &principal.credential {
        auth::Credential::Session { csrf_token, .. } => csrf_token.clone(),
        auth::Credential::ApiKey { .. } => String::new(),
    }
}

/// Teaches the chosen phrasing to the chosen intent (an example in the flow's draft) or
/// knowledge entry (an alternative question), then goes back to the list with a notice.
pub async fn teach(State(state): State<AppState>, posted: Posted) -> Response {
    let t = posted.viewer.words;
    let target = posted.field("target");
    let (flow_id, node, text) = (
        posted.field("flow_id"),
        posted.field("node"),
        posted.field("text"),
    );
    let actor = posted.viewer.principal.actor();
    if let Some(intent) = target.strip_prefix("intent:") {
        if let Some(refused) = posted.refused_unless(Permission::EditFlows) {
            return refused;
        }
        let example = NewExample {
            node,
            intent: intent.to_owned(),
            text,
        };
        let revision = posted.field("revision").parse::<i64>().ok();
        return match flows::add_example(
            &state.store,
            &actor,
            &flow_id,
            revision,
            &example,
            now_ms(),
        )
        .await
        {
            Ok(_) => back(&posted.field("back"), "example", &flow_id),
            Err(error) => flow_failure(t, error),
        };
    }
    if let Some((key, entry)) = target
        .strip_prefix("entry:")
        .and_then(|rest| rest.split_once(':'))
    {
        if let Some(refused) = posted.refused_unless(Permission::EditKnowledge) {
            return refused;
        }
        return match knowledge::add_alternative(
            &state.store,
            &actor,
            key,
            entry,
            &text,
            Some(posted.phrasing()),
            now_ms(),
        )
        .await
        {
            Ok(_) => back(&posted.field("back"), "alternative", &flow_id),
            Err(error) => knowledge_failure(t, error),
        };
    }
    failure(t, StatusCode::UNPROCESSABLE_ENTITY, "choose_target")
}

/// Leaves the phrasing out of the list from now on.
pub async fn dismiss(State(state): State<AppState>, posted: Posted) -> Response {
    let t = posted.viewer.words;
    if let Some(refused) = posted.refused_unless(Permission::EditFlows) {
        return refused;
    }
    let phrasing = posted.phrasing();
    if !["no_match", "kb_missed"].contains(&phrasing.kind.as_str())
        || phrasing.text.trim().is_empty()
    {
        return failure(t, StatusCode::UNPROCESSABLE_ENTITY, "bad_form");
    }
    let flow_id = phrasing.flow_id.clone();
    let actor = posted.viewer.principal.actor();
    match handling::dismiss(&state.store, &actor, phrasing, now_ms()).await {
        Ok(()) => back(&posted.field("back"), "dismissed", &flow_id),
        Err(error) => internal(t, &error),
    }
}

/// Back to the list the form was on (its filters kept), saying what happened: a redirect, so
/// that reloading the page does not post again.
fn back(from: &str, notice: &str, flow_id: &str) -> Response {
    let (path, query) = from.split_once('?').unwrap_or((from, ""));
    // Only back to the list itself: never a redirect to anywhere else.
    let path = if path == LIST { path } else { LIST };
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !NOTICE_PARAMETERS.contains(&name)
        })
        .collect();
    let notice = format!("notice={notice}");
    let flow = format!("notice_flow={}", encode(flow_id));
    pairs.push(&notice);
    pairs.push(&flow);
    Redirect::to(&format!("{path}?{}", pairs.join("&"))).into_response()
}

fn failure(words: Words, status: StatusCode, text: &'static str) -> Response {
    message(words, status, "teach_failed_title", text)
}

fn flow_failure(words: Words, error: FlowError) -> Response {
    match error {
        FlowError::RevisionConflict { .. } | FlowError::RevisionRequired => {
            failure(words, StatusCode::CONFLICT, "draft_changed")
        }
        FlowError::NotFound => failure(words, StatusCode::NOT_FOUND, "flow_gone"),
        FlowError::InvalidDocument(problem) if problem.code == "unknown_intent" => {
            failure(words, StatusCode::UNPROCESSABLE_ENTITY, "intent_gone")
        }
        FlowError::InvalidDocument(_) => {
            failure(words, StatusCode::UNPROCESSABLE_ENTITY, "bad_example")
        }
        error => internal(words, &error),
    }
}

fn knowledge_failure(words: Words, error: KnowledgeError) -> Response {
    match error {
        KnowledgeError::NotFound | KnowledgeError::EntryNotFound => {
            failure(words, StatusCode::NOT_FOUND, "entry_gone")
        }
        KnowledgeError::RevisionConflict => {
            failure(words, StatusCode::CONFLICT, "knowledge_changed")
        }
        KnowledgeError::Invalid(_) | KnowledgeError::InvalidEntry(_) => {
            failure(words, StatusCode::UNPROCESSABLE_ENTITY, "bad_alternative")
        }
        error => internal(words, &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_goes_back_to_the_list_with_its_filters_and_one_notice() {
        let location = |response: Response| {
            response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            location(back(
                "/dashboard/unheard?from=2026-12-01&notice=dismissed&notice_flow=f",
                "example",
                "flw_1"
            )),
            Some("/dashboard/unheard?from=2026-12-01&notice=example&notice_flow=flw_1".into())
        );
        assert_eq!(
            location(back("https://elsewhere.example/x", "dismissed", "")),
            Some("/dashboard/unheard?notice=dismissed&notice_flow=".into())
        );
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let notice = Notice::of(&pairs(&[("notice", "example"), ("notice_flow", "flw 1")]));
        assert_eq!(
            notice.and_then(|n| n.publish_href),
            Some("/#/flows/flw%201".into())
        );
        assert!(Notice::of(&pairs(&[("notice", "bogus")])).is_none());
    }
}
