//! API errors as RFC 9457 `application/problem+json`, each with a stable `code` and the
//! request's id. An internal error's detail goes to the log under that id, never to the client.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::language::Language;

/// The header that carries a request's id, set by the server when the client sent none.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The id of the request being answered, for the problem documents of its errors.
    static CURRENT_REQUEST_ID: String;
}

/// Middleware: makes the request's id known to the errors its handler answers with.
pub async fn with_request_id(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    CURRENT_REQUEST_ID.scope(id, next.run(request)).await
}

/// Middleware: an error answer that is not problem+json — the framework's own, for a body over
/// the size limit, an address that is not UTF-8, a method a route does not take — becomes one,
/// in this server's words rather than a library's. Pages' HTML and JSON answers stay as they are.
pub async fn problem_for_bare_errors(
    body_limit_bytes: usize,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let is_bare = content_type.is_empty() || content_type.starts_with("text/plain");
    if !(status.is_client_error() || status.is_server_error()) || !is_bare {
        return response;
    }
    bare_error_problem(status, &method, body_limit_bytes).into_response()
}

/// The problem for an error answer the framework made, by its status alone: its text is the
/// library's, and may name the library's internals.
fn bare_error_problem(
    status: StatusCode,
    method: &axum::http::Method,
    body_limit_bytes: usize,
) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "body_too_large",
            format!(
                "the request body is larger than this server takes ({body_limit_bytes} bytes at most)"
            ),
        )
        .in_chinese(format!("请求内容太大：本服务最多接收 {body_limit_bytes} 字节")),
        // The router adds the `Allow` header after this layer has run.
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            format!("{method} is not taken at this address; the Allow header lists what is"),
        )
        .in_chinese(format!("这个地址不接受 {method} 请求；可用的方法见 Allow 头")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "the request body's Content-Type is not one this address takes",
        )
        .in_chinese("这个地址不接受这种 Content-Type 的请求内容"),
        StatusCode::BAD_REQUEST => ApiError::bad_request(
            "unreadable_request",
            "the request's address, query or headers could not be read (text that is not \
             UTF-8, or a value of the wrong kind)",
        )
        .in_chinese("无法读取请求的地址、查询参数或请求头（不是 UTF-8 文本，或值的类型不对）"),
        StatusCode::NOT_FOUND => {
            ApiError::new(status, "not_found", "nothing is here").in_chinese("这里什么也没有")
        }
        status if status.is_server_error() => ApiError::internal(format!("a bare {status} answer")),
        status => ApiError::new(
            status,
            "request_refused",
            format!(
                "the request was refused ({})",
                status.canonical_reason().unwrap_or("error")
            ),
        )
        .in_chinese(format!("请求被拒绝（{}）", status.as_u16())),
    }
}

fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID
        .try_with(Clone::clone)
        .ok()
        .filter(|id| !id.is_empty())
}

/// Result of a handler.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// One problem inside a request body, e.g. a flow validation diagnostic.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer of the field, e.g. `/nodes/3/next`.
    pub field: String,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// A problem inside a request body as a domain module finds it: the field, a stable code, and
/// what is wrong in both languages, rendered once the asker's language is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// JSON pointer of the field.
    pub field: String,
    pub code: &'static str,
    pub message: crate::language::Text,
}

impl FieldProblem {
    pub fn new(
        field: impl Into<String>,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        FieldProblem {
            field: field.into(),
            code,
            message: crate::language::Text::new(zh, en),
        }
    }

    /// The problem in `language`.
    pub fn render(&self, language: crate::language::Language) -> FieldError {
        FieldError {
            field: self.field.clone(),
            code: self.code.to_owned(),
            message: self.message.get(language).to_owned(),
            node: None,
        }
    }
}

/// A flow problem as a field error, worded in the request's language.
impl From<flow_engine::Diagnostic> for FieldError {
    fn from(diagnostic: flow_engine::Diagnostic) -> Self {
        let diagnostic = diagnostic.localized(Language::current().locale());
        FieldError {
            field: diagnostic.field,
            code: diagnostic.code.to_owned(),
            message: diagnostic.message,
            node: diagnostic.node,
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `not_found`, `revision_conflict`.
    pub code: &'static str,
    pub detail: String,
    /// The detail in Chinese, answered instead when the request prefers Chinese.
    pub detail_zh: Option<String>,
    pub errors: Vec<FieldError>,
    /// Seconds to wait before trying again, sent as `Retry-After` (a 429's, a 503's).
    pub retry_after_secs: Option<u64>,
}

/// The JSON body of an error answer (RFC 9457), as the API documents it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `https://callflow.dev/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `not_found`, `revision_conflict`, `internal`.
    pub code: String,
    pub detail: String,
    /// The request's `X-Request-Id`: quote it when asking about an error, above all an
    /// `internal` one, whose cause is only in the server's log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The problems inside the request, each with the JSON pointer of its field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            detail_zh: None,
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// The error with its detail in Chinese too.
    pub fn in_chinese(mut self, detail: impl Into<String>) -> Self {
        self.detail_zh = Some(detail.into());
        self
    }

    /// The same error with a detail of its own in both languages, replacing both the English
    /// detail and any Chinese one (a rewording of one alone would leave the other answering).
    pub fn reworded(mut self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.detail = en.into();
        self.detail_zh = Some(zh.into());
        self
    }

    /// The error with a `Retry-After` header.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// A request body with a wrong value at `field` (a JSON pointer): 422 `invalid_body`, the
    /// field's own `code` and its message (`zh`, `en`) in its errors, in the request's language.
    pub fn invalid_field(field: &str, code: &'static str, zh: String, en: String) -> Self {
        let message = Language::current().pick(&zh, &en).to_owned();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("the request body has a wrong value at {field}: {en}"),
        )
        .in_chinese(format!("请求内容在 {field} 处有误：{zh}"))
        .with_field(field, code, message)
    }

    /// The error with the one field it is about.
    pub fn with_field(self, field: &str, code: &str, message: impl Into<String>) -> Self {
        self.with_errors(vec![FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
            node: None,
        }])
    }

    /// `what` (in English) was not found; [`ApiError::in_chinese`] may say it in Chinese.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} was not found"),
        )
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// A query string that does not read as the parameters an address takes (a number that is
    /// not one, a value of the wrong kind): the framework's English stays for programmers, and
    /// a Chinese reader is told what to check.
    pub fn invalid_query(rejection: &axum::extract::rejection::QueryRejection) -> Self {
        Self::bad_request("invalid_query", rejection.body_text())
            .in_chinese("无法读取查询参数：请检查各参数的名称和值")
    }

    /// A failure of the server itself. `detail` (which may hold a database's or a library's
    /// text) is logged with the request's id; the client gets only that id.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL, detail)
    }
}

const INTERNAL: &str = "internal";

/// A problem's title: the status's reason phrase, in Chinese when the request prefers it.
fn title(status: StatusCode, language: Language) -> String {
    let english = status.canonical_reason().unwrap_or("Error");
    if language == Language::English {
        return english.to_owned();
    }
    let chinese = match status.as_u16() {
        400 => "请求有误",
        401 => "未登录",
        403 => "没有权限",
        404 => "找不到",
        405 => "不支持这种操作",
        408 => "请求超时",
        409 => "冲突",
        412 => "已被他人修改",
        413 => "内容太大",
        415 => "内容格式不支持",
        422 => "内容有误",
        428 => "缺少版本号",
        429 => "请求太频繁",
        500 => "服务器出错",
        502 => "上游服务出错",
        503 => "服务暂不可用",
        504 => "上游服务超时",
        _ if status.is_server_error() => "服务器出错",
        _ => "请求被拒绝",
    };
    chinese.to_owned()
}

impl ApiError {
    /// The answer with one extension member beside the standard ones (RFC 9457 §3.2), e.g. the
    /// per-item results of a failed import.
    pub fn into_response_with(self, name: &str, value: impl Serialize) -> Response {
        let value = serde_json::to_value(value).unwrap_or_default();
        self.respond(Some((name, value)))
    }

    fn respond(self, extension: Option<(&str, Value)>) -> Response {
        let request_id = current_request_id();
        if self.status.is_server_error() {
            tracing::error!(
                code = self.code,
                detail = %self.detail,
                request_id = request_id.as_deref().unwrap_or_default(),
                "request failed"
            );
        }
        let language = Language::current();
        let detail = if self.code == INTERNAL {
            match (&request_id, language) {
                (Some(id), Language::Chinese) => {
                    format!("服务器出错了；原因记在服务器日志里，请求编号 {id}")
                }
                (Some(id), Language::English) => {
                    format!("the server failed; its log says why under the request id {id}")
                }
                (None, language) => language
                    .pick(
                        "服务器出错了；原因记在服务器日志里",
                        "the server failed; its log says why",
                    )
                    .to_owned(),
            }
        } else {
            match (language, self.detail_zh) {
                (Language::Chinese, Some(chinese)) => chinese,
                (Language::Chinese, None) if !has_chinese(&self.detail) => {
                    // A bug to fix where the error is made; scripts/api-contract fails on it.
                    tracing::warn!(
                        code = self.code,
                        detail = %self.detail,
                        "english_only_error_detail: this error has no Chinese wording"
                    );
                    self.detail
                }
                _ => self.detail,
            }
        };
        let retry_after = self.retry_after_secs;
        let problem = Problem {
            kind: format!(
                "https://callflow.dev/problems/{}",
                self.code.replace('_', "-")
            ),
            title: title(self.status, language),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail,
            request_id,
            errors: self.errors,
        };
        let body = match extension {
            None => serde_json::to_vec(&problem),
            Some((name, value)) => serde_json::to_value(&problem).and_then(|mut problem| {
                if let Some(members) = problem.as_object_mut() {
                    members.insert(name.to_owned(), value);
                }
                serde_json::to_vec(&problem)
            }),
        }
        .unwrap_or_default();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        response
    }
}

/// Whether `text` holds a Chinese character: a detail worded for a Chinese reader does.
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.respond(None)
    }
}

/// A JSON body whose rejections are problem+json answers that say what is wrong and where.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned + 'static,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json",
            )
            .in_chinese("请以 JSON 发送请求内容，并带上请求头 Content-Type: application/json"));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is too large or could not be read",
            )
            .in_chinese("请求内容太大，或无法读取")
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses a JSON body; a wrong value is reported with the JSON pointer of its field. Every body
/// read into a struct is a JSON object: anything else is refused here, since serde would
/// otherwise read `[a, b]` as the struct's fields in order.
pub fn parse_json<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<T, ApiError> {
    refuse_nul_in_json(bytes)?;
    let mut document: Value =
        serde_json::from_slice(bytes).map_err(|error| malformed_json(&error))?;
    // A handler that takes any JSON (a flow document) judges its shape itself, and keeps its
    // numbers as they were written.
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<Value>() {
        return serde_json::from_value(document).map_err(|error| malformed_json(&error));
    }
    if !document.is_object() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "the request body must be a JSON object ({…})",
        )
        .in_chinese("请求内容须是一个 JSON 对象（{…}）")
        .with_field(
            "",
            "wrong_type",
            Language::current().pick("须是 JSON 对象", "must be a JSON object"),
        ));
    }
    integral_numbers_as_integers(&mut document);
    let value = serde_path_to_error::deserialize(document).map_err(|error| {
        let pointer = pointer_of(error.path());
        let inner = error.into_inner();
        let place = if pointer.is_empty() {
            "the top level".to_owned()
        } else {
            pointer.clone()
        };
        let place_zh = if pointer.is_empty() {
            "最外层".to_owned()
        } else {
            pointer.clone()
        };
        // serde's own wording is English only: the Chinese answer says where and what kind of
        // fault, and the field's message keeps serde's words for a programmer.
        let message = inner.to_string();
        let fault_zh = match inner.classify() {
            serde_json::error::Category::Data if message.starts_with("missing field") => {
                "缺少必填的字段"
            }
            serde_json::error::Category::Data if message.starts_with("unknown field") => {
                "有不认识的字段"
            }
            serde_json::error::Category::Data if message.starts_with("unknown variant") => {
                "不是可选的值之一"
            }
            _ => "值的类型或格式不对",
        };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("the request body has a wrong value at {place}: {message}"),
        )
        .in_chinese(format!("请求内容在 {place_zh} 处有误：{fault_zh}"))
        .with_errors(vec![FieldError {
            field: pointer,
            code: "invalid_value".into(),
            message: Language::current().pick(fault_zh, &message).to_owned(),
            node: None,
        }])
    })?;
    Ok(value)
}

/// JSON has one kind of number: `15.0` is the integer 15 to JSON Schema, and so to the API's
/// document, whereas serde takes only `15` for an integer field. A whole number written with a
/// fraction becomes the integer it is.
fn integral_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // Beyond 2^53 a float no longer names one integer.
            if float.fract() == 0.0 && float.abs() <= 9_007_199_254_740_992.0 {
                // Within ±2^53 the conversion is exact.
                #[allow(clippy::cast_possible_truncation)]
                let integer = float as i64;
                *value = Value::from(integer);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(members) => members.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// A body that is not JSON at all: where the parser stopped, in both languages.
fn malformed_json(error: &serde_json::Error) -> ApiError {
    ApiError::bad_request(
        "malformed_json",
        format!("the request body is not valid JSON: {error}"),
    )
    .in_chinese(format!(
        "请求内容不是有效的 JSON：第 {} 行第 {} 列有误",
        error.line(),
        error.column()
    ))
}

/// The NUL character (U+0000) has no place in any text the API takes, and PostgreSQL cannot
/// store it: text holding one is refused, naming where it is, before anything reads it.
fn nul_character(status: StatusCode, field: &str, zh: String, en: String) -> ApiError {
    ApiError::new(status, "nul_character", en)
        .in_chinese(zh)
        .with_field(
            field,
            "nul_character",
            Language::current().pick(
                "含有 NUL 字符（U+0000）",
                "contains the NUL character (U+0000)",
            ),
        )
}

/// Refuses a JSON body with a NUL character in any string or key, which JSON can only write as
/// the escape `\u0000`: bodies without that escape are not looked at further.
fn refuse_nul_in_json(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|window| window == b"\\u0000") {
        return Ok(());
    }
    // Malformed JSON is reported by the parse proper.
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match nul_pointer(&value) {
        Some(pointer) => {
            let place = if pointer.is_empty() {
                "the top level".to_owned()
            } else {
                pointer.clone()
            };
            Err(nul_character(
                StatusCode::UNPROCESSABLE_ENTITY,
                &pointer,
                format!("请求内容在 {pointer} 处含有 NUL 字符（U+0000）；任何文字都不能含有它"),
                format!("the request body has the NUL character (U+0000) at {place}; no text may contain it"),
            ))
        }
        None => Ok(()),
    }
}

/// The JSON pointer of the first string or key holding a NUL character.
fn nul_pointer(value: &Value) -> Option<String> {
    let segment = |text: &str| format!("/{}", text.replace('~', "~0").replace('/', "~1"));
    match value {
        Value::String(text) => text.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| nul_pointer(item).map(|rest| format!("/{index}{rest}"))),
        Value::Object(members) => members.iter().find_map(|(key, member)| {
            if key.contains('\0') {
                return Some(segment(key));
            }
            nul_pointer(member).map(|rest| format!("{}{rest}", segment(key)))
        }),
        _ => None,
    }
}

/// Middleware after routing: refuses a request whose path parameters or query parameters hold
/// a NUL character, naming the parameter.
pub async fn refuse_nul_in_parameters(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = axum::extract::RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|params| {
            params
                .iter()
                .find(|(_, value)| value.contains('\0'))
                .map(|(name, _)| name.to_owned())
        });
    if let Some(name) = path {
        return nul_character(
            StatusCode::BAD_REQUEST,
            &name,
            format!("路径参数 `{name}` 含有 NUL 字符（U+0000）；任何文字都不能含有它"),
            format!("the path parameter `{name}` has the NUL character (U+0000); no text may contain it"),
        )
        .into_response();
    }
    let query = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .ok()
        .and_then(|axum::extract::Query(pairs)| {
            pairs
                .into_iter()
                .find(|(name, value)| name.contains('\0') || value.contains('\0'))
                .map(|(name, _)| name)
        });
    if let Some(name) = query {
        return nul_character(
            StatusCode::BAD_REQUEST,
            &name,
            format!("查询参数 `{name}` 含有 NUL 字符（U+0000）；任何文字都不能含有它"),
            format!("the query parameter `{name}` has the NUL character (U+0000); no text may contain it"),
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// A serde path as a JSON pointer (`nodes[3].next` → `/nodes/3/next`).
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .map(|segment| format!("/{segment}"))
        .collect()
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::Conflict { constraint } => ApiError::conflict(
                "conflict",
                format!("this would duplicate an existing entry ({constraint})"),
            )
            .in_chinese("这会与已有的一项重复"),
            StoreError::RevisionMismatch { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "revision_conflict",
                format!("someone else saved first; the current revision is {current}"),
            )
            .in_chinese(format!("别人先保存了；现在是第 {current} 版")),
            other => ApiError::internal(format!("storage failed: {other}")),
        }
    }
}
