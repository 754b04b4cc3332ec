//! The agent console under `/console`: the conversations waiting in the queues and those the
//! agent has taken, and one conversation's context card with its transcript and the agent's
//! reply box. Pages render on the server and work as plain forms; `console.js` keeps them live
//! (server-sent events) and sends replies without reloading. What the forms do is
//! [`crate::queues::handoff`]'s, as for the API.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::calls::{row, CallRow};
use super::queue_settings;
use super::teach::{csrf_token, Posted};
use super::transcript::{self, Line, Naming};
use super::words::Words;
use super::{duration, encode, internal, message, percent, Choice, Nav, Viewer};
use crate::auth::{Credential, Permission};
use crate::flows::names::{self, queue_name, Knowledge};
use crate::queues::agents::{self, Presence};
use crate::queues::handoff::{self, Disposition, HandoffError};
use crate::queues::{self, context, stats};
use crate::state::AppState;
use crate::store::{now_ms, HandoffRow, HandoffState, StoreError};

/// The console's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(page))
        .route("/console/list", get(list_fragment))
        .route("/console/stream", get(list_stream))
        .route("/console/presence", post(set_presence))
        .route("/console/console.js", get(script))
        .route(
            "/console/queues",
            get(queue_settings::page).post(queue_settings::save),
        )
        .route("/console/queues/{key}/delete", post(queue_settings::delete))
        .route(
            "/console/agents/{user_id}/queues",
            post(queue_settings::agent_queues),
        )
        .route("/console/handoffs/{id}", get(conversation))
        .route("/console/handoffs/{id}/lines", get(lines_fragment))
        .route("/console/handoffs/{id}/stream", get(lines_stream))
        .route("/console/handoffs/{id}/accept", post(accept))
        .route("/console/handoffs/{id}/reply", post(reply))
        .route("/console/handoffs/{id}/end", post(end))
        .route("/console/handoffs/{id}/hand-back", post(hand_back))
        .layer(axum::middleware::map_response(protect))
}

/// Like the dashboard's, but the console runs its own script and talks back to its server.
/// Transcript rows one live update carries at most; the next continues after the last.
const LINES_PAGE: u32 = 500;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../templates/dashboard/console.js"),
    )
        .into_response()
}

/// The signed-in user's id: only people take conversations.
fn user_of(viewer: &Viewer) -> Option<&str> {
    match &viewer.principal.credential {
        Credential::Session { user_id, .. } => Some(user_id),
        Credential::ApiKey { .. } => None,
    }
}

fn refused(viewer: &Viewer) -> Option<Response> {
    let may = viewer
        .principal
        .require(Permission::AnswerConversations)
        .is_ok();
    (!may || user_of(viewer).is_none()).then(|| {
        message(
            viewer.words,
            StatusCode::FORBIDDEN,
            "error_title",
            "forbidden",
        )
    })
}

/// A conversation in the lists.
pub struct ConversationRow {
    pub href: String,
    pub id: String,
    pub queue: String,
    pub caller: String,
    pub waited: String,
    pub summary: String,
    pub channel: &'static str,
    pub agent: String,
}

pub struct StatRow {
    pub queue: String,
    pub waiting: i64,
    pub active: i64,
    pub longest: String,
    pub offered: i64,
    pub in_time: String,
}

/// What the lists show; the page and its live fragment.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard/console_list.html")]
pub struct ListFragment {
    t: Words,
    csrf_token: String,
    waiting: Vec<ConversationRow>,
    mine: Vec<ConversationRow>,
    others: Vec<ConversationRow>,
    stats: Vec<StatRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/console.html")]
pub struct ConsolePage {
    t: Words,
    nav: Nav,
    /// The lists, rendered as their live fragment is.
    list: String,
    presence: Vec<Choice>,
    csrf_token: String,
    notice: String,
}

async fn list_of(state: &AppState, viewer: &Viewer) -> Result<ListFragment, Response> {
    let t = viewer.words;
    let tenant_id = &viewer.principal.tenant_id;
    let me = user_of(viewer).unwrap_or_default();
    let now = now_ms();
    let failed = |error: &dyn std::fmt::Display| internal(t, error);
    let queues = queues::list(&state.store, tenant_id)
        .await
        .map_err(|error| failed(&error))?;
    let open = state
        .store
        .list_open_handoffs(tenant_id)
        .await
        .map_err(|error| failed(&error))?;
    let people = agents::list(&state.store, tenant_id)
        .await
        .map_err(|error| failed(&error))?;
    let mut waiting = Vec::new();
    let mut mine = Vec::new();
    let mut others = Vec::new();
    for handoff in open {
        let call = state
            .store
            .get_call_row(tenant_id, &handoff.call_id)
            .await
            .map_err(|error| failed(&error))?;
        let caller = call.and_then(|call| call.from_number).unwrap_or_default();
        let agent = handoff
            .agent_id
            .as_deref()
            .and_then(|id| people.iter().find(|person| person.user_id == id))
            .map(|person| person.name.clone())
            .unwrap_or_default();
        let row = ConversationRow {
            href: format!("/console/handoffs/{}", encode(&handoff.id)),
            id: handoff.id.clone(),
            queue: queue_name(t, &queues, &handoff.queue),
            caller: if caller.is_empty() {
                t.w("anonymous").to_owned()
            } else {
                caller
            },
            waited: duration(t, now - handoff.waiting_since),
            summary: handoff.summary.clone(),
            channel: t.w(if handoff.channel == "phone" {
                "phone"
            } else {
                "chat"
            }),
            agent,
        };
        match (handoff.state, handoff.agent_id.as_deref()) {
            (HandoffState::Waiting, _) => waiting.push(row),
            (_, Some(agent)) if agent == me => mine.push(row),
            _ => others.push(row),
        }
    }
    let stats = stats::of(&state.store, tenant_id, now)
        .await
        .map_err(|error| failed(&error))?
        .into_iter()
        .map(|stat| StatRow {
            queue: queue_name(t, &queues, &stat.queue),
            waiting: stat.waiting,
            active: stat.active,
            longest: stat
                .longest_wait_ms
                .map_or_else(|| "—".to_owned(), |ms| duration(t, ms)),
            offered: stat.offered,
            in_time: percent(stat.answered_within_20s),
        })
        .collect();
    Ok(ListFragment {
        t,
        csrf_token: csrf_token(&viewer.principal),
        waiting,
        mine,
        others,
        stats,
    })
}

#[derive(Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<NoticeQuery>,
) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    let t = viewer.words;
    let list = match list_of(&state, &viewer).await.map(|list| list.render()) {
        Ok(Ok(list)) => list,
        Ok(Err(error)) => return internal(t, &error),
        Err(response) => return response,
    };
    let me = user_of(&viewer).unwrap_or_default();
    let current = match agents::list(&state.store, &viewer.principal.tenant_id).await {
        Ok(people) => people
            .into_iter()
            .find(|person| person.user_id == me)
            .map_or(Presence::Away, |person| person.presence),
        Err(error) => return internal(t, &error),
    };
    let presence = [Presence::Available, Presence::Busy, Presence::Away]
        .into_iter()
        .map(|choice| Choice {
            value: choice.as_str().to_owned(),
            label: t.w(&format!("presence_{}", choice.as_str())).to_owned(),
            selected: choice == current,
        })
        .collect();
    let notice = notice(t, &query.notice);
    ConsolePage {
        t,
        nav: viewer.nav("console", String::new()),
        csrf_token: csrf_token(&viewer.principal),
        list,
        presence,
        notice,
    }
    .into_response()
}

/// The sentence a notice of the query stands for; none for a notice it does not know.
fn notice(t: Words, key: &str) -> String {
    const KNOWN: [&str; 10] = [
        "taken",
        "not_waiting",
        "not_yours",
        "ended",
        "handed_back",
        "presence",
        "not_chat",
        "unknown_node",
        "sent",
        "empty",
    ];
    match KNOWN.contains(&key) {
        true => t.w(&format!("console_notice_{key}")).to_owned(),
        false => String::new(),
    }
}

async fn list_fragment(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    match list_of(&state, &viewer).await {
        Ok(list) => list.into_response(),
        Err(response) => response,
    }
}

/// Tells the list page when something in the tenant's queues changed (at most every second,
/// and at least every [`queues::live::POLL`], or [`queues::live::POLL_ALONE`] on a server
/// alone): the page then reads `/console/list`.
async fn list_stream(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    let watch = state.live.watch_queues(&viewer.principal.tenant_id);
    let events = stream::unfold(watch, |mut watch| async move {
        watch.next().await;
        let event = SseEvent::default().event("changed").data("1");
        Some((Ok::<_, Infallible>(event), watch))
    });
    sse(events)
}

fn sse(events: impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static) -> Response {
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

async fn set_presence(State(state): State<AppState>, posted: Posted) -> Response {
    let viewer = &posted.viewer;
    if let Some(refusal) = refused(viewer) {
        return refusal;
    }
    let presence = match posted.field("presence").as_str() {
        "available" => Presence::Available,
        "busy" => Presence::Busy,
        _ => Presence::Away,
    };
    let me = user_of(viewer).unwrap_or_default();
    match agents::set_presence(
        &state.store,
        &viewer.principal.tenant_id,
        me,
        presence,
        now_ms(),
    )
    .await
    {
        Ok(_) => {
            state.live.queues_changed(&viewer.principal.tenant_id);
            Redirect::to("/console?notice=presence").into_response()
        }
        Err(error) => internal(viewer.words, &error),
    }
}

/// A conversation's page: its context card, transcript, and the agent's part.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard/console_conversation.html")]
pub struct ConversationPage {
    t: Words,
    nav: Nav,
    id: String,
    csrf_token: String,
    queue: String,
    /// `waiting`, `mine`, `other` or `done`.
    standing: &'static str,
    /// A phone call: the carrier connects it to the agent, who answers it on the phone.
    phone: bool,
    agent: String,
    waited: String,
    summary: String,
    /// The routing rule that chose the conversation's queue, and that queue, when one did.
    route: String,
    call: CallRow,
    vars: Vec<(String, String)>,
    intents: Vec<String>,
    anger: Vec<AngerBar>,
    /// The customer's profile as (label, value) lines; empty when the lookup found nobody.
    profile: Vec<(String, String)>,
    previous: Vec<CallRow>,
    lines: Vec<Line>,
    last_seq: i64,
    nodes: Vec<Choice>,
    dispositions: Vec<Choice>,
    notice: String,
}

/// One customer line's anger, as a bar of the trend.
pub struct AngerBar {
    /// 0–100.
    pub height: u32,
    pub value: String,
    pub angry: bool,
}

async fn conversation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    let t = viewer.words;
    let tenant_id = &viewer.principal.tenant_id;
    let found = match context::of(&state, tenant_id, &id).await {
        Ok(Some(found)) => found,
        Ok(None) => return message(t, StatusCode::NOT_FOUND, "not_found_title", "not_found"),
        Err(error) => return internal(t, &error),
    };
    let (queues, people, flows) = match (
        queues::list(&state.store, tenant_id).await,
        agents::list(&state.store, tenant_id).await,
        names::flows(&state, tenant_id).await,
    ) {
        (Ok(queues), Ok(people), Ok(flows)) => (queues, people, flows),
        (Err(error), _, _) => return internal(t, &error),
        (_, Err(error), _) | (_, _, Err(error)) => return internal(t, &error),
    };
    let me = user_of(&viewer).unwrap_or_default();
    let handoff = &found.handoff;
    let standing = standing(handoff, me);
    let lines = match render_lines(
        &state,
        &viewer,
        &found.call.flow_id,
        found.call.started_at,
        &found.events,
    )
    .await
    {
        Ok(lines) => lines,
        Err(response) => return response,
    };
    let zone = viewer.zone();
    let nodes = found
        .nodes
        .iter()
        .map(|(id, label)| Choice {
            value: id.clone(),
            label: label.clone(),
            selected: false,
        })
        .collect();
    let dispositions = [
        Disposition::Resolved,
        Disposition::FollowUp,
        Disposition::NotResolved,
    ]
    .into_iter()
    .map(|choice| Choice {
        value: choice.as_str().to_owned(),
        label: t.w(&format!("disposition_{}", choice.as_str())).to_owned(),
        selected: choice == Disposition::Resolved,
    })
    .collect();
    ConversationPage {
        t,
        nav: viewer.nav("console", String::new()),
        id: handoff.id.clone(),
        csrf_token: csrf_token(&viewer.principal),
        queue: queue_name(t, &queues, &handoff.queue),
        standing,
        phone: handoff.channel == "phone",
        agent: handoff
            .agent_id
            .as_deref()
            .and_then(|id| people.iter().find(|person| person.user_id == id))
            .map(|person| person.name.clone())
            .unwrap_or_default(),
        waited: duration(
            t,
            handoff.accepted_at.unwrap_or_else(now_ms) - handoff.waiting_since,
        ),
        summary: handoff.summary.clone(),
        route: found
            .events
            .iter()
            .rev()
            .find(|event| event.kind == "transfer")
            .and_then(|event| {
                // The rule's queue, which an overflow may have passed the conversation on from.
                let chosen = event.data["target"]["queue"].as_str().unwrap_or_default();
                let reason = transcript::route_reason(t, &event.data)?;
                Some(format!("{reason} → {}", queue_name(t, &queues, chosen)))
            })
            .unwrap_or_default(),
        call: row(t, zone, &found.call, &flows),
        vars: found
            .vars
            .iter()
            .map(|(name, value)| (name.clone(), shown(value)))
            .collect(),
        intents: found.intents.clone(),
        anger: found
            .anger
            .iter()
            .map(|&anger| AngerBar {
                height: (anger.clamp(0.0, 1.0) * 100.0).round() as u32,
                value: format!("{anger:.2}"),
                angry: anger >= f64::from(flow_engine::emotion::ANGRY),
            })
            .collect(),
        profile: profile(t, &found.customer),
        previous: found
            .previous
            .iter()
            .map(|call| row(t, zone, call, &flows))
            .collect(),
        last_seq: found.events.last().map_or(0, |event| event.seq),
        lines,
        nodes,
        dispositions,
        notice: notice(t, &query.notice),
    }
    .into_response()
}

/// The customer's profile as the card lists it: the name (with how the bot addresses them),
/// the VIP level, the recent orders, then whatever else the shop answered, as it named it.
fn profile(t: Words, customer: &Map<String, Value>) -> Vec<(String, String)> {
    if customer.is_empty() {
        return Vec::new();
    }
    let text = |key: &str| {
        customer
            .get(key)
            .map(shown)
            .filter(|text| !text.is_empty() && text != "—")
    };
    let mut lines = Vec::new();
    if let Some(name) = text("name") {
        let name = match text("title") {
            Some(title) if title != name => format!("{name}（{title}）"),
            _ => name,
        };
        lines.push((t.w("customer_name").to_owned(), name));
    }
    let vip = match (text("vip"), text("vip_level")) {
        (Some(label), Some(level)) => Some(format!("{label} · {level}")),
        (label, level) => label.or(level),
    };
    if let Some(vip) = vip {
        lines.push((t.w("vip_level").to_owned(), vip));
    }
    if let Some(orders) = customer.get("recent_orders").and_then(Value::as_array) {
        let listed: Vec<String> = orders
            .iter()
            .map(|order| match order {
                Value::Object(order) => {
                    let id = order.get("order_id").map(shown).unwrap_or_default();
                    match order.get("status").and_then(Value::as_str) {
                        Some(status) => format!("{id} · {}", order_status(t, status)),
                        None => id,
                    }
                }
                other => shown(other),
            })
            .collect();
        let orders = if listed.is_empty() {
            t.w("no_recent_orders").to_owned()
        } else {
            listed.join(t.pick("；", "; "))
        };
        lines.push((t.w("recent_orders").to_owned(), orders));
    }
    const SHOWN: [&str; 5] = ["name", "title", "vip", "vip_level", "recent_orders"];
    for (key, value) in customer {
        if !SHOWN.contains(&key.as_str()) {
            lines.push((key.clone(), shown(value)));
        }
    }
    lines
}

/// An order status the demo shop's API (and the example flows) know, in the agent's words.
fn order_status(t: Words, status: &str) -> String {
    match status {
        "processing" | "shipped" | "delivered" | "cancelled" => {
            t.w(&format!("order_status_{status}")).to_owned()
        }
        other => other.to_owned(),
    }
}

fn standing(handoff: &HandoffRow, me: &str) -> &'static str {
    match (handoff.state, handoff.agent_id.as_deref()) {
        (HandoffState::Waiting, _) => "waiting",
        (HandoffState::Agent, Some(agent)) if agent == me => "mine",
        (HandoffState::Agent, _) => "other",
        (HandoffState::Done, _) => "done",
    }
}

/// A variable's value as text: strings without their quotes.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

async fn render_lines(
    state: &AppState,
    viewer: &Viewer,
    flow_id: &str,
    started_at: i64,
    events: &[crate::store::CallEvent],
) -> Result<Vec<Line>, Response> {
    let t = viewer.words;
    let tenant_id = &viewer.principal.tenant_id;
    let bases = events
        .iter()
        .filter_map(|e| e.data.get("knowledge_base").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let knowledge = Knowledge::of(state, tenant_id, bases)
        .await
        .map_err(|error| internal(t, &error))?;
    let drafts = names::Drafts::of(state, tenant_id, BTreeSet::from([flow_id.to_owned()]))
        .await
        .map_err(|error| internal(t, &error))?;
    let node_name = |node: &str| drafts.label(t, flow_id, node);
    let intent_name = |key: &str| drafts.intent(flow_id, key);
    let result_name = |var: &str| drafts.result(flow_id, var);
    let queues = queues::list(&state.store, tenant_id)
        .await
        .map_err(|error| internal(t, &error))?;
    let queue_name = |key: &str| queue_name(t, &queues, key);
    Ok(transcript::lines(
        t,
        started_at,
        events,
        &Naming {
            knowledge: &knowledge,
            node: &node_name,
            intent: &intent_name,
            queue: &queue_name,
            result: &result_name,
        },
    ))
}

/// New transcript rows after `after`, for the page's live part.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard/transcript_lines.html")]
pub struct LinesFragment {
    t: Words,
    lines: Vec<Line>,
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: i64,
}

/// The rows after `after` and the last event's number.
async fn new_lines(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    after: i64,
) -> Result<Option<(LinesFragment, i64, String)>, Response> {
    let t = viewer.words;
    let tenant_id = &viewer.principal.tenant_id;
    let handoff = found(t, state.store.get_handoff(tenant_id, id).await)?;
    // Most reads find nothing new (a view reads every second while it waits): the call is
    // read only for rows to render.
    let events = state
        .store
        .call_events_after(tenant_id, &handoff.call_id, after, LINES_PAGE)
        .await
        .map_err(|error| internal(t, &error))?;
    let Some(last) = events.last().map(|event| event.seq) else {
        return Ok(None);
    };
    let call = found(
        t,
        state.store.get_call_row(tenant_id, &handoff.call_id).await,
    )?;
    let lines = render_lines(state, viewer, &call.flow_id, call.started_at, &events).await?;
    let me = user_of(viewer).unwrap_or_default();
    Ok(Some((
        LinesFragment { t, lines },
        last,
        standing(&handoff, me).to_owned(),
    )))
}

async fn lines_fragment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(after): Query<After>,
) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    match new_lines(&state, &viewer, &id, after.after).await {
        Ok(Some((fragment, last, _))) => {
            ([("x-last-seq", last.to_string())], fragment).into_response()
        }
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(response) => response,
    }
}

/// The conversation's new rows as they are written: an event `lines` with the rows' HTML, its
/// id the last event's number (an `EventSource` sends it back as `Last-Event-ID` when it
/// reconnects), and `standing` when who has the conversation changed.
async fn lines_stream(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(after): Query<After>,
) -> Response {
    if let Some(refusal) = refused(&viewer) {
        return refusal;
    }
    let lookup = state
        .store
        .get_handoff(&viewer.principal.tenant_id, &id)
        .await;
    let call_id = match found(viewer.words, lookup) {
        Ok(handoff) => handoff.call_id,
        Err(response) => return response,
    };
    let watch = state.live.watch_call(&viewer.principal.tenant_id, &call_id);
    let start = (watch, state, viewer, id, call_id, after.after, true);
    let events = stream::unfold(
        start,
        |(mut watch, state, viewer, id, call_id, after, first)| async move {
            let mut after = after;
            loop {
                if !first {
                    watch.next().await;
                }
                match new_lines(&state, &viewer, &id, after).await {
                    Ok(Some((fragment, last, standing))) => {
                        after = last;
                        let html = fragment.render().unwrap_or_default();
                        let event = SseEvent::default()
                            .event("lines")
                            .id(last.to_string())
                            .data(
                                serde_json::json!({ "html": html, "standing": standing })
                                    .to_string(),
                            );
                        return Some((
                            Ok::<_, Infallible>(event),
                            (watch, state, viewer, id, call_id, after, false),
                        ));
                    }
                    Ok(None) => {}
                    // The page shows what it has; the stream ends and the browser reconnects.
                    Err(_) => return None,
                }
                if first {
                    return Some((
                        Ok(SseEvent::default().comment("live")),
                        (watch, state, viewer, id, call_id, after, false),
                    ));
                }
            }
        },
    );
    sse(events)
}

/// The row a lookup found; a row that is not there is the not-found page. (The error is the
/// page itself, made at most once a request: its size costs nothing.)
#[allow(clippy::result_large_err)]
fn found<T>(t: Words, lookup: Result<Option<T>, StoreError>) -> Result<T, Response> {
    match lookup {
        Ok(Some(row)) => Ok(row),
        Ok(None) => Err(message(
            t,
            StatusCode::NOT_FOUND,
            "not_found_title",
            "not_found",
        )),
        Err(error) => Err(internal(t, &error)),
    }
}

/// Where a form goes back to, with a notice.
fn back(id: &str, notice: &str) -> Response {
    Redirect::to(&format!("/console/handoffs/{}?notice={notice}", encode(id))).into_response()
}

fn failed(viewer: &Viewer, error: HandoffError) -> Response {
    let notice = match error {
        HandoffError::NotWaiting => "not_waiting",
        HandoffError::NotYours => "not_yours",
        HandoffError::NotFound => {
            return message(
                viewer.words,
                StatusCode::NOT_FOUND,
                "not_found_title",
                "not_found",
            )
        }
        HandoffError::NotChat => "not_chat",
        HandoffError::UnknownNode => "unknown_node",
        HandoffError::Conversation(crate::conversation::ConversationError::Ended) => "ended",
        error => return internal(viewer.words, &error),
    };
    Redirect::to(&format!("/console?notice={notice}")).into_response()
}

async fn agent_name(state: &AppState, viewer: &Viewer) -> String {
    let me = user_of(viewer).unwrap_or_default();
    state
        .store
        .get_user(&viewer.principal.tenant_id, me)
        .await
        .ok()
        .flatten()
        .map(|user| user.display_name)
        .unwrap_or_default()
}

async fn accept(State(state): State<AppState>, Path(id): Path<String>, posted: Posted) -> Response {
    let viewer = &posted.viewer;
    if let Some(refusal) = refused(viewer) {
        return refusal;
    }
    let name = agent_name(&state, viewer).await;
    let me = user_of(viewer).unwrap_or_default();
    match handoff::accept(&state, &viewer.principal.tenant_id, &id, me, &name).await {
        Ok(_) => back(&id, "taken"),
        Err(error) => failed(viewer, error),
    }
}

async fn reply(State(state): State<AppState>, Path(id): Path<String>, posted: Posted) -> Response {
    let viewer = &posted.viewer;
    if let Some(refusal) = refused(viewer) {
        return refusal;
    }
    let text = posted.field("text");
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2_000 {
        return back(&id, "empty");
    }
    let name = agent_name(&state, viewer).await;
    let me = user_of(viewer).unwrap_or_default();
    match handoff::reply(&state, &viewer.principal.tenant_id, &id, me, &name, text).await {
        // The page's script posts without following: it sees the line come back live.
        Ok(()) => back(&id, "sent"),
        Err(error) => failed(viewer, error),
    }
}

async fn end(State(state): State<AppState>, Path(id): Path<String>, posted: Posted) -> Response {
    let viewer = &posted.viewer;
    if let Some(refusal) = refused(viewer) {
        return refusal;
    }
    let disposition = match posted.field("disposition").as_str() {
        "follow_up" => Disposition::FollowUp,
        "not_resolved" => Disposition::NotResolved,
        _ => Disposition::Resolved,
    };
    let name = agent_name(&state, viewer).await;
    let me = user_of(viewer).unwrap_or_default();
    match handoff::end(
        &state,
        &viewer.principal.tenant_id,
        &id,
        me,
        &name,
        disposition,
    )
    .await
    {
        Ok(_) => Redirect::to("/console?notice=ended").into_response(),
        Err(error) => failed(viewer, error),
    }
}

async fn hand_back(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    let viewer = &posted.viewer;
    if let Some(refusal) = refused(viewer) {
        return refusal;
    }
    let node = posted.field("node");
    let name = agent_name(&state, viewer).await;
    let me = user_of(viewer).unwrap_or_default();
    match handoff::hand_back(&state, &viewer.principal.tenant_id, &id, me, &name, &node).await {
        Ok(_) => Redirect::to("/console?notice=handed_back").into_response(),
        Err(error) => failed(viewer, error),
    }
}
