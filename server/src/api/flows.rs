//! The flows API: drafts with revisions, validation, publishing numbered versions, restore,
//! export, import, and the JSON Schema of the flow format. The logic is [`crate::flows`]'s.
//!
//! A draft's revision is its `ETag`. Every write that replaces a draft must name the revision it
//! started from in `If-Match`, so a save made meanwhile by someone else is never overwritten
//! unseen: the loser gets 412 with the current revision.

use std::sync::OnceLock;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use flow_engine::validate::{Diagnostic, Severity};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, FieldError, Json};
use crate::flow_cache::FlowError as CacheError;
use crate::flows::import::{self, ImportError, ImportOptions, ImportStatus, Imported};
use crate::flows::{self, publish, DiagnosedFlow, FlowError};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{now_ms, FlowSummary, FlowVersion, FlowVersionSummary};

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
        .routes(routes!(try_intent))
        .routes(routes!(add_example))
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/// A flow in a list, without its draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowSummaryView {
    pub id: String,
    /// The flow's stable key, which `subflow` nodes call.
    pub name: String,
    /// The flow's display name (the draft's `title`); show `name` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
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
            title: flow.title,
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
    /// The flow's stable key, which `subflow` nodes call.
    pub name: String,
    /// The flow's display name (the draft's `title`); show `name` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
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
    /// The problem in the request's language (`Accept-Language`).
    pub message: String,
    /// The message's key in the catalogues, e.g. `dangling_port`, for clients that word it
    /// themselves from `params`.
    #[schema(example = "dangling_port")]
    pub key: String,
    /// The message's parameters by name: text, or a nested `{key, params}`.
    #[schema(value_type = Object)]
    pub params: Value,
    /// Line inside the field's text, for script, expression and template errors (1-based).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

/// A diagnostic worded in the request's language.
impl From<Diagnostic> for DiagnosticView {
    fn from(diagnostic: Diagnostic) -> Self {
        let diagnostic = diagnostic.localized(Language::current().locale());
        let text = serde_json::to_value(&*diagnostic.text).unwrap_or_default();
        DiagnosticView {
            severity: match diagnostic.severity {
                Severity::Error => DiagnosticSeverity::Error,
                Severity::Warning => DiagnosticSeverity::Warning,
            },
            code: diagnostic.code.to_owned(),
            node: diagnostic.node,
            field: diagnostic.field,
            message: diagnostic.message,
            key: text["key"].as_str().unwrap_or_default().to_owned(),
            params: text["params"].clone(),
            line: diagnostic.line,
            column: diagnostic.column,
        }
    }
}

impl DiagnosticView {
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
    /// Their name: the person's display name or the API key's name; absent when they are gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
}

impl From<FlowVersionSummary> for VersionSummaryView {
    fn from(version: FlowVersionSummary) -> Self {
        VersionSummaryView {
            version: version.version,
            note: version.note,
            draft_revision: version.draft_revision,
            created_at: version.created_at,
            created_by: version.created_by,
            created_by_name: None,
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
            created_by_name: None,
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
    /// Keep the flows whose name or display name contains this text, ignoring case.
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
    /// Flow documents (see `/api/v1/schema/flow`), at most 100. Any JSON value is taken: one
    /// that is not a flow document is `rejected` in its result, with diagnostics that say why,
    /// while the others are imported.
    #[schema(value_type = Vec<Value>, min_items = 1, max_items = 100)]
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
    let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let flows = flows::list(&state.store, &principal.tenant_id, query.search.as_deref())
        .await
        .map_err(flow_error)?;
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
        (status = 409, description = "`flow_name_taken`: the tenant has a flow of that name; \
            `quota_exceeded`: the tenant's storage is at its quota"),
        (status = 422, description = "`invalid_body`: not a JSON object, or no `name`")))]
async fn create_flow(
    State(state): State<AppState>,
    principal: Principal,
    Json(document): Json<Value>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    crate::quotas::storage::admit_growth(&state, &principal.tenant_id).await?;
    let created = flows::create(&state.store, &principal.actor(), document, now_ms())
        .await
        .map_err(flow_error)?;
    let location = format!("/api/v1/flows/{}", created.flow.id);
    flow_answer(StatusCode::CREATED, created, Some(location))
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
    let flow = flows::get(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(flow_error)?;
    flow_answer(StatusCode::OK, flow, None)
}

/// Replaces the draft (and the name, which is the document's `name`). `If-Match` must carry the
/// revision the change started from: without it 428, and 412 when someone saved since.
#[utoipa::path(put, path = "/flows/{id}", tag = "flows",
    params(("id" = String, Path),
        ("If-Match" = String, Header, description = "The revision the change started from, as its ETag gave it: \"3\" (or *: whatever the draft's current revision is)", pattern = r#"^(\*|[1-9][0-9]{0,17}|"[1-9][0-9]{0,17}")$"#)),
    request_body(content = Object, description = "A flow document, see /api/v1/schema/flow."),
    responses(
        (status = 200, body = FlowView, headers(("ETag" = String, description = "The new revision, quoted"))),
        (status = 404, description = "No such flow in the tenant"),
        (status = 409, description = "`flow_name_taken`: another flow has the new name; \
            `quota_exceeded`: the tenant's storage is at its quota"),
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
    let expected = expected_revision(&state, &principal.tenant_id, &id, &headers).await?;
    crate::quotas::storage::admit_growth(&state, &principal.tenant_id).await?;
    let flow = flows::update(
        &state.store,
        &principal.actor(),
        &id,
        expected,
        document,
        now_ms(),
    )
    .await
    .map_err(flow_error)?;
    flow_answer(StatusCode::OK, flow, None)
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
    flows::delete(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(flow_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Validates a flow document without saving anything. `subflow` nodes may name the tenant's
/// flows.
#[utoipa::path(post, path = "/flows/validate", tag = "flows",
    request_body(content = Value, description = "A flow document, see /api/v1/schema/flow. \
        Any JSON value is taken: what is not a valid flow document is answered with \
        diagnostics (`valid: false`) that say why, as the editor shows them."),
    responses((status = 200, body = ValidationView)))]
async fn validate_flow(
    State(state): State<AppState>,
    principal: Principal,
    Json(document): Json<Value>,
) -> ApiResult<Json<ValidationView>> {
    principal.require(Permission::ReadFlows)?;
    let checked = flows::check(&state.store, &principal.tenant_id, document)
        .await
        .map_err(flow_error)?;
    Ok(Json(ValidationView {
        valid: checked.valid,
        diagnostics: views(checked.diagnostics),
    }))
}

/// Publishes the draft as the next numbered version, which never changes afterwards, and makes
/// it the version new calls run. The draft must have no validation errors. `If-Match` may name
/// the revision the caller reviewed; without it, the current draft is published.
#[utoipa::path(post, path = "/flows/{id}/publish", tag = "flows",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, nullable = false, description = "The revision to publish, quoted: \"3\"", pattern = r#"^(\*|[1-9][0-9]{0,17}|"[1-9][0-9]{0,17}")$"#)),
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
    let expected = expected_revision(&state, &principal.tenant_id, &id, &headers).await?;
    let version = publish::publish(
        &state.store,
        &principal.actor(),
        &id,
        expected,
        &body.note,
        now_ms(),
    )
    .await
    .map_err(flow_error)?;
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
    let versions = publish::versions(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(flow_error)?;
    let names = crate::accounts::actor_names(&state.store, &principal.tenant_id).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|version| {
                let mut view = VersionSummaryView::from(version);
                view.created_by_name = names.get(&view.created_by).cloned();
                view
            })
            .collect(),
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
    let version = publish::version(&state.store, &principal.tenant_id, &id, version)
        .await
        .map_err(flow_error)?;
    Ok(Json(version.into()))
}

/// Replaces the draft with a published version's document, as a new revision; the published
/// version does not change. `If-Match` is required, as for `PUT /flows/{id}`. The flow takes the
/// version's name again if it was renamed since.
#[utoipa::path(post, path = "/flows/{id}/versions/{version}/restore", tag = "flows",
    params(("id" = String, Path), ("version" = i64, Path),
        ("If-Match" = String, Header, description = "The draft's current revision, quoted: \"3\"", pattern = r#"^(\*|[1-9][0-9]{0,17}|"[1-9][0-9]{0,17}")$"#)),
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
    let expected = expected_revision(&state, &principal.tenant_id, &id, &headers).await?;
    let restored = publish::restore(
        &state.store,
        &principal.actor(),
        &id,
        version,
        expected,
        now_ms(),
    )
    .await
    .map_err(flow_error)?;
    flow_answer(StatusCode::OK, restored, None)
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
    let flow = flows::load(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(flow_error)?;
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
        (status = 409, description = "`quota_exceeded`: the tenant's storage is at its quota"),
        (status = 422, description = "`import_failed` (all_or_nothing; problem+json with `errors` \
            and `results`), `too_many_flows` (more than 100) or `invalid_body`")))]
async fn import_flows(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<ImportRequest>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    crate::quotas::storage::admit_growth(&state, &principal.tenant_id).await?;
    let options = ImportOptions {
        all_or_nothing: body.all_or_nothing,
        publish: body.publish,
        note: body.note,
    };
    let imported = import::import(
        &state.store,
        &principal.actor(),
        body.flows,
        &options,
        now_ms(),
    )
    .await
    .map_err(|error| match error {
        ImportError::TooMany(count) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_flows",
            ImportError::TooMany(count).to_string(),
        )
        .in_chinese(format!("一次要导入的流程太多（{count} 个）")),
        ImportError::NameTakenMeanwhile => ApiError::conflict("flow_name_taken", error.to_string())
            .in_chinese("导入期间别人建了同名的流程；请再导入一次"),
        ImportError::Flow(error) => flow_error(error),
    })?;
    let results = match imported {
        Imported::NothingSaved(results) => return Ok(import_failure(results)),
        Imported::Results(results) => results,
    };
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
    let results = results.into_iter().map(ImportResult::from).collect();
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
// Answers and errors
// ---------------------------------------------------------------------------------------------

fn views(diagnostics: Vec<Diagnostic>) -> Vec<DiagnosticView> {
    diagnostics.into_iter().map(DiagnosticView::from).collect()
}

impl From<import::ImportResult> for ImportResult {
    fn from(result: import::ImportResult) -> Self {
        ImportResult {
            index: result.index,
            name: result.name,
            status: result.status,
            id: result.id,
            version: result.version,
            diagnostics: views(result.diagnostics),
        }
    }
}

/// The 422 answer of an all-or-nothing import that saved nothing.
fn import_failure(results: Vec<import::ImportResult>) -> Response {
    let results: Vec<ImportResult> = results.into_iter().map(ImportResult::from).collect();
    let failed = results
        .iter()
        .filter(|result| result.status != ImportStatus::Skipped)
        .count();
    let errors = results
        .iter()
        .filter(|result| result.status != ImportStatus::Skipped)
        .flat_map(|result| {
            let prefix = format!("/flows/{}", result.index);
            result
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.severity == DiagnosticSeverity::Error)
                .map(move |diagnostic| diagnostic.to_field_error(&prefix))
        })
        .collect();
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "import_failed",
        format!(
            "{failed} of {} flows cannot be imported, so none was saved; see `results`",
            results.len()
        ),
    )
    .in_chinese(format!(
        "{} 个流程中有 {failed} 个无法导入，因此一个也没有保存；详见 `results`",
        results.len()
    ))
    .with_errors(errors)
    .into_response_with("results", results)
}

/// A flow answer: the flow, its draft's diagnostics and its revision as the `ETag`.
fn flow_answer(
    status: StatusCode,
    diagnosed: DiagnosedFlow,
    location: Option<String>,
) -> ApiResult<Response> {
    let DiagnosedFlow { flow, diagnostics } = diagnosed;
    let etag = etag(flow.revision);
    let view = FlowView {
        id: flow.id,
        name: flow.name,
        title: flow.title,
        revision: flow.revision,
        published_version: flow.published_version,
        created_at: flow.created_at,
        updated_at: flow.updated_at,
        draft: flow.draft,
        diagnostics: views(diagnostics),
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

/// A sentence to try on a listening node of the draft.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TryIntent {
    /// The id of an `ask` or `menu` node of the draft.
    pub node: String,
    /// What a caller might say.
    pub text: String,
}

/// One intent and the node's confidence in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntentConfidence {
    /// The intent's name.
    pub intent: String,
    /// 0 to 1.
    pub confidence: f32,
}

/// How the node understands the sentence.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriedIntent {
    /// The intent a call would take, or null for a no-match.
    pub intent: Option<String>,
    /// The best intent's confidence, 0 to 1.
    pub confidence: f32,
    /// The node's intents, most likely first.
    pub ranking: Vec<IntentConfidence>,
    /// The confidence an intent needs on this node.
    pub threshold: f32,
}

/// How a listening node of the draft understands a sentence: the intent a call would take, its
/// confidence and the other intents' (global intents aside). The draft is compiled as it is
/// saved; nothing is stored.
#[utoipa::path(post, path = "/flows/{id}/draft/try-intent", tag = "flows",
    params(("id" = String, Path)), request_body = TryIntent,
    responses(
        (status = 200, body = TriedIntent),
        (status = 404, description = "`not_found`: no such flow, or no listening node with this id in the draft"),
        (status = 422, description = "`flow_invalid`: the draft has errors and does not compile")))]
async fn try_intent(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
    Json(request): Json<TryIntent>,
) -> ApiResult<Json<TriedIntent>> {
    principal.require(Permission::ReadFlows)?;
    // Compiled once per draft revision: typing in the box asks on every pause.
    let compiled = state
        .flows
        .draft_alone(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| match error {
            CacheError::NotFound => ApiError::not_found("the flow").in_chinese("找不到这个流程"),
            CacheError::Store(error) => error.into(),
            other => ApiError::internal(other.to_string()),
        })?
        .map_err(|diagnostics| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "flow_invalid",
                "the draft has errors; fix them to try sentences",
            )
            .in_chinese("草稿有错误；请先改正，再试说法")
            .with_errors(
                views(diagnostics.to_vec())
                    .iter()
                    .filter(|d| d.severity == DiagnosticSeverity::Error)
                    .map(|d| d.to_field_error(""))
                    .collect(),
            )
        })?;
    let ranked = compiled
        .rank_intents(&request.node, &request.text)
        .ok_or_else(|| {
            ApiError::not_found("a listening node with this id")
                .in_chinese("找不到这个编号的收听节点")
        })?;
    Ok(Json(TriedIntent {
        intent: ranked.intent,
        confidence: ranked.confidence,
        ranking: ranked
            .ranking
            .into_iter()
            .map(|(intent, confidence)| IntentConfidence { intent, confidence })
            .collect(),
        threshold: ranked.threshold,
    }))
}

/// A phrasing to teach an intent of the draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddExample {
    /// The listening node where callers were not understood.
    pub node: String,
    /// The node's intent (or the flow's global intent) that the phrasing means.
    pub intent: String,
    /// What callers said, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub text: String,
}

/// Adds what callers said to an intent of the draft as an example: the "not understood" list's
/// one-click fix. The draft changes as an edit in the editor would (If-Match, audited as
/// `flow.example_added`); publish it to put the example to work. The phrasing then leaves the
/// "not understood" list.
#[utoipa::path(post, path = "/flows/{id}/draft/examples", tag = "flows",
    params(("id" = String, Path),
        ("If-Match" = String, Header, description = "The revision the change started from, as its ETag gave it: \"3\" (or *: whatever the draft's current revision is)", pattern = r#"^(\*|[1-9][0-9]{0,17}|"[1-9][0-9]{0,17}")$"#)),
    request_body = AddExample,
    responses(
        (status = 200, body = FlowView, headers(("ETag" = String, description = "The new revision, quoted"))),
        (status = 404, description = "No such flow in the tenant"),
        (status = 412, description = "`revision_conflict`: someone saved first; the detail names the current revision"),
        (status = 422, description = "`unknown_intent`: the node has no such intent and the flow no such global intent; `invalid_example`: an empty or too long text"),
        (status = 428, description = "`precondition_required`: no If-Match")))]
async fn add_example(
    State(state): State<AppState>,
    principal: Principal,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    Json(request): Json<AddExample>,
) -> ApiResult<Response> {
    principal.require(Permission::EditFlows)?;
    let expected = expected_revision(&state, &principal.tenant_id, &id, &headers).await?;
    let example = flows::NewExample {
        node: request.node,
        intent: request.intent,
        text: request.text,
    };
    let flow = flows::add_example(
        &state.store,
        &principal.actor(),
        &id,
        expected,
        &example,
        now_ms(),
    )
    .await
    .map_err(flow_error)?;
    flow_answer(StatusCode::OK, flow, None)
}

/// The flows domain's errors as answers.
fn flow_error(error: FlowError) -> ApiError {
    match error {
        FlowError::NotFound => ApiError::not_found("the flow").in_chinese("找不到这个流程"),
        FlowError::VersionNotFound(version) => {
            ApiError::not_found(&format!("version {version} of the flow")).in_chinese(format!("找不到这个流程的第 {version} 版"))
        }
        FlowError::InvalidDocument(problem) => {
            let problem = DiagnosticView::from(problem);
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                problem.message.clone(),
            )
            .with_errors(vec![problem.to_field_error("")])
        }
        FlowError::NameTaken(name) => {
            let message =
                format!("the tenant already has a flow named \"{name}\"; choose another name");
            let chinese = format!("已经有一个名为「{name}」的流程，请换一个名称");
            let field_message = Language::current().pick(&chinese, &message).to_owned();
            ApiError::conflict("flow_name_taken", message)
                .in_chinese(chinese)
                .with_field("/name", "flow_name_taken", field_message)
        }
        FlowError::RevisionRequired => ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send the revision your change starts from as If-Match: \"<revision>\" (the ETag of \
             GET /flows/{id}), so that a change saved meanwhile is not overwritten",
        ).in_chinese("请在 If-Match 里写明修改所基于的修订号（GET /flows/{id} 的 ETag），以免覆盖别人在此期间保存的修改"),
        FlowError::RevisionConflict { sent, current } => ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "revision_conflict",
            format!(
                "the flow was saved by someone else after revision {sent}; the current revision \
                 is {current}. Load it, redo your change on it and send If-Match: \"{current}\""
            ),
        )
        .in_chinese(format!(
            "这个流程在第 {sent} 版之后被别人保存过，现在是第 {current} 版。请重新载入，在新版本上再改一次"
        )),
        FlowError::Invalid {
            revision,
            diagnostics,
        } => {
            let errors: Vec<FieldError> = views(diagnostics)
                .iter()
                .filter(|diagnostic| diagnostic.severity == DiagnosticSeverity::Error)
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
            .in_chinese(format!(
                "草稿（第 {revision} 版）有 {} 个错误，请先改正再发布",
                errors.len()
            ))
            .with_errors(errors)
        }
        FlowError::Store(error) => error.into(),
        FlowError::Internal(detail) => ApiError::internal(detail),
    }
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
            Err(_) => Err(
                ApiError::not_found(&format!("{} {}", parts.method, parts.uri.path()))
                    .in_chinese(format!("找不到 {} {}", parts.method, parts.uri.path())),
            ),
        }
    }
}

/// A quoted entity tag for a revision.
fn etag(revision: i64) -> String {
    format!("\"{revision}\"")
}

/// What `If-Match` asks for: one revision, or `*` (RFC 9110: any current draft will do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precondition {
    Revision(i64),
    Any,
}

/// The revision named by `If-Match`: `"3"` as the `ETag` gave it, a bare `3`, or `*`.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<Precondition>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().ok().map(str::trim);
    if text == Some("*") {
        return Ok(Some(Precondition::Any));
    }
    text.map(|text| {
        text.strip_prefix('"')
            .and_then(|text| text.strip_suffix('"'))
            .unwrap_or(text)
    })
    .and_then(|text| text.parse::<i64>().ok())
    .filter(|revision| *revision > 0)
    .map(|revision| Some(Precondition::Revision(revision)))
    .ok_or_else(|| {
        ApiError::bad_request(
            "invalid_if_match",
            "If-Match must name one revision as the ETag gave it, e.g. If-Match: \"3\", or be *",
        )
        .in_chinese("If-Match 须写明一个修订号，照 ETag 原样，例如 If-Match: \"3\"；或写 *")
    })
}

/// The revision a change must start from: the one `If-Match` names, or for `*` the draft's
/// current one (the flow must exist; a save landing between the two reads is still refused).
async fn expected_revision(
    state: &AppState,
    tenant_id: &str,
    id: &str,
    headers: &HeaderMap,
) -> ApiResult<Option<i64>> {
    match if_match(headers)? {
        None => Ok(None),
        Some(Precondition::Revision(revision)) => Ok(Some(revision)),
        Some(Precondition::Any) => flows::load(&state.store, tenant_id, id)
            .await
            .map(|flow| Some(flow.revision))
            .map_err(flow_error),
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
    fn if_match_takes_quoted_and_bare_revisions_and_any() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers).ok(), Some(None));
        for (sent, expected) in [
            ("\"3\"", Precondition::Revision(3)),
            ("3", Precondition::Revision(3)),
            (" \"12\" ", Precondition::Revision(12)),
            ("*", Precondition::Any),
        ] {
            headers.insert(header::IF_MATCH, sent.parse().expect("header"));
            assert_eq!(if_match(&headers).ok().flatten(), Some(expected), "{sent}");
        }
        for sent in ["W/\"3\"", "\"1\", \"2\"", "\"0\"", "abc", ""] {
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
}
