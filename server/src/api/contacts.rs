//! Contact lists and their contacts through the API, and the file import that fills them. The
//! logic is [`crate::contacts`]'s; here requests and answers are translated, in the asker's
//! language.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{file_error, invalid_fields, may, upload, PageQuery, RowErrorView};
use crate::auth::{Permission, Principal};
use crate::contacts::import::{self, ImportError};
use crate::contacts::{self, Contact, ContactError, ContactList, ContactPage, ContactPatch};
use crate::error::{ApiError, ApiResult, Json};
use crate::language::Language;
use crate::state::AppState;
use crate::store::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_lists, create_list))
        .routes(routes!(get_list, rename_list, delete_list))
        .routes(routes!(import_file))
        .routes(routes!(list_contacts))
        .routes(routes!(get_contact, update_contact, delete_contact))
}

/// A list's name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListBody {
    #[schema(example = "会员", min_length = 1, max_length = 100)]
    pub name: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactImportResult {
    /// Data rows read.
    pub rows: usize,
    /// Numbers new to the list.
    pub created: usize,
    /// Numbers the list had, whose contact was updated (later values win, fields merged).
    pub updated: usize,
    /// Rows merged into an earlier row of the file with the same number.
    pub merged: usize,
    /// Rows left out.
    pub failed: usize,
    /// The first 1,000 rows left out, with the column and why.
    pub errors: Vec<RowErrorView>,
}

/// The tenant's contact lists, newest first.
#[utoipa::path(get, path = "/contact-lists", tag = "contacts",
    responses((status = 200, body = Vec<ContactList>)))]
async fn list_lists(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<ContactList>>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let lists = contacts::lists(&state.store, &principal.tenant_id)
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok(Json(lists))
}

/// Creates an empty contact list; fill it with `POST /contact-lists/{id}/import`.
#[utoipa::path(post, path = "/contact-lists", tag = "contacts",
    request_body = ListBody,
    responses((status = 201, body = ContactList),
        (status = 422, description = "`invalid_contact`, naming `/name`")))]
async fn create_list(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Json(body): Json<ListBody>,
) -> ApiResult<(StatusCode, Json<ContactList>)> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let list = contacts::create_list(&state.store, &principal.actor(), &body.name, now_ms())
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok((StatusCode::CREATED, Json(list)))
}

#[utoipa::path(get, path = "/contact-lists/{id}", tag = "contacts",
    params(("id" = String, Path)),
    responses((status = 200, body = ContactList), (status = 404)))]
async fn get_list(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactList>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let list = contacts::get_list(&state.store, &principal.tenant_id, &id)
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok(Json(list))
}

/// Renames a list.
#[utoipa::path(patch, path = "/contact-lists/{id}", tag = "contacts",
    params(("id" = String, Path)),
    request_body = ListBody,
    responses((status = 200, body = ContactList), (status = 404),
        (status = 422, description = "`invalid_contact`, naming `/name`")))]
async fn rename_list(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<ListBody>,
) -> ApiResult<Json<ContactList>> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let list = contacts::rename_list(&state.store, &principal.actor(), &id, &body.name, now_ms())
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok(Json(list))
}

/// Deletes a list with its contacts.
#[utoipa::path(delete, path = "/contact-lists/{id}", tag = "contacts",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_list(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    contacts::delete_list(&state.store, &principal.actor(), &id, now_ms())
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports a CSV or XLSX file (the body, with its Content-Type) into the list. Row 1 is the
/// header, in Chinese or English: `电话|手机|手机号|phone|mobile` (required), `姓名|name`,
/// `同意来源|consent_source`, `同意时间|consent_at` (a date, an RFC 3339 time or epoch ms);
/// every other column is a custom field named by its header, which must be an identifier
/// (`birthday`, `last_order`) so that flows can read it. Numbers without a country code are
/// read in the tenant's region (China when none is set). Bad rows are reported and left out;
/// the good rows are written. Rows with a number the file or the list has already become one
/// contact: later values win, custom fields are merged. CSV may be UTF-8, UTF-16 with a BOM or
/// GBK. An XLSX cell formatted as a date is read as that date (`1990-03-08`), one with a time of
/// day as an RFC 3339 time in the tenant's time zone (`2026-07-04T18:30:00+08:00`). At most
/// 16 MB and 100,000 rows.
#[utoipa::path(post, path = "/contact-lists/{id}/import", tag = "contacts",
    params(("id" = String, Path)),
    request_body(description = "The file",
        content(("text/csv"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, body = ContactImportResult),
        (status = 404, description = "No such contact list in the tenant"),
        (status = 413, description = "`file_too_large`"),
        (status = 415, description = "`unsupported_media_type`: not text/csv or an XLSX type"),
        (status = 422, description = "The file cannot be imported at all: `unreadable_file`, \
            `unsupported_encoding` (save it as CSV UTF-8), `missing_column` (no phone column), \
            `duplicate_column`, `invalid_field_name` (a header flows cannot read as a \
            variable), `too_many_rows`")))]
async fn import_file(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ContactImportResult>> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    crate::quotas::storage::admit_growth(&state, &principal.tenant_id).await?;
    let format = super::file_format(&headers, language)?;
    let bytes = upload(body, language)?;
    let report = import::import(
        &state.store,
        &principal.actor(),
        &id,
        format,
        &bytes,
        now_ms(),
    )
    .await
    .map_err(|error| match error {
        ImportError::File(error) => file_error(error, language),
        ImportError::Contacts(error) => contact_error(error, language),
    })?;
    Ok(Json(ContactImportResult {
        rows: report.rows,
        created: report.created,
        updated: report.updated,
        merged: report.merged,
        failed: report.failed,
        errors: RowErrorView::list(report.errors, language),
    }))
}

/// A page of the list's contacts by number; `search` keeps those whose number or name contains
/// it.
#[utoipa::path(get, path = "/contact-lists/{id}/contacts", tag = "contacts",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = ContactPage), (status = 404)))]
async fn list_contacts(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> ApiResult<Json<ContactPage>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let Query(query) = query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let page = contacts::contacts(
        &state.store,
        &principal.tenant_id,
        &id,
        query.search(),
        query.offset(language)?,
        query.limit(language)?,
    )
    .await
    .map_err(|error| contact_error(error, language))?;
    Ok(Json(page))
}

#[utoipa::path(get, path = "/contact-lists/{id}/contacts/{contact_id}", tag = "contacts",
    params(("id" = String, Path), ("contact_id" = String, Path)),
    responses((status = 200, body = Contact), (status = 404)))]
async fn get_contact(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, contact_id)): Path<(String, String)>,
) -> ApiResult<Json<Contact>> {
    let language = may(&principal, &headers, Permission::ReadContacts)?;
    let contact = contacts::get_contact(&state.store, &principal.tenant_id, &id, &contact_id)
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok(Json(contact))
}

/// Changes a contact: what the body leaves out stays; in `fields`, `null` removes a field and
/// the others are merged in.
#[utoipa::path(patch, path = "/contact-lists/{id}/contacts/{contact_id}", tag = "contacts",
    params(("id" = String, Path), ("contact_id" = String, Path)),
    request_body = ContactPatch,
    responses((status = 200, body = Contact), (status = 404),
        (status = 422, description = "`invalid_contact`, naming each wrong field: \
            `invalid_phone`, `duplicate_phone`, `invalid_field_name`, `invalid_field_value`")))]
async fn update_contact(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, contact_id)): Path<(String, String)>,
    Json(patch): Json<ContactPatch>,
) -> ApiResult<Json<Contact>> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    let region = contacts::region(&state.store, &principal.tenant_id).await?;
    let contact = contacts::update_contact(
        &state.store,
        &principal.actor(),
        &id,
        &contact_id,
        patch,
        &region,
        now_ms(),
    )
    .await
    .map_err(|error| contact_error(error, language))?;
    Ok(Json(contact))
}

#[utoipa::path(delete, path = "/contact-lists/{id}/contacts/{contact_id}", tag = "contacts",
    params(("id" = String, Path), ("contact_id" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_contact(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((id, contact_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let language = may(&principal, &headers, Permission::EditContacts)?;
    contacts::delete_contact(&state.store, &principal.actor(), &id, &contact_id, now_ms())
        .await
        .map_err(|error| contact_error(error, language))?;
    Ok(StatusCode::NO_CONTENT)
}

fn contact_error(error: ContactError, language: Language) -> ApiError {
    match error {
        ContactError::Invalid(problems) => invalid_fields(
            "invalid_contact",
            language.pick("联系人或名单有错误。", "The contact or list has errors."),
            &problems,
            language,
        ),
        ContactError::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            language.pick(
                "没有找到这个联系人名单或联系人：它不存在或已被删除。",
                "The contact list or contact was not found: it does not exist or was deleted.",
            ),
        ),
        ContactError::Store(error) => error.into(),
    }
}
