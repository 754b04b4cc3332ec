//! Taking one turn: the caller's event, then the answers to what the flow asks (its HTTP
//! requests here, a transfer by the channel) until the flow waits for the caller or ends, on
//! the engine's [`EventFeed`]. The flow's records become the turn's call events.

use std::future::Future;

use flow_engine::model::HttpMethod;
use flow_engine::runtime::{Action, Event, HttpRequest, Record, Session};
use flow_engine::turn::EventFeed;

use super::{call_event, ConversationError};
use crate::clock::Clock;
use crate::flow_http::FlowHttp;
use crate::store::{NewCallEvent, Store, StoreError};

/// Where a turn's HTTP requests go: [`FlowHttp`] in the server, the simulator's mocks and
/// client in `callflow chat`.
pub trait Requests {
    /// Answers with `HttpResponse` or `HttpFailed`; fails only when the request could not be
    /// weighed (the tenant's policy could not be read).
    fn send(
        &mut self,
        request: &HttpRequest,
    ) -> impl Future<Output = Result<Event, StoreError>> + Send;
}

impl Requests for FlowHttp<'_> {
    fn send(
        &mut self,
        request: &HttpRequest,
    ) -> impl Future<Output = Result<Event, StoreError>> + Send {
        FlowHttp::send(self, request)
    }
}

/// What a channel makes of a turn: how it renders the flow's prompts, listening, transfers
/// and hang-ups. Every other action is the conversation's.
pub trait Renderer {
    /// Takes a `Say`, `Play`, `Listen`, `Transfer` or `HangUp`. Answers a transfer the
    /// channel settles at once (a chat hands to an agent queue at once) with its
    /// `HandoffResult`; a transfer left unanswered waits for the carrier.
    fn act(&mut self, action: Action) -> Option<Event>;

    /// Sees each record of the turn before it becomes a call event.
    fn record(&mut self, _record: &Record) {}
}

/// A copy of a conversation this server kept in memory after its previous turn, to confirm
/// current in the database before the turn's first request that may change something.
pub struct KeptCopy<'a> {
    pub store: &'a Store,
    pub tenant_id: &'a str,
    pub id: String,
    pub turn: i64,
}

impl KeptCopy<'_> {
    async fn confirm(self) -> Result<(), TurnError> {
        let stored = self
            .store
            .chat_session_turn(self.tenant_id, &self.id)
            .await?;
        match stored == Some(self.turn) {
            true => Ok(()),
            false => Err(TurnError::Stale),
        }
    }
}

/// Why a turn stopped before the flow waited.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// The kept copy is behind the database: nothing was changed, run the turn again from
    /// the database.
    #[error("the conversation moved on elsewhere")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<TurnError> for ConversationError {
    fn from(error: TurnError) -> Self {
        match error {
            TurnError::Stale => ConversationError::Stale,
            TurnError::Store(error) => error.into(),
        }
    }
}

/// Feeds `event` and carries out the flow's HTTP requests until the flow waits; `channel`
/// renders the rest. Answers the turn's call events, stamped by `clock`.
pub async fn take_turn(
    session: &mut Session,
    event: Event,
    http: &mut impl Requests,
    mut kept: Option<KeptCopy<'_>>,
    channel: &mut impl Renderer,
    clock: &Clock,
) -> Result<Vec<NewCallEvent>, TurnError> {
    let mut events = Vec::new();
    let mut feed = EventFeed::new(event);
    while let Some(actions) = feed.step(session) {
        let at = clock.now_ms();
        for action in actions {
            match action {
                Action::Http(request) => {
                    // A GET changes nothing (RFC 9110 calls it safe): one from an old copy
                    // does no harm, as the turn is then discarded at its save. Anything else
                    // might change something, so it waits until the copy is confirmed current.
                    if request.method != HttpMethod::Get {
                        if let Some(kept) = kept.take() {
                            kept.confirm().await?;
                        }
                    }
                    feed.answer(http.send(&request).await?);
                }
                Action::Record(record) => {
                    channel.record(&record);
                    events.push(call_event(at, &record));
                }
                other => {
                    if let Some(answer) = channel.act(other) {
                        feed.answer(answer);
                    }
                }
            }
        }
    }
    Ok(events)
}
