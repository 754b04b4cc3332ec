//! Privacy through the API: the tenant's retention, and data-subject requests (find, export,
//! erase everything held about one caller or chat visitor). Owners only. The person is named in
//! the request's body, never in its URL, so that no access log keeps the number.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::calls::{CallDetailView, CallNames, CallView};
use super::handoffs::HandoffView;
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::privacy::retention::MAX_RETENTION_DAYS;
use crate::privacy::subject::{self, Subject, SubjectError};
use crate::state::AppState;
use crate::store::{now_ms, Call, Channel, Erased};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_retention, put_retention))
        .routes(routes!(search_subject))
        .routes(routes!(export_subject))
        .routes(routes!(erase_subject))
}

/// How long the tenant keeps conversations.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days a conversation (call or chat) is kept after it ended, 1 to 3650; `null` keeps
    /// them. Older ones are deleted within the hour, with their events, handoffs and widget
    /// links; the analytics figures stay.
    #[schema(minimum = 1, maximum = 3650)]
    pub retention_days: Option<u32>,
}

/// The tenant's retention.
#[utoipa::path(get, path = "/privacy/retention", tag = "privacy",
    responses((status = 200, body = Retention),
        (status = 403, description = "`forbidden`: only owners")))]
async fn get_retention(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Retention>> {
    principal.require(Permission::ManageTenant)?;
    let tenant = tenant_of(&state, &principal).await?;
    Ok(Json(Retention {
        retention_days: tenant.settings.retention_days,
    }))
}

/// Sets how long conversations are kept; audited as a change of the tenant's settings.
#[utoipa::path(put, path = "/privacy/retention", tag = "privacy",
    request_body = Retention,
    responses((status = 200, body = Retention),
        (status = 422, description = "`invalid_retention`, naming `/retention_days`; \
            `invalid_body` for a field of the wrong type or unknown")))]
async fn put_retention(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(retention): Json<Retention>,
) -> ApiResult<Json<Retention>> {
    principal.require(Permission::ManageTenant)?;
    let language = Language::from_headers(&headers);
    if retention
        .retention_days
        .is_some_and(|days| !(1..=MAX_RETENTION_DAYS).contains(&days))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_retention",
            language.pick("保留天数有误。", "the retention is wrong"),
        )
        .with_field(
            "/retention_days",
            "out_of_range",
            language.pick(
                "保留天数应在 1 到 3650 之间，或留空表示一直保留。",
                "keep conversations 1 to 3650 days, or leave it empty to keep them",
            ),
        ));
    }
    let tenant = tenant_of(&state, &principal).await?;
    let mut settings = tenant.settings.clone();
    settings.retention_days = retention.retention_days;
    let updated = crate::accounts::update_tenant(
        &state.store,
        &principal.actor(),
        &tenant.name,
        &settings,
        crate::accounts::Via::Api,
        now_ms(),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("the tenant").in_chinese("找不到这个租户"))?;
    Ok(Json(Retention {
        retention_days: updated.settings.retention_days,
    }))
}

async fn tenant_of(state: &AppState, principal: &Principal) -> ApiResult<crate::store::Tenant> {
    state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the tenant").in_chinese("找不到这个租户"))
}

/// Whom a request is about: exactly one of the three.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectRequest {
    /// A phone number in any form it may be stored in: `+8613800138000`, `13800138000`,
    /// `0086…`; calls from it and outbound calls to it are found.
    #[serde(default)]
    pub phone: Option<String>,
    /// A chat-widget visitor as call records name it: `visitor:0123456789abcdef`.
    #[serde(default)]
    pub visitor: Option<String>,
    /// The shop's own id of a signed-in customer (a conversation's `customer_id`).
    #[serde(default)]
    pub customer: Option<String>,
}

impl SubjectRequest {
    fn subject(&self, language: Language) -> ApiResult<Subject> {
        Subject::parse(
            self.phone.as_deref(),
            self.visitor.as_deref(),
            self.customer.as_deref(),
            language,
        )
        .map_err(|error| subject_error(error, language))
    }
}

fn subject_error(error: SubjectError, language: Language) -> ApiError {
    match error {
        SubjectError::Invalid(errors) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_subject",
            language.pick("请求中的当事人有误。", "the request names no valid person"),
        )
        .with_errors(errors),
        SubjectError::Store(error) => error.into(),
    }
}

/// The person, as asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    /// `phone`, `visitor` or `customer`.
    pub kind: &'static str,
    pub value: String,
}

impl From<&Subject> for SubjectView {
    fn from(subject: &Subject) -> Self {
        SubjectView {
            kind: subject.kind(),
            value: subject.value(),
        }
    }
}

/// What is held about a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectFound {
    pub subject: SubjectView,
    /// Phone calls.
    pub calls: usize,
    /// Web chats.
    pub chats: usize,
    /// Steps recorded over all their conversations (what was said, heard, looked up).
    pub events: i64,
    /// Oldest first.
    pub conversations: Vec<CallView>,
}

/// Finds every conversation of one person; reads only (not audited).
#[utoipa::path(post, path = "/privacy/subjects/search", tag = "privacy",
    request_body = SubjectRequest,
    responses((status = 200, body = SubjectFound),
        (status = 422, description = "`invalid_subject`, naming `/phone`, `/visitor` or \
            `/customer`; `invalid_body` for a field of the wrong type or unknown")))]
async fn search_subject(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<SubjectRequest>,
) -> ApiResult<Json<SubjectFound>> {
    principal.require(Permission::ManageTenant)?;
    let language = Language::from_headers(&headers);
    let subject = request.subject(language)?;
    let calls = subject::find(&state.store, &principal.tenant_id, &subject).await?;
    let found: Vec<&Call> = calls.iter().collect();
    let names = CallNames::of(&state, &principal.tenant_id, language, &found, false).await?;
    Ok(Json(SubjectFound {
        subject: SubjectView::from(&subject),
        calls: calls.iter().filter(|c| c.channel == Channel::Phone).count(),
        chats: calls.iter().filter(|c| c.channel == Channel::Chat).count(),
        events: calls.iter().map(|c| c.event_count).sum(),
        conversations: calls.into_iter().map(|call| names.call(call)).collect(),
    }))
}

/// One conversation in an export.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedConversation {
    #[serde(flatten)]
    pub conversation: CallDetailView,
    pub handoffs: Vec<HandoffView>,
}

/// Everything held about a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectExport {
    pub subject: SubjectView,
    /// Epoch milliseconds.
    pub exported_at: i64,
    /// Oldest first, each with its events and handoffs.
    pub conversations: Vec<ExportedConversation>,
}

/// Exports everything held about one person as a JSON document to hand them (a download);
/// audited as `privacy.exported` with the person masked.
#[utoipa::path(post, path = "/privacy/subjects/export", tag = "privacy",
    request_body = SubjectRequest,
    responses((status = 200, body = SubjectExport,
            headers(("content-disposition" = String, description = "attachment"))),
        (status = 422, description = "`invalid_subject`, naming `/phone`, `/visitor` or \
            `/customer`; `invalid_body` for a field of the wrong type or unknown")))]
async fn export_subject(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<SubjectRequest>,
) -> ApiResult<Response> {
    principal.require(Permission::ManageTenant)?;
    let language = Language::from_headers(&headers);
    let subject = request.subject(language)?;
    let now = now_ms();
    let found = subject::export(&state.store, &principal.actor(), &subject, now).await?;
    let calls: Vec<&Call> = found.iter().map(|found| &found.call).collect();
    let names = CallNames::of(&state, &principal.tenant_id, language, &calls, true).await?;
    let document = SubjectExport {
        subject: SubjectView::from(&subject),
        exported_at: now,
        conversations: found
            .into_iter()
            .map(|found| ExportedConversation {
                conversation: names.detail(found.call, found.events),
                handoffs: found.handoffs.into_iter().map(Into::into).collect(),
            })
            .collect(),
    };
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"personal-data.json\"",
        )],
        Json(document),
    )
        .into_response())
}

/// What an erasure deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasedView {
    pub conversations: u64,
    pub events: u64,
    pub handoffs: u64,
    /// Chat-widget visitors' links to their conversations.
    pub widget_links: u64,
    /// Their words that were not understood, kept for the "not understood" report.
    pub unheard_texts: u64,
    /// Their entries in the contact lists.
    pub contacts: u64,
    /// Always true: an erasure never removes a do-not-call entry, because the refusal to be
    /// called must outlive the erasure of everything else.
    pub do_not_call_kept: bool,
}

impl From<Erased> for ErasedView {
    fn from(erased: Erased) -> Self {
        ErasedView {
            conversations: erased.conversations,
            events: erased.events,
            handoffs: erased.handoffs,
            widget_links: erased.widget_links,
            unheard_texts: erased.unheard_texts,
            contacts: erased.contacts,
            do_not_call_kept: true,
        }
    }
}

/// Erases everything held about one person: their conversations with every event, handoff
/// and widget link, what they said that was not understood, and a caller's contacts in the
/// contact lists; the analytics figures stay, and so does a do-not-call entry (the refusal to
/// be called outlives the erasure).
/// Audited as `privacy.erased` with the counts and the person masked. Erasing again finds
/// nothing and answers zeros.
#[utoipa::path(post, path = "/privacy/subjects/erase", tag = "privacy",
    request_body = SubjectRequest,
    responses((status = 200, body = ErasedView),
        (status = 422, description = "`invalid_subject`, naming `/phone`, `/visitor` or \
            `/customer`; `invalid_body` for a field of the wrong type or unknown")))]
async fn erase_subject(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(request): Json<SubjectRequest>,
) -> ApiResult<Json<ErasedView>> {
    principal.require(Permission::ManageTenant)?;
    let subject = request.subject(Language::from_headers(&headers))?;
    let erased = subject::erase(&state, &principal.actor(), &subject, now_ms()).await?;
    Ok(Json(erased.into()))
}
