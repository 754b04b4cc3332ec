//! Channels: the thin drivers that feed the flow engine a caller's events and carry out its
//! actions (`webchat`: the sessions API, the editor's simulator). Here is what every driver
//! does alike: a flow's HTTP requests, and the tenant as a flow sees it (`tenant.*`).

pub mod phone;
pub mod twilio;
pub mod webchat;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Uri};
use flow_engine::runtime::{Event, HttpFailure, HttpRequest, Session};
use serde_json::{Map, Value};

use crate::demo::DemoShop;
use crate::outbound::{OutboundHttp, Policy, MAX_RESPONSE_BYTES, MAX_TIMEOUT};
use crate::store::Tenant;

/// Requests under this base URL are answered by the built-in demo shop, in process.
pub use crate::demo::first_run::DEMO_SHOP_BASE;

/// The tenant settings a flow sees as `tenant`: `name` (the display name in the flow's
/// language, else the tenant's name) and `api` (the merchant's API base URL).
pub fn tenant_map(tenant: &Tenant, language: &str) -> Map<String, Value> {
    let mut map = Map::new();
    let name = display_name(&tenant.settings.display_name, language).unwrap_or(&tenant.name);
    map.insert("name".into(), Value::String(name.to_owned()));
    if let Some(api) = &tenant.settings.api_base_url {
        map.insert(
            "api".into(),
            Value::String(api.trim_end_matches('/').to_owned()),
        );
    }
    map
}

/// The name for `language`: the exact tag, else the same language in another region
/// (`en` for `en-US`, `zh-CN` for `zh`).
fn display_name<'a>(names: &'a BTreeMap<String, String>, language: &str) -> Option<&'a str> {
    let primary = |tag: &str| {
        tag.split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    names
        .iter()
        .find(|(tag, _)| tag.eq_ignore_ascii_case(language))
        .or_else(|| {
            let wanted = primary(language);
            names.iter().find(|(tag, _)| primary(tag) == wanted)
        })
        .map(|(_, name)| name.as_str())
        .filter(|name| !name.trim().is_empty())
}

/// The path (with query) of a URL under [`DEMO_SHOP_BASE`], or `None` for any other URL.
pub fn demo_shop_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix(DEMO_SHOP_BASE)?;
    match rest.chars().next() {
        None => Some("/"),
        Some('/' | '?') => Some(rest),
        Some(_) => None,
    }
}

/// Carries out flows' HTTP requests: the demo shop in process, everything else through the
/// SSRF-guarded client under the tenant's policy.
#[derive(Clone, Copy)]
pub struct FlowHttp<'a> {
    pub outbound: &'a OutboundHttp,
    /// The demo shop of this server, with a ledger per tenant.
    pub demo_shop: &'a DemoShop,
    /// The tenant whose flow makes the requests.
    pub tenant_id: &'a str,
}

impl FlowHttp<'_> {
    /// Whether `request` goes out of the process (and so needs the tenant's policy).
    pub fn is_outbound(request: &HttpRequest) -> bool {
        demo_shop_path(&request.url).is_none()
    }

    pub async fn send(&self, request: &HttpRequest, policy: &Policy) -> Event {
        match demo_shop_path(&request.url) {
            Some(path) => call_demo_shop(self.demo_shop, self.tenant_id, request, path).await,
            None => self.outbound.send(request, policy).await,
        }
    }
}

/// A new conversation ready for its first event: its session row (not yet written), the flow
/// session, the documents it runs on and its tenant.
pub(crate) struct Opened {
    pub chat: crate::store::ChatSession,
    pub session: Session,
    pub resolved: crate::flow_cache::Resolved,
    pub tenant: Tenant,
}

/// Who takes part in a new conversation, and how.
pub(crate) struct Parties {
    pub channel: &'static str,
    pub direction: flow_engine::runtime::Direction,
    pub from: String,
    pub to: String,
    pub vars: Map<String, Value>,
}

/// Opens a conversation on `flow_id` (the documents `selector` picks), with new call and
/// session ids; nothing is written.
pub(crate) async fn open(
    state: &crate::app::AppState,
    tenant_id: &str,
    flow_id: String,
    selector: crate::flow_cache::Selector,
    parties: Parties,
) -> Result<Opened, crate::flow_cache::FlowError> {
    use crate::flow_cache::{FlowError, Source};
    use crate::store::{now_ms, ChatSession, Store};
    let resolved = state
        .flows
        .resolve(&state.store, tenant_id, &flow_id, selector)
        .await?;
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await?
        .ok_or(FlowError::NotFound)?;
    let flow_version = match resolved.flow_ref.root.source {
        Source::Version(version) => Some(version),
        Source::Draft(_) => None,
    };
    let started_at = now_ms();
    let chat = ChatSession {
        id: Store::new_chat_session_id(),
        tenant_id: tenant_id.to_owned(),
        flow_id,
        flow_version,
        call_id: Store::new_call_id(),
        snapshot: Value::Null,
        turn: 0,
        created_at: started_at,
        updated_at: started_at,
        ended_at: None,
    };
    let info = flow_engine::runtime::CallInfo {
        call_id: chat.call_id.clone(),
        channel: parties.channel.to_owned(),
        direction: parties.direction,
        from: parties.from,
        to: parties.to,
        started_at_ms: started_at,
        vars: parties.vars,
        tenant: tenant_map(&tenant, &resolved.flow.document().language),
    };
    let session = Session::new(resolved.flow.clone(), info);
    Ok(Opened {
        chat,
        session,
        resolved,
        tenant,
    })
}

fn failed(failure: HttpFailure, error: &str) -> Event {
    Event::HttpFailed {
        failure,
        error: error.to_owned(),
    }
}

/// Asks the demo shop router directly, with the same time and size limits as real requests.
async fn call_demo_shop(
    shop: &DemoShop,
    tenant_id: &str,
    request: &HttpRequest,
    path: &str,
) -> Event {
    let Ok(uri) = path.parse::<Uri>() else {
        return failed(HttpFailure::InvalidRequest, "invalid url");
    };
    let Ok(method) = Method::from_bytes(request.method.as_str().as_bytes()) else {
        return failed(HttpFailure::InvalidRequest, "invalid url");
    };
    let mut builder = Request::builder().method(method).uri(uri);
    let mut has_content_type = false;
    for (name, value) in &request.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            return failed(HttpFailure::InvalidRequest, "invalid header");
        };
        has_content_type |= name == axum::http::header::CONTENT_TYPE;
        builder = builder.header(name, value);
    }
    if request.body.is_some() && !has_content_type {
        builder = builder.header(axum::http::header::CONTENT_TYPE, "application/json");
    }
    let body = request.body.clone().map_or_else(Body::empty, Body::from);
    let Ok(http_request) = builder.body(body) else {
        return failed(HttpFailure::InvalidRequest, "invalid url");
    };
    let limit = match request.timeout_ms {
        0 => MAX_TIMEOUT,
        ms => Duration::from_millis(u64::from(ms)).min(MAX_TIMEOUT),
    };
    let exchange = async {
        let response = shop.answer(tenant_id, http_request).await;
        let status = response.status().as_u16();
        let headers: BTreeMap<String, String> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        match axum::body::to_bytes(response.into_body(), MAX_RESPONSE_BYTES).await {
            Ok(bytes) => Event::HttpResponse {
                status,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            },
            Err(_) => failed(HttpFailure::TooLarge, "response larger than 1 MB"),
        }
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| failed(HttpFailure::Timeout, "timeout"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TenantSettings;

    #[test]
    fn only_urls_under_the_demo_base_are_in_process() {
        assert_eq!(
            demo_shop_path(&format!("{DEMO_SHOP_BASE}/orders/1")),
            Some("/orders/1")
        );
        assert_eq!(demo_shop_path(DEMO_SHOP_BASE), Some("/"));
        assert_eq!(demo_shop_path(&format!("{DEMO_SHOP_BASE}x/orders")), None);
        assert_eq!(demo_shop_path("http://example.com/api/orders/1"), None);
    }

    #[test]
    fn the_tenant_name_follows_the_flow_language() {
        let tenant = Tenant {
            id: "ten_1".into(),
            name: "Shop".into(),
            slug: "shop".into(),
            settings: TenantSettings {
                display_name: [
                    ("zh-CN".to_owned(), "商城".to_owned()),
                    ("en".to_owned(), "The Shop".to_owned()),
                ]
                .into(),
                api_base_url: Some("https://api.example.com/".into()),
                ..TenantSettings::default()
            },
            created_at: 0,
        };
        let zh = tenant_map(&tenant, "zh-CN");
        assert_eq!(zh["name"], "商城");
        assert_eq!(zh["api"], "https://api.example.com");
        assert_eq!(tenant_map(&tenant, "en-US")["name"], "The Shop");
        assert_eq!(tenant_map(&tenant, "fr-FR")["name"], "Shop");
    }

    #[tokio::test]
    async fn the_demo_shop_answers_in_process() {
        let outbound = OutboundHttp::new().expect("client");
        let demo_shop = DemoShop::default();
        let http = FlowHttp {
            outbound: &outbound,
            demo_shop: &demo_shop,
            tenant_id: "ten_1",
        };
        let request = HttpRequest {
            method: flow_engine::model::HttpMethod::Get,
            url: format!("{DEMO_SHOP_BASE}/orders/2024061801"),
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            timeout_ms: 3000,
        };
        let Event::HttpResponse { status, body, .. } =
            http.send(&request, &Policy::default()).await
        else {
            panic!("no answer");
        };
        assert_eq!(status, 200);
        assert!(body.contains("顺丰速运"), "{body}");
    }
}
