//! The tenant's audit log: who did what to which object, with filters and cursor paging.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{bad_parameter, moment_parameter, page_size_parameter};
use crate::auth::{Permission, Principal};
use crate::error::{ApiResult, Json, Problem};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{AuditEntry, AuditFilter};

/// Entries per page unless `limit` says otherwise.
const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 500;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// The parameters of `GET /audit-log`; an empty value is no filter.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries by this actor: `user:<id>`, `key:<id>` or `system`.
    pub actor: Option<String>,
    /// Entries whose action starts with this: one action (`user.set_role`), or an area's
    /// (`user.`, `knowledge` for knowledge bases and their entries).
    pub action: Option<String>,
    /// Entries about this object (a user's, a flow's, a key's id …).
    pub object: Option<String>,
    /// Entries at or after this moment: an RFC 3339 timestamp, a date (the start of that day
    /// in the tenant's time zone) or epoch milliseconds.
    #[param(value_type = Option<String>, example = "2026-12-01")]
    pub from: Option<i64>,
    /// Entries before this moment, in the same forms as `from`.
    #[param(value_type = Option<String>, example = "2026-12-02")]
    pub to: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Entries per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

const KNOWN: [&str; 7] = ["actor", "action", "object", "from", "to", "cursor", "limit"];

impl AuditQuery {
    fn parse(
        pairs: Vec<(String, String)>,
        zone: chrono_tz::Tz,
        language: Language,
    ) -> ApiResult<AuditQuery> {
        let mut query = AuditQuery::default();
        for (name, value) in pairs {
            if !KNOWN.contains(&name.as_str()) {
                let known = KNOWN.join(", ");
                return Err(bad_parameter(
                    &name,
                    language,
                    format!("没有这个参数；可用的参数有 {known}"),
                    format!("there is no such parameter; use {known}"),
                ));
            }
            if value.is_empty() {
                continue;
            }
            match name.as_str() {
                "actor" => query.actor = Some(value),
                "action" => query.action = Some(value),
                "object" => query.object = Some(value),
                "cursor" => query.cursor = Some(value),
                "from" => query.from = Some(moment_parameter(&name, &value, zone, language)?),
                "to" => query.to = Some(moment_parameter(&name, &value, zone, language)?),
                _ => {
                    query.limit = Some(page_size_parameter(&name, &value, MAX_PAGE_SIZE, language)?)
                }
            }
        }
        Ok(query)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: String,
    pub at: i64,
    /// `user:<id>`, `key:<id>` or `system`.
    pub actor: String,
    /// The actor's name (a person's display name, else email; a key's name); `null` for the
    /// system and for actors that are gone.
    pub actor_name: Option<String>,
    /// e.g. `user.set_role`, `flow.publish`.
    pub action: String,
    pub object: String,
    /// The object's name when it is a person or a key of the tenant.
    pub object_name: Option<String>,
    pub detail: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageView {
    /// Newest first.
    pub entries: Vec<AuditEntryView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The tenant's audit log, newest first, with filters and cursor paging (owners only).
#[utoipa::path(get, path = "/audit-log", tag = "users", params(AuditQuery),
    responses((status = 200, body = AuditPageView),
        (status = 400, body = Problem, content_type = "application/problem+json",
         description = "`invalid_parameter`: an unknown parameter, a malformed date, limit or \
            cursor; `errors[0].field` names the parameter"),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "`forbidden`: not an owner")))]
async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Json<AuditPageView>> {
    principal.require(Permission::ManageTenant)?;
    let language = Language::from_headers(&headers);
    let (pairs, zone) = super::query_in_time_zone(&state, &principal.tenant_id, query).await?;
    let query = AuditQuery::parse(pairs, zone, language)?;
    let filter = AuditFilter {
        actor: query.actor,
        action: query.action,
        object: query.object,
        from_ms: query.from,
        to_ms: query.to,
    };
    let page = state
        .store
        .audit_page(
            &principal.tenant_id,
            &filter,
            query.cursor.as_deref(),
            query.limit.unwrap_or(DEFAULT_PAGE_SIZE),
        )
        .await
        .map_err(|error| super::cursor_error(error, language))?;
    let names = crate::accounts::actor_names(&state.store, &principal.tenant_id).await?;
    let name_of_object = |object: &str| {
        ["user", "key"]
            .iter()
            .find_map(|kind| names.get(&format!("{kind}:{object}")).cloned())
    };
    let entries = page
        .entries
        .into_iter()
        .map(|entry: AuditEntry| AuditEntryView {
            actor_name: names.get(&entry.actor).cloned(),
            object_name: name_of_object(&entry.object),
            id: entry.id,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            object: entry.object,
            detail: entry.detail,
        })
        .collect();
    Ok(Json(AuditPageView {
        entries,
        next_cursor: page.next_cursor,
    }))
}
