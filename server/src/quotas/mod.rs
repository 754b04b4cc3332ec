//! Per-tenant quotas, so that one tenant cannot starve the others on servers they share: API
//! requests per minute, conversation turns per second, calls and chats open at once. The
//! operator sets a tenant's limits (`TenantSettings::quotas`); a limit left unset is the
//! default below, what a shop gets without anyone acting.
//!
//! Where each is enforced, and what a refusal looks like:
//! - API requests: when the caller's principal is known ([`crate::auth`]), counted over every
//!   server by the shared [`counter`]; past the limit `429 quota_exceeded` with `Retry-After`.
//!   The sessions API's messages are conversation turns, counted as turns (a shop relaying its
//!   customers' chat is a channel, like the widget), and sign-in and the public widget and
//!   carrier webhooks have limits of their own.
//! - Calls and chats open at once: when a conversation opens ([`crate::conversation::open`]),
//!   from the database's open conversations, so that two servers count the same ones, and again
//!   in the transaction that writes it ([`open_limit`]), so that two servers opening at the same
//!   instant cannot both take the last place; a chat or
//!   an outbound call gets 429, an inbound call hears a short apology in its flow's language
//!   and is hung up, and `callflow_quota_refusals_total` counts it.
//! - Turns per second: a chat message over the rate gets 429 with `Retry-After`; a phone
//!   call's turn waits for the next second instead ([`pace_turn`]): the caller has already
//!   spoken, and a pause of under a second sounds like thinking, whereas refusing the turn
//!   would leave them in silence or drop a call the shop is paying for.

pub mod counter;
pub mod storage;

use std::time::Duration;

use axum::http::StatusCode;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{Channel, OpenLimit, Quotas, StoreError};
use counter::Window;

/// A phone line each for a large shop's peak, and what one server carries: a media-stream call
/// holds a recogniser and a synthesiser connection and about 100 KB/s of audio each way.
pub const DEFAULT_CONCURRENT_CALLS: u32 = 200;
/// A chat stays open until its customer has been quiet for half an hour (see
/// `DEFAULT_CHAT_IDLE_MINUTES`), so the open chats are an hour's visitors who wrote, not those
/// typing now: a large shop's busy hour. An open chat between turns costs a row and a few
/// kilobytes of memory; the load test holds 2,000 open at once.
pub const DEFAULT_CONCURRENT_CHATS: u32 = 5_000;
/// One server on two cores answers 4,000-8,500 turns a second (BENCHMARKS.md, "web-chat
/// conversations under load"); 200 calls and 5,000 chats at their busiest take a few hundred.
/// The default is above what one server does, so that no shop's traffic and no load test is
/// ever refused by default; it binds where several servers share the database, and an operator
/// running many shops on one server gives each a smaller figure.
pub const DEFAULT_TURNS_PER_SECOND: u32 = 10_000;
/// 100 requests a second, sustained for a minute: a shop's integrations (order sync, reports)
/// and every manager's pages together use a few a second; the API contract test sends about
/// 3,800 in a few minutes on one key, the browser tests far fewer. One server answers several
/// thousand simple requests a second, so one shop flooding it at its limit leaves the rest.
pub const DEFAULT_API_REQUESTS_PER_MINUTE: u32 = 6_000;
/// 10 GB of flows, knowledge and conversation records: years of a large shop's transcripts.
pub const DEFAULT_STORAGE_MB: u32 = 10_240;

/// API requests are counted in one-minute windows, exactly past half the limit.
const API_WINDOW: Window = Window {
    ms: 60_000,
    resync_ms: 0,
};
/// Turns are counted per second; at thousands a second a write each would cost more than the
/// limit protects, so past half a server adds its count at most every 50 ms.
const TURN_WINDOW: Window = Window {
    ms: 1_000,
    resync_ms: 50,
};

/// No phone call lasts longer: Twilio ends a call after four hours unless told otherwise. A
/// call whose end never reached us (a status callback lost) stops counting after it.
const LONGEST_CALL_MS: i64 = 4 * 60 * 60 * 1000;

/// The longest a phone call's turn waits for the turns quota before it goes ahead anyway.
const TURN_WAIT_MS: u64 = 1_000;

/// One of a tenant's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Quota {
    ConcurrentCalls,
    ConcurrentChats,
    TurnsPerSecond,
    ApiRequestsPerMinute,
    StorageMb,
}

impl Quota {
    pub const ALL: [Quota; 5] = [
        Quota::ConcurrentCalls,
        Quota::ConcurrentChats,
        Quota::TurnsPerSecond,
        Quota::ApiRequestsPerMinute,
        Quota::StorageMb,
    ];

    /// The limit's name as the operator sets it (`--quota concurrent_calls=50`).
    pub fn name(self) -> &'static str {
        match self {
            Quota::ConcurrentCalls => "concurrent_calls",
            Quota::ConcurrentChats => "concurrent_chats",
            Quota::TurnsPerSecond => "turns_per_second",
            Quota::ApiRequestsPerMinute => "api_requests_per_minute",
            Quota::StorageMb => "storage_mb",
        }
    }

    /// What the limit is of, in Chinese and in English, for refusals.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Quota::ConcurrentCalls => ("同时进行的通话数", "calls in progress at once"),
            Quota::ConcurrentChats => ("同时进行的在线对话数", "web chats open at once"),
            Quota::TurnsPerSecond => ("每秒对话轮次", "conversation turns per second"),
            Quota::ApiRequestsPerMinute => ("每分钟 API 请求数", "API requests per minute"),
            Quota::StorageMb => ("存储空间（MB）", "storage (MB)"),
        }
    }

    /// The tenant's limit: the operator's, else the default.
    pub fn limit(self, quotas: &Quotas) -> u32 {
        match self {
            Quota::ConcurrentCalls => quotas.concurrent_calls.unwrap_or(DEFAULT_CONCURRENT_CALLS),
            Quota::ConcurrentChats => quotas.concurrent_chats.unwrap_or(DEFAULT_CONCURRENT_CHATS),
            Quota::TurnsPerSecond => quotas.turns_per_second.unwrap_or(DEFAULT_TURNS_PER_SECOND),
            Quota::ApiRequestsPerMinute => quotas
                .api_requests_per_minute
                .unwrap_or(DEFAULT_API_REQUESTS_PER_MINUTE),
            Quota::StorageMb => quotas.storage_mb.unwrap_or(DEFAULT_STORAGE_MB),
        }
    }
}

/// Something refused because the tenant is at a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub quota: Quota,
    pub limit: u32,
    /// When trying again may succeed, for rates; `None` for what frees up only as
    /// conversations end or data is deleted.
    pub retry_after_secs: Option<u64>,
}

/// `429 quota_exceeded`, naming the quota and its limit in the asker's language.
impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        let (zh, en) = refused.quota.words();
        let limit = refused.limit;
        let status = match refused.quota {
            // Waiting does not free storage: the write conflicts with the tenant's state until
            // the shop deletes something.
            Quota::StorageMb => StatusCode::CONFLICT,
            _ => StatusCode::TOO_MANY_REQUESTS,
        };
        let error = ApiError::new(status, "quota_exceeded", "").reworded(
            format!(
                "已达到本租户的配额：{zh}上限为 {limit}（{}）",
                refused.quota.name()
            ),
            format!(
                "the tenant's quota of {en} is reached: the limit is {limit} ({})",
                refused.quota.name()
            ),
        );
        match refused.retry_after_secs {
            Some(secs) => error.retry_after(secs),
            None => error,
        }
    }
}

/// Why a request was not let in.
#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    #[error("over the tenant's quota of {}", .0.quota.name())]
    Refused(Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<QuotaError> for ApiError {
    fn from(error: QuotaError) -> Self {
        match error {
            QuotaError::Refused(refused) => refused.into(),
            QuotaError::Store(error) => error.into(),
        }
    }
}

/// Marks a request as a conversation's turn, counted by the turns quota rather than as an API
/// request: the sessions API's routes carry it.
#[derive(Debug, Clone, Copy)]
pub struct Turns;

/// The middleware that marks a router's requests as [`Turns`].
pub async fn turns(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    request.extensions_mut().insert(Turns);
    next.run(request).await
}

/// This server's side of the quotas: its counts of requests and turns not yet added to the
/// database's, and its last measure of each tenant's storage.
#[derive(Debug, Default)]
pub struct Usage {
    pub counts: counter::SharedCounter,
    pub stored: storage::Measured,
}

/// The tenant's limits; a tenant that has gone has the defaults (its requests fail elsewhere).
pub(crate) async fn quotas_of(state: &AppState, tenant_id: &str) -> Result<Quotas, StoreError> {
    Ok(state
        .store
        .get_tenant(tenant_id)
        .await?
        .map(|tenant| tenant.settings.quotas)
        .unwrap_or_default())
}

/// The tenant's buckets in the shared counting windows: what deleting the tenant deletes there.
pub fn counting_buckets(tenant_id: &str) -> Vec<String> {
    vec![api_bucket(tenant_id), turns_bucket(tenant_id)]
}

fn api_bucket(tenant_id: &str) -> String {
    format!("api:{tenant_id}")
}

fn turns_bucket(tenant_id: &str) -> String {
    format!("turns:{tenant_id}")
}

/// Counts one API request of the tenant, refusing it past the tenant's requests per minute.
/// The tenant is remembered by the store and the count kept here, so a request under the limit
/// costs no query, and one over it neither.
pub async fn admit_api_request(
    state: &AppState,
    tenant_id: &str,
    now_ms: i64,
) -> Result<(), QuotaError> {
    let limit = Quota::ApiRequestsPerMinute.limit(&quotas_of(state, tenant_id).await?);
    rate(
        state,
        &api_bucket(tenant_id),
        Quota::ApiRequestsPerMinute,
        limit,
        API_WINDOW,
        now_ms,
    )
    .await
}

/// Counts one conversation turn of the tenant, refusing it past the tenant's turns per second.
pub async fn admit_turn(state: &AppState, tenant_id: &str, now_ms: i64) -> Result<(), QuotaError> {
    let limit = Quota::TurnsPerSecond.limit(&quotas_of(state, tenant_id).await?);
    rate(
        state,
        &turns_bucket(tenant_id),
        Quota::TurnsPerSecond,
        limit,
        TURN_WINDOW,
        now_ms,
    )
    .await
}

/// A phone call's turn: counted like a chat's, but over the rate it waits for the next second,
/// up to [`TURN_WAIT_MS`], and then goes ahead (see the module's comment). A database that
/// cannot count does not hold up the call either.
pub async fn pace_turn(state: &AppState, tenant_id: &str) {
    let started = std::time::Instant::now();
    loop {
        match admit_turn(state, tenant_id, crate::store::now_ms()).await {
            Err(QuotaError::Refused(_))
                if started.elapsed() < Duration::from_millis(TURN_WAIT_MS) =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(QuotaError::Refused(refused)) => {
                state.metrics.count_quota_refusal(refused.quota);
                return;
            }
            Ok(()) | Err(QuotaError::Store(_)) => return,
        }
    }
}

async fn rate(
    state: &AppState,
    bucket: &str,
    quota: Quota,
    limit: u32,
    window: Window,
    now_ms: i64,
) -> Result<(), QuotaError> {
    match state
        .quotas
        .counts
        .admit(&state.store, bucket, i64::from(limit), window, now_ms)
        .await?
    {
        None => Ok(()),
        Some(limited) => Err(QuotaError::Refused(Refused {
            quota,
            limit,
            retry_after_secs: Some(limited.retry_after_secs),
        })),
    }
}

/// The quota a new conversation on `channel` counts against, if any: the editor's trials of
/// HTTP nodes are never stored and count against none.
fn open_quota(channel: Channel) -> Option<Quota> {
    match channel {
        Channel::Phone => Some(Quota::ConcurrentCalls),
        Channel::Chat => Some(Quota::ConcurrentChats),
        Channel::Test => None,
    }
}

/// Whether the tenant may open one more conversation on `channel`: its open ones are counted
/// in the database, so that every server counts the same. The count reads a partial index of
/// open conversations only (a few hundred rows at most), one query per new conversation. This
/// turns a conversation away before its first turn runs; the limit is then checked again,
/// atomically, as it is written ([`open_limit`]), where two opening at the same instant on two
/// servers are told apart.
pub async fn admit_conversation(
    state: &AppState,
    quotas: &Quotas,
    tenant_id: &str,
    channel: Channel,
    now_ms: i64,
) -> Result<(), QuotaError> {
    let Some((quota, limit)) = open_limit(quotas, channel, now_ms) else {
        return Ok(());
    };
    let open = state
        .store
        .count_open_conversations(tenant_id, channel, limit.since)
        .await?;
    if open >= limit.limit {
        return Err(QuotaError::Refused(refused_opening(
            state, tenant_id, quota, limit,
        )));
    }
    Ok(())
}

/// The tenant's limit of conversations open at once on `channel` and which open ones count,
/// for writing a new conversation ([`crate::store::ChatStart::open_limit`]).
pub fn open_limit(quotas: &Quotas, channel: Channel, now_ms: i64) -> Option<(Quota, OpenLimit)> {
    let quota = open_quota(channel)?;
    Some((
        quota,
        OpenLimit {
            limit: i64::from(quota.limit(quotas)),
            since: open_since(channel, now_ms),
        },
    ))
}

/// A new conversation turned away at `limit`: counted and logged.
pub fn refused_opening(
    state: &AppState,
    tenant_id: &str,
    quota: Quota,
    limit: OpenLimit,
) -> Refused {
    let limit = u32::try_from(limit.limit).unwrap_or(u32::MAX);
    state.metrics.count_quota_refusal(quota);
    tracing::warn!(
        tenant_id,
        quota = quota.name(),
        limit,
        "a new conversation refused by the tenant's quota"
    );
    Refused {
        quota,
        limit,
        retry_after_secs: None,
    }
}

/// The oldest open conversation on `channel` that counts.
fn open_since(channel: Channel, now_ms: i64) -> i64 {
    match channel {
        Channel::Phone => now_ms - LONGEST_CALL_MS,
        // Idle chats are ended by a job; every open one counts until then.
        Channel::Chat | Channel::Test => 0,
    }
}

/// The tenant's conversations on `channel` open now.
async fn open_conversations(
    state: &AppState,
    tenant_id: &str,
    channel: Channel,
    now_ms: i64,
) -> Result<i64, StoreError> {
    state
        .store
        .count_open_conversations(tenant_id, channel, open_since(channel, now_ms))
        .await
}

/// One quota as the tenant's usage page shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QuotaUse {
    pub quota: Quota,
    /// The tenant's limit: the operator's, or the default.
    pub limit: u32,
    /// Whether the limit is the default rather than the operator's.
    pub default: bool,
    /// The use now: open calls or chats, this second's turns, this minute's API requests (as
    /// this server knows them), megabytes stored (as last measured).
    pub used: i64,
}

/// Every quota of the tenant with its limit and current use.
pub async fn usage(
    state: &AppState,
    tenant_id: &str,
    now_ms: i64,
) -> Result<Vec<QuotaUse>, StoreError> {
    let quotas = quotas_of(state, tenant_id).await?;
    let mut uses = Vec::with_capacity(Quota::ALL.len());
    for quota in Quota::ALL {
        let used = match quota {
            Quota::ConcurrentCalls => {
                open_conversations(state, tenant_id, Channel::Phone, now_ms).await?
            }
            Quota::ConcurrentChats => {
                open_conversations(state, tenant_id, Channel::Chat, now_ms).await?
            }
            Quota::TurnsPerSecond => {
                state
                    .quotas
                    .counts
                    .known(&turns_bucket(tenant_id), TURN_WINDOW.ms, now_ms)
            }
            Quota::ApiRequestsPerMinute => {
                state
                    .quotas
                    .counts
                    .known(&api_bucket(tenant_id), API_WINDOW.ms, now_ms)
            }
            Quota::StorageMb => {
                (storage::stored_bytes(state, tenant_id).await? + (1 << 20) - 1) >> 20
            }
        };
        uses.push(QuotaUse {
            quota,
            limit: quota.limit(&quotas),
            default: quota_unset(&quotas, quota),
            used,
        });
    }
    Ok(uses)
}

fn quota_unset(quotas: &Quotas, quota: Quota) -> bool {
    match quota {
        Quota::ConcurrentCalls => quotas.concurrent_calls.is_none(),
        Quota::ConcurrentChats => quotas.concurrent_chats.is_none(),
        Quota::TurnsPerSecond => quotas.turns_per_second.is_none(),
        Quota::ApiRequestsPerMinute => quotas.api_requests_per_minute.is_none(),
        Quota::StorageMb => quotas.storage_mb.is_none(),
    }
}
