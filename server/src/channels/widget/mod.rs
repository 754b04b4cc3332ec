//! The chat widget on a shop's own pages: `widget.js` (served by [`script`]) talks to a flow's
//! published version through a channel's publishable key (kept by [`channels`]), as a
//! visitor who holds a token of its own. Conversations are web chats
//! ([`crate::channels::webchat`]): this module adds who may reach which of them, and what a
//! visitor may see of a conversation's events, and which of the shop's customers a visitor is
//! when its page proves it ([`identity`]). [`routes`] translates HTTP (CORS, the visitor's
//! cookie or header, rate limits from [`rate`]).

pub mod channels;
pub mod identity;
pub mod rate;
pub mod routes;
pub mod script;

use serde_json::{Map, Value};
use sha2::Digest;

use crate::app::AppState;
use crate::channels::webchat::{self, CallerInput, SessionState, StartRequest};
use crate::conversation::ConversationError;
use crate::flow_cache::Selector;
use crate::queues::handoff;
use crate::store::{CallEvent, Store, StoreError, WidgetChannel};
use identity::{Claim, IdentityError, IdentitySecret};

/// The events a visitor reads at most per request.
pub const EVENTS_PAGE: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum WidgetError {
    #[error("no widget channel has this key")]
    ChannelNotFound,
    #[error("the widget channel is switched off")]
    ChannelDisabled,
    /// The operator suspended the channel's shop (see `crate::tenancy`).
    #[error("the shop's service is suspended")]
    TenantSuspended,
    #[error("this site may not use the widget channel")]
    OriginNotAllowed,
    #[error("the conversation was not found")]
    NotFound,
    /// The page's claim of a signed-in customer was refused.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The channel's identity secret does not open: another server key, or the server's key
    /// is unusable. The detail is for the log only.
    #[error("the channel's identity secret does not open: {0}")]
    SecretUnavailable(String),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A visitor's token: what its browser keeps (a cookie, or the widget's own storage) and sends
/// with every request. Random and long, so that knowing a conversation's id is not enough to
/// read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Visitor(String);

impl std::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Visitor(…)")
    }
}

const VISITOR_PREFIX: &str = "cfv_";

impl Visitor {
    /// A new visitor, `None` when the system's random generator fails.
    pub fn new() -> Option<Visitor> {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
        Some(Visitor(format!("{VISITOR_PREFIX}{}", hex::encode(bytes))))
    }

    /// A token as a browser sent it; `None` unless it has the form this server gives, so that
    /// a short or guessable one made up by a page is never a visitor.
    pub fn parse(text: &str) -> Option<Visitor> {
        let hex = text.strip_prefix(VISITOR_PREFIX)?;
        (hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| Visitor(text.to_owned()))
    }

    pub fn token(&self) -> &str {
        &self.0
    }

    /// How call records name the visitor (`call.from`): a hash, never the token, the same for
    /// all its conversations.
    fn caller_id(&self) -> String {
        let hash = hex::encode(sha2::Sha256::digest(self.0.as_bytes()));
        format!("visitor:{}", &hash[..16])
    }
}

/// The channel a request names, if the page's origin may use it and it is on. A request
/// without `Origin` is not a cross-origin browser request (a browser names the origin of
/// every cross-origin request), so there is nothing for CORS to refuse.
pub async fn open_channel(
    store: &Store,
    key: &str,
    origin: Option<&str>,
) -> Result<WidgetChannel, WidgetError> {
    let channel = store
        .widget_channel_by_key(key)
        .await?
        .ok_or(WidgetError::ChannelNotFound)?;
    if let Some(origin) = origin {
        if !allows(&channel, origin) {
            return Err(WidgetError::OriginNotAllowed);
        }
    }
    if !channel.enabled {
        return Err(WidgetError::ChannelDisabled);
    }
    match crate::tenancy::ensure_active(store, &channel.tenant_id).await {
        Ok(()) => {}
        Err(crate::tenancy::Inactive::Suspended) => return Err(WidgetError::TenantSuspended),
        Err(crate::tenancy::Inactive::Store(error)) => return Err(error.into()),
    }
    Ok(channel)
}

/// Whether pages of `origin` (as a browser sends it) may use the channel.
pub fn allows(channel: &WidgetChannel, origin: &str) -> bool {
    channels::normalise_origin(origin)
        .is_some_and(|origin| channel.allowed_origins.contains(&origin))
}

/// Who owns a conversation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// The flow answers.
    Bot,
    /// The flow handed it to a queue of agents: a person answers, and the widget reads the
    /// conversation's events for their lines.
    Person,
}

/// Who owns the conversation: a person while it waits in a queue or an agent has it.
pub fn owner(state: &SessionState) -> Owner {
    match &state.owner {
        handoff::Owner::Bot => Owner::Bot,
        handoff::Owner::Waiting { .. } | handoff::Owner::Agent { .. } => Owner::Person,
    }
}

/// The queue a person answers it from, while one does.
pub fn queue(state: &SessionState) -> Option<String> {
    match &state.owner {
        handoff::Owner::Bot => None,
        handoff::Owner::Waiting { queue, .. } | handoff::Owner::Agent { queue, .. } => {
            Some(queue.clone())
        }
    }
}

/// The shop's customer a page's claim proves, `None` for an anonymous visitor; a claim that
/// proves nothing is refused, never taken for an anonymous visitor nor for the customer.
pub fn identify(
    state: &AppState,
    channel: &WidgetChannel,
    claim: &Claim,
) -> Result<Option<String>, WidgetError> {
    if *claim == Claim::default() {
        return Ok(None);
    }
    let secret = match &channel.identity_secret {
        None => None,
        Some(sealed) => {
            let secrets = state
                .secrets
                .get()
                .map_err(|error| WidgetError::SecretUnavailable(error.to_string()))?;
            let opened = IdentitySecret::open(secrets, sealed, &channel.tenant_id, &channel.id)
                .map_err(|error| WidgetError::SecretUnavailable(error.to_string()))?;
            Some(opened)
        }
    };
    Ok(identity::verify(claim, secret.as_ref())?)
}

/// Starts a conversation with the channel's flow, as published now, for the visitor; with
/// `customer`, the shop's id of the signed-in customer it proved to be ([`identify`]).
pub async fn start(
    state: &AppState,
    channel: &WidgetChannel,
    visitor: &Visitor,
    customer: Option<String>,
    now_ms: i64,
) -> Result<SessionState, WidgetError> {
    let request = StartRequest {
        flow_id: channel.flow_id.clone(),
        selector: Selector::Published,
        vars: Map::new(),
        from: Some(visitor.caller_id()),
        to: Some(format!("widget:{}", channel.id)),
        customer,
        simulated: false,
    };
    let session = webchat::start(state, &channel.tenant_id, request).await?;
    // Written after the conversation: should it fail, the conversation is never reachable
    // and ends as abandoned when the idle job sees it.
    state
        .store
        .link_widget_conversation(
            channel,
            &session.id,
            &session.call_id,
            visitor.token(),
            now_ms,
        )
        .await?;
    Ok(session)
}

/// The call of the visitor's conversation on the channel: another visitor's, channel's or
/// tenant's is not found.
async fn call_of(
    store: &Store,
    channel: &WidgetChannel,
    visitor: &Visitor,
    conversation_id: &str,
) -> Result<String, WidgetError> {
    store
        .widget_conversation_call(channel, conversation_id, visitor.token())
        .await?
        .ok_or(WidgetError::NotFound)
}

/// Sends what the visitor did to its conversation.
pub async fn send(
    state: &AppState,
    channel: &WidgetChannel,
    visitor: &Visitor,
    conversation_id: &str,
    input: CallerInput,
) -> Result<SessionState, WidgetError> {
    call_of(&state.store, channel, visitor, conversation_id).await?;
    Ok(webchat::send(state, &channel.tenant_id, conversation_id, input).await?)
}

/// The visitor's conversation as it stands.
pub async fn read(
    state: &AppState,
    channel: &WidgetChannel,
    visitor: &Visitor,
    conversation_id: &str,
) -> Result<SessionState, WidgetError> {
    call_of(&state.store, channel, visitor, conversation_id).await?;
    Ok(webchat::get(&state.store, &channel.tenant_id, conversation_id).await?)
}

/// Who said a line of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Bot,
    Visitor,
    /// A person who took the conversation over (`agent_said` events).
    Agent,
    /// An agent took the conversation; the text is their name.
    Joined,
    /// The agent finished: the bot answers again.
    Back,
    /// Not a line: the conversation ended.
    Ended,
}

/// A line of a conversation as its visitor may see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Line {
    /// The event's number in the conversation: ask for lines `after` the last one seen.
    pub seq: i64,
    /// Epoch milliseconds.
    pub at: i64,
    pub kind: Speaker,
    pub text: String,
}

/// The line a call event is for the visitor, if any: what the bot, the visitor and an agent
/// said, and the end. Everything else (intents, variables, HTTP calls, summaries) is the
/// shop's, not the visitor's.
fn line_of(event: CallEvent) -> Option<Line> {
    let text = |field: &str| {
        event
            .data
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (kind, text) = match event.kind.as_str() {
        "said" => (Speaker::Bot, text("text")?),
        "heard" => (Speaker::Visitor, text("text")?),
        "digits" => (Speaker::Visitor, text("digits")?),
        "caller_said" => (Speaker::Visitor, text("text")?),
        "agent_said" => (Speaker::Agent, text("text")?),
        "agent_joined" => (Speaker::Joined, text("agent").unwrap_or_default()),
        "agent_left" => (Speaker::Back, String::new()),
        "ended" => (Speaker::Ended, String::new()),
        _ => return None,
    };
    Some(Line {
        seq: event.seq,
        at: event.at,
        kind,
        text,
    })
}

/// The longest a visitor's request waits for a new line: under the idle timeouts of common
/// proxies (30 s and more).
pub const MAX_WAIT_S: u64 = 25;

/// The lines of the visitor's conversation after event `after`, and the number of the last
/// event read (to ask from next), in order. With nothing to show yet it waits up to `wait` for
/// something to be written: at once when this server writes it, within
/// [`crate::queues::live::POLL`] when another does. A wait that ends with nothing announced
/// answers without reading again: what another server wrote since its last read, the
/// visitor's next request reads.
pub async fn lines_after(
    state: &AppState,
    channel: &WidgetChannel,
    visitor: &Visitor,
    conversation_id: &str,
    after: i64,
    wait: std::time::Duration,
) -> Result<(Vec<Line>, i64), WidgetError> {
    let call_id = call_of(&state.store, channel, visitor, conversation_id).await?;
    let deadline = tokio::time::Instant::now() + wait;
    // Subscribed before reading, so that nothing written in between is missed.
    let mut watch = state.live.watch_call(&channel.tenant_id, &call_id);
    let mut after = after;
    loop {
        let events = state
            .store
            .call_events_after(&channel.tenant_id, &call_id, after, EVENTS_PAGE)
            .await?;
        after = events.last().map_or(after, |event| event.seq);
        let lines: Vec<Line> = events.into_iter().filter_map(line_of).collect();
        if !lines.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok((lines, after));
        }
        if tokio::time::timeout_at(deadline, watch.next())
            .await
            .is_err()
        {
            return Ok((Vec::new(), after));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_of_the_servers_form_are_visitors() {
        let visitor = Visitor::new().expect("random");
        assert_eq!(Visitor::parse(visitor.token()), Some(visitor.clone()));
        assert!(Visitor::parse("cfv_1234").is_none());
        assert!(Visitor::parse(&visitor.token().to_uppercase()).is_none());
        assert!(Visitor::parse(&visitor.token()[4..]).is_none());
    }
}
