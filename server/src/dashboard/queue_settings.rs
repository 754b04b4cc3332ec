//! The console's queue settings under `/console/queues`: the tenant's agent queues (names in
//! both languages, languages, opening hours, overflow) and which queues each agent serves.
//! Plain forms; owners change them, everyone else who answers reads them. What they save is
//! [`crate::queues`]'s, with the same checks and audit entries as the API.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::teach::{csrf_token, Posted};
use super::words::Words;
use super::{encode, internal, message, Choice, Nav, Viewer};
use crate::auth::Permission;
use crate::error::FieldError;
use crate::queues::agents::{self, Agent};
use crate::queues::{self, Hours, Queue, QueueError};
use crate::state::AppState;
use crate::store::now_ms;

/// A queue's row.
pub struct QueueRow {
    pub key: String,
    pub name: String,
    pub name_en: String,
    pub languages: String,
    pub hours: String,
    pub overflow: String,
    pub edit_href: String,
}

/// The form, empty or filled with the queue being edited (or what was sent back with errors).
pub struct QueueForm {
    pub key: String,
    /// Editing an existing queue: its key cannot change.
    pub editing: bool,
    pub name: String,
    pub name_en: String,
    pub languages: Vec<Choice>,
    pub days: Vec<Choice>,
    /// Whether the queue has opening hours at all.
    pub limited: bool,
    pub open: String,
    pub close: String,
    pub overflow: Vec<Choice>,
    pub errors: Vec<String>,
}

/// An agent's row: the queues they serve, as checkboxes.
pub struct AgentRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub presence: String,
    pub queues: Vec<Choice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/queue_settings.html")]
pub struct QueueSettingsPage {
    t: Words,
    nav: Nav,
    csrf_token: String,
    may_change: bool,
    queues: Vec<QueueRow>,
    form: QueueForm,
    agents: Vec<AgentRow>,
    notice: String,
}

#[derive(Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    edit: String,
    #[serde(default)]
    notice: String,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn language_choices(t: Words, chosen: &[String]) -> Vec<Choice> {
    queues::LANGUAGES
        .iter()
        .map(|language| Choice {
            value: (*language).to_owned(),
            label: t
                .w(&format!(
                    "language_{}",
                    language.replace('-', "_").to_lowercase()
                ))
                .to_owned(),
            selected: chosen.iter().any(|c| c == language),
        })
        .collect()
}

fn form_of(t: Words, queue: Option<&Queue>, all: &[Queue], errors: Vec<String>) -> QueueForm {
    let hours = queue.and_then(|q| q.hours.clone());
    let days: Vec<u8> = hours
        .as_ref()
        .map_or_else(|| vec![1, 2, 3, 4, 5], |h| h.days.clone());
    let own = queue.map(|q| q.key.as_str()).unwrap_or_default();
    let mut overflow = vec![Choice {
        value: String::new(),
        label: t.w("no_overflow").to_owned(),
        selected: queue.and_then(|q| q.overflow.as_deref()).is_none(),
    }];
    overflow.extend(all.iter().filter(|q| q.key != own).map(|q| {
        Choice {
            value: q.key.clone(),
            label: q
                .display_name(t.language == crate::language::Language::English)
                .to_owned(),
            selected: queue.and_then(|q| q.overflow.as_deref()) == Some(q.key.as_str()),
        }
    }));
    QueueForm {
        key: own.to_owned(),
        editing: queue.is_some() && all.iter().any(|q| q.key == own),
        name: queue.map(|q| q.name.clone()).unwrap_or_default(),
        name_en: queue.map(|q| q.name_en.clone()).unwrap_or_default(),
        languages: language_choices(t, queue.map_or(&[][..], |q| &q.languages[..])),
        days: DAYS
            .iter()
            .zip(1u8..)
            .map(|(day, number)| Choice {
                value: number.to_string(),
                label: t.w(&format!("day_{day}")).to_owned(),
                selected: days.contains(&number),
            })
            .collect(),
        limited: hours.is_some(),
        open: hours
            .as_ref()
            .map_or_else(|| "09:00".to_owned(), |h| h.open.clone()),
        close: hours
            .as_ref()
            .map_or_else(|| "21:00".to_owned(), |h| h.close.clone()),
        overflow,
        errors,
    }
}

fn row_of(t: Words, queue: &Queue, all: &[Queue]) -> QueueRow {
    let english = t.language == crate::language::Language::English;
    QueueRow {
        key: queue.key.clone(),
        name: queue.name.clone(),
        name_en: queue.name_en.clone(),
        languages: queue
            .languages
            .iter()
            .map(|l| {
                t.w(&format!("language_{}", l.replace('-', "_").to_lowercase()))
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join(" / "),
        hours: match &queue.hours {
            None => t.w("always_open").to_owned(),
            Some(hours) => {
                let days: Vec<String> = hours
                    .days
                    .iter()
                    .filter_map(|d| DAYS.get(usize::from(*d).checked_sub(1)?))
                    .map(|day| t.w(&format!("day_{day}")).to_owned())
                    .collect();
                format!("{} {}–{}", days.join(" "), hours.open, hours.close)
            }
        },
        overflow: queue
            .overflow
            .as_deref()
            .map(|key| {
                all.iter()
                    .find(|q| q.key == key)
                    .map_or(key, |q| q.display_name(english))
                    .to_owned()
            })
            .unwrap_or_default(),
        edit_href: format!("/console/queues?edit={}", encode(&queue.key)),
    }
}

fn agent_rows(t: Words, people: Vec<Agent>, all: &[Queue]) -> Vec<AgentRow> {
    let english = t.language == crate::language::Language::English;
    people
        .into_iter()
        .map(|agent| AgentRow {
            presence: t
                .w(&format!("presence_{}", agent.presence.as_str()))
                .to_owned(),
            queues: all
                .iter()
                .map(|q| Choice {
                    value: q.key.clone(),
                    label: q.display_name(english).to_owned(),
                    selected: agent.queues.contains(&q.key),
                })
                .collect(),
            user_id: agent.user_id,
            name: agent.name,
            email: agent.email,
        })
        .collect()
}

/// What the checks said, in the visitor's language: each error by its field and code.
fn explain(t: Words, errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .map(|error| {
            let key = match error.code.as_str() {
                "invalid_key" | "required" | "too_long" | "unknown_language" | "invalid_hours"
                | "invalid_overflow" | "unknown_queue" => format!("queue_error_{}", error.code),
                _ => "queue_error_other".to_owned(),
            };
            t.w(&key).to_owned()
        })
        .collect()
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    edit: Option<Queue>,
    errors: Vec<String>,
    notice: &str,
) -> Response {
    let t = viewer.words;
    let tenant_id = &viewer.principal.tenant_id;
    let all = match queues::list(&state.store, tenant_id).await {
        Ok(all) => all,
        Err(error) => return internal(t, &error),
    };
    let people = match agents::list(&state.store, tenant_id).await {
        Ok(people) => people,
        Err(error) => return internal(t, &error),
    };
    let notice = match notice {
        "saved" | "deleted" | "agent_saved" => t.w(&format!("queue_notice_{notice}")).to_owned(),
        _ => String::new(),
    };
    QueueSettingsPage {
        t,
        nav: viewer.nav("console", String::new()),
        csrf_token: csrf_token(&viewer.principal),
        may_change: viewer.principal.require(Permission::ManageTenant).is_ok(),
        queues: all.iter().map(|q| row_of(t, q, &all)).collect(),
        form: form_of(t, edit.as_ref(), &all, errors),
        agents: agent_rows(t, people, &all),
        notice,
    }
    .into_response()
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<EditQuery>,
) -> Response {
    let edit = match queues::list(&state.store, &viewer.principal.tenant_id).await {
        Ok(all) => all.into_iter().find(|q| q.key == query.edit),
        Err(error) => return internal(viewer.words, &error),
    };
    render(&state, &viewer, edit, Vec::new(), &query.notice).await
}

fn refused(posted: &Posted) -> Option<Response> {
    let viewer = &posted.viewer;
    (viewer.principal.require(Permission::ManageTenant).is_err()).then(|| {
        message(
            viewer.words,
            StatusCode::FORBIDDEN,
            "error_title",
            "forbidden",
        )
    })
}

pub async fn save(State(state): State<AppState>, posted: Posted) -> Response {
    if let Some(refusal) = refused(&posted) {
        return refusal;
    }
    let hours = (posted.field("limited") == "on").then(|| Hours {
        days: posted
            .values("day")
            .iter()
            .filter_map(|day| day.parse().ok())
            .collect(),
        open: posted.field("open"),
        close: posted.field("close"),
    });
    let overflow = posted.field("overflow");
    // A new queue's key is generated from its name; people only ever name queues.
    let key = match posted.field("key").trim() {
        "" => queues::new_key(&posted.field("name_en")),
        key => key.to_owned(),
    };
    let queue = Queue {
        key,
        name: posted.field("name"),
        name_en: posted.field("name_en"),
        languages: posted.values("language"),
        hours,
        overflow: (!overflow.is_empty()).then_some(overflow),
    };
    let viewer = &posted.viewer;
    match queues::put(
        &state.store,
        &viewer.principal.actor(),
        queue.clone(),
        now_ms(),
    )
    .await
    {
        Ok(_) => Redirect::to("/console/queues?notice=saved").into_response(),
        Err(QueueError::Invalid(errors)) => {
            let explained = explain(viewer.words, &errors);
            let mut response = render(&state, viewer, Some(queue), explained, "").await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(error) => internal(viewer.words, &error),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path(key): Path<String>,
    posted: Posted,
) -> Response {
    if let Some(refusal) = refused(&posted) {
        return refusal;
    }
    let viewer = &posted.viewer;
    match queues::delete(&state.store, &viewer.principal.actor(), &key, now_ms()).await {
        Ok(()) | Err(QueueError::NotFound) => {
            Redirect::to("/console/queues?notice=deleted").into_response()
        }
        Err(error) => internal(viewer.words, &error),
    }
}

pub async fn agent_queues(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    posted: Posted,
) -> Response {
    if let Some(refusal) = refused(&posted) {
        return refusal;
    }
    let viewer = &posted.viewer;
    let chosen = posted.values("queue");
    match agents::set_queues(
        &state.store,
        &viewer.principal.actor(),
        &user_id,
        chosen,
        now_ms(),
    )
    .await
    {
        Ok(()) => Redirect::to("/console/queues?notice=agent_saved").into_response(),
        Err(QueueError::NotFound) => message(
            viewer.words,
            StatusCode::NOT_FOUND,
            "not_found_title",
            "not_found",
        ),
        Err(error) => internal(viewer.words, &error),
    }
}
