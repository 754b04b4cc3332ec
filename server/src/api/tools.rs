//! What the editor needs besides flows: the example flows as templates for new flows, and a
//! trial run of an HTTP node's request.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use flow_engine::compile::CompileOptions;
use flow_engine::runtime::{Action, Direction, Event, HttpFailure};
use flow_engine::turn::EventFeed;
use flow_engine::{CompiledFlow, FlowDocument};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::{Permission, Principal};
use crate::conversation::{new_session, Parties};
use crate::demo::first_run::EXAMPLE_FLOWS;
use crate::error::{ApiError, ApiResult, FieldError, Json};
use crate::flow_http::FlowHttp;
use crate::store::Channel;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(test_http))
}

/// An example flow to start a new flow from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    /// The example's flow name, e.g. `order-status`.
    pub name: String,
    /// A short title in Chinese and English.
    pub title: String,
    pub description: String,
    /// `zh-CN`, `en-US`, …
    pub language: String,
    /// The whole flow document.
    #[schema(value_type = Object)]
    pub document: Value,
}

/// Short titles of the examples, by flow name.
const TITLES: [(&str, &str); 7] = [
    ("order-status", "查订单、查物流 / Order status (Chinese)"),
    ("order-status-en", "Order status (English) / 查订单（英文）"),
    ("returns-refunds", "退货退款 / Returns and refunds"),
    ("birthday-care", "生日关怀外呼 / Birthday call"),
    (
        "satisfaction-survey",
        "满意度回访 / Satisfaction survey call",
    ),
    ("complaints", "简单投诉 / Complaints (Chinese)"),
    ("complaints-en", "Complaints (English) / 简单投诉（英文）"),
];

/// The example flows, to create a flow from: each with its whole document.
#[utoipa::path(get, path = "/templates", tag = "flows",
    responses((status = 200, body = Vec<Template>)))]
async fn list_templates(principal: Principal) -> ApiResult<Json<Vec<Template>>> {
    principal.require(Permission::ReadFlows)?;
    let templates = EXAMPLE_FLOWS
        .iter()
        .filter_map(|(name, text)| {
            let document: Value = serde_json::from_str(text).ok()?;
            let field = |key: &str| {
                document
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            // An example without a title of its own here goes by its document's display name.
            let title = TITLES
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, title)| (*title).to_owned())
                .or_else(|| Some(field("title")).filter(|title| !title.is_empty()))
                .unwrap_or_else(|| (*name).to_owned());
            Some(Template {
                name: (*name).to_owned(),
                title,
                description: field("description"),
                language: field("language"),
                document,
            })
        })
        .collect();
    Ok(Json(templates))
}

/// One request to try, as an `http` node has it: either the node itself (`node`), or its
/// request fields at the top level.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "method": "GET", "url": "{{tenant.api}}/orders/{{vars.order_id}}",
    "vars": { "order_id": "202406180001" } }))]
pub struct HttpTest {
    /// An `http` node of a flow document; its `method`, `url`, `headers`, `body` and
    /// `timeout_ms` are used.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub node: Option<Value>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// `{"name": "value"}` or `[["name", "value"], …]`; values are templates.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub headers: Option<Value>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<u32>,
    /// Variables for the templates (`{{vars.…}}`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// The flow's language, for `{{tenant.name}}` (default `zh-CN`).
    #[serde(default)]
    pub language: Option<String>,
}

/// What the request got back.
#[derive(Debug, Serialize, ToSchema)]
pub struct HttpTestResult {
    /// The request as sent, templates filled in.
    pub method: String,
    pub url: String,
    pub status: u16,
    /// Response headers, `[name, value]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub headers: Vec<(String, String)>,
    /// The response body as text.
    pub body: String,
    pub elapsed_ms: u64,
}

/// Runs one HTTP request as an `http` node of the tenant's flows would: templates filled in
/// from `vars` and the tenant, the same time and size limits, the same guard against private
/// addresses. Nothing is saved. A refused address answers 403 `blocked`, a request that got
/// no answer 502 `http_failed`, a node that is not a valid `http` node 422.
#[utoipa::path(post, path = "/http/test", tag = "flows", request_body = HttpTest,
    responses(
        (status = 200, body = HttpTestResult),
        (status = 403, description = "`blocked`: the address is private and not allowed"),
        (status = 422, description = "`invalid_node`: not a valid `http` node"),
        (status = 502, description = "`http_failed`: no answer (timeout, refused, …)")))]
async fn test_http(
    State(state): State<AppState>,
    principal: Principal,
    Json(test): Json<HttpTest>,
) -> ApiResult<Json<HttpTestResult>> {
    principal.require(Permission::EditFlows)?;
    let node = test.node()?;
    let tenant = state
        .store
        .get_tenant(&principal.tenant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("the tenant").in_chinese("找不到这个租户"))?;
    let language = test.language.unwrap_or_else(|| "zh-CN".to_owned());
    // A two-node flow runs the node, so that its templates are filled in exactly as in a call.
    let document = json!({
        "schema": 1, "name": "http-test", "language": language, "start": "request",
        "variables": test.vars,
        "nodes": [node, { "id": "done", "type": "end", "outcome": "resolved" }]
    });
    let document: FlowDocument = serde_json::from_value(document)
        .map_err(|error| invalid_node(String::new(), error.to_string()))?;
    let flow = CompiledFlow::compile(&document, &CompileOptions::default()).map_err(|error| {
        let errors: Vec<FieldError> = error
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == flow_engine::Severity::Error)
            .map(|d| {
                let error = FieldError::from(d);
                FieldError {
                    field: error.field.replacen("/nodes/0", "/node", 1),
                    node: None,
                    ..error
                }
            })
            .collect();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_node",
            "the request cannot be built from this node",
        )
        .in_chinese("无法用这个节点构造请求")
        .with_errors(errors)
    })?;
    let parties = Parties {
        channel: Channel::Test,
        direction: Direction::Inbound,
        from: None,
        to: None,
        customer: None,
        call_sid: None,
        call_id: None,
    };
    let started_at = crate::store::now_ms();
    let mut session = new_session(flow, "http-test", &parties, Map::new(), &tenant, started_at);
    // The first step of the trial flow is the node's request.
    let request = EventFeed::new(Event::Started)
        .step(&mut session)
        .unwrap_or_default()
        .into_iter()
        .find_map(|action| match action {
            Action::Http(request) => Some(request),
            _ => None,
        })
        .ok_or_else(|| invalid_node(String::new(), "the node made no request".into()))?;
    let started = Instant::now();
    let answer = FlowHttp::for_tenant(&state, &tenant).send(&request).await?;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match answer {
        Event::HttpResponse {
            status,
            headers,
            body,
        } => Ok(Json(HttpTestResult {
            method: request.method.as_str().to_owned(),
            url: request.url,
            status,
            headers: headers.into_iter().collect(),
            body,
            elapsed_ms,
        })),
        Event::HttpFailed {
            failure: HttpFailure::Blocked,
            error,
        } => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "blocked",
            format!("{error} (an owner can allow the host in the tenant's settings)"),
        )
        .in_chinese(format!("{error}（店主可在租户设置里允许这个主机）"))),
        Event::HttpFailed { error, .. } => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "http_failed",
            format!("{} {}: {error}", request.method.as_str(), request.url),
        )
        .in_chinese(format!(
            "{} {} 请求失败：{error}",
            request.method.as_str(),
            request.url
        ))),
        other => Err(ApiError::internal(format!("unexpected answer {other:?}"))),
    }
}

fn invalid_node(field: String, message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_node",
        format!("the request cannot be built: {message}"),
    )
    .in_chinese(format!("无法构造请求：{message}"))
    .with_errors(vec![FieldError {
        field: if field.is_empty() {
            "/node".into()
        } else {
            field
        },
        code: "invalid_node".into(),
        message,
        node: None,
    }])
}

impl HttpTest {
    /// The `http` node to run, with its ports pointed at the end node.
    fn node(&self) -> ApiResult<Value> {
        let mut node = match &self.node {
            Some(Value::Object(node)) => node.clone(),
            Some(_) => {
                return Err(invalid_node(
                    "/node".into(),
                    "`node` must be an object".into(),
                ))
            }
            None => {
                let url = self.url.clone().ok_or_else(|| {
                    invalid_node("/url".into(), "give `url`, or the whole `node`".into())
                })?;
                let mut node = Map::new();
                node.insert("url".into(), Value::String(url));
                if let Some(method) = &self.method {
                    node.insert("method".into(), Value::String(method.to_uppercase()));
                }
                if let Some(headers) = &self.headers {
                    node.insert("headers".into(), headers_object(headers)?);
                }
                if let Some(body) = &self.body {
                    node.insert("body".into(), Value::String(body.clone()));
                }
                if let Some(timeout) = self.timeout_ms {
                    node.insert("timeout_ms".into(), Value::from(timeout));
                }
                node
            }
        };
        if node
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "http")
        {
            return Err(invalid_node(
                "/node/type".into(),
                "only `http` nodes can be tried".into(),
            ));
        }
        node.insert("id".into(), Value::from("request"));
        node.insert("type".into(), Value::from("http"));
        node.insert("next".into(), Value::from("done"));
        node.insert("error".into(), Value::from("done"));
        // Its other ports lead elsewhere in its flow; here every answer ends the trial.
        node.remove("on_status");
        node.remove("save");
        node.remove("position");
        Ok(Value::Object(node))
    }
}

/// `{"name": "value"}` as is; `[["name", "value"], …]` into that form.
fn headers_object(headers: &Value) -> ApiResult<Value> {
    match headers {
        Value::Object(_) => Ok(headers.clone()),
        Value::Array(pairs) => {
            let mut object = BTreeMap::new();
            for (index, pair) in pairs.iter().enumerate() {
                match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(name), Value::String(value)]) => {
                        object.insert(name.clone(), Value::String(value.clone()));
                    }
                    _ => {
                        return Err(invalid_node(
                            format!("/headers/{index}"),
                            "each header is a [name, value] pair of strings".into(),
                        ))
                    }
                }
            }
            Ok(Value::Object(object.into_iter().collect()))
        }
        _ => Err(invalid_node(
            "/headers".into(),
            "headers are an object or a list of [name, value] pairs".into(),
        )),
    }
}
