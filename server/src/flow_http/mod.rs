//! A flow's HTTP requests (its `http` nodes): requests to the built-in demo shop are answered in
//! process ([`demo_shop`]); every other request leaves through the SSRF-guarded [`client`],
//! under the tenant's outbound [`policy`]. Every driver (web chat, both phone modes, the
//! editor's request trial) sends through [`FlowHttp`], so the rules are the same everywhere.

mod client;
mod demo_shop;
mod guard;
mod policy;

use std::time::Duration;

use flow_engine::runtime::{Event, HttpRequest};

pub use client::{OutboundError, OutboundHttp, MAX_REDIRECTS, MAX_RESPONSE_BYTES, USER_AGENT};
pub use demo_shop::{demo_shop_path, DEMO_SHOP_BASE};
pub use guard::{classify, AddressClass};
pub use policy::Policy;

use crate::demo::DemoShop;
use crate::state::AppState;
use crate::store::{Store, StoreError, Tenant};

/// The longest a flow may wait for an answer, whatever its node says.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request may take: its node's timeout, capped at [`MAX_TIMEOUT`].
fn time_limit(request: &HttpRequest) -> Duration {
    match request.timeout_ms {
        // The engine always sets one; zero would mean "no answer ever", so cap instead.
        0 => MAX_TIMEOUT,
        ms => Duration::from_millis(u64::from(ms)).min(MAX_TIMEOUT),
    }
}

/// Carries out one tenant's flow requests. The tenant's policy is read once, when the first
/// request that leaves the process needs it (most turns make none).
pub struct FlowHttp<'a> {
    outbound: &'a OutboundHttp,
    /// The demo shop of this server, with a ledger per tenant.
    demo_shop: &'a DemoShop,
    /// The tenant whose flow makes the requests.
    tenant_id: &'a str,
    /// Where the policy is read from when it is not known yet.
    store: Option<&'a Store>,
    policy: Option<Policy>,
}

impl<'a> FlowHttp<'a> {
    /// Requests of `tenant_id`'s flows; its policy is read from the store when needed.
    pub fn new(state: &'a AppState, tenant_id: &'a str) -> FlowHttp<'a> {
        FlowHttp {
            outbound: &state.outbound,
            demo_shop: &state.demo_shop,
            tenant_id,
            store: Some(&state.store),
            policy: None,
        }
    }

    /// Requests of the flows of a tenant already at hand.
    pub fn for_tenant(state: &'a AppState, tenant: &'a Tenant) -> FlowHttp<'a> {
        FlowHttp {
            outbound: &state.outbound,
            demo_shop: &state.demo_shop,
            tenant_id: &tenant.id,
            store: None,
            policy: Some(Policy::of(tenant)),
        }
    }

    /// Makes a flow's request and answers with `HttpResponse` (any status) or `HttpFailed`;
    /// fails only when the tenant's policy cannot be read.
    pub async fn send(&mut self, request: &HttpRequest) -> Result<Event, StoreError> {
        if let Some(path) = demo_shop_path(&request.url) {
            let answer =
                demo_shop::call_demo_shop(self.demo_shop, self.tenant_id, request, path).await;
            return Ok(answer);
        }
        let policy = match (self.policy.take(), self.store) {
            (Some(policy), _) => policy,
            (None, Some(store)) => Policy::load(store, self.tenant_id).await?,
            (None, None) => Policy::default(),
        };
        Ok(self
            .outbound
            .send(request, self.policy.insert(policy))
            .await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_shop_answers_in_process() {
        let outbound = OutboundHttp::new().expect("client");
        let demo_shop = DemoShop::default();
        let mut http = FlowHttp {
            outbound: &outbound,
            demo_shop: &demo_shop,
            tenant_id: "ten_1",
            store: None,
            policy: Some(Policy::default()),
        };
        let request = HttpRequest {
            method: flow_engine::model::HttpMethod::Get,
            url: format!("{DEMO_SHOP_BASE}/orders/2024061801"),
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            timeout_ms: 3000,
        };
        let Ok(Event::HttpResponse { status, body, .. }) = http.send(&request).await else {
            panic!("no answer");
        };
        assert_eq!(status, 200);
        assert!(body.contains("顺丰速运"), "{body}");
    }
}
