//! Analytics at scale: loads a database with many ended conversations (about 15 events each)
//! for one tenant plus other tenants' noise, spread over 90 days and written oldest first —
//! web chats counted as they are written, as the server's last turn of a chat counts it, phone
//! calls by the roll-up task afterwards — then times every analytics report on the tenant (last 7 days, last 90 days,
//! one flow), the calls list and a transcript, and prints each one's p50 and p95.
//! `BENCHMARKS.md` has the figures.
//!
//!   cargo run --release -p callflow-tests --bin analyticsload -- --calls 1000000 \
//!       --database "sqlite:///tmp/analytics.db?mode=rwc"
//!   … --database postgres://postgres@127.0.0.1:5432/analytics_bench

use std::time::{Duration, Instant};

use clap::Parser;
use flow_engine::runtime::Direction;
use serde_json::json;
use server::analytics::tally::Seen;
use server::analytics::{report, results, rollup};
use server::conversation::local_time::DEFAULT_TIME_ZONE;
use server::store::{
    AnalyticsFilter, CallEnd, CallFilter, CallOutcome, Channel, ChatStart, NewCallEvent, NewFlow,
    Store, TenantSettings,
};

#[derive(Debug, Parser)]
#[command(about = "Load conversations, count them and time the analytics reports")]
struct Args {
    /// `sqlite:///path/file.db?mode=rwc` or `postgres://…` (a database of its own: it is filled).
    #[arg(long)]
    database: String,
    /// Conversations of the measured tenant.
    #[arg(long, default_value_t = 100_000)]
    calls: u64,
    /// Other tenants.
    #[arg(long, default_value_t = 10)]
    noise_tenants: u64,
    /// Conversations of each other tenant (default: a tenth of `calls`).
    #[arg(long)]
    noise_calls: Option<u64>,
    /// Conversations written at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Only time the reports, on a database this command filled before.
    #[arg(long)]
    reports_only: bool,
    /// Times each report is run.
    #[arg(long, default_value_t = 20)]
    repeat: usize,
}

const DAY_MS: i64 = 86_400_000;
const DAYS: u64 = 90;

/// A small xorshift: the same conversations on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

fn event(at: i64, kind: &str, node: &str, data: serde_json::Value) -> NewCallEvent {
    NewCallEvent {
        at,
        kind: kind.to_owned(),
        node: Some(node.to_owned()),
        data,
    }
}

const INTENTS: [&str; 6] = [
    "track_order",
    "refund",
    "invoice",
    "cancel",
    "address",
    "agent",
];
/// What callers said that no intent took: the Chinese evaluation sentences written for this
/// project (its library intents, out-of-scope requests and a shop's own wishes), each also said
/// with fillers before and after — about 13,000 distinct texts, so that the "not understood"
/// report groups as many phrasings as a busy shop's (it reads at most 2,000 of a period).
fn unheard_pool() -> Vec<String> {
    const SETS: [&str; 4] = [
        include_str!("../../../flow-engine/tests/data/nlu/zh-ecommerce/test.csv"),
        include_str!("../../../flow-engine/tests/data/nlu/zh-ecommerce/tune.csv"),
        include_str!("../../../flow-engine/tests/data/nlu/zh-ecommerce/own-test.csv"),
        include_str!("../../../flow-engine/tests/data/nlu/zh-ecommerce/own-tune.csv"),
    ];
    const BEFORE: [&str; 6] = ["", "嗯", "那个", "请问", "我想问一下", "你好"];
    const AFTER: [&str; 4] = ["", "啊", "呢", "呀"];
    let sentences: Vec<String> = SETS
        .iter()
        .flat_map(|csv| flow_engine::nlu::eval::read_labelled(csv).unwrap_or_default())
        .map(|e| e.text)
        .collect();
    let mut pool = Vec::new();
    for before in BEFORE {
        for after in AFTER {
            pool.extend(sentences.iter().map(|t| format!("{before}{t}{after}")));
        }
    }
    pool
}

/// A text of the pool, the first ones said far more often than the last (the cube of a
/// uniform draw): a few questions are asked by many, most by a few.
fn unheard_text<'p>(dice: &mut Dice, pool: &'p [String]) -> &'p str {
    let u = dice.roll(1 << 20) as f64 / (1 << 20) as f64;
    let i = ((u * u * u) * pool.len() as f64) as usize;
    pool.get(i).map(String::as_str).unwrap_or("嗯嗯")
}

/// One conversation of about 15 events: a greeting, two or three questions heard, matched or
/// not, a knowledge answer with feedback now and then, and an end.
fn conversation(
    dice: &mut Dice,
    pool: &[String],
    flow_id: &str,
    version: i64,
    started_at: i64,
) -> ChatStart {
    let mut events = Vec::with_capacity(16);
    let mut at = started_at;
    events.push(event(
        at,
        "node_entered",
        "greeting",
        json!({ "node_type": "say" }),
    ));
    events.push(event(
        at,
        "said",
        "greeting",
        json!({ "text": "您好，这里是演示商城" }),
    ));
    for _ in 0..2 + dice.roll(2) {
        at += 5_000 + dice.roll(20_000) as i64;
        events.push(event(
            at,
            "node_entered",
            "ask_need",
            json!({ "node_type": "ask" }),
        ));
        events.push(event(
            at,
            "said",
            "ask_need",
            json!({ "text": "请问有什么可以帮您？" }),
        ));
        if dice.roll(5) == 0 {
            let text = unheard_text(dice, pool);
            events.push(event(
                at,
                "no_match",
                "ask_need",
                json!({ "count": 1, "text": text }),
            ));
        } else {
            let intent = INTENTS[dice.roll(INTENTS.len() as u64) as usize];
            events.push(event(
                at,
                "heard",
                "ask_need",
                json!({ "text": "查订单", "intent": intent, "score": 0.9 }),
            ));
        }
        if dice.roll(3) == 0 {
            let entry = format!("e{}", dice.roll(60));
            events.push(event(
                at,
                "kb_answered",
                "faq",
                json!({ "knowledge_base": "shop-faq", "entry": entry, "score": 0.8 }),
            ));
            events.push(event(at, "kb_feedback", "faq", json!({ "knowledge_base": "shop-faq", "entry": entry, "helpful": dice.roll(4) != 0 })));
        }
    }
    let outcome = match dice.roll(10) {
        0..=5 => CallOutcome::Resolved,
        6 | 7 => {
            events.push(event(
                at,
                "node_entered",
                "handoff_agent",
                json!({ "node_type": "handoff" }),
            ));
            events.push(event(
                at,
                "transfer",
                "handoff_agent",
                json!({ "target": { "queue": "orders" }, "summary": "" }),
            ));
            CallOutcome::Handoff
        }
        8 => CallOutcome::Abandoned,
        _ => CallOutcome::Failed,
    };
    at += 2_000;
    events.push(event(
        at,
        "ended",
        "bye",
        json!({ "outcome": outcome.as_str() }),
    ));
    ChatStart {
        call_id: Store::new_call_id(),
        session_id: Store::new_chat_session_id(),
        flow_id: flow_id.to_owned(),
        flow_version: Some(version),
        channel: if dice.roll(3) == 0 {
            Channel::Phone
        } else {
            Channel::Chat
        },
        direction: Direction::Inbound,
        from_number: None,
        to_number: None,
        call_sid: None,
        customer_id: None,
        started_at,
        snapshot: "{}".to_owned(),
        knowledge: None,
        events,
        end: Some(CallEnd {
            ended_at: at,
            outcome,
            summary: None,
            duration_ms: at - started_at,
        }),
        counted: None,
        open_limit: None,
    }
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A tenant with two flows of two versions each; answers the tenant and its flows.
async fn tenant(store: &Store, name: &str, now: i64) -> Result<(String, Vec<String>), Failure> {
    let mut transaction = store.transaction().await?;
    let tenant = transaction
        .create_tenant(
            name,
            &format!("{}-{now}", name.to_lowercase()),
            &TenantSettings::default(),
            now,
        )
        .await?;
    let mut flows = Vec::new();
    for flow_name in ["订单查询", "售后"] {
        let draft = json!({ "name": flow_name, "nodes": [] });
        let flow = transaction
            .create_flow(
                &tenant.id,
                &NewFlow {
                    name: flow_name,
                    draft: &draft,
                },
                now,
            )
            .await?;
        for version in 1..=2 {
            transaction
                .publish_flow(
                    &tenant.id,
                    &flow.id,
                    flow.revision,
                    "bench",
                    "bench",
                    now + version,
                )
                .await?;
        }
        flows.push(flow.id);
    }
    transaction.commit().await?;
    Ok((tenant.id, flows))
}

async fn load(
    store: &Store,
    tenant_id: &str,
    flows: &[String],
    calls: u64,
    concurrency: usize,
    seed: u64,
    now: i64,
) -> Result<usize, Failure> {
    let mut dice = Dice(seed);
    let pool = unheard_pool();
    let mut running = tokio::task::JoinSet::new();
    let mut chats = 0;
    for n in 0..calls {
        // Oldest first, as a server meets them: a day's rows are written on that day.
        let day = (DAYS - 1 - n * DAYS / calls) as i64;
        let started_at = now - day * DAY_MS - dice.roll(DAY_MS as u64) as i64;
        let flow = &flows[dice.roll(flows.len() as u64) as usize];
        let version = 1 + dice.roll(2) as i64;
        let mut start = conversation(&mut dice, &pool, flow, version, started_at);
        // As the server that took a chat's turns counts it when it ends.
        if start.channel == Channel::Chat {
            let mut seen = Seen::default();
            for event in &start.events {
                seen.new_event(event);
            }
            start.counted = rollup::at_end(&start.record(tenant_id), &seen, DEFAULT_TIME_ZONE);
            chats += usize::from(start.counted.is_some());
        }
        let (writer, tenant) = (store.clone(), tenant_id.to_owned());
        running.spawn(async move { writer.start_chat(&tenant, start).await });
        while running.len() >= concurrency {
            if let Some(done) = running.join_next().await {
                done??;
            }
        }
        // What the server's roll-up job does every 2 s: add the ended chats' counts that wait
        // for it (PostgreSQL).
        if n % 2_000 == 1_999 {
            store.write_ended_chat_counts().await?;
        }
        if n % 100_000 == 99_999 {
            eprintln!("  {} conversations written", n + 1);
        }
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    store.write_ended_chat_counts().await?;
    Ok(chats)
}

/// The measured tenant of a database filled before, and its flows in the order they were made.
async fn measured_tenant(store: &Store) -> Result<(String, Vec<String>), Failure> {
    let tenant = store
        .list_tenants()
        .await?
        .into_iter()
        .filter(|tenant| tenant.name == "Measured")
        .max_by_key(|tenant| tenant.created_at)
        .ok_or("no measured tenant: run without --reports-only first")?;
    let mut flows = store.list_flows(&tenant.id, None).await?;
    flows.sort_by_key(|flow| flow.name != "订单查询");
    Ok((tenant.id, flows.into_iter().map(|flow| flow.id).collect()))
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    let index = ((times.len() as f64 - 1.0) * p).round() as usize;
    times.get(index).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args = Args::parse();
    let store = Store::connect(&args.database).await?;
    store.migrate().await?;
    let now = server::store::now_ms();

    let (tenant_id, flows) = match args.reports_only {
        true => measured_tenant(&store).await?,
        false => {
            let noise_calls = args.noise_calls.unwrap_or(args.calls / 10);
            let began = Instant::now();
            let (tenant_id, flows) = tenant(&store, "Measured", now).await?;
            let mut chats = load(
                &store,
                &tenant_id,
                &flows,
                args.calls,
                args.concurrency,
                0x5EED,
                now,
            )
            .await?;
            for noise in 0..args.noise_tenants {
                let (other, other_flows) = tenant(&store, &format!("Noise{noise}"), now).await?;
                chats += load(
                    &store,
                    &other,
                    &other_flows,
                    noise_calls,
                    args.concurrency,
                    noise + 1,
                    now,
                )
                .await?;
            }
            let total = args.calls + args.noise_tenants * noise_calls;
            let written = began.elapsed();
            println!(
                "wrote {total} conversations ({chats} chats counted as they ended) in {:.1} s ({:.0}/s)",
                written.as_secs_f64(),
                total as f64 / written.as_secs_f64()
            );

            let began = Instant::now();
            let mut counted = 0;
            loop {
                let n = rollup::roll_up(&store).await?;
                if n == 0 {
                    break;
                }
                counted += n;
            }
            let rolled = began.elapsed();
            println!(
                "the roll-up task counted {counted} conversations (the phone calls) in {:.1} s ({:.0}/s)",
                rolled.as_secs_f64(),
                counted as f64 / rolled.as_secs_f64()
            );
            (tenant_id, flows)
        }
    };
    // What the server's statistics job does every 2 s (PostgreSQL plans by them).
    store.refresh_statistics().await?;
    if store.backend() == server::store::Backend::Postgres {
        // What autovacuum does to a table this written (it is on by default; a database where
        // it is off answers slower): a page read the first time after its rows were written
        // has them checked against the commit log and is written again.
        let mut connection =
            <sqlx::AnyConnection as sqlx::Connection>::connect(&args.database).await?;
        sqlx::query("VACUUM ANALYZE")
            .execute(&mut connection)
            .await?;
    }
    let day = |back: u64| {
        server::analytics::tally::local_day_hour(DEFAULT_TIME_ZONE, now - back as i64 * DAY_MS).0
    };
    let week = AnalyticsFilter {
        tenant_id: tenant_id.clone(),
        from_day: day(6),
        to_day: day(0),
        ..AnalyticsFilter::default()
    };
    let quarter = AnalyticsFilter {
        from_day: day(DAYS - 1),
        ..week.clone()
    };
    let one_flow = AnalyticsFilter {
        flow_id: Some(flows[0].clone()),
        version: Some(2),
        ..quarter.clone()
    };
    println!("{:<34} {:>10} {:>10}", "report", "p50 ms", "p95 ms");
    for (name, filter) in [
        ("last 7 days", &week),
        ("last 90 days", &quarter),
        ("90 days, one flow version", &one_flow),
    ] {
        let calls = CallFilter {
            flow_id: filter.flow_id.clone(),
            flow_version: filter.version,
            from_ms: Some(
                now - if filter.from_day == week.from_day {
                    7
                } else {
                    DAYS as i64
                } * DAY_MS,
            ),
            ..CallFilter::default()
        };
        let handed = CallFilter {
            outcome: Some(CallOutcome::Handoff),
            channel: Some(Channel::Phone),
            ..calls.clone()
        };
        for report_name in [
            "overview",
            "funnel",
            "unheard",
            "knowledge",
            "results",
            "calls list",
            "calls list, handoffs by phone",
            "transcript",
        ] {
            let mut times = Vec::with_capacity(args.repeat);
            for _ in 0..args.repeat {
                let began = Instant::now();
                match report_name {
                    "overview" => drop(report::overview(&store, filter).await?),
                    "funnel" => drop(report::funnel(&store, filter).await?),
                    "unheard" => drop(report::unheard(&store, filter, 50).await?),
                    "knowledge" => drop(report::knowledge(&store, filter).await?),
                    "results" => drop(results::results(&store, filter).await?),
                    "calls list" | "transcript" => {
                        let page = store.list_calls(&tenant_id, &calls, None, 50).await?;
                        if report_name == "transcript" {
                            // The page a manager opens from the list: the newest call's events.
                            let newest = page.calls.first().ok_or("no calls listed")?;
                            drop(store.get_call(&tenant_id, &newest.id).await?);
                        }
                    }
                    _ => drop(store.list_calls(&tenant_id, &handed, None, 50).await?),
                }
                times.push(began.elapsed());
            }
            let p50 = percentile(&mut times, 0.5);
            let p95 = percentile(&mut times, 0.95);
            println!(
                "{:<34} {:>10.1} {:>10.1}",
                format!("{report_name}, {name}"),
                p50.as_secs_f64() * 1000.0,
                p95.as_secs_f64() * 1000.0
            );
        }
    }
    Ok(())
}
