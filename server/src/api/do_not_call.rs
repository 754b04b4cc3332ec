//! The do-not-call list through the API. The logic is [`crate::do_not_call`]'s.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{file_error, file_format, invalid_fields, may, upload, PageQuery, RowErrorView};
use crate::auth::{Credential, Permission, Principal};
use crate::do_not_call::{self, DoNotCallError, Entry, Page, Source};
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::state::AppState;
use crate::store::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_entries, add_entry))
        .routes(routes!(remove_entry))
        .routes(routes!(import_file))
}

/// A number to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    /// Read in the tenant's region when it has no country code.
    #[schema(example = "138 0013 8000")]
    pub phone: String,
    /// Why, e.g. 客户来电要求 (at most 500 characters).
    #[serde(default)]
    pub note: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DoNotCallImportResult {
    /// Numbers read.
    pub rows: usize,
    /// Numbers new to the list.
    pub added: usize,
    /// Numbers listed already, or twice in the file.
    pub already_listed: usize,
    /// Rows left out.
    pub failed: usize,
    /// The first 1,000 rows left out, with why.
    pub errors: Vec<RowErrorView>,
}

/// A page of the tenant's do-not-call list, newest first, naming who added each entry.
#[utoipa::path(get, path = "/do-not-call", tag = "do-not-call",
    params(PageQuery),
    responses((status = 200, body = Page)))]
async fn list_entries(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Json<Page>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let mut page = do_not_call::list(
        &state.store,
        &principal.tenant_id,
        query.search(),
        query.offset(language)?,
        query.limit(language)?,
    )
    .await?;
    let names = crate::accounts::actor_names(&state.store, &principal.tenant_id).await?;
    for entry in &mut page.entries {
        entry.added_by_name = names.get(&entry.added_by).cloned();
    }
    Ok(Json(page))
}

/// Adds a number: no campaign dials it from now on. A number already listed keeps its entry
/// (the answer is that entry). Source `manual` from the editor, `api` from an API key.
#[utoipa::path(post, path = "/do-not-call", tag = "do-not-call",
    request_body = AddBody,
    responses((status = 200, body = Entry),
        (status = 422, description = "`invalid_do_not_call`, naming `/phone` \
            (`invalid_phone`) or `/note`")))]
async fn add_entry(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(body): Json<AddBody>,
) -> ApiResult<Json<Entry>> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let source = match principal.credential {
        Credential::ApiKey { .. } => Source::Api,
        Credential::Session { .. } => Source::Manual,
    };
    let region = crate::contacts::region(&state.store, &principal.tenant_id).await?;
    let entry = do_not_call::add(
        &state.store,
        &principal.actor(),
        &body.phone,
        &body.note,
        source,
        &region,
        now_ms(),
    )
    .await
    .map_err(|error| dnc_error(error, language))?;
    Ok(Json(entry))
}

/// Removes a number (as typed or in E.164; `+` written `%2B`): campaigns may dial it again.
#[utoipa::path(delete, path = "/do-not-call/{phone}", tag = "do-not-call",
    params(("phone" = String, Path, description = "e.g. `+8613800138000`")),
    responses((status = 204), (status = 404, description = "The number is not on the list")))]
async fn remove_entry(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(phone): Path<String>,
) -> ApiResult<StatusCode> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let region = crate::contacts::region(&state.store, &principal.tenant_id).await?;
    do_not_call::remove(&state.store, &principal.actor(), &phone, &region, now_ms())
        .await
        .map_err(|error| dnc_error(error, language))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds the numbers of a CSV or XLSX file (the body, with its Content-Type): the column headed
/// `电话|手机|phone…`, else the first column (its first row is a header unless it is a
/// number). A `备注|note` column gives the entries' notes. Bad rows are reported and left
/// out. At most 16 MB and 100,000 rows.
#[utoipa::path(post, path = "/do-not-call/import", tag = "do-not-call",
    request_body(description = "The file",
        content(("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = DoNotCallImportResult),
        (status = 413, description = "`file_too_large`"),
        (status = 415, description = "`unsupported_media_type`: not text/csv or an XLSX type"),
        (status = 422, description = "The file cannot be imported at all: `unreadable_file`, \
            `unsupported_encoding`, `too_many_rows`")))]
async fn import_file(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<DoNotCallImportResult>> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let format = file_format(&headers, language)?;
    let bytes = upload(body, language)?;
    let region = crate::contacts::region(&state.store, &principal.tenant_id).await?;
    let report = do_not_call::import(
        &state.store,
        &principal.actor(),
        format,
        &bytes,
        &region,
        now_ms(),
    )
    .await
    .map_err(|error| dnc_error(error, language))?;
    Ok(Json(DoNotCallImportResult {
        rows: report.rows,
        added: report.added,
        already_listed: report.already_listed,
        failed: report.failed,
        errors: RowErrorView::list(report.errors, language),
    }))
}

fn dnc_error(error: DoNotCallError, language: Language) -> ApiError {
    match error {
        DoNotCallError::Invalid(problems) => invalid_fields(
            "invalid_do_not_call",
            language.pick("免打扰号码有错误。", "The do-not-call entry has errors."),
            &problems,
            language,
        ),
        DoNotCallError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            language.pick(
                "这个号码不在免打扰名单上。",
                "The number is not on the do-not-call list.",
            ),
        ),
        DoNotCallError::File(error) => file_error(error, language),
        DoNotCallError::Store(error) => error.into(),
    }
}
