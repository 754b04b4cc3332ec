//! The HTTP API under `/api/v1`, one module per area, documented with OpenAPI.

pub mod analytics;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod campaigns;
pub mod contacts;
pub mod customer_lookup;
pub mod do_not_call;
pub mod flows;
pub mod handoffs;
pub mod knowledge;
pub mod operator;
pub mod privacy;
pub mod queues;
pub mod responses;
pub mod sessions;
pub mod telephony;
pub mod tenant;
pub mod tools;
pub mod users;
pub mod widget_channels;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use axum::http::StatusCode;

use crate::contacts::import::{FileError, RowError};
use crate::error::{ApiError, ApiResult, FieldError, FieldProblem, Problem};
use crate::language::Language;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Callflow API",
        version = "1",
        description = "Everything the Callflow editor does, as an API: flows, versions, \
                       publishing, imports, knowledge bases, web-chat sessions, chat-widget channels and call records. Authenticate \
                       with an API key (`Authorization: Bearer cf_…`) or a session cookie from \
                       `POST /api/v1/auth/login` plus its `X-CSRF-Token` on writes. Errors are \
                       RFC 9457 problem+json documents (`Problem`) with a stable `code` and the \
                       request's id. Text holding the NUL character (U+0000) is refused \
                       anywhere: `nul_character`, 400 in a path or query parameter, 422 in a \
                       body, naming the parameter or the field. The chat widget's public API is under \
                       `/widget/v1` (tag `widget`): no API key, a channel's publishable key in \
                       the path and the visitor's token in `X-Callflow-Visitor` (or its \
                       cookie), for the channel's allowed origins only (CORS); over its rate \
                       limits it answers `429 rate_limited` with `Retry-After`. The service's operator manages \
                       tenants under `/api/v1/operator` (tag `operator`) with an operator key. \
                       A suspended tenant's keys and sessions are answered \
                       `403 tenant_suspended`."
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&Security),
    security(("api_key" = []), ("session" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The service operator's keys (`cfo_…`), for the `operator` tag only; see
        // `auth::OperatorPrincipal`.
        components.add_security_scheme(
            "operator_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An operator key (`cfo_…`) made by `callflow admin operator-key create`; \
                         for `/api/v1/operator` only, where a shop's key or session is refused.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// A role's schema: the names [`Role`](crate::store::Role) is written with.
pub(crate) fn role_schema() -> utoipa::openapi::schema::Object {
    use crate::store::Role;
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(
            [Role::Owner, Role::Editor, Role::Viewer, Role::Agent].map(Role::as_str),
        ))
        .build()
}

/// `400 invalid_parameter` naming the parameter, in the asker's language.
pub(crate) fn bad_parameter(name: &str, language: Language, zh: String, en: String) -> ApiError {
    let message = match language {
        Language::Chinese => zh,
        Language::English => en,
    };
    let detail = match language {
        Language::Chinese => format!("查询参数 `{name}` 有误：{message}"),
        Language::English => format!("the query parameter `{name}` is wrong: {message}"),
    };
    ApiError::bad_request("invalid_parameter", detail).with_field(
        name,
        "invalid_parameter",
        message,
    )
}

/// `400 invalid_parameter` for the first parameter given without a value. The dashboard's
/// forms send a blank field as "no filter" and their pages take it so; a caller of the API
/// leaves the parameter out instead, so that `?to=` is never mistaken for a filter it is not.
pub(crate) fn refuse_blank(pairs: &[(String, String)], language: Language) -> ApiResult<()> {
    match pairs.iter().find(|(_, value)| value.is_empty()) {
        Some((name, _)) => Err(bad_parameter(
            name,
            language,
            "值是空的；不要筛选时请不写这个参数".to_owned(),
            "the value is empty; leave the parameter out for no filter".to_owned(),
        )),
        None => Ok(()),
    }
}

/// A moment a query parameter gives (see [`local_time::parse_moment`](crate::conversation::local_time::parse_moment)),
/// or the 400 that says which forms it takes.
pub(crate) fn moment_parameter(
    name: &str,
    value: &str,
    zone: chrono_tz::Tz,
    language: Language,
) -> ApiResult<i64> {
    crate::conversation::local_time::parse_moment(value, zone).ok_or_else(|| {
        bad_parameter(
            name,
            language,
            format!(
                "“{value}”不是时间：请用 RFC 3339 时间（如 2026-12-01T08:00:00+08:00）、\
                 日期（如 2026-12-01，按租户时区当天零点）或毫秒时间戳"
            ),
            format!(
                "\"{value}\" is not a moment: use an RFC 3339 timestamp (such as \
                 2026-12-01T08:00:00+08:00), a date (such as 2026-12-01, the start of \
                 that day in the tenant's time zone) or epoch milliseconds"
            ),
        )
    })
}

/// A page size from 1 to `max`, or the 400 that says so.
pub(crate) fn page_size_parameter(
    name: &str,
    value: &str,
    max: u32,
    language: Language,
) -> ApiResult<u32> {
    let limit = value.trim().parse::<i64>().map_err(|_| {
        bad_parameter(
            name,
            language,
            format!("“{value}”不是整数"),
            format!("\"{value}\" is not an integer"),
        )
    })?;
    page_size(name, limit, max, language)
}

/// A page size that must lie between 1 and `max`, or the 400 naming it.
pub(crate) fn page_size(name: &str, limit: i64, max: u32, language: Language) -> ApiResult<u32> {
    u32::try_from(limit)
        .ok()
        .filter(|limit| (1..=max).contains(limit))
        .ok_or_else(|| {
            bad_parameter(
                name,
                language,
                format!("{limit} 不在 1 到 {max} 之间"),
                format!("{limit} is not between 1 and {max}"),
            )
        })
}

/// The format of an uploaded file by its Content-Type, or 415 in the asker's language.
pub(crate) fn file_format(
    headers: &axum::http::HeaderMap,
    language: Language,
) -> ApiResult<crate::knowledge::sheet::Format> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(crate::knowledge::sheet::Format::of_content_type)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                language.pick(
                    "请上传 CSV（Content-Type: text/csv）或 Excel 工作簿（.xlsx）文件。",
                    "Send a CSV file (Content-Type: text/csv) or an Excel workbook (.xlsx).",
                ),
            )
        })
}

/// Which page of a listing, and what it must contain.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Keeps entries whose number, name or note contains this text (case ignored).
    pub search: Option<String>,
    /// Entries to skip (default 0).
    #[param(maximum = 1_000_000_000)]
    pub offset: Option<u32>,
    /// Entries at most (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl PageQuery {
    pub(crate) fn search(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|search| !search.is_empty())
    }

    pub(crate) fn limit(&self, language: Language) -> ApiResult<u32> {
        page_size("limit", i64::from(self.limit.unwrap_or(50)), 500, language)
    }

    /// The offset, or the 400 naming it when it is past the largest the document declares: a
    /// number that large is a mistake, not a page.
    pub(crate) fn offset(&self, language: Language) -> ApiResult<u32> {
        const MAX_OFFSET: u32 = 1_000_000_000;
        match self.offset.unwrap_or(0) {
            offset if offset > MAX_OFFSET => Err(bad_parameter(
                "offset",
                language,
                format!("{offset} 超过了上限 {MAX_OFFSET}"),
                format!("{offset} is over the limit of {MAX_OFFSET}"),
            )),
            offset => Ok(offset),
        }
    }
}

/// A row left out of an import.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RowErrorView {
    /// As a spreadsheet numbers it: the header is row 1.
    pub row: usize,
    /// The column's header as the file writes it.
    pub column: String,
    /// Why, in the asker's language.
    pub message: String,
}

impl RowErrorView {
    /// An import's rows left out, in the asker's language.
    pub(crate) fn list(errors: Vec<RowError>, language: Language) -> Vec<Self> {
        errors
            .into_iter()
            .map(|error| RowErrorView {
                row: error.row,
                column: error.column,
                message: error.message.get(language).to_owned(),
            })
            .collect()
    }
}

/// The asker's language, once their role is known to allow `permission` (else 403 in it).
pub(crate) fn may(
    principal: &crate::auth::Principal,
    headers: &axum::http::HeaderMap,
    permission: crate::auth::Permission,
) -> ApiResult<Language> {
    let language = Language::from_headers(headers);
    principal.require(permission).map_err(|error| {
        let (zh, en) = match permission {
            crate::auth::Permission::EditContacts => (
                "你的角色不能修改联系人名单或免打扰名单；编辑者和所有者可以。",
                "Your role may not change contact lists or the do-not-call list; editors and owners may.",
            ),
            _ => (
                "你的角色不能查看联系人名单或免打扰名单。",
                "Your role may not see contact lists or the do-not-call list.",
            ),
        };
        error.reworded(zh, en)
    })?;
    Ok(language)
}

/// The body of a contact or do-not-call upload, or `413 file_too_large` when it is over
/// [`MAX_FILE_BYTES`](crate::contacts::import::MAX_FILE_BYTES) (the routes' body limit).
pub(crate) fn upload(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    language: Language,
) -> ApiResult<axum::body::Bytes> {
    body.map_err(|_| {
        file_error(
            FileError::TooLarge {
                bytes: crate::contacts::import::MAX_FILE_BYTES + 1,
            },
            language,
        )
    })
}

/// A file that cannot be imported at all.
pub(crate) fn file_error(error: FileError, language: Language) -> ApiError {
    let status = match error {
        FileError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, error.code(), error.message().get(language))
}

/// `422 code` naming each wrong field: how a domain's `Invalid(problems)` is answered.
/// `detail` says what has errors, in the asker's language.
pub(crate) fn invalid_fields(
    code: &'static str,
    detail: &str,
    problems: &[FieldProblem],
    language: Language,
) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).with_errors(
        problems
            .iter()
            .map(|problem| problem.render(language))
            .collect(),
    )
}

/// A store error of a paged listing: a cursor it did not give out is the asker's `400`.
pub(crate) fn cursor_error(error: crate::store::StoreError, language: Language) -> ApiError {
    match error {
        crate::store::StoreError::InvalidCursor => bad_parameter(
            "cursor",
            language,
            "不是本接口给出的游标；请原样传回 next_cursor".into(),
            "not a cursor this API gave out; pass next_cursor back unchanged".into(),
        ),
        other => other.into(),
    }
}

/// The query string's pairs and the time zone of the caller's tenant, in which dates of the
/// query are days: what every listing with date filters reads first.
pub(crate) async fn query_in_time_zone(
    state: &AppState,
    tenant_id: &str,
    query: Result<
        axum::extract::Query<Vec<(String, String)>>,
        axum::extract::rejection::QueryRejection,
    >,
) -> ApiResult<(Vec<(String, String)>, chrono_tz::Tz)> {
    let axum::extract::Query(pairs) =
        query.map_err(|rejection| ApiError::invalid_query(&rejection))?;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the tenant").in_chinese("找不到这个租户"))?;
    Ok((pairs, crate::conversation::local_time::time_zone(&tenant)))
}

/// The server's key for tenants' secrets; unusable (a key file that cannot be written) is a
/// 503, with the reason in the log.
fn server_key(state: &AppState) -> ApiResult<&crate::secrets::SecretBox> {
    state
        .secrets
        .get()
        .map_err(|error| secret_key_unavailable(&error.to_string()))
}

fn secret_key_unavailable(detail: &str) -> ApiError {
    tracing::error!(detail, "the server's secret key is unusable");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "secret_key_unavailable",
        "the server cannot seal or open secrets: its key is unusable (see its log)",
    )
    .in_chinese("服务器无法加密或解密密钥信息：它的密钥不可用（详见服务器日志）")
}

/// Every API route, with its OpenAPI description, relative to `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(flows::router())
        .merge(knowledge::router())
        .merge(sessions::router())
        .merge(calls::router())
        .merge(analytics::router())
        .merge(tools::router())
        .merge(telephony::router())
        .merge(tenant::router())
        .merge(customer_lookup::router())
        .merge(queues::router())
        .merge(campaigns::router())
        .merge(contacts::router())
        .merge(do_not_call::router())
        .merge(handoffs::router())
        .merge(widget_channels::router())
        .merge(privacy::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(operator::router())
        .route_layer(axum::middleware::from_fn(
            crate::error::refuse_nul_in_parameters,
        ))
}
