//! The flows API: drafts with revisions, validation, publishing numbered versions, restore,
//! export, import, and the JSON Schema of the flow format.
//!
//! A draft's revision is its `ETag`. Every write that replaces a draft must name the revision it
//! started from in `If-Match`, so a save made meanwhile by someone else is never overwritten
//! unseen: the loser gets 412 with the current revision. The flow's name is always its
//! document's `name`, which `subflow` nodes refer to.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flow_engine::script::Sandbox;
use flow_engine::validate::{self, Diagnostic, Severity, ValidationContext};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit;
use crate::app::AppState;
use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, FieldError, Json};
use crate::store::{
    constraint, now_ms, Flow, FlowSummary, FlowVersion, FlowVersionSummary, NewFlow, Store,
    StoreError,
};

/// Most flow documents in one import request.
pub const MAX_IMPORT_FLOWS: usize = 100;
/// Longest version note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;
/// The note of versions published by an import that gives none.
const IMPORT_NOTE: &str = "Imported";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_flows, create_flow))
        .routes(routes!(validate_flow))
        .routes(routes!(import_flows))
        .routes(routes!(get_flow, update_flow, delete_flow))
        .routes(routes!(publish_flow))
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(restore_version))
        .routes(routes!(export_flow))
        .routes(routes!(flow_schema))
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/// A flow in a list, without its draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowSummaryView {
    pub id: String,
    pub name: String,
    /// The draft's revision, also its `ETag`.
    pub revision: i64,
    /// The version new calls run, if the flow was ever published.
    pub published_version: Option<i64>,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// Epoch milliseconds.
    pub updated_at: i64,
}

impl From<FlowSummary> for FlowSummaryView {
    fn from(flow: FlowSummary) -> Self {
        FlowSummaryView {
            id: flow.id,
            name: flow.name,
            revision: flow.revision,
            published_version: flow.published_version,
            created_at: flow.created_at,
            updated_at: flow.updated_at,
        }
    }
}

/// A flow with its draft and what validation finds in the draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowView {
    pub id: String,
    pub name: String,
    /// The draft's revision, also its `ETag`; send it back in `If-Match` to save.
    pub revision: i64,
    pub published_version: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The draft: a flow document, see `/api/v1/schema/flow`. It may be unfinished.
    #[schema(value_type = Object)]
    pub draft: Value,
    /// Validation of the draft; errors block publishing, warnings do not.
    pub diagnostics: Vec<DiagnosticView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticSeverity {
    Error,
    Warning,
}

/// One problem in a flow document, as the flow engine reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiagnosticView {
    pub severity: DiagnosticSeverity,
    /// Stable machine-readable code, e.g. `dangling_port`.
    #[schema(example = "dangling_port")]
    pub code: String,
    /// Id of the node concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// JSON pointer of the field from the document root, e.g. `/nodes/3/next`.
    #[schema(example = "/nodes/3/next")]
    pub field: String,
    pub message: String,
    /// Line inside the field's text, for script, expression and template errors (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl From<Diagnostic> for DiagnosticView {
    fn from(diagnostic: Diagnostic) -> Self {
        DiagnosticView {
            severity: match diagnostic.severity {
                Severity::Error => DiagnosticSeverity::Error,
                Severity::Warning => DiagnosticSeverity::Warning,
            },
            code: diagnostic.code.to_owned(),
            node: diagnostic.node,
            field: diagnostic.field,
            message: diagnostic.message,
            line: diagnostic.line,
            column: diagnostic.column,
        }
    }
}

impl DiagnosticView {
    fn error(code: &str, field: &str, message: String) -> Self {
        DiagnosticView {
            severity: DiagnosticSeverity::Error,
            code: code.to_owned(),
            node: None,
            field: field.to_owned(),
            message,
            line: None,
            column: None,
        }
    }

    fn is_error(&self) -> bool {
        self.severity == DiagnosticSeverity::Error
    }

    /// As a problem's field error, its pointer prefixed with where the document sits in the body.
    fn to_field_error(&self, prefix: &str) -> FieldError {
        FieldError {
            field: format!("{prefix}{}", self.field),
            code: self.code.clone(),
            message: self.message.clone(),
            node: self.node.clone(),
        }
    }
}

/// What `POST /flows/validate` finds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationView {
    /// No errors (warnings allowed): the document could be published.
    pub valid: bool,
    pub diagnostics: Vec<DiagnosticView>,
}

/// A published version, without its document.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummaryView {
    /// 1, 2, 3, … per flow.
    pub version: i64,
    pub note: String,
    /// The draft revision this version was published from.
    pub draft_revision: i64,
    pub created_at: i64,
    /// Who published: `user:<id>` or `key:<id>`.
    pub created_by: String,
}

impl From<FlowVersionSummary> for VersionSummaryView {
    fn from(version: FlowVersionSummary) -> Self {
        VersionSummaryView {
            version: version.version,
            note: version.note,
            draft_revision: version.draft_revision,
            created_at: version.created_at,
            created_by: version.created_by,
        }
    }
}

impl From<&FlowVersion> for VersionSummaryView {
    fn from(version: &FlowVersion) -> Self {
        VersionSummaryView {
            version: version.version,
            note: version.note.clone(),
            draft_revision: version.draft_revision,
            created_at: version.created_at,
            created_by: version.created_by.clone(),
        }
    }
}

/// A published version with its immutable document.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    pub note: String,
    pub draft_revision: i64,
    pub created_at: i64,
    pub created_by: String,
    /// The flow document as published, see `/api/v1/schema/flow`.
    #[schema(value_type = Object)]
    pub document: Value,
}

impl From<FlowVersion> for VersionView {
    fn from(version: FlowVersion) -> Self {
        VersionView {
            version: version.version,
            note: version.note,
            draft_revision: version.draft_revision,
            created_at: version.created_at,
            created_by: version.created_by,
            document: version.document,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Keep the flows whose name contains this text, ignoring case.
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// What changed, for the version list (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Flow documents (see `/api/v1/schema/flow`), at most 100.
    #[schema(value_type = Vec<Object>)]
    pub flows: Vec<Value>,
    /// Save all the documents or, if any of them fails, none.
    #[serde(default)]
    pub all_or_nothing: bool,
    /// Also publish each saved flow as its version 1; documents with validation errors are
    /// then refused (`invalid`) instead of being saved as drafts.
    #[serde(default)]
    pub publish: bool,
    /// The note of the published versions (default "Imported"), at most 500 characters.
    pub note: Option<String>,
}

/// What happened to one document of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Saved as a draft (which may have validation errors, listed in `diagnostics`).
    Created,
    /// Saved and published as version 1.
    Published,
    /// Not saved: publishing was asked for and the document has validation errors.
    Invalid,
    /// Not saved: the tenant has a flow of that name, or an earlier document of the request has it.
    Conflict,
    /// Not saved: not a JSON object, or no `name`.
    Rejected,
    /// Not saved, though nothing is wrong with it: an `all_or_nothing` import failed elsewhere.
    Skipped,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Position of the document in `flows`.
    pub index: usize,
    pub name: Option<String>,
    pub status: ImportStatus,
    /// The new flow's id, when it was saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The published version, when it was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    pub diagnostics: Vec<DiagnosticView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResults {
    /// One result per document, in the request's order.
    pub results: Vec<ImportResult>,
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// Lists the tenant's flows, most recently edited first.
#[utoipa::path(get, path = "/flows", tag = "flows", params(ListQuery),
    responses((status = 200, body = Vec<FlowSummaryView>)))]
async fn list_flows(
    State(state): State<AppState>,
    principal: Principal,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<FlowSummaryView>>> {
    principal.require(Permission::ReadFlows)?;
    let Query(query) =
        query.map_err(|rejection| ApiError::bad_request("invalid_query", rejection.body_text()))?;
    let search = query
        .search
        .as_deref()
        .filter(|text| !text.trim().is_empty());
    let flows = state.store.list_flows(&principal.tenant_id, search).await?;
    Ok(Json(flows.into_iter().map(FlowSummaryView::from).collect()))
}

/// Creates a flow from a document. The draft is saved even when it has validation errors (an
/// editor autosaves unfinished flows); they are in `diagnostics`. It needs a non-empty `name`,
/// unique in the tenant.
#[utoipa::path(post, path = "/flows", tag = "flows",
    request_body(content = Object, description = "A flow document, see /api/v1/schema/flow."),
    responses(
        (status = 201, body = FlowView, headers(
            ("ETag" = String, description = "The draft's revision, quoted: \"1\""),
            ("Location" = String, description = "The new flow's URL"))),
        (status = 409, description = "`flow_name_taken`: the tenant has a flow of that name"),
        (status = 422, description = "`invalid_body`: not a JSON object, or no `name`")))]
async fn create_flow(
    State(state): State<AppState>,
    principal: Principal,
    Json(document): Json<Value>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    let name = document_name(&document).map_err(invalid_document)?;
    let now = now_ms();
    let flow = state
        .store
        .create_flow(
            &principal.tenant_id,
            &NewFlow {
                name,
                draft: &document,
            },
            now,
        )
        .await
        .map_err(|error| write_error(error, name))?;
    audit(
        &state,
        &principal,
        "flow.create",
        &flow.id,
        json!({ "name": flow.name, "revision": flow.revision }),
        now,
    )
    .await?;
    let location = format!("/api/v1/flows/{}", flow.id);
    flow_answer(&state, StatusCode::CREATED, flow, Some(location)).await
}

/// A flow with its draft and the draft's diagnostics.
#[utoipa::path(get, path = "/flows/{id}", tag = "flows", params(("id" = String, Path)),
    responses(
        (status = 200, body = FlowView, headers(("ETag" = String, description = "The draft's revision, quoted"))),
        (status = 404, description = "No such flow in the tenant")))]
async fn get_flow(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    principal.require(Permission::ReadFlows)?;
    let flow = load_flow(&state.store, &principal.tenant_id, &id).await?;
    flow_answer(&state, StatusCode::OK, flow, None).await
}

/// Replaces the draft (and the name, which is the document's `name`). `If-Match` must carry the
/// revision the change started from: without it 428, and 412 when someone saved since.
#[utoipa::path(put, path = "/flows/{id}", tag = "flows",
    params(("id" = String, Path),
        ("If-Match" = String, Header, description = "The revision the change started from, as its ETag gave it: \"3\"")),
    request_body(content = Object, description = "A flow document, see /api/v1/schema/flow."),
    responses(
        (status = 200, body = FlowView, headers(("ETag" = String, description = "The new revision, quoted"))),
        (status = 404, description = "No such flow in the tenant"),
        (status = 409, description = "`flow_name_taken`: another flow has the new name"),
        (status = 412, description = "`revision_conflict`: someone saved first; the detail names the current revision"),
        (status = 422, description = "`invalid_body`: not a JSON object, or no `name`"),
        (status = 428, description = "`precondition_required`: no If-Match")))]
async fn update_flow(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    Json(document): Json<Value>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    let expected = required_revision(&state.store, &principal.tenant_id, &id, &headers).await?;
    let name = document_name(&document).map_err(invalid_document)?;
    let now = now_ms();
    let flow = state
        .store
        .update_draft(
            &principal.tenant_id,
            &id,
            expected,
            &NewFlow {
                name,
                draft: &document,
            },
            now,
        )
        .await
        .map_err(|error| draft_write_error(error, expected, name))?
        .ok_or_else(flow_not_found)?;
    audit(
        &state,
        &principal,
        "flow.update",
        &flow.id,
        json!({ "name": flow.name, "revision": flow.revision }),
        now,
    )
    .await?;
    flow_answer(&state, StatusCode::OK, flow, None).await
}

/// Deletes a flow. Its published versions stay, for the calls that ran them; its name is free.
#[utoipa::path(delete, path = "/flows/{id}", tag = "flows", params(("id" = String, Path)),
    responses((status = 204), (status = 404, description = "No such flow in the tenant")))]
async fn delete_flow(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
) -> ApiResult<StatusCode> {
    principal.require(Permission::EditFlows)?;
    let now = now_ms();
    if !state
        .store
        .delete_flow(&principal.tenant_id, &id, now)
        .await?
    {
        return Err(flow_not_found());
    }
    audit(&state, &principal, "flow.delete", &id, json!({}), now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validates a flow document without saving anything. `subflow` nodes may name the tenant's
/// flows.
#[utoipa::path(post, path = "/flows/validate", tag = "flows",
    request_body(content = Object, description = "A flow document, see /api/v1/schema/flow."),
    responses((status = 200, body = ValidationView)))]
async fn validate_flow(
    State(state): State<AppState>,
    principal: Principal,
    Json(document): Json<Value>,
) -> ApiResult<Json<ValidationView>> {
    principal.require(Permission::ReadFlows)?;
    let mut known = flow_names(&state.store, &principal.tenant_id).await?;
    if let Ok(name) = document_name(&document) {
        known.insert(name.to_owned());
    }
    let checked = check_document(document, known).await?;
    Ok(Json(ValidationView {
        valid: checked.valid,
        diagnostics: checked.diagnostics,
    }))
}

/// Publishes the draft as the next numbered version, which never changes afterwards, and makes
/// it the version new calls run. The draft must have no validation errors. `If-Match` may name
/// the revision the caller reviewed; without it, the current draft is published.
#[utoipa::path(post, path = "/flows/{id}/publish", tag = "flows",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "The revision to publish, quoted: \"3\"")),
    request_body = PublishRequest,
    responses(
        (status = 201, body = VersionSummaryView, headers(("Location" = String, description = "The version's URL"))),
        (status = 404, description = "No such flow in the tenant"),
        (status = 412, description = "`revision_conflict`: the draft is no longer at the If-Match revision"),
        (status = 422, description = "`flow_invalid`: the draft has validation errors, listed in `errors` with node and field")))]
async fn publish_flow(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    Json(body): Json<PublishRequest>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    check_note(&body.note, "/note")?;
    let expected = if_match(&headers)?;
    let flow = load_flow(&state.store, &principal.tenant_id, &id).await?;
    if let Some(expected) = expected {
        if expected != flow.revision {
            return Err(revision_conflict(expected, flow.revision));
        }
    }
    let known = flow_names(&state.store, &principal.tenant_id).await?;
    let checked = check_document(flow.draft, known).await?;
    if !checked.valid {
        return Err(flow_invalid(flow.revision, &checked.diagnostics));
    }
    let now = now_ms();
    let version = state
        .store
        .publish_flow(
            &principal.tenant_id,
            &id,
            flow.revision,
            &body.note,
            &principal.actor(),
            now,
        )
        .await
        .map_err(|error| draft_write_error(error, flow.revision, &flow.name))?
        .ok_or_else(flow_not_found)?;
    audit(
        &state,
        &principal,
        "flow.publish",
        &id,
        json!({ "version": version.version, "revision": version.draft_revision, "note": version.note }),
        now,
    )
    .await?;
    let location = format!("/api/v1/flows/{id}/versions/{}", version.version);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(VersionSummaryView::from(&version)),
    )
        .into_response())
}

/// The flow's published versions, newest first.
#[utoipa::path(get, path = "/flows/{id}/versions", tag = "flows", params(("id" = String, Path)),
    responses((status = 200, body = Vec<VersionSummaryView>),
        (status = 404, description = "No such flow in the tenant")))]
async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
) -> ApiResult<Json<Vec<VersionSummaryView>>> {
    principal.require(Permission::ReadFlows)?;
    load_flow(&state.store, &principal.tenant_id, &id).await?;
    let versions = state
        .store
        .list_flow_versions(&principal.tenant_id, &id)
        .await?;
    Ok(Json(
        versions.into_iter().map(VersionSummaryView::from).collect(),
    ))
}

/// One published version with its document.
#[utoipa::path(get, path = "/flows/{id}/versions/{version}", tag = "flows",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = VersionView),
        (status = 404, description = "No such flow in the tenant, or no such version")))]
async fn get_version(
    State(state): State<AppState>,
    principal: Principal,
    PathParams((id, version)): PathParams<(String, i64)>,
) -> ApiResult<Json<VersionView>> {
    principal.require(Permission::ReadFlows)?;
    load_flow(&state.store, &principal.tenant_id, &id).await?;
    let version = load_version(&state.store, &principal.tenant_id, &id, version).await?;
    Ok(Json(version.into()))
}

/// Replaces the draft with a published version's document, as a new revision; the published
/// version does not change. `If-Match` is required, as for `PUT /flows/{id}`. The flow takes the
/// version's name again if it was renamed since.
#[utoipa::path(post, path = "/flows/{id}/versions/{version}/restore", tag = "flows",
    params(("id" = String, Path), ("version" = i64, Path),
        ("If-Match" = String, Header, description = "The draft's current revision, quoted: \"3\"")),
    responses(
        (status = 200, body = FlowView, headers(("ETag" = String, description = "The new revision, quoted"))),
        (status = 404, description = "No such flow in the tenant, or no such version"),
        (status = 409, description = "`flow_name_taken`: another flow now has the version's name"),
        (status = 412, description = "`revision_conflict`: someone saved first; the detail names the current revision"),
        (status = 428, description = "`precondition_required`: no If-Match")))]
async fn restore_version(
    State(state): State<AppState>,
    principal: Principal,
    PathParams((id, version)): PathParams<(String, i64)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    let expected = if_match(&headers)?;
    let flow = load_flow(&state.store, &principal.tenant_id, &id).await?;
    let version = load_version(&state.store, &principal.tenant_id, &id, version).await?;
    let expected = expected.ok_or_else(precondition_required)?;
    // Written as a draft update rather than copied in place, so that the flow's name stays the
    // document's name even when the flow was renamed after this version.
    let name = document_name(&version.document).unwrap_or(&flow.name);
    let now = now_ms();
    let restored = state
        .store
        .update_draft(
            &principal.tenant_id,
            &id,
            expected,
            &NewFlow {
                name,
                draft: &version.document,
            },
            now,
        )
        .await
        .map_err(|error| draft_write_error(error, expected, name))?
        .ok_or_else(flow_not_found)?;
    audit(
        &state,
        &principal,
        "flow.restore",
        &id,
        json!({ "version": version.version, "revision": restored.revision }),
        now,
    )
    .await?;
    flow_answer(&state, StatusCode::OK, restored, None).await
}

/// The draft as a file to download: `<name>.json`.
#[utoipa::path(get, path = "/flows/{id}/export", tag = "flows", params(("id" = String, Path)),
    responses(
        (status = 200, content_type = "application/json", body = Object,
            description = "The draft document, see /api/v1/schema/flow",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<name>.json\""))),
        (status = 404, description = "No such flow in the tenant")))]
async fn export_flow(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
) -> ApiResult<Response> {
    principal.require(Permission::ReadFlows)?;
    let flow = load_flow(&state.store, &principal.tenant_id, &id).await?;
    let mut text = serde_json::to_string_pretty(&flow.draft)
        .map_err(|error| ApiError::internal(format!("the draft does not serialize: {error}")))?;
    text.push('\n');
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&flow.name)),
            (header::ETAG, etag(flow.revision)),
        ],
        text,
    )
        .into_response())
}

/// Imports flow documents, each validated and saved on its own with its own result. A document
/// with validation errors is saved as a draft, like `POST /flows` does, unless `publish` is
/// asked for: then it is `invalid` and not saved, since it cannot be published. With
/// `all_or_nothing`, one failed document means nothing is saved: 422 `import_failed`, whose
/// problem document also has the `results` (the good documents `skipped`). `subflow` nodes may
/// name the tenant's flows and the other documents of the request. 201 when every document was
/// saved, else 200.
#[utoipa::path(post, path = "/flows/import", tag = "flows", request_body = ImportRequest,
    responses(
        (status = 201, body = ImportResults, description = "Every document was saved"),
        (status = 200, body = ImportResults, description = "Some documents were not saved; see each result"),
        (status = 422, description = "`import_failed` (all_or_nothing; problem+json with `errors` \
            and `results`), `too_many_flows` (more than 100) or `invalid_body`")))]
async fn import_flows(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<ImportRequest>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    if body.flows.len() > MAX_IMPORT_FLOWS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_flows",
            format!(
                "an import takes at most {MAX_IMPORT_FLOWS} flows; this one has {}: split it",
                body.flows.len()
            ),
        ));
    }
    if body.flows.is_empty() {
        return Err(invalid_body(
            "/flows",
            "empty_value",
            "there is no flow to import".to_owned(),
        ));
    }
    let note = body.note.as_deref().unwrap_or(IMPORT_NOTE);
    check_note(note, "/note")?;
    let tenant_id = principal.tenant_id.as_str();
    let existing = flow_names(&state.store, tenant_id).await?;
    let mut plan = ImportPlan::new(body.flows, &existing);
    let mut known = existing;
    known.extend(plan.ready.iter().map(|item| item.name.clone()));
    plan.check(known, body.publish).await?;
    let now = now_ms();
    let saved = if body.all_or_nothing {
        if !plan.failed.is_empty() {
            return Ok(plan.into_failure());
        }
        match save_all(&state, &principal, &plan.ready, body.publish, note, now).await? {
            Saved::All(saved) => saved,
            Saved::NamesTaken(taken) => {
                plan.mark_taken(&taken);
                return Ok(plan.into_failure());
            }
        }
    } else {
        save_each(&state, &principal, &mut plan, body.publish, note, now).await?
    };
    let mut results = plan.failed;
    for (item, (id, version)) in plan.ready.into_iter().zip(saved) {
        audit(
            &state,
            &principal,
            "flow.import",
            &id,
            json!({ "name": item.name, "version": version }),
            now,
        )
        .await?;
        results.push(ImportResult {
            index: item.index,
            status: if version.is_some() {
                ImportStatus::Published
            } else {
                ImportStatus::Created
            },
            name: Some(item.name),
            id: Some(id),
            version,
            diagnostics: item.diagnostics,
        });
    }
    results.sort_by_key(|result| result.index);
    let all_saved = results.iter().all(|result| {
        matches!(
            result.status,
            ImportStatus::Created | ImportStatus::Published
        )
    });
    let status = if all_saved {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ImportResults { results })).into_response())
}

/// The JSON Schema (draft 2020-12) of flow documents. Public: it is documentation.
#[utoipa::path(get, path = "/schema/flow", tag = "flows", security(()),
    responses((status = 200, content_type = "application/schema+json", body = Object,
        description = "The JSON Schema of the flow format")))]
async fn flow_schema() -> Response {
    static SCHEMA: OnceLock<String> = OnceLock::new();
    let schema = SCHEMA.get_or_init(flow_engine::schema::flow_schema_json);
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        schema.as_str(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// A document of an import that passed the checks so far.
struct ImportItem {
    index: usize,
    name: String,
    document: Value,
    diagnostics: Vec<DiagnosticView>,
}

/// The documents of an import, sorted into the ones to save and the ones that failed.
struct ImportPlan {
    ready: Vec<ImportItem>,
    failed: Vec<ImportResult>,
}

impl ImportPlan {
    /// Rejects documents without a name and documents whose name is taken, by the tenant or by
    /// an earlier document of the request.
    fn new(documents: Vec<Value>, existing: &BTreeSet<String>) -> Self {
        let mut plan = ImportPlan {
            ready: Vec::new(),
            failed: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        for (index, document) in documents.into_iter().enumerate() {
            let name = match document_name(&document) {
                Ok(name) => name.to_owned(),
                Err(problem) => {
                    plan.failed.push(ImportResult {
                        index,
                        name: None,
                        status: ImportStatus::Rejected,
                        id: None,
                        version: None,
                        diagnostics: vec![problem],
                    });
                    continue;
                }
            };
            let taken = if existing.contains(&name) {
                Some(format!("The tenant already has a flow named \"{name}\"."))
            } else if !seen.insert(name.clone()) {
                Some(format!(
                    "An earlier flow of this import is also named \"{name}\"."
                ))
            } else {
                None
            };
            match taken {
                Some(message) => plan.failed.push(conflict_result(index, name, message)),
                None => plan.ready.push(ImportItem {
                    index,
                    name,
                    document,
                    diagnostics: Vec::new(),
                }),
            }
        }
        plan
    }

    /// Validates the documents to save; with `publish`, the ones with errors fail.
    async fn check(&mut self, known: BTreeSet<String>, publish: bool) -> ApiResult<()> {
        let items = std::mem::take(&mut self.ready);
        let (positions, documents): (Vec<_>, Vec<_>) = items
            .into_iter()
            .map(|item| ((item.index, item.name), item.document))
            .unzip();
        let checked = check_documents(documents, known).await?;
        for ((index, name), checked) in positions.into_iter().zip(checked) {
            if publish && !checked.valid {
                self.failed.push(ImportResult {
                    index,
                    name: Some(name),
                    status: ImportStatus::Invalid,
                    id: None,
                    version: None,
                    diagnostics: checked.diagnostics,
                });
            } else {
                self.ready.push(ImportItem {
                    index,
                    name,
                    document: checked.document,
                    diagnostics: checked.diagnostics,
                });
            }
        }
        Ok(())
    }

    /// Moves the documents whose name turned out to be taken to the failed ones.
    fn mark_taken(&mut self, taken: &BTreeSet<String>) {
        let (conflicts, ready) = std::mem::take(&mut self.ready)
            .into_iter()
            .partition(|item| taken.contains(&item.name));
        self.ready = ready;
        for item in conflicts {
            let message = format!("The tenant already has a flow named \"{}\".", item.name);
            self.failed
                .push(conflict_result(item.index, item.name, message));
        }
    }

    /// The 422 answer of an all-or-nothing import that saved nothing.
    fn into_failure(self) -> Response {
        let errors = self
            .failed
            .iter()
            .flat_map(|result| {
                let prefix = format!("/flows/{}", result.index);
                result
                    .diagnostics
                    .iter()
                    .filter(|diagnostic| diagnostic.is_error())
                    .map(move |diagnostic| diagnostic.to_field_error(&prefix))
            })
            .collect();
        let failed = self.failed.len();
        let mut results = self.failed;
        results.extend(self.ready.into_iter().map(|item| ImportResult {
            index: item.index,
            name: Some(item.name),
            status: ImportStatus::Skipped,
            id: None,
            version: None,
            diagnostics: item.diagnostics,
        }));
        results.sort_by_key(|result| result.index);
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_failed",
            format!(
                "{failed} of {} flows cannot be imported, so none was saved; see `results`",
                results.len()
            ),
        )
        .with_errors(errors)
        .into_response_with("results", results)
    }
}

fn conflict_result(index: usize, name: String, message: String) -> ImportResult {
    ImportResult {
        index,
        name: Some(name),
        status: ImportStatus::Conflict,
        id: None,
        version: None,
        diagnostics: vec![DiagnosticView::error(
            "flow_name_taken",
            "/name",
            format!("{message} Rename the flow or change the existing one."),
        )],
    }
}

enum Saved {
    /// Each item's new flow id and, when published, its version.
    All(Vec<(String, Option<i64>)>),
    /// Nothing was saved: these names were taken meanwhile.
    NamesTaken(BTreeSet<String>),
}

/// Saves every item in one transaction, then publishes them; if a publication fails, the new
/// flows are deleted again.
async fn save_all(
    state: &AppState,
    principal: &Principal,
    items: &[ImportItem],
    publish: bool,
    note: &str,
    now: i64,
) -> ApiResult<Saved> {
    let tenant_id = principal.tenant_id.as_str();
    let new: Vec<NewFlow<'_>> = items
        .iter()
        .map(|item| NewFlow {
            name: &item.name,
            draft: &item.document,
        })
        .collect();
    let created = match state.store.create_flows(tenant_id, &new, now).await {
        Ok(created) => created,
        Err(error) if error.is_conflict_on(constraint::FLOW_NAME) => {
            let existing = flow_names(&state.store, tenant_id).await?;
            let taken: BTreeSet<String> = items
                .iter()
                .filter(|item| existing.contains(&item.name))
                .map(|item| item.name.clone())
                .collect();
            if taken.is_empty() {
                return Err(ApiError::conflict(
                    "flow_name_taken",
                    "another request took one of these names meanwhile; send the import again",
                ));
            }
            return Ok(Saved::NamesTaken(taken));
        }
        Err(error) => return Err(error.into()),
    };
    let mut saved = Vec::with_capacity(created.len());
    for flow in &created {
        let version = if publish {
            match publish_new(state, principal, flow, note, now).await {
                Ok(version) => Some(version),
                Err(error) => {
                    for flow in &created {
                        if let Err(cleanup) =
                            state.store.delete_flow(tenant_id, &flow.id, now).await
                        {
                            tracing::warn!(flow = %flow.id, error = %cleanup, "undoing a failed import");
                        }
                    }
                    return Err(error);
                }
            }
        } else {
            None
        };
        saved.push((flow.id.clone(), version));
    }
    Ok(Saved::All(saved))
}

/// Saves (and publishes) each item on its own; items whose name was taken meanwhile move to
/// the failed ones. Returns the saved items' ids and versions, in `plan.ready`'s order.
async fn save_each(
    state: &AppState,
    principal: &Principal,
    plan: &mut ImportPlan,
    publish: bool,
    note: &str,
    now: i64,
) -> ApiResult<Vec<(String, Option<i64>)>> {
    let mut saved = Vec::with_capacity(plan.ready.len());
    let mut taken = BTreeSet::new();
    for item in &plan.ready {
        let new = NewFlow {
            name: &item.name,
            draft: &item.document,
        };
        let flow = match state
            .store
            .create_flow(&principal.tenant_id, &new, now)
            .await
        {
            Ok(flow) => flow,
            Err(error) if error.is_conflict_on(constraint::FLOW_NAME) => {
                taken.insert(item.name.clone());
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let version = if publish {
            Some(publish_new(state, principal, &flow, note, now).await?)
        } else {
            None
        };
        saved.push((flow.id, version));
    }
    plan.mark_taken(&taken);
    Ok(saved)
}

/// Publishes a flow this request has just created and validated.
async fn publish_new(
    state: &AppState,
    principal: &Principal,
    flow: &Flow,
    note: &str,
    now: i64,
) -> ApiResult<i64> {
    let version = state
        .store
        .publish_flow(
            &principal.tenant_id,
            &flow.id,
            flow.revision,
            note,
            &principal.actor(),
            now,
        )
        .await
        .map_err(|error| draft_write_error(error, flow.revision, &flow.name))?
        .ok_or_else(flow_not_found)?;
    Ok(version.version)
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Path parameters. A path whose parameters do not parse (a version that is not a number)
/// names nothing, so it answers 404 like any other unknown path.
struct PathParams<T>(T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParams(value)),
            Err(_) => Err(ApiError::not_found(&format!(
                "{} {}",
                parts.method,
                parts.uri.path()
            ))),
        }
    }
}

/// A document and what validation found in it.
struct Checked {
    document: Value,
    diagnostics: Vec<DiagnosticView>,
    /// No errors; warnings allowed.
    valid: bool,
}

/// Validates documents on a blocking thread: a large flow takes a while (every script and
/// template is compiled). `known` are the flow names `subflow` nodes may use.
async fn check_documents(
    documents: Vec<Value>,
    known: BTreeSet<String>,
) -> ApiResult<Vec<Checked>> {
    tokio::task::spawn_blocking(move || {
        let sandbox = Sandbox::shared();
        let context = ValidationContext {
            sandbox: &sandbox,
            known_subflows: Some(&known),
        };
        documents
            .into_iter()
            .map(|document| {
                let validated = validate::validate_value(&document, &context);
                Checked {
                    valid: !validated.has_errors(),
                    diagnostics: validated.diagnostics.into_iter().map(Into::into).collect(),
                    document,
                }
            })
            .collect()
    })
    .await
    .map_err(|error| ApiError::internal(format!("validation failed: {error}")))
}

async fn check_document(document: Value, known: BTreeSet<String>) -> ApiResult<Checked> {
    check_documents(vec![document], known)
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("validation returned nothing"))
}

/// The names of the tenant's flows, which `subflow` nodes may call.
async fn flow_names(store: &Store, tenant_id: &str) -> ApiResult<BTreeSet<String>> {
    Ok(store
        .list_flows(tenant_id, None)
        .await?
        .into_iter()
        .map(|flow| flow.name)
        .collect())
}

/// A flow answer: the flow, its draft's diagnostics and its revision as the `ETag`.
async fn flow_answer(
    state: &AppState,
    status: StatusCode,
    flow: Flow,
    location: Option<String>,
) -> ApiResult<Response> {
    let known = flow_names(&state.store, &flow.tenant_id).await?;
    let checked = check_document(flow.draft, known).await?;
    let etag = etag(flow.revision);
    let view = FlowView {
        id: flow.id,
        name: flow.name,
        revision: flow.revision,
        published_version: flow.published_version,
        created_at: flow.created_at,
        updated_at: flow.updated_at,
        draft: checked.document,
        diagnostics: checked.diagnostics,
    };
    let mut response = (status, [(header::ETAG, etag)], Json(view)).into_response();
    if let Some(location) = location {
        let value = location
            .parse()
            .map_err(|_| ApiError::internal("the flow's URL is not a header value"))?;
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn load_flow(store: &Store, tenant_id: &str, id: &str) -> ApiResult<Flow> {
    store
        .get_flow(tenant_id, id)
        .await?
        .ok_or_else(flow_not_found)
}

async fn load_version(
    store: &Store,
    tenant_id: &str,
    id: &str,
    version: i64,
) -> ApiResult<FlowVersion> {
    store
        .get_flow_version(tenant_id, id, version)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("version {version} of the flow")))
}

fn flow_not_found() -> ApiError {
    ApiError::not_found("the flow")
}

/// The flow's name from its document. A draft may be unfinished, but it must be an object with
/// a name: the name is how the flow is listed and how `subflow` nodes call it.
fn document_name(document: &Value) -> Result<&str, DiagnosticView> {
    let Some(object) = document.as_object() else {
        return Err(DiagnosticView::error(
            "wrong_type",
            "",
            "A flow document is a JSON object.".to_owned(),
        ));
    };
    match object.get("name") {
        None => Err(DiagnosticView::error(
            "missing_field",
            "/name",
            "The flow needs a name.".to_owned(),
        )),
        Some(Value::String(name)) if name.trim().is_empty() => Err(DiagnosticView::error(
            "empty_value",
            "/name",
            "The flow's name is empty; give it a name.".to_owned(),
        )),
        Some(Value::String(name)) if name.chars().count() > validate::MAX_NAME_CHARS => {
            Err(DiagnosticView::error(
                "too_large",
                "/name",
                format!(
                    "The flow's name has {} characters; at most {} are allowed.",
                    name.chars().count(),
                    validate::MAX_NAME_CHARS
                ),
            ))
        }
        Some(Value::String(name)) => Ok(name),
        Some(_) => Err(DiagnosticView::error(
            "wrong_type",
            "/name",
            "The flow's name must be text.".to_owned(),
        )),
    }
}

fn invalid_document(problem: DiagnosticView) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        problem.message.clone(),
    )
    .with_errors(vec![problem.to_field_error("")])
}

fn invalid_body(field: &str, code: &str, message: String) -> ApiError {
    invalid_document(DiagnosticView::error(code, field, message))
}

fn check_note(note: &str, field: &str) -> ApiResult<()> {
    let length = note.chars().count();
    if length > MAX_NOTE_CHARS {
        return Err(invalid_body(
            field,
            "too_large",
            format!("the note has {length} characters; at most {MAX_NOTE_CHARS} are allowed"),
        ));
    }
    Ok(())
}

/// 422 with the draft's errors, each with its node and field.
fn flow_invalid(revision: i64, diagnostics: &[DiagnosticView]) -> ApiError {
    let errors: Vec<FieldError> = diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.is_error())
        .map(|diagnostic| diagnostic.to_field_error(""))
        .collect();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "flow_invalid",
        format!(
            "the draft (revision {revision}) has {} error(s); fix them before publishing",
            errors.len()
        ),
    )
    .with_errors(errors)
}

/// A quoted entity tag for a revision.
fn etag(revision: i64) -> String {
    format!("\"{revision}\"")
}

/// The revision named by `If-Match`: `"3"` as the `ETag` gave it, or a bare `3`.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .map(|text| {
            text.strip_prefix('"')
                .and_then(|text| text.strip_suffix('"'))
                .unwrap_or(text)
        })
        .and_then(|text| text.parse::<i64>().ok())
        .filter(|revision| *revision > 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_if_match",
                "If-Match must name one revision as the ETag gave it, e.g. If-Match: \"3\"",
            )
        })
}

/// The revision a draft write starts from, which `If-Match` must name. A missing flow is 404
/// before a missing precondition is 428.
async fn required_revision(
    store: &Store,
    tenant_id: &str,
    id: &str,
    headers: &HeaderMap,
) -> ApiResult<i64> {
    match if_match(headers)? {
        Some(revision) => Ok(revision),
        None => {
            load_flow(store, tenant_id, id).await?;
            Err(precondition_required())
        }
    }
}

fn precondition_required() -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
        "send the revision your change starts from as If-Match: \"<revision>\" (the ETag of \
         GET /flows/{id}), so that a change saved meanwhile is not overwritten",
    )
}

fn revision_conflict(sent: i64, current: i64) -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "revision_conflict",
        format!(
            "the flow was saved by someone else after revision {sent}; the current revision is \
             {current}. Load it, redo your change on it and send If-Match: \"{current}\""
        ),
    )
}

/// A draft write's error: a lost compare-and-set is 412, a taken name 409.
fn draft_write_error(error: StoreError, sent: i64, name: &str) -> ApiError {
    match error {
        StoreError::RevisionMismatch { current } => revision_conflict(sent, current),
        other => write_error(other, name),
    }
}

/// A write's error: a taken name is 409 `flow_name_taken`.
fn write_error(error: StoreError, name: &str) -> ApiError {
    if error.is_conflict_on(constraint::FLOW_NAME) {
        let message =
            format!("the tenant already has a flow named \"{name}\"; choose another name");
        ApiError::conflict("flow_name_taken", message.clone()).with_errors(vec![FieldError {
            field: "/name".to_owned(),
            code: "flow_name_taken".to_owned(),
            message,
            node: None,
        }])
    } else {
        error.into()
    }
}

/// `Content-Disposition` for a download named after the flow: the name itself when it is plain
/// ASCII, else an ASCII stand-in plus the UTF-8 name (RFC 6266).
fn attachment(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|character| {
            if character == ' '
                || (character.is_ascii_graphic() && !matches!(character, '"' | '\\' | '/' | '%'))
            {
                character
            } else {
                '_'
            }
        })
        .collect();
    let mut value = format!("attachment; filename=\"{plain}.json\"");
    if plain != name {
        let encoded: String = name
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        value.push_str(&format!("; filename*=UTF-8''{encoded}.json"));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_takes_quoted_and_bare_revisions() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers).ok(), Some(None));
        for (sent, expected) in [("\"3\"", Some(3)), ("3", Some(3)), (" \"12\" ", Some(12))] {
            headers.insert(header::IF_MATCH, sent.parse().expect("header"));
            assert_eq!(if_match(&headers).ok().flatten(), expected, "{sent}");
        }
        for sent in ["W/\"3\"", "*", "\"1\", \"2\"", "\"0\"", "abc"] {
            headers.insert(header::IF_MATCH, sent.parse().expect("header"));
            assert!(if_match(&headers).is_err(), "{sent}");
        }
    }

    #[test]
    fn download_names_are_safe_header_values() {
        assert_eq!(
            attachment("order-status"),
            "attachment; filename=\"order-status.json\""
        );
        assert_eq!(
            attachment("订单 \"A\""),
            "attachment; filename=\"__ _A_.json\"; \
             filename*=UTF-8''%E8%AE%A2%E5%8D%95%20%22A%22.json"
        );
    }

    #[test]
    fn documents_need_an_object_with_a_name() {
        assert_eq!(document_name(&json!({ "name": "a" })).ok(), Some("a"));
        let field = |document: Value| document_name(&document).err().map(|d| (d.code, d.field));
        assert_eq!(field(json!([])), Some(("wrong_type".into(), "".into())));
        assert_eq!(
            field(json!({})),
            Some(("missing_field".into(), "/name".into()))
        );
        assert_eq!(
            field(json!({ "name": " " })),
            Some(("empty_value".into(), "/name".into()))
        );
        assert_eq!(
            field(json!({ "name": 7 })),
            Some(("wrong_type".into(), "/name".into()))
        );
        let long = "x".repeat(validate::MAX_NAME_CHARS + 1);
        assert_eq!(
            field(json!({ "name": long })),
            Some(("too_large".into(), "/name".into()))
        );
    }
}
