//! API errors as RFC 9457 `application/problem+json`, each with a stable `code`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Result of a handler.
pub type ApiResult<T, E = ApiError> = Result<T, E>;

/// One problem inside a request body, e.g. a flow validation diagnostic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    /// JSON pointer of the field, e.g. `/nodes/3/next`.
    pub field: String,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `not_found`, `revision_conflict`.
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

/// The JSON body of an error answer.
#[derive(Debug, Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

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

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }
}

impl ApiError {
    /// The answer with one extension member beside the standard ones (RFC 9457 §3.2), e.g. the
    /// per-item results of a failed import.
    pub fn into_response_with(self, name: &str, value: impl Serialize) -> Response {
        let value = serde_json::to_value(value).unwrap_or_default();
        self.respond(Some((name, value)))
    }

    fn respond(self, extension: Option<(&str, serde_json::Value)>) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, detail = %self.detail, "request failed");
        }
        let title = self.status.canonical_reason().unwrap_or("Error");
        let problem = Problem {
            kind: format!(
                "https://callflow.dev/problems/{}",
                self.code.replace('_', "-")
            ),
            title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            errors: &self.errors,
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
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
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
    T: DeserializeOwned,
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
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is too large or could not be read",
            )
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Parses a JSON body; a wrong value is reported with the JSON pointer of its field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let pointer = pointer_of(error.path());
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request(
                "malformed_json",
                format!("the request body is not valid JSON: {inner}"),
            );
        }
        let place = if pointer.is_empty() {
            "the top level".to_owned()
        } else {
            pointer.clone()
        };
        let message = inner.to_string();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("the request body has a wrong value at {place}: {message}"),
        )
        .with_errors(vec![FieldError {
            field: pointer,
            code: "invalid_value".into(),
            message,
            node: None,
        }])
    })?;
    deserializer.end().map_err(|error| {
        ApiError::bad_request(
            "malformed_json",
            format!("the request body is not valid JSON: {error}"),
        )
    })?;
    Ok(value)
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
            ),
            StoreError::RevisionMismatch { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "revision_conflict",
                format!("someone else saved first; the current revision is {current}"),
            ),
            other => ApiError::internal(format!("storage failed: {other}")),
        }
    }
}
