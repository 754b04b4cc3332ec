//! What every request shares: the store, the caches and the clients of outside services.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::demo::DemoShop;
use crate::flow_http::OutboundHttp;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::telephony::{Carrier, TwilioCarrier};

/// State shared by every request. Cloned for every request and by every layer on its way, so
/// it is one reference count: as a struct of a dozen `Arc`s, cloning and dropping it took 2.7 %
/// of a web-chat server's CPU under load (`perf`, paced at 3,000 turns/s).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct Shared {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// Runs flows' HTTP requests, with the SSRF guard.
    pub outbound: OutboundHttp,
    /// Compiled flows, shared by every call.
    pub flows: Arc<crate::flow_cache::FlowCache>,
    /// The built-in demo shop, with a ledger per tenant: it answers flows' requests to
    /// [`crate::flow_http::DEMO_SHOP_BASE`] in process and is mounted at `/demo-shop/api`.
    pub demo_shop: DemoShop,
    /// Web-chat sessions between turns, kept by the server that took their last turn.
    pub sessions: Arc<crate::channels::webchat::Sessions>,
    /// How phone calls reach this server and where their providers are.
    pub telephony: Arc<crate::config::TelephonyConfig>,
    /// Seals and opens tenants' provider secrets.
    pub secrets: Arc<crate::secrets::ServerKey>,
    /// Places outbound calls.
    pub carrier: Arc<dyn Carrier>,
    /// Speech synthesis for media streams, with its cache.
    pub tts: Arc<speech::tts::Tts>,
    /// Knowledge-base indexes per revision, shared by every call.
    pub knowledge: Arc<crate::knowledge::KnowledgeIndexes>,
    /// The time conversations are stamped with: the system's, but for the demo tenant's
    /// history.
    pub clock: crate::clock::Clock,
    /// Tells the agent console and chat windows that a conversation changed.
    pub live: crate::queues::live::Live,
    /// The widget's rate-limit counts this server has not added to the database's yet.
    pub widget_rates: Arc<crate::channels::widget::rate::RateCounter>,
    /// The tenants' quotas as this server counts them (see `crate::quotas`).
    pub quotas: Arc<crate::quotas::Usage>,
    /// This server's own address (`http://127.0.0.1:8080`), once it listens: where the
    /// carrier reaches a server that has no public URL configured.
    pub listen_url: Arc<std::sync::OnceLock<String>>,
}

/// Synthesised prompts kept in memory: about 40 minutes of 8 kHz audio.
const TTS_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// How long a carrier's REST API may take to answer.
const CARRIER_TIMEOUT: Duration = Duration::from_secs(15);

impl AppState {
    /// The state of a server on `store`, configured by `config`.
    pub fn new(config: &Config, store: Store) -> Result<AppState, String> {
        let outbound =
            OutboundHttp::new().map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        let carrier_client = reqwest::Client::builder()
            .timeout(CARRIER_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        let secrets = crate::secrets::ServerKey::new(
            config.telephony.secret_key.clone(),
            config.data_dir.clone(),
        )
        .map_err(|e| format!("the secret key: {e}"))?;
        Ok(AppState(Arc::new(Shared {
            store,
            metrics: Metrics::new(),
            outbound,
            flows: Arc::default(),
            demo_shop: DemoShop::default(),
            sessions: Arc::new(crate::channels::webchat::Sessions::new(
                config.analytics_rollup,
            )),
            telephony: Arc::new(config.telephony.clone()),
            secrets: Arc::new(secrets),
            carrier: Arc::new(TwilioCarrier::new(
                carrier_client,
                config.telephony.twilio_api_url.clone(),
            )),
            tts: Arc::new(speech::tts::Tts::new(
                config.telephony.espeak_program.clone(),
                TTS_CACHE_BYTES,
            )),
            knowledge: Arc::default(),
            clock: config.clock.clone(),
            listen_url: Arc::new(std::sync::OnceLock::new()),
            live: crate::queues::live::Live::default(),
            widget_rates: Arc::default(),
            quotas: Arc::default(),
        })))
    }

    /// The same state with conversations stamped by `clock`.
    pub fn with_clock(&self, clock: crate::clock::Clock) -> AppState {
        AppState(Arc::new(Shared {
            clock,
            ..(*self.0).clone()
        }))
    }

    /// The same state placing outbound calls through `carrier` (a stand-in that measures the
    /// campaign runner without a carrier's latency, say).
    pub fn with_carrier(&self, carrier: Arc<dyn Carrier>) -> AppState {
        AppState(Arc::new(Shared {
            carrier,
            ..(*self.0).clone()
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
