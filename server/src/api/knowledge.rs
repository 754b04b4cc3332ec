//! The knowledge-bases API: bases, their entries, revisions, a "try a question" search, and
//! spreadsheet import and export. The logic is [`crate::knowledge`]'s.
//!
//! Messages meant for people (row errors of an import, revision summaries, problems with a file
//! or an entry) follow the request's `Accept-Language`: Chinese or English.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Permission, Principal};
use crate::error::{ApiError, ApiResult, FieldError, Json, Problem};
use crate::knowledge::fields::EntryProblem;
use crate::knowledge::import::{self, ImportError, ImportReport, Mode, RowStatus};
use crate::knowledge::sheet::{self, Format, SheetError};
use crate::knowledge::{self, Decision, EntryQuery, KnowledgeError, MAX_HITS};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{
    now_ms, EntryFields, HandledUnheard, KnowledgeBase, KnowledgeBaseSummary, StoreError,
    StoredEntry,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_bases, create_base))
        .routes(routes!(get_base, update_base, delete_base))
        .routes(routes!(list_entries, create_entry))
        .routes(routes!(get_entry, update_entry, delete_entry))
        .routes(routes!(add_alternative))
        .routes(routes!(list_revisions))
        .routes(routes!(search))
        .routes(routes!(import_file))
        .routes(routes!(export_file))
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

/// A knowledge base with how many entries it has.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeBaseView {
    /// How flows name the base, e.g. `shop-faq`; never changes.
    pub key: String,
    /// What people see, e.g. 商城常见问题.
    pub name: String,
    /// The language of its entries, e.g. `zh-CN`.
    pub language: String,
    /// 1 at creation, +1 on every change of its entries (an import is one).
    pub revision: i64,
    pub entries: i64,
    pub enabled_entries: i64,
    /// Epoch milliseconds.
    pub created_at: i64,
    /// Epoch milliseconds.
    pub updated_at: i64,
}

impl From<KnowledgeBaseSummary> for KnowledgeBaseView {
    fn from(summary: KnowledgeBaseSummary) -> Self {
        let KnowledgeBaseSummary {
            base,
            entries,
            enabled_entries,
        } = summary;
        KnowledgeBaseView {
            key: base.key,
            name: base.name,
            language: base.language,
            revision: base.revision,
            entries,
            enabled_entries,
            created_at: base.created_at,
            updated_at: base.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeBaseList {
    pub items: Vec<KnowledgeBaseView>,
}

/// What an FAQ entry says, as listed and as searched.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryContent {
    /// `kbe_…`; stays the same when the entry changes.
    pub id: String,
    pub question: String,
    /// Other ways callers ask the same question.
    pub alternatives: Vec<String>,
    /// What the robot says; templates (`{{vars.name}}`) allowed.
    pub answer: String,
    pub category: String,
    /// Disabled entries are kept but never answered (nor searched).
    pub enabled: bool,
}

/// One FAQ entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    #[serde(flatten)]
    pub entry: EntryContent,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<StoredEntry> for EntryView {
    fn from(entry: StoredEntry) -> Self {
        EntryView {
            entry: EntryContent {
                id: entry.id,
                question: entry.fields.question,
                alternatives: entry.fields.alternatives,
                answer: entry.fields.answer,
                category: entry.fields.category,
                enabled: entry.fields.enabled,
            },
            created_at: entry.created_at,
            updated_at: entry.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryList {
    pub items: Vec<EntryView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionItem {
    pub revision: i64,
    /// Epoch milliseconds.
    pub at: i64,
    /// Who made it: a user's name, an API key's name, or System.
    pub by: String,
    /// What changed, in the request's language.
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    /// Newest first.
    pub items: Vec<RevisionItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Hit {
    /// Only enabled entries are searched.
    pub entry: EntryContent,
    /// Calibrated confidence, 0 to 1.
    pub score: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    /// The revision searched (the current one).
    pub revision: i64,
    pub decision: Decision,
    /// Best first.
    pub hits: Vec<Hit>,
}

/// The error of a failed row.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// e.g. `empty_answer`, `duplicate_question`, `unknown_entry`, `invalid_template`.
    pub code: String,
    /// In the request's language.
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRow {
    /// The spreadsheet's row number: the header is row 1.
    pub row: usize,
    pub status: RowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Whether the import wrote anything (or had nothing to write). False for an
    /// all-or-nothing import with a failed row: then the other rows' statuses say what they
    /// would have done.
    pub written: bool,
    /// The base's revision afterwards; an import is one revision.
    pub revision: i64,
    /// One per data row, blank rows left out.
    pub rows: Vec<ImportRow>,
}

impl ImportResult {
    fn new(report: ImportReport, language: Language) -> Self {
        ImportResult {
            created: report.created,
            updated: report.updated,
            unchanged: report.unchanged,
            failed: report.failed,
            written: report.written,
            revision: report.revision,
            rows: report
                .rows
                .into_iter()
                .map(|row| ImportRow {
                    row: row.row,
                    status: row.status,
                    entry_id: row.entry_id,
                    error: row.error.map(|(code, message)| RowError {
                        code: code.to_owned(),
                        message: message.get(language).to_owned(),
                    }),
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBaseRequest {
    /// Lower-case letters, digits and `-`, e.g. `shop-faq`; unique in the tenant.
    #[schema(max_length = 64, pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    pub key: String,
    /// At most 100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// e.g. `zh-CN` or `en`.
    #[schema(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    pub language: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBaseRequest {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// At most 500 characters.
    #[schema(min_length = 1, max_length = 500, pattern = r"\S")]
    pub question: String,
    /// At most 50, each at most 500 characters.
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// At most 4,000 characters; a template the flow engine parses.
    #[schema(min_length = 1, max_length = 4000, pattern = r"\S")]
    pub answer: String,
    #[serde(default)]
    pub category: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl From<EntryRequest> for EntryFields {
    fn from(request: EntryRequest) -> Self {
        EntryFields {
            question: request.question,
            alternatives: request.alternatives,
            answer: request.answer,
            category: request.category,
            enabled: request.enabled,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntriesQuery {
    /// Keep entries whose question, alternatives or answer contain this text.
    pub q: Option<String>,
    /// Keep entries of this category.
    pub category: Option<String>,
    /// Entries per page, 1 to 200 (default 50).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    pub question: String,
    /// Hits at most (default 5), from 1 to 20: a smaller number is taken as 1, a larger one as
    /// 20.
    #[schema(minimum = 0)]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Write nothing when a row fails (the default).
    AllOrNothing,
    /// Write the good rows.
    Partial,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    pub mode: Option<ImportMode>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default) or `xlsx`.
    pub format: Option<ExportFormat>,
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// The tenant's knowledge bases, by key.
#[utoipa::path(get, path = "/knowledge-bases", tag = "knowledge",
    responses((status = 200, body = KnowledgeBaseList)))]
async fn list_bases(
    State(state): State<AppState>,
    asker: Asker,
) -> ApiResult<Json<KnowledgeBaseList>> {
    asker.may(Permission::ReadKnowledge)?;
    let bases = knowledge::list(&state.store, &asker.principal.tenant_id)
        .await
        .map_err(asker.failed())?;
    Ok(Json(KnowledgeBaseList {
        items: bases.into_iter().map(KnowledgeBaseView::from).collect(),
    }))
}

/// Creates an empty knowledge base (revision 1).
#[utoipa::path(post, path = "/knowledge-bases", tag = "knowledge", request_body = CreateBaseRequest,
    responses(
        (status = 201, body = KnowledgeBaseView,
            headers(("Location" = String, description = "The new base's URL"))),
        (status = 409, description = "`key_taken`: the tenant has a base with this key"),
        (status = 422, description = "`invalid_body`: a key that is not a slug (`invalid_key`), \
            an empty or too long name, or a language that is not a tag; see `errors`")))]
async fn create_base(
    State(state): State<AppState>,
    asker: Asker,
    Json(body): Json<CreateBaseRequest>,
) -> ApiResult<Response> {
    asker.may(Permission::EditKnowledge)?;
    let base = knowledge::create(
        &state.store,
        &asker.principal.actor(),
        &body.key,
        &body.name,
        &body.language,
        now_ms(),
    )
    .await
    .map_err(asker.failed())?;
    let location = format!("/api/v1/knowledge-bases/{}", base.key);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(empty_base(base)),
    )
        .into_response())
}

fn empty_base(base: KnowledgeBase) -> KnowledgeBaseView {
    KnowledgeBaseView::from(KnowledgeBaseSummary {
        base,
        entries: 0,
        enabled_entries: 0,
    })
}

/// One knowledge base with its entry counts.
#[utoipa::path(get, path = "/knowledge-bases/{key}", tag = "knowledge",
    params(("key" = String, Path)),
    responses((status = 200, body = KnowledgeBaseView),
        (status = 404, description = "No such knowledge base in the tenant")))]
async fn get_base(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
) -> ApiResult<Json<KnowledgeBaseView>> {
    asker.may(Permission::ReadKnowledge)?;
    let base = knowledge::get(&state.store, &asker.principal.tenant_id, &key)
        .await
        .map_err(asker.failed())?;
    Ok(Json(base.into()))
}

/// Renames a knowledge base. Its key never changes; its revision stays.
#[utoipa::path(patch, path = "/knowledge-bases/{key}", tag = "knowledge",
    params(("key" = String, Path)), request_body = UpdateBaseRequest,
    responses((status = 200, body = KnowledgeBaseView),
        (status = 404, description = "No such knowledge base in the tenant"),
        (status = 422, description = "`invalid_body`: an empty or too long name")))]
async fn update_base(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
    Json(body): Json<UpdateBaseRequest>,
) -> ApiResult<Json<KnowledgeBaseView>> {
    asker.may(Permission::EditKnowledge)?;
    if let Some(name) = &body.name {
        knowledge::rename(&state.store, &asker.principal.actor(), &key, name, now_ms())
            .await
            .map_err(asker.failed())?;
    }
    let base = knowledge::get(&state.store, &asker.principal.tenant_id, &key)
        .await
        .map_err(asker.failed())?;
    Ok(Json(base.into()))
}

/// Deletes a knowledge base; its key is free again. Calls in progress keep answering from the
/// revision they started with.
#[utoipa::path(delete, path = "/knowledge-bases/{key}", tag = "knowledge",
    params(("key" = String, Path)),
    responses((status = 204),
        (status = 404, description = "No such knowledge base in the tenant"),
        (status = 409, description = "`in_use`: published flows answer from it; the detail names them")))]
async fn delete_base(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    asker.may(Permission::EditKnowledge)?;
    knowledge::delete(&state.store, &asker.principal.actor(), &key, now_ms())
        .await
        .map_err(asker.failed())?;
    Ok(StatusCode::NO_CONTENT)
}

/// The base's current entries, in creation order, a page at a time.
#[utoipa::path(get, path = "/knowledge-bases/{key}/entries", tag = "knowledge",
    params(("key" = String, Path), EntriesQuery),
    responses((status = 200, body = EntryList),
        (status = 400, description = "`invalid_query`"),
        (status = 404, description = "No such knowledge base in the tenant")))]
async fn list_entries(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
    query: Result<Query<EntriesQuery>, QueryRejection>,
) -> ApiResult<Json<EntryList>> {
    asker.may(Permission::ReadKnowledge)?;
    let Query(query) = query.map_err(invalid_query)?;
    let page = knowledge::entries(
        &state.store,
        &asker.principal.tenant_id,
        &key,
        &EntryQuery {
            text: query.q,
            category: query.category,
            limit: query.limit,
            cursor: query.cursor,
        },
    )
    .await
    .map_err(asker.failed())?;
    Ok(Json(EntryList {
        items: page.entries.into_iter().map(EntryView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Adds an entry, as the base's next revision.
#[utoipa::path(post, path = "/knowledge-bases/{key}/entries", tag = "knowledge",
    params(("key" = String, Path)), request_body = EntryRequest,
    responses((status = 201, body = EntryView),
        (status = 404, description = "No such knowledge base in the tenant"),
        (status = 422, description = "`invalid_entry`: `errors` lists each problem (`empty_question`, \
            `empty_answer`, `too_long`, `too_many_alternatives`, `invalid_template`) by field")))]
async fn create_entry(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
    Json(body): Json<EntryRequest>,
) -> ApiResult<Response> {
    asker.may(Permission::EditKnowledge)?;
    let entry = knowledge::create_entry(
        &state.store,
        &asker.principal.actor(),
        &key,
        body.into(),
        now_ms(),
    )
    .await
    .map_err(asker.failed())?;
    let location = format!("/api/v1/knowledge-bases/{key}/entries/{}", entry.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(EntryView::from(entry)),
    )
        .into_response())
}

/// One current entry.
#[utoipa::path(get, path = "/knowledge-bases/{key}/entries/{id}", tag = "knowledge",
    params(("key" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = EntryView),
        (status = 404, description = "No such knowledge base or entry")))]
async fn get_entry(
    State(state): State<AppState>,
    asker: Asker,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Json<EntryView>> {
    asker.may(Permission::ReadKnowledge)?;
    let entry = knowledge::entry(&state.store, &asker.principal.tenant_id, &key, &id)
        .await
        .map_err(asker.failed())?;
    Ok(Json(entry.into()))
}

/// Replaces an entry, as the base's next revision; calls in progress keep the old one.
#[utoipa::path(put, path = "/knowledge-bases/{key}/entries/{id}", tag = "knowledge",
    params(("key" = String, Path), ("id" = String, Path)), request_body = EntryRequest,
    responses((status = 200, body = EntryView),
        (status = 404, description = "No such knowledge base or entry"),
        (status = 422, description = "`invalid_entry`, as for POST")))]
async fn update_entry(
    State(state): State<AppState>,
    asker: Asker,
    Path((key, id)): Path<(String, String)>,
    Json(body): Json<EntryRequest>,
) -> ApiResult<Json<EntryView>> {
    asker.may(Permission::EditKnowledge)?;
    let entry = knowledge::update_entry(
        &state.store,
        &asker.principal.actor(),
        &key,
        &id,
        body.into(),
        now_ms(),
    )
    .await
    .map_err(asker.failed())?;
    Ok(Json(entry.into()))
}

/// A question to add to an entry, and where callers said it, when it came from the "not
/// understood" list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlternativeRequest {
    /// 1 to 200 characters, e.g. what a caller said that found no entry.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub text: String,
    /// With `node`: the phrasing of `GET /analytics/unheard` this answers, which the list then
    /// leaves out.
    pub flow_id: Option<String>,
    pub node: Option<String>,
    /// `kb_missed` (the default) or `no_match`, as the list gave it.
    #[schema(schema_with = super::analytics::phrasing_kind_schema)]
    pub kind: Option<String>,
}

/// Adds an alternative question to an entry, as the base's next revision (audited as
/// `knowledge_entry.alternative_added`): new calls find the entry when asked that way. One it
/// already has changes nothing.
#[utoipa::path(post, path = "/knowledge-bases/{key}/entries/{id}/alternatives", tag = "knowledge",
    params(("key" = String, Path), ("id" = String, Path)), request_body = AlternativeRequest,
    responses((status = 200, body = EntryView),
        (status = 404, description = "No such knowledge base or entry"),
        (status = 409, body = Problem, content_type = "application/problem+json",
         description = "`revision_conflict`: the base changed while the question was added; try again"),
        (status = 422, body = Problem, content_type = "application/problem+json",
         description = "`invalid_body`: an empty or too long text, or a kind other than `kb_missed` or \
            `no_match`; `invalid_entry`: the entry would have more than 50 alternatives")))]
async fn add_alternative(
    State(state): State<AppState>,
    asker: Asker,
    Path((key, id)): Path<(String, String)>,
    Json(body): Json<AlternativeRequest>,
) -> ApiResult<Json<EntryView>> {
    asker.may(Permission::EditKnowledge)?;
    let kind = body.kind.unwrap_or_else(|| "kb_missed".to_owned());
    if !["kb_missed", "no_match"].contains(&kind.as_str()) {
        let message = asker.language.pick(
            "kind 只能是 kb_missed 或 no_match。",
            "The kind must be kb_missed or no_match.",
        );
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", message).with_field(
                "/kind",
                "invalid_kind",
                message,
            ),
        );
    }
    let unheard = match (body.flow_id, body.node) {
        (Some(flow_id), Some(node)) => Some(HandledUnheard {
            flow_id,
            node,
            kind,
            text: body.text.clone(),
            resolution: String::new(),
            target: String::new(),
        }),
        _ => None,
    };
    let entry = knowledge::add_alternative(
        &state.store,
        &asker.principal.actor(),
        &key,
        &id,
        &body.text,
        unheard,
        now_ms(),
    )
    .await
    .map_err(asker.failed())?;
    Ok(Json(entry.into()))
}

/// Deletes an entry, as the base's next revision.
#[utoipa::path(delete, path = "/knowledge-bases/{key}/entries/{id}", tag = "knowledge",
    params(("key" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, description = "No such knowledge base or entry")))]
async fn delete_entry(
    State(state): State<AppState>,
    asker: Asker,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    asker.may(Permission::EditKnowledge)?;
    knowledge::delete_entry(&state.store, &asker.principal.actor(), &key, &id, now_ms())
        .await
        .map_err(asker.failed())?;
    Ok(StatusCode::NO_CONTENT)
}

/// The base's revisions, newest first: who made each and what it changed.
#[utoipa::path(get, path = "/knowledge-bases/{key}/revisions", tag = "knowledge",
    params(("key" = String, Path)),
    responses((status = 200, body = RevisionList),
        (status = 404, description = "No such knowledge base in the tenant")))]
async fn list_revisions(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
) -> ApiResult<Json<RevisionList>> {
    asker.may(Permission::ReadKnowledge)?;
    let revisions = knowledge::revisions(
        &state.store,
        &asker.principal.tenant_id,
        &key,
        asker.language,
    )
    .await
    .map_err(asker.failed())?;
    Ok(Json(RevisionList {
        items: revisions
            .into_iter()
            .map(|revision| RevisionItem {
                revision: revision.revision,
                at: revision.at,
                by: revision.by,
                summary: revision.summary,
            })
            .collect(),
    }))
}

/// Tries a question on the base's current revision, as a call's `answer` node would.
#[utoipa::path(post, path = "/knowledge-bases/{key}/search", tag = "knowledge",
    params(("key" = String, Path)), request_body = SearchRequest,
    responses((status = 200, body = SearchResult),
        (status = 404, description = "No such knowledge base in the tenant")))]
async fn search(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
    Json(body): Json<SearchRequest>,
) -> ApiResult<Json<SearchResult>> {
    asker.may(Permission::ReadKnowledge)?;
    let limit = body.limit.unwrap_or(5).clamp(1, MAX_HITS);
    let found = knowledge::search(
        &state.store,
        &state.knowledge,
        &asker.principal.tenant_id,
        &key,
        &body.question,
        limit,
    )
    .await
    .map_err(asker.failed())?;
    let entries = found.index.entries();
    Ok(Json(SearchResult {
        revision: found.index.revision(),
        decision: found.decision,
        hits: found
            .hits
            .iter()
            .filter_map(|hit| {
                let entry = entries.get(hit.entry)?;
                Some(Hit {
                    entry: EntryContent {
                        id: entry.id.clone(),
                        question: entry.question.clone(),
                        alternatives: entry.alternatives.clone(),
                        answer: entry.answer.clone(),
                        category: entry.category.clone(),
                        enabled: true,
                    },
                    score: hit.score,
                })
            })
            .collect(),
    }))
}

/// Imports a CSV or XLSX file (the body, with its Content-Type) as ONE revision, with a result
/// per row. Header names in Chinese or English, in any order: `问题|question` and
/// `答案|answer` (required), `相似问法|alternatives` (one per line or separated by `|`),
/// `分类|category`, `启用|enabled` (是/否, yes/no, true/false, 1/0; default yes), `编号|id` (an
/// existing entry's id updates it; a row without one updates the entry with the same question,
/// else adds one). CSV may be UTF-8, UTF-16 with a BOM or GBK. At most 5 MB and 5,000 rows.
#[utoipa::path(post, path = "/knowledge-bases/{key}/import", tag = "knowledge",
    params(("key" = String, Path), ImportQuery),
    request_body(description = "The file",
        content(("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = ImportResult, description = "Nothing failed, or mode=partial"),
        (status = 422, body = ImportResult, description = "mode=all_or_nothing and a row failed: \
            nothing was written (this body, not a problem document). A file that cannot be \
            imported at all is a problem document instead: `unreadable_file`, \
            `unsupported_encoding` (save it as CSV UTF-8), `missing_column`, `duplicate_column`, \
            `too_many_rows`"),
        (status = 404, description = "No such knowledge base in the tenant"),
        (status = 409, description = "`revision_conflict`: the base changed during the import; \
            import again; `quota_exceeded`: the tenant's storage is at its quota"),
        (status = 413, description = "`file_too_large`"),
        (status = 415, description = "`unsupported_media_type`: not text/csv or an XLSX type")))]
async fn import_file(
    State(state): State<AppState>,
    asker: Asker,
    headers: HeaderMap,
    Path(key): Path<String>,
    query: Result<Query<ImportQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    asker.may(Permission::EditKnowledge)?;
    crate::quotas::storage::admit_growth(&state, &asker.principal.tenant_id).await?;
    let language = asker.language;
    let Query(query) = query.map_err(invalid_query)?;
    let format = super::file_format(&headers, language)?;
    let bytes = body.map_err(|_| {
        sheet_error(
            SheetError::TooLarge {
                bytes: sheet::MAX_FILE_BYTES + 1,
            },
            language,
        )
    })?;
    let mode = match query.mode.unwrap_or(ImportMode::AllOrNothing) {
        ImportMode::AllOrNothing => Mode::AllOrNothing,
        ImportMode::Partial => Mode::Partial,
    };
    let report = import::import(
        &state.store,
        &asker.principal.actor(),
        &key,
        format,
        bytes.to_vec(),
        mode,
        now_ms(),
    )
    .await
    .map_err(|error| match error {
        ImportError::Sheet(error) => sheet_error(error, language),
        ImportError::Knowledge(error) => knowledge_error(error, language),
    })?;
    let status = if mode == Mode::AllOrNothing && report.failed > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ImportResult::new(report, language))).into_response())
}

/// The base's current entries as a file with the import's columns (header in the base's
/// language), so that it imports back unchanged.
#[utoipa::path(get, path = "/knowledge-bases/{key}/export", tag = "knowledge",
    params(("key" = String, Path), ExportQuery),
    responses(
        (status = 200, description = "The file: CSV (UTF-8 with a BOM, for Excel) or XLSX",
            content(("text/csv"),
                ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
            headers(("Content-Disposition" = String, description = "attachment; filename=\"<key>.csv\""))),
        (status = 400, description = "`invalid_query`: a format other than csv or xlsx"),
        (status = 404, description = "No such knowledge base in the tenant")))]
async fn export_file(
    State(state): State<AppState>,
    asker: Asker,
    Path(key): Path<String>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    asker.may(Permission::ReadKnowledge)?;
    let Query(query) = query.map_err(invalid_query)?;
    let format = match query.format.unwrap_or(ExportFormat::Csv) {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Xlsx => Format::Xlsx,
    };
    let (base, bytes) = knowledge::export(&state.store, &asker.principal.tenant_id, &key, format)
        .await
        .map_err(asker.failed())?;
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}.{}\"",
                    base.key,
                    format.extension()
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Who asks, and errors
// ---------------------------------------------------------------------------------------------

/// Who asks and in which language (`Accept-Language`): what every handler starts with, so
/// that a refusal or a domain error answers in the asker's language.
struct Asker {
    principal: Principal,
    language: Language,
}

impl FromRequestParts<AppState> for Asker {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = Principal::from_request_parts(parts, state).await?;
        Ok(Asker {
            principal,
            language: Language::from_headers(&parts.headers),
        })
    }
}

impl Asker {
    /// Fails with 403, in the asker's language, unless their role allows `permission`.
    fn may(&self, permission: Permission) -> ApiResult<()> {
        self.principal.require(permission).map_err(|error| {
            let (zh, en) = match permission {
                Permission::EditKnowledge => (
                    "你的角色不能修改知识库；编辑者和所有者可以。",
                    "Your role may not change knowledge bases; editors and owners may.",
                ),
                _ => (
                    "你的角色不能查看知识库。",
                    "Your role may not see knowledge bases.",
                ),
            };
            error.reworded(zh, en)
        })
    }

    /// The knowledge domain's errors as answers in the asker's language.
    fn failed(&self) -> impl Fn(KnowledgeError) -> ApiError {
        let language = self.language;
        move |error| knowledge_error(error, language)
    }
}

fn invalid_query(rejection: QueryRejection) -> ApiError {
    ApiError::invalid_query(&rejection)
}

fn field_error(problem: &EntryProblem, language: Language) -> FieldError {
    FieldError {
        field: format!("/{}", problem.field),
        code: problem.code.to_owned(),
        message: problem.message.get(language).to_owned(),
        node: None,
    }
}

fn sheet_error(error: SheetError, language: Language) -> ApiError {
    let status = match error {
        SheetError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, error.code(), error.message().get(language))
}

/// A 404 in `language`.
fn not_found(language: Language, zh: &str, en: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", language.pick(zh, en))
}

/// The knowledge domain's errors as answers, in the request's language.
fn knowledge_error(error: KnowledgeError, language: Language) -> ApiError {
    match error {
        KnowledgeError::NotFound => not_found(
            language,
            "没有找到这个知识库：它不存在或已被删除。",
            "The knowledge base was not found: it does not exist or was deleted.",
        ),
        KnowledgeError::EntryNotFound => not_found(
            language,
            "没有找到这个条目：它不存在或已被删除。",
            "The entry was not found: it does not exist or was deleted.",
        ),
        KnowledgeError::KeyTaken(key) => ApiError::conflict(
            "key_taken",
            match language {
                Language::Chinese => format!("已有键为“{key}”的知识库，请换一个键。"),
                Language::English => {
                    format!("The tenant already has a knowledge base with the key \"{key}\"; choose another key.")
                }
            },
        )
        .with_field("/key", "key_taken", key),
        KnowledgeError::Invalid(problem) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            problem.message.get(language),
        )
        .with_errors(vec![field_error(&problem, language)]),
        KnowledgeError::InvalidEntry(problems) => {
            let errors: Vec<FieldError> = problems
                .iter()
                .map(|problem| field_error(problem, language))
                .collect();
            let detail = errors
                .iter()
                .map(|error| error.message.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_entry", detail)
                .with_errors(errors)
        }
        KnowledgeError::InUse(flows) => ApiError::conflict(
            "in_use",
            match language {
                Language::Chinese => format!(
                    "已发布的流程正在使用这个知识库：{}。请先在这些流程中移除它并重新发布。",
                    flows.join("、")
                ),
                Language::English => format!(
                    "Published flows answer from this knowledge base: {}. Remove it from them and publish them first.",
                    flows.join(", ")
                ),
            },
        ),
        KnowledgeError::RevisionConflict => ApiError::conflict(
            "revision_conflict",
            language.pick(
                "导入期间知识库被其他人修改了，什么都没有写入；请重新导入。",
                "The knowledge base changed during the import and nothing was written; import again.",
            ),
        ),
        KnowledgeError::Store(StoreError::Conflict { .. }) => ApiError::conflict(
            "conflict",
            language.pick(
                "这会和已有的数据重复，什么都没有写入。",
                "This would duplicate something that exists already; nothing was written.",
            ),
        ),
        KnowledgeError::Store(error) => error.into(),
        KnowledgeError::Internal(detail) => ApiError::internal(detail),
    }
}
