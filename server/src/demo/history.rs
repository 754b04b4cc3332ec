//! The demo tenant's past: two weeks of calls, so that a fresh install's dashboard, calls list,
//! transcripts and "not understood" page have something to show. The callers are the example
//! flows' conversation tests (`flows/tests/`), each now and then with a question the flows do
//! not know or leaving half-way; they talk to the published flows through the web-chat and
//! phone channels and the demo shop, as real callers do, on a clock set to moments of the past.
//! What they leave is counted for the dashboard as any call is.
//!
//! The same install always gets the same calls at the same local hours (a fixed seed), ending
//! an hour before the first run. A history cut off (the server stopped while playing it) is
//! finished by the next start: the calls already there are not played again.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use flow_engine::conversation::{Conversation, ConversationFile};
use flow_engine::model::Outcome;
use flow_engine::runtime::{Direction, Event, HandoffStatus};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};

use crate::channels::phone::{self, Mode, NewPhoneCall, Next};
use crate::channels::webchat::{self, CallerInput, StartRequest};
use crate::clock::Clock;
use crate::conversation::local_time::time_zone;
use crate::conversation::ConversationError;
use crate::demo::first_run;
use crate::flow_cache::Selector;
use crate::state::AppState;
use crate::store::{Actor, CallFilter};

/// Days of history before the first run's day; that day has calls until an hour before.
pub const DAYS: i64 = 14;

/// The example flows' conversation tests, by flow name, with how often callers choose each
/// flow (of 100) and how the flow is reached.
const SCRIPTS: [(&str, &str, u32, Reach); 6] = [
    (
        "order-status",
        include_str!("../../../flows/tests/order-status.yaml"),
        34,
        Reach::Inbound,
    ),
    (
        "returns-refunds",
        include_str!("../../../flows/tests/returns-refunds.yaml"),
        20,
        Reach::Inbound,
    ),
    (
        "shop-faq",
        include_str!("../../../flows/tests/shop-faq.yaml"),
        22,
        Reach::Inbound,
    ),
    (
        "order-status-en",
        include_str!("../../../flows/tests/order-status-en.yaml"),
        8,
        Reach::Inbound,
    ),
    (
        "satisfaction-survey",
        include_str!("../../../flows/tests/satisfaction-survey.yaml"),
        11,
        Reach::Outbound,
    ),
    (
        "birthday-care",
        include_str!("../../../flows/tests/birthday-care.yaml"),
        5,
        Reach::Outbound,
    ),
];

/// Questions no example flow knows, in groups of phrasings of the same wish: what a manager
/// finds on the "not understood" page and teaches the flows.
pub const UNKNOWN_ZH: [&[&str]; 4] = [
    &["可以帮我包成礼物吗", "能加礼品包装吗", "有没有礼盒包装"],
    &["你们有实体店吗", "线下有门店吗", "附近有你们的实体店吗"],
    &["能在杯子上刻字吗", "可以定制刻字吗"],
    &["你们招不招兼职", "还招客服吗"],
];
pub const UNKNOWN_EN: [&[&str]; 2] = [
    &["can you gift wrap it", "do you offer gift wrapping"],
    &["do you have a store I can visit", "is there a shop near me"],
];

/// Calls on an ordinary weekday; weekends have about 60 % of it.
const CALLS_PER_DAY: u32 = 22;

/// How likely a caller is (of 100) to ask something unknown first, and to leave half-way.
const ASKS_UNKNOWN: u32 = 18;
const LEAVES: u32 = 8;

/// Inbound callers who phone rather than chat (of 100).
const PHONES: u32 = 45;

/// Members the shop calls who do not answer (of 100), and what the carrier then reports.
const UNREACHED: u32 = 15;
const CARRIER_UNREACHED: [&str; 3] = ["no-answer", "no-answer", "busy"];

/// Local hours of the day weighted by how many callers they bring: shop hours, a lunch dip,
/// an evening after work.
const HOURS: [(u32, u32); 15] = [
    (8, 2),
    (9, 6),
    (10, 9),
    (11, 9),
    (12, 5),
    (13, 6),
    (14, 8),
    (15, 8),
    (16, 7),
    (17, 6),
    (18, 4),
    (19, 5),
    (20, 6),
    (21, 4),
    (22, 2),
];

#[derive(Clone, Copy, PartialEq)]
enum Reach {
    /// Callers phone or chat in.
    Inbound,
    /// The shop calls its members.
    Outbound,
}

/// The audit action recording that the demo's history was played to its end.
pub const HISTORY_ACTION: &str = "tenant.demo_history";

/// What the history left: the calls played now (`chats` of them web chats), and those an
/// earlier, cut-off start had played.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct History {
    pub calls: usize,
    pub chats: usize,
    pub played_before: usize,
}

/// Why the history stopped.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("an example flow's conversation tests do not parse: {0}")]
    Script(String),
    #[error("the demo tenant is gone")]
    NoTenant,
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error("a call of the history stopped: {0}")]
    Task(String),
}

/// One caller: which flow, how reached, what they say in turn, when they call, and the seed
/// of their pauses.
struct Caller {
    flow_id: String,
    language_en: bool,
    reach: Reach,
    conversation: Conversation,
    phones: bool,
    asks_unknown: Option<&'static str>,
    leaves_after: Option<usize>,
    /// For an outbound call nobody answers: the carrier's final status.
    unreached: Option<&'static str>,
    starts_at: i64,
    seed: u64,
}

/// Calls played at once: their turns share the store's commits.
const AT_ONCE: usize = 16;

/// Turns a phone call of the history takes at most: what the caller says, transfers, and the
/// hang-up.
const MAX_PHONE_TURNS: usize = 40;

/// Plays the demo tenant's history if its first run asked for it and it has not been played
/// to its end: at once after this start's own first run (`made_now`, the tenant it made), or
/// at a later start when a first run older than [`first_run::CUT_OFF_AFTER_MS`] left it
/// unfinished (a younger one may still be playing it in another server). Records the end.
pub async fn play_if_due(
    state: &AppState,
    made_now: Option<&str>,
    now: i64,
) -> Result<Option<History>, HistoryError> {
    let Some(tenant) = state
        .store
        .get_tenant_by_slug(first_run::DEMO_TENANT_SLUG)
        .await?
    else {
        return Ok(None);
    };
    let entries = state.store.list_audit(&tenant.id, 1_000).await?;
    if entries.iter().any(|entry| entry.action == HISTORY_ACTION) {
        return Ok(None);
    }
    let Some(first) = entries
        .iter()
        .find(|entry| entry.action == first_run::FIRST_RUN_ACTION)
    else {
        return Ok(None);
    };
    let asked = first.detail["history"].as_bool() == Some(true);
    let own = made_now == Some(tenant.id.as_str());
    if !asked || (!own && now - first.at < first_run::CUT_OFF_AFTER_MS) {
        return Ok(None);
    }
    if !own {
        tracing::warn!(tenant = %tenant.id, "finishing the demo's past calls that an earlier start left half played");
    }
    let history = record(state, &tenant.id, first.at).await?;
    let mut transaction = state.store.transaction().await?;
    transaction
        .record_audit(
            &Actor::system(&tenant.id),
            HISTORY_ACTION,
            &tenant.id,
            &serde_json::json!({ "calls": history.calls + history.played_before }),
            state.clock.now_ms(),
        )
        .await?;
    transaction.commit().await?;
    Ok(Some(history))
}

/// Plays the demo tenant's past calls, up to an hour before `now` (milliseconds), but for
/// those already there (a call of the history starts at its own moment); answers what it
/// left. The flows must be published.
pub async fn record(state: &AppState, tenant_id: &str, now: i64) -> Result<History, HistoryError> {
    record_part(state, tenant_id, now, usize::MAX).await
}

/// [`record`], stopping after the first `most` calls not yet there: what a start cut off
/// while playing the history leaves.
pub async fn record_part(
    state: &AppState,
    tenant_id: &str,
    now: i64,
    most: usize,
) -> Result<History, HistoryError> {
    let tenant = state
        .store
        .get_tenant(tenant_id)
        .await
        .map_err(ConversationError::from)?
        .ok_or(HistoryError::NoTenant)?;
    let flows: HashMap<String, String> = state
        .store
        .list_flows(tenant_id, None)
        .await
        .map_err(ConversationError::from)?
        .into_iter()
        .map(|flow| (flow.name, flow.id))
        .collect();
    let mut callers = callers(&flows, time_zone(&tenant), now)?;
    let mut played = played(state, tenant_id, &callers).await?;
    let all = callers.len();
    // Two callers may start at the same second: as many are skipped as calls are there.
    callers.retain(|caller| match played.get_mut(&caller.starts_at) {
        Some(count) if *count > 0 => {
            *count -= 1;
            false
        }
        _ => true,
    });
    let played_before = all - callers.len();
    callers.truncate(most);
    let history = History {
        calls: callers.len(),
        chats: callers.iter().filter(|caller| !caller.phones).count(),
        played_before,
    };
    let mut running = tokio::task::JoinSet::new();
    for caller in callers {
        // Each call on a clock of its own, set to its moment.
        let past = state.with_clock(Clock::manual(caller.starts_at));
        let tenant_id = tenant_id.to_owned();
        running.spawn(async move {
            match caller.phones {
                true => phone_call(&past, &tenant_id, &caller).await,
                false => chat(&past, &tenant_id, &caller).await,
            }
        });
        while running.len() >= AT_ONCE {
            if let Some(done) = running.join_next().await {
                done.map_err(|e| HistoryError::Task(e.to_string()))??;
            }
        }
    }
    while let Some(done) = running.join_next().await {
        done.map_err(|e| HistoryError::Task(e.to_string()))??;
    }
    Ok(history)
}

/// When the tenant's calls in the history's span started, and how many at each moment.
async fn played(
    state: &AppState,
    tenant_id: &str,
    callers: &[Caller],
) -> Result<HashMap<i64, usize>, HistoryError> {
    let mut started = HashMap::new();
    let (Some(first), Some(last)) = (callers.first(), callers.last()) else {
        return Ok(started);
    };
    let filter = CallFilter {
        from_ms: Some(first.starts_at),
        to_ms: Some(last.starts_at + 1),
        ..CallFilter::default()
    };
    let mut cursor: Option<String> = None;
    loop {
        let page = state
            .store
            .list_calls(tenant_id, &filter, cursor.as_deref(), 1_000)
            .await?;
        for call in &page.calls {
            *started.entry(call.started_at).or_insert(0) += 1;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(started),
        }
    }
}

/// The callers of the history, each decided from one seeded sequence: the same flows give the
/// same callers.
fn callers(
    flows: &HashMap<String, String>,
    zone: Tz,
    now: i64,
) -> Result<Vec<Caller>, HistoryError> {
    let mut scripts = Vec::new();
    for (name, text, weight, reach) in SCRIPTS {
        let Some(flow_id) = flows.get(name) else {
            continue;
        };
        let file = ConversationFile::parse(text)
            .map_err(|e| HistoryError::Script(format!("{name}: {e}")))?;
        scripts.push((flow_id, name.ends_with("-en"), weight, reach, file));
    }
    let total_weight: u32 = scripts.iter().map(|script| script.2).sum();
    if total_weight == 0 {
        return Ok(Vec::new());
    }
    let mut dice = StdRng::seed_from_u64(20_240_618);
    let mut callers = Vec::new();
    for starts_at in moments(&mut dice, zone, now) {
        let mut pick = dice.gen_range(0..total_weight);
        let Some((flow_id, language_en, _, reach, file)) = scripts.iter().find(|script| {
            let hit = pick < script.2;
            pick = pick.saturating_sub(script.2);
            hit
        }) else {
            continue;
        };
        // Most callers get what they came for; the tests' other paths come up now and then.
        let Ok(conversation) = file
            .conversations
            .choose_weighted(&mut dice, |conversation| match conversation.outcome {
                Some(Outcome::Resolved) => 4,
                _ => 1,
            })
        else {
            continue;
        };
        let unknown: &[&[&'static str]] = match language_en {
            true => &UNKNOWN_EN,
            false => &UNKNOWN_ZH,
        };
        callers.push(Caller {
            flow_id: (*flow_id).clone(),
            language_en: *language_en,
            reach: *reach,
            conversation: conversation.clone(),
            phones: *reach == Reach::Outbound || dice.gen_range(0..100) < PHONES,
            // Members called by the shop answer its questions; callers who call in ask theirs.
            asks_unknown: (*reach == Reach::Inbound && dice.gen_range(0..100) < ASKS_UNKNOWN)
                .then(|| {
                    unknown
                        .choose(&mut dice)
                        .and_then(|group| group.choose(&mut dice))
                })
                .flatten()
                .copied(),
            leaves_after: (dice.gen_range(0..100) < LEAVES).then(|| dice.gen_range(0..2)),
            unreached: (*reach == Reach::Outbound && dice.gen_range(0..100) < UNREACHED)
                .then(|| CARRIER_UNREACHED.choose(&mut dice).copied())
                .flatten(),
            starts_at,
            seed: dice.gen(),
        });
    }
    Ok(callers)
}

/// When the calls start, in order: [`DAYS`] days before `now`'s local day, and that day until
/// an hour before `now`, at local hours weighted by [`HOURS`].
fn moments(dice: &mut StdRng, zone: Tz, now: i64) -> Vec<i64> {
    let Some(today) = zone.timestamp_millis_opt(now).single() else {
        return Vec::new();
    };
    let weights: u32 = HOURS.iter().map(|(_, weight)| weight).sum();
    let mut moments = Vec::new();
    for back in (0..=DAYS).rev() {
        let day = today.date_naive() - Duration::days(back);
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let calls = match weekend {
            true => CALLS_PER_DAY * 6 / 10,
            false => CALLS_PER_DAY,
        } + dice.gen_range(0..6);
        for _ in 0..calls {
            let mut pick = dice.gen_range(0..weights);
            let hour = HOURS
                .iter()
                .find(|(_, weight)| {
                    let hit = pick < *weight;
                    pick = pick.saturating_sub(*weight);
                    hit
                })
                .map_or(10, |(hour, _)| *hour);
            let time = NaiveTime::from_hms_opt(hour, dice.gen_range(0..60), dice.gen_range(0..60))
                .unwrap_or(NaiveTime::MIN);
            let Some(at) = zone.from_local_datetime(&day.and_time(time)).earliest() else {
                continue;
            };
            let at = at.timestamp_millis();
            if at < now - 3_600_000 {
                moments.push(at);
            }
        }
    }
    moments.sort_unstable();
    moments
}

/// What the caller does in each turn, in order: the unknown question first when they ask one,
/// and no more than they say before leaving.
fn inputs(caller: &Caller) -> Vec<Event> {
    let mut inputs: Vec<Event> = caller
        .conversation
        .turns
        .iter()
        .filter_map(|turn| turn.input())
        .collect();
    if let Some(text) = caller.asks_unknown {
        inputs.insert(
            0,
            Event::Heard {
                text: text.to_owned(),
                confidence: Some(0.9),
            },
        );
    }
    if let Some(after) = caller.leaves_after {
        inputs.truncate(after + 1);
    }
    inputs
}

/// Seconds between the bot's words and the caller's next: reading, thinking, typing or saying.
fn pause(dice: &mut StdRng) -> i64 {
    dice.gen_range(4_000..25_000)
}

fn vars(caller: &Caller) -> Map<String, Value> {
    caller.conversation.vars.clone()
}

/// A web chat; one whose customer leaves is left waiting, and the idle-chat task ends it as
/// abandoned at its last turn.
async fn chat(state: &AppState, tenant_id: &str, caller: &Caller) -> Result<(), HistoryError> {
    let mut dice = StdRng::seed_from_u64(caller.seed);
    let request = StartRequest {
        flow_id: caller.flow_id.clone(),
        selector: Selector::Published,
        vars: vars(caller),
        from: known_member(caller),
        to: None,
        customer: None,
        simulated: true,
    };
    let mut session = webchat::start(state, tenant_id, request).await?;
    for input in inputs(caller) {
        let Some(input) = CallerInput::of(input) else {
            continue;
        };
        if session.outcome.is_some() {
            break;
        }
        state.clock.set(state.clock.now_ms() + pause(&mut dice));
        session = webchat::send(state, tenant_id, &session.id, input).await?;
    }
    Ok(())
}

/// A phone call, answered; a caller who leaves, or has nothing more to say, hangs up. A
/// transfer is put through at once.
async fn phone_call(
    state: &AppState,
    tenant_id: &str,
    caller: &Caller,
) -> Result<(), HistoryError> {
    let mut dice = StdRng::seed_from_u64(caller.seed);
    let member = member_number(&mut dice, caller.language_en);
    let (shop, member) = (shop_number(caller), known_member(caller).unwrap_or(member));
    let (from, to) = match caller.reach {
        Reach::Inbound => (member, shop),
        Reach::Outbound => (shop, member),
    };
    let new = NewPhoneCall {
        flow_id: caller.flow_id.clone(),
        version: None,
        mode: Mode::Webhook,
        direction: match caller.reach {
            Reach::Inbound => Direction::Inbound,
            Reach::Outbound => Direction::Outbound,
        },
        from,
        to,
        call_sid: None,
        vars: vars(caller),
        call_id: None,
        on_machine: None,
    };
    let mut call = phone::prepare(state, tenant_id, new).await?;
    if let Some(status) = caller.unreached {
        // It rings for half a minute; the flow never starts.
        phone::insert(state, tenant_id, &mut call, Vec::new()).await?;
        state.clock.set(state.clock.now_ms() + 30_000);
        return Ok(phone::end_unreached(state, tenant_id, &call, status).await?);
    }
    let output = phone::drive(state, tenant_id, &mut call.session, Event::Started).await?;
    phone::absorb(&mut call, &output.plan);
    let mut next = output.plan.next;
    phone::insert(state, tenant_id, &mut call, output.events).await?;
    let mut said = inputs(caller).into_iter();
    // A flow that will not end even when the caller hangs up is left as it is, not driven for
    // ever.
    for _ in 0..MAX_PHONE_TURNS {
        if call.is_ended() {
            break;
        }
        let event = match next {
            Next::Transfer(_) => Event::HandoffResult {
                status: HandoffStatus::Connected,
            },
            _ => match said.next() {
                Some(input) => input,
                None => Event::HungUp,
            },
        };
        state.clock.set(state.clock.now_ms() + pause(&mut dice));
        let output = phone::drive(state, tenant_id, &mut call.session, event).await?;
        phone::absorb(&mut call, &output.plan);
        next = output.plan.next;
        phone::save(state, tenant_id, &mut call, output.events).await?;
    }
    Ok(())
}

/// The number of a member the demo shop knows, when the conversation test is about one (it
/// gives the customer the lookup finds): the call comes from that number, so that the demo
/// shop's lookup finds the same member and the flow says what the test expects.
fn known_member(caller: &Caller) -> Option<String> {
    let conversation = &caller.conversation;
    let number = match caller.reach {
        Reach::Inbound => &conversation.call.from,
        Reach::Outbound => &conversation.call.to,
    };
    (!conversation.customer.is_empty() && !number.is_empty()).then(|| number.clone())
}

/// The shop's own line, as the conversation test gives it or a demo number.
fn shop_number(caller: &Caller) -> String {
    let given = match caller.reach {
        Reach::Inbound => &caller.conversation.call.to,
        Reach::Outbound => &caller.conversation.call.from,
    };
    match (given.is_empty(), caller.language_en) {
        (false, _) => given.clone(),
        (true, false) => "+862160001234".to_owned(),
        (true, true) => "+14155550100".to_owned(),
    }
}

/// A member's mobile number: China Mobile's 138 block as in the flows' tests, or one of the
/// North American numbers reserved for fiction (555-01xx) for the English flow.
fn member_number(dice: &mut StdRng, english: bool) -> String {
    match english {
        false => format!("+86138{:08}", dice.gen_range(0..100_000_000u32)),
        true => format!("+1415555{:04}", dice.gen_range(100..200u32)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn example_flows() -> HashMap<String, String> {
        SCRIPTS
            .iter()
            .map(|(name, ..)| (name.to_string(), format!("flw_{name}")))
            .collect()
    }

    #[test]
    fn the_same_flows_get_the_same_callers() {
        let zone = chrono_tz::Asia::Shanghai;
        let now = 1_796_000_000_000;
        let plan = |callers: Vec<Caller>| -> Vec<(String, i64, u64, Option<&str>, bool)> {
            callers
                .into_iter()
                .map(|c| (c.flow_id, c.starts_at, c.seed, c.asks_unknown, c.phones))
                .collect()
        };
        let first = plan(callers(&example_flows(), zone, now).expect("callers"));
        assert_eq!(
            first,
            plan(callers(&example_flows(), zone, now).expect("again"))
        );
        assert!(first.len() > 200, "{}", first.len());
        for name in ["order-status", "satisfaction-survey", "order-status-en"] {
            assert!(
                first.iter().any(|c| c.0 == format!("flw_{name}")),
                "{name} has callers"
            );
        }
    }

    #[test]
    fn calls_start_at_shop_hours_of_the_two_weeks_before_the_last_hour() {
        let zone = chrono_tz::Asia::Shanghai;
        // 2026-12-04 15:00 in Shanghai.
        let now = zone
            .with_ymd_and_hms(2026, 12, 4, 15, 0, 0)
            .single()
            .expect("a moment")
            .timestamp_millis();
        let moments = moments(&mut StdRng::seed_from_u64(7), zone, now);
        assert!(
            moments.windows(2).all(|pair| pair[0] <= pair[1]),
            "in order"
        );
        let first_day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        for at in &moments {
            let local = zone.timestamp_millis_opt(*at).single().expect("local");
            assert!((8..=22).contains(&local.hour()), "{local}");
            assert!(local.date_naive() >= first_day, "{local}");
            assert!(*at < now - 3_600_000, "{local}");
        }
        let days: std::collections::BTreeSet<_> = moments
            .iter()
            .filter_map(|at| zone.timestamp_millis_opt(*at).single())
            .map(|local| local.date_naive())
            .collect();
        assert_eq!(days.len() as i64, DAYS + 1, "{days:?}");
    }

    #[test]
    fn a_caller_who_leaves_says_no_more_and_one_who_asks_the_unknown_asks_it_first() {
        let file = ConversationFile::parse(SCRIPTS[0].1).expect("order-status tests");
        let conversation = file
            .conversations
            .iter()
            .find(|c| c.turns.iter().filter(|t| t.caller.is_some()).count() >= 3)
            .expect("a conversation of three lines")
            .clone();
        let mut caller = Caller {
            flow_id: "flw".into(),
            language_en: false,
            reach: Reach::Inbound,
            conversation,
            phones: false,
            asks_unknown: Some(UNKNOWN_ZH[0][0]),
            leaves_after: None,
            unreached: None,
            starts_at: 0,
            seed: 1,
        };
        let all = inputs(&caller);
        assert_eq!(
            all[0],
            Event::Heard {
                text: UNKNOWN_ZH[0][0].to_owned(),
                confidence: Some(0.9)
            }
        );
        caller.leaves_after = Some(1);
        assert_eq!(inputs(&caller), all[..2].to_vec());
    }
}
