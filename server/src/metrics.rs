//! Prometheus metrics: requests, latency, active sessions and turns.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuotaLabels {
    quota: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The server's metrics, shared by every request.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// Web-chat and phone sessions currently open.
    pub active_sessions: Gauge,
    /// Events handled by flow sessions.
    pub turns: Counter,
    /// Carrier calls to numbers no tenant has.
    pub unknown_number_calls: Counter,
    /// Media streams open now.
    pub active_streams: Gauge,
    /// Conversations refused, and phone turns held, by a tenant's quota, by quota (the tenant
    /// is in the log: one series per tenant would grow with them).
    quota_refusals: Family<QuotaLabels, Counter>,
    /// From the caller's complete utterance (final transcript or keys) to the first audio
    /// byte of the reply sent, on media streams.
    pub phone_reply_seconds: Histogram,
    /// Handling one inbound media frame (decode and hand to recognition).
    pub phone_frame_seconds: Histogram,
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("callflow");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ])
        });
        let active_sessions = Gauge::default();
        let turns = Counter::default();
        let unknown_number_calls = Counter::default();
        let active_streams = Gauge::default();
        let fine = [
            0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
        ];
        let phone_reply_seconds = Histogram::new(fine);
        let phone_frame_seconds = Histogram::new(fine);
        registry.register(
            "active_streams",
            "Media streams open now",
            active_streams.clone(),
        );
        registry.register(
            "phone_reply_seconds",
            "From a caller's complete utterance to the first audio byte of the reply",
            phone_reply_seconds.clone(),
        );
        registry.register(
            "phone_frame_seconds",
            "Handling one inbound media frame",
            phone_frame_seconds.clone(),
        );
        let quota_refusals = Family::<QuotaLabels, Counter>::default();
        registry.register(
            "quota_refusals",
            "Conversations refused and phone turns held by a tenant's quota",
            quota_refusals.clone(),
        );
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        registry.register(
            "active_sessions",
            "Flow sessions open now",
            active_sessions.clone(),
        );
        registry.register("turns", "Events handled by flow sessions", turns.clone());
        registry.register(
            "unknown_number_calls",
            "Carrier calls to numbers no tenant has",
            unknown_number_calls.clone(),
        );
        Arc::new(Metrics {
            registry,
            requests,
            latency,
            active_sessions,
            turns,
            unknown_number_calls,
            active_streams,
            quota_refusals,
            phone_reply_seconds,
            phone_frame_seconds,
        })
    }

    /// Counts a refusal by the tenant quota `quota`.
    pub fn count_quota_refusal(&self, quota: crate::quotas::Quota) {
        self.quota_refusals
            .get_or_create(&QuotaLabels {
                quota: quota.name(),
            })
            .inc();
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// Middleware that counts and times every request by its route pattern (not its raw path, so
/// ids do not multiply the series).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    response
}
