//! Outbound campaigns against the real server and the fake Twilio, on SQLite and PostgreSQL,
//! on a simulated clock that runs many times faster than the wall clock: a thousand members
//! called within the calling hours across a national holiday, busy lines retried, voicemail
//! hung up on, the do-not-call list honoured at the moment of dialing; a birthday campaign
//! that calls today's birthdays and lists whoever says no; a server restarted mid-campaign and
//! two servers sharing the queue, with nobody dialled twice and nobody left out. Ignored
//! (`load::`): the runner's decisions per second with 100,000 contacts queued, and the calls
//! per second it achieves against its pacing on the system clock, for BENCHMARKS.md.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use callflow_tests::app::TestApp;
use callflow_tests::fakes::twilio::{Answer, Caller, FakeTwilio, Step};
use callflow_tests::on_both_databases;
use callflow_tests::phone_shop::PhoneShop as Shop;
use chrono::TimeZone;
use reqwest::Method;
use serde_json::{json, Value};
use server::clock::Clock;

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// Simulated seconds per wall-clock tick of [`SimulatedTime`].
const SIMULATED_STEP_MS: i64 = 2_000;
const TICK: Duration = Duration::from_millis(50);

fn shanghai(date: (i32, u32, u32), hour: u32, minute: u32) -> i64 {
    SHANGHAI
        .with_ymd_and_hms(date.0, date.1, date.2, hour, minute, 0)
        .single()
        .expect("a moment")
        .timestamp_millis()
}

/// A manual clock moved on by a task: 2 simulated seconds every 50 ms (40× the wall clock).
struct SimulatedTime {
    clock: Clock,
    task: tokio::task::JoinHandle<()>,
}

impl SimulatedTime {
    fn start(clock: Clock) -> SimulatedTime {
        let running = clock.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(TICK).await;
                running.set(running.now_ms() + SIMULATED_STEP_MS);
            }
        });
        SimulatedTime { clock, task }
    }

    fn jump(&self, to_ms: i64) {
        self.clock.set(to_ms);
    }
}

impl Drop for SimulatedTime {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn request(
    app: &TestApp,
    method: Method,
    key: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    app.api(method, key, path, body).await
}

/// A shop with a Twilio account (the fake), a number, and `flow` published, on `clock`.
async fn shop(app: &mut TestApp, flow: &str, clock: &Clock) -> Shop {
    let path = callflow_tests::root().join("flows").join(flow);
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("JSON");
    let clock = clock.clone();
    let telephony = json!({ "speech": { "tts": { "provider": "twilio" } } });
    Shop::open(
        app,
        "Campaign Shop",
        &document,
        "webhook",
        telephony,
        |config| {
            config.clock = clock;
        },
    )
    .await
}

/// The dashboard's campaigns page as the shop's owner reads it in Chinese.
async fn campaigns_dashboard_in_chinese(app: &TestApp, shop: &Shop) -> String {
    let owner = app
        .person(
            &shop.tenant.id,
            "owner@example.com",
            "店主",
            server::store::Role::Owner,
        )
        .await;
    let response = app
        .client
        .get(app.url("/dashboard/campaigns"))
        .header("cookie", format!("{}; callflow_lang=zh-CN", owner.cookie))
        .send()
        .await
        .expect("dashboard");
    assert_eq!(response.status(), 200);
    response.text().await.expect("html")
}

/// A contact list from CSV text.
async fn list(app: &TestApp, key: &str, csv: &str) -> String {
    let (status, body) = request(
        app,
        Method::POST,
        key,
        "/contact-lists",
        Some(&json!({ "name": "会员" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let response = app
        .client
        .post(app.url(&format!("/api/v1/contact-lists/{id}/import")))
        .bearer_auth(key)
        .header("Content-Type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .expect("import");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    assert_eq!(status, 200, "{text}");
    id
}

fn phone(index: usize) -> String {
    format!("+86138001{index:05}")
}

async fn campaign(app: &TestApp, shop: &Shop, list_id: &str, settings: Value) -> String {
    let (status, body) = request(
        app,
        Method::POST,
        &shop.tenant.owner_key,
        "/campaigns",
        Some(
            &json!({ "name": "满意度回访", "flow_id": shop.flow_id, "list_id": list_id,
                      "settings": settings }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "draft");
    body["id"].as_str().expect("id").to_owned()
}

async fn steer(app: &TestApp, key: &str, id: &str, action: &str) -> (u16, Value) {
    request(
        app,
        Method::POST,
        key,
        &format!("/campaigns/{id}/{action}"),
        None,
    )
    .await
}

async fn progress(app: &TestApp, key: &str, id: &str) -> Value {
    let (status, body) = request(
        app,
        Method::GET,
        key,
        &format!("/campaigns/{id}/progress"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits (wall clock) until `done` says so of the campaign's progress, or fails.
async fn wait_for(
    app: &TestApp,
    key: &str,
    id: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let now = progress(app, key, id).await;
        if done(&now) {
            return now;
        }
        if tokio::time::Instant::now() >= deadline {
            let contacts = contacts(app, key, id).await;
            panic!("the campaign did not get there in time: {now}\n{contacts:#?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every contact's results, all pages.
async fn contacts(app: &TestApp, key: &str, id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let path = format!("/campaigns/{id}/contacts?limit=500&offset={}", all.len());
        let (status, body) = request(app, Method::GET, key, &path, None).await;
        assert_eq!(status, 200, "{body}");
        let page = body["contacts"].as_array().expect("contacts").clone();
        let total = body["total"].as_u64().expect("total") as usize;
        all.extend(page);
        if all.len() >= total {
            return all;
        }
    }
}

/// What each member of the big list does when called: index `i`'s behaviour.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Member {
    /// Answers and gives this score.
    Scores(u32),
    Busy,
    NoAnswer,
    Machine,
    Fails,
    /// On the do-not-call list before the campaign starts.
    Listed,
    /// Put on the do-not-call list after the campaign starts, before the day it is called.
    ListedLater,
}

fn member(index: usize) -> Member {
    match index % 25 {
        0 => Member::Busy,
        1 => Member::NoAnswer,
        2 => Member::Machine,
        3 => Member::Fails,
        4 => Member::Listed,
        5 => Member::ListedLater,
        other => Member::Scores((other * 7 % 11) as u32),
    }
}

fn answer(member: Member) -> Answer {
    match member {
        Member::Scores(score) => {
            let why = if score >= 7 {
                "物流很快"
            } else {
                "包装破损"
            };
            Answer::Human(Caller::new(vec![
                Step::Press(format!("{score}#")),
                Step::Say(why.to_owned()),
            ]))
        }
        Member::Busy => Answer::Busy,
        Member::NoAnswer => Answer::NoAnswer,
        Member::Machine => Answer::Machine(Caller::new(vec![])),
        Member::Fails => Answer::Failed,
        Member::Listed | Member::ListedLater => Answer::Human(Caller::new(vec![])),
    }
}

/// Whether a moment is one a campaign with the default hours may dial at: 09:00 to 19:59
/// Shanghai time, not on a statutory day off.
fn within_hours(at_ms: i64) -> bool {
    use chrono::Timelike;
    let local = chrono::DateTime::from_timestamp_millis(at_ms)
        .expect("moment")
        .with_timezone(&SHANGHAI);
    let calendar = server::campaigns::calendar::Calendar::new("CN", Vec::new());
    let off = matches!(
        calendar.day(local.date_naive()),
        server::campaigns::calendar::DayKind::DayOff { .. }
    );
    let minute = local.hour() * 60 + local.minute();
    !off && (9 * 60..19 * 60 + 59).contains(&minute)
}

const MEMBERS: usize = 1_000;

async fn a_thousand_members_are_called_within_hours_across_a_holiday(mut app: TestApp) -> TestApp {
    // The evening before the National Day holiday (1–7 October 2026).
    let clock = Clock::manual(shanghai((2026, 9, 30), 19, 40));
    let shop = shop(&mut app, "satisfaction-survey.json", &clock).await;
    let key = shop.tenant.owner_key.clone();
    let mut csv = String::from("phone,name,vip\n");
    for index in 0..MEMBERS {
        csv.push_str(&format!("{},会员{index},yes\n", phone(index)));
        shop.twilio
            .on_outbound(&phone(index), answer(member(index)));
    }
    let list_id = list(&app, &key, &csv).await;
    for index in (0..MEMBERS).filter(|i| member(*i) == Member::Listed) {
        let (status, body) = request(
            &app,
            Method::POST,
            &key,
            "/do-not-call",
            Some(&json!({ "phone": phone(index) })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let id = campaign(
        &app,
        &shop,
        &list_id,
        json!({
            "pacing": { "max_concurrent": 20, "calls_per_second": 2.0,
                        "carrier_calls_per_second": 5.0 },
            "retries": { "busy": { "max": 1, "delay_minutes": 30 },
                         "no_answer": { "max": 0, "delay_minutes": 60 },
                         "failed": { "max": 0, "delay_minutes": 10 },
                         "voicemail": { "max": 0, "delay_minutes": 60 },
                         "backoff": 2.0, "max_attempts": 3 },
            "cap": { "calls": 2, "days": 7 },
            "machine": { "action": "hang_up" }
        }),
    )
    .await;
    let (status, body) = steer(&app, &key, &id, "start").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("running")),
        "{body}"
    );
    let time = SimulatedTime::start(clock.clone());
    // Twenty simulated minutes of the evening: calls until 19:59, then none.
    wait_for(&app, &key, &id, Duration::from_secs(120), |_| {
        clock.now_ms() >= shanghai((2026, 9, 30), 20, 5)
    })
    .await;
    let evening = shop.twilio.outbound_calls().await.len();
    assert!(evening > 0, "some members are called on the evening");
    assert!(evening < MEMBERS, "not all of them in twenty minutes");
    // Those left for later get on the list meanwhile: the list is read when dialing.
    let called: std::collections::HashSet<String> = shop
        .twilio
        .outbound_calls()
        .await
        .into_iter()
        .map(|call| call.to)
        .collect();
    let mut listed_later = Vec::new();
    for index in (0..MEMBERS).filter(|i| member(*i) == Member::ListedLater) {
        if !called.contains(&phone(index)) {
            let (status, _) = request(
                &app,
                Method::POST,
                &key,
                "/do-not-call",
                Some(&json!({ "phone": phone(index) })),
            )
            .await;
            assert_eq!(status, 200);
            listed_later.push(phone(index));
        }
    }
    assert!(!listed_later.is_empty());
    // National Day, in the middle of the day: nobody is called.
    time.jump(shanghai((2026, 10, 3), 10, 0));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(shop.twilio.outbound_calls().await.len(), evening);
    // The first working morning after the holiday: the rest, then the busy ones again.
    time.jump(shanghai((2026, 10, 8), 8, 58));
    let done = wait_for(&app, &key, &id, Duration::from_secs(600), |progress| {
        progress["remaining"] == 0
    })
    .await;
    drop(time);
    let (_, campaign) = request(&app, Method::GET, &key, &format!("/campaigns/{id}"), None).await;
    assert_eq!(campaign["status"], "completed", "{campaign}");

    let results = contacts(&app, &key, &id).await;
    assert_eq!(results.len(), MEMBERS);
    let mut expected_scores = Vec::new();
    let mut dial_times = Vec::new();
    for contact in &results {
        let number = contact["phone"].as_str().expect("phone");
        let index: usize = number[9..].parse().expect("index");
        let attempts = contact["attempts"].as_array().expect("attempts");
        dial_times.extend(
            attempts
                .iter()
                .map(|a| a["started_at"].as_i64().expect("at")),
        );
        let status = contact["final_status"].as_str().expect("done");
        match member(index) {
            Member::Scores(score) => {
                assert_eq!(status, "completed", "{contact}");
                assert_eq!(attempts.len(), 1, "{contact}");
                assert_eq!(contact["results"]["score"], json!(score), "{contact}");
                expected_scores.push(score);
            }
            Member::Busy => {
                assert_eq!((status, attempts.len()), ("busy", 2), "{contact}");
                let gap = attempts[1]["started_at"].as_i64().expect("at")
                    - attempts[0]["started_at"].as_i64().expect("at");
                assert!(gap >= 30 * 60_000, "retried after its delay: {contact}");
            }
            Member::NoAnswer => assert_eq!((status, attempts.len()), ("no_answer", 1)),
            Member::Machine => assert_eq!((status, attempts.len()), ("voicemail", 1)),
            Member::Fails => assert_eq!((status, attempts.len()), ("failed", 1)),
            Member::Listed => assert_eq!((status, attempts.len()), ("do_not_call", 0)),
            Member::ListedLater if listed_later.contains(&number.to_owned()) => {
                assert_eq!((status, attempts.len()), ("do_not_call", 0), "{contact}")
            }
            Member::ListedLater => assert_eq!(status, "completed"),
        }
    }
    // Nobody dialled outside the hours, on a holiday, or to a number on the list.
    for at in &dial_times {
        assert!(within_hours(*at), "a dial at {at}");
    }
    let placed = shop.twilio.outbound_calls().await;
    assert_eq!(
        placed.len(),
        dial_times.len(),
        "every dial is one carrier call"
    );
    let mut per_number: HashMap<String, usize> = HashMap::new();
    for call in &placed {
        *per_number.entry(call.to.clone()).or_default() += 1;
        let index: usize = call.to[9..].parse().expect("index");
        assert_ne!(member(index), Member::Listed, "{}", call.to);
        assert!(!listed_later.contains(&call.to), "{}", call.to);
    }
    // A machine was hung up on, saying nothing.
    let machine = placed
        .iter()
        .find(|call| member(call.to[9..].parse().expect("i")) == Member::Machine)
        .expect("a machine was called");
    assert!(machine.log.as_ref().expect("log").said().is_empty());
    assert_eq!(done["opted_out"], 0);
    // The survey report, from what the members said.
    let (status, report) = request(
        &app,
        Method::GET,
        &key,
        &format!("/campaigns/{id}/report"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    // Each result by the name the flow gives it, in the flow's order.
    let named: Vec<(&str, &str)> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            let var = result["var"].as_str().expect("var");
            (var, result["label"].as_str().expect("a label"))
        })
        .collect();
    assert_eq!(
        named,
        [
            ("score", "满意度评分"),
            ("liked", "满意的地方"),
            ("reason", "不满意的原因")
        ],
        "{report}"
    );
    let score = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|result| result["var"] == "score")
        .expect("a score result");
    assert_eq!(score["count"], json!(expected_scores.len()));
    let promoters = expected_scores.iter().filter(|s| **s >= 9).count() as f64;
    let detractors = expected_scores.iter().filter(|s| **s <= 6).count() as f64;
    let nps = (promoters - detractors) / expected_scores.len() as f64 * 100.0;
    assert!(
        (score["nps"].as_f64().expect("nps") - nps).abs() < 1e-9,
        "{score}"
    );
    // The export, headed in Chinese, a row per member.
    let response = app
        .client
        .get(app.url(&format!("/api/v1/campaigns/{id}/export?format=csv")))
        .bearer_auth(&key)
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("csv");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().expect("header"),
        "电话,姓名,日期,状态,拨打次数,通话结果,同意来源,同意时间,满意度评分,满意的地方,不满意的原因",
        "results are headed by their labels, never their variables"
    );
    assert_eq!(lines.count(), MEMBERS);
    // The contacts table's result columns, named the same.
    let (status, page) = request(
        &app,
        Method::GET,
        &key,
        &format!("/campaigns/{id}/contacts?limit=100"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["columns"],
        json!([
            { "var": "score", "label": "满意度评分" },
            { "var": "liked", "label": "满意的地方" },
            { "var": "reason", "label": "不满意的原因" }
        ]),
        "{}",
        page["columns"]
    );
    // The dashboard's campaigns page heads the report's results the same way.
    let html = campaigns_dashboard_in_chinese(&app, &shop).await;
    for label in ["满意度评分", "满意的地方", "不满意的原因"] {
        assert!(
            html.contains(&format!("data-testid=\"result-label\">{label}</span>")),
            "{label} in {html}"
        );
    }
    app
}

async fn a_birthday_campaign_calls_todays_birthdays_and_lists_who_says_no(
    mut app: TestApp,
) -> TestApp {
    let clock = Clock::manual(shanghai((2026, 12, 8), 10, 0));
    let shop = shop(&mut app, "birthday-care.json", &clock).await;
    let key = shop.tenant.owner_key.clone();
    // The shop requires every outbound call to say first that a robot is calling.
    let notice = "您好，这是演示商城的智能客服来电，本次通话会被录音。";
    let (status, body) = request(
        &app,
        Method::PUT,
        &key,
        "/tenant/profile",
        Some(
            &json!({ "display_name": { "zh-CN": "演示商城", "en": "Demo Shop" },
                      "time_zone": "Asia/Shanghai", "region": "CN",
                      "outbound_notice": { "zh-CN": notice,
                                           "en": "This is Demo Shop's automated assistant." } }),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The lunar month and day 2026-12-08 falls on, as the server's calendar reads it.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 8).expect("date");
    let lunar_today = (1..=12)
        .flat_map(|month| (1..=30).map(move |day| format!("L{month:02}-{day:02}")))
        .find(|value| {
            use server::campaigns::dates::{due, Trigger};
            matches!(due(Trigger::LunarBirthday, value, today), Ok(Some(_)))
        })
        .expect("a lunar date falls on 8 December");
    let csv = format!(
        "phone,name,birthday,lunar\n\
         +8613800200001,林女士,1990-12-08,\n\
         +8613800200002,陈先生,1985/12/08,\n\
         +8613800200003,王女士,1992-12-09,\n\
         +8613800200004,赵先生,,{lunar_today}\n"
    );
    let list_id = list(&app, &key, &csv).await;
    shop.twilio.on_outbound(
        "+8613800200001",
        Answer::Human(Caller::new(vec![Step::Say("谢谢".into())])),
    );
    shop.twilio.on_outbound(
        "+8613800200002",
        Answer::Human(Caller::new(vec![Step::Say("不要再打了".into())])),
    );
    for other in ["+8613800200003", "+8613800200004"] {
        shop.twilio.on_outbound(
            other,
            Answer::Human(Caller::new(vec![Step::Say("谢谢".into())])),
        );
    }
    let solar = campaign(
        &app,
        &shop,
        &list_id,
        json!({ "trigger": { "field": "birthday", "kind": "birthday" },
                "pacing": { "calls_per_second": 5.0, "carrier_calls_per_second": 5.0 } }),
    )
    .await;
    let (status, body) = steer(&app, &key, &solar, "start").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "date");
    // A lunar birthday campaign on the same list calls 赵先生 on his lunar birthday.
    let lunar = campaign(
        &app,
        &shop,
        &list_id,
        json!({ "trigger": { "field": "lunar", "kind": "lunar_birthday" },
                "pacing": { "calls_per_second": 5.0, "carrier_calls_per_second": 5.0 } }),
    )
    .await;
    steer(&app, &key, &lunar, "start").await;
    let time = SimulatedTime::start(clock.clone());
    wait_for(&app, &key, &solar, Duration::from_secs(60), |progress| {
        progress["contacts"] == 2 && progress["remaining"] == 0
    })
    .await;
    let lunar_progress = wait_for(&app, &key, &lunar, Duration::from_secs(60), |progress| {
        progress["contacts"] == 1 && progress["remaining"] == 0
    })
    .await;
    assert_eq!(lunar_progress["completed"], 1, "{lunar_progress}");
    let called: Vec<String> = shop
        .twilio
        .outbound_calls()
        .await
        .into_iter()
        .map(|call| call.to)
        .collect();
    assert_eq!(called.len(), 3, "{called:?}");
    for number in ["+8613800200001", "+8613800200002", "+8613800200004"] {
        assert!(called.contains(&number.to_owned()), "{number}: {called:?}");
    }
    for call in shop.twilio.outbound_calls().await {
        let log = call.log.expect("finished");
        let said = log.said();
        assert_eq!(said.first().copied(), Some(notice), "{said:?}");
    }
    let results = contacts(&app, &key, &solar).await;
    let by_phone: BTreeMap<&str, &Value> = results
        .iter()
        .map(|contact| (contact["phone"].as_str().expect("phone"), contact))
        .collect();
    assert_eq!(by_phone["+8613800200001"]["occurrence"], "2026-12-08");
    assert_eq!(by_phone["+8613800200002"]["final_status"], "opted_out");
    let (_, listed) = request(&app, Method::GET, &key, "/do-not-call?search=200002", None).await;
    assert_eq!(listed["total"], 1, "{listed}");
    // The next day: the 9 December birthday, and nobody twice.
    time.jump(shanghai((2026, 12, 9), 9, 30));
    wait_for(&app, &key, &solar, Duration::from_secs(60), |progress| {
        progress["contacts"] == 3 && progress["remaining"] == 0
    })
    .await;
    let calls = shop.twilio.outbound_calls().await;
    assert_eq!(calls.len(), 4);
    assert_eq!(calls.last().expect("a call").to, "+8613800200003");
    drop(time);
    // The dashboard shows both campaigns with their figures, in Chinese.
    let html = campaigns_dashboard_in_chinese(&app, &shop).await;
    assert_eq!(
        html.matches("data-testid=\"campaign\"").count(),
        2,
        "{html}"
    );
    for words in ["外呼活动", "进行中", "已拨打", "要求不再来电", "已完成"] {
        assert!(html.contains(words), "{words} in {html}");
    }
    app
}

/// A list of `n` members who all answer and score 9.
async fn answering_list(app: &TestApp, shop: &Shop, n: usize) -> String {
    let mut csv = String::from("phone,name\n");
    for index in 0..n {
        csv.push_str(&format!("{},会员{index}\n", phone(index)));
        shop.twilio.on_outbound(
            &phone(index),
            Answer::Human(Caller::new(vec![
                Step::Press("9#".into()),
                Step::Say("很好".into()),
            ])),
        );
    }
    list(app, &shop.tenant.owner_key, &csv).await
}

/// Each number the carrier was asked to call, and how often.
async fn dials_per_number(twilio: &FakeTwilio) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in twilio.outbound_calls().await {
        *counts.entry(call.to).or_default() += 1;
    }
    counts
}

async fn a_restart_mid_campaign_repeats_no_dial_and_loses_nobody(mut app: TestApp) -> TestApp {
    let clock = Clock::manual(shanghai((2026, 12, 8), 10, 0));
    let shop = shop(&mut app, "satisfaction-survey.json", &clock).await;
    let key = shop.tenant.owner_key.clone();
    let members = 60;
    let list_id = answering_list(&app, &shop, members).await;
    let id = campaign(
        &app,
        &shop,
        &list_id,
        json!({ "pacing": { "max_concurrent": 6, "calls_per_second": 3.0,
                            "carrier_calls_per_second": 3.0 } }),
    )
    .await;
    steer(&app, &key, &id, "start").await;
    let time = SimulatedTime::start(clock.clone());
    wait_for(&app, &key, &id, Duration::from_secs(60), |progress| {
        progress["dialed"].as_i64().unwrap_or(0) >= 15
    })
    .await;
    app.restart().await;
    let done = wait_for(&app, &key, &id, Duration::from_secs(180), |progress| {
        progress["remaining"] == 0
    })
    .await;
    drop(time);
    assert_eq!(done["completed"], json!(members), "nobody is lost: {done}");
    // Every carrier call is a dial the campaign wrote down first; a second dial to anyone is
    // the retry of a call that failed on this side (its server restarting as the carrier asked
    // what to say), made after the retry's delay — never a dial repeated by the restart.
    let results = contacts(&app, &key, &id).await;
    let attempts: usize = results
        .iter()
        .map(|contact| contact["attempts"].as_array().expect("attempts").len())
        .sum();
    let counts = dials_per_number(&shop.twilio).await;
    assert_eq!(counts.len(), members);
    assert_eq!(counts.values().sum::<usize>(), attempts, "{counts:?}");
    let mut retried = 0;
    for contact in &results {
        let dials = contact["attempts"].as_array().expect("attempts");
        if dials.len() > 1 {
            retried += 1;
            assert_eq!(dials.len(), 2, "{contact}");
            assert_eq!(dials[0]["result"], "failed", "{contact}");
            let gap = dials[1]["started_at"].as_i64().expect("at")
                - dials[0]["started_at"].as_i64().expect("at");
            assert!(gap >= 10 * 60_000, "{contact}");
        }
    }
    assert!(
        retried <= 6,
        "only calls in flight at the restart: {retried}"
    );
    app
}

async fn two_servers_share_the_queue_without_double_dials(mut app: TestApp) -> TestApp {
    let clock = Clock::manual(shanghai((2026, 12, 8), 10, 0));
    let shop = shop(&mut app, "satisfaction-survey.json", &clock).await;
    let key = shop.tenant.owner_key.clone();
    let members = 80;
    let list_id = answering_list(&app, &shop, members).await;
    let mut config = app.config.clone();
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let second = server::app::start(&config).await.expect("a second server");
    let id = campaign(
        &app,
        &shop,
        &list_id,
        json!({ "pacing": { "max_concurrent": 10, "calls_per_second": 5.0,
                            "carrier_calls_per_second": 5.0 } }),
    )
    .await;
    steer(&app, &key, &id, "start").await;
    let time = SimulatedTime::start(clock.clone());
    let done = wait_for(&app, &key, &id, Duration::from_secs(180), |progress| {
        progress["remaining"] == 0
    })
    .await;
    drop(time);
    second.stop().await.expect("the second server stops");
    let counts = dials_per_number(&shop.twilio).await;
    assert_eq!(counts.len(), members, "{done}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    // Both servers dialled: the carrier's callbacks name the server that placed each call.
    let servers: std::collections::HashSet<String> = shop
        .twilio
        .outbound_calls()
        .await
        .iter()
        .filter_map(|call| {
            let url = call.param("StatusCallback")?;
            let host = url.strip_prefix("http://")?;
            Some(host.split('/').next()?.to_owned())
        })
        .collect();
    assert_eq!(servers.len(), 2, "{servers:?}");
    app
}

async fn campaigns_refuse_what_they_cannot_do(mut app: TestApp) -> TestApp {
    let clock = Clock::manual(shanghai((2026, 12, 8), 10, 0));
    let shop = shop(&mut app, "satisfaction-survey.json", &clock).await;
    let key = shop.tenant.owner_key.clone();
    let list_id = answering_list(&app, &shop, 2).await;
    // Every wrong field named, in Chinese.
    let response = app
        .client
        .post(app.url("/api/v1/campaigns"))
        .bearer_auth(&key)
        .header("Accept-Language", "zh-CN")
        .json(&json!({ "name": "", "flow_id": "nope", "list_id": "nope",
                       "settings": { "schedule": { "windows": [{ "start": "21:00", "end": "20:00" }] },
                                     "pacing": { "max_concurrent": 0 } } }))
        .send()
        .await
        .expect("create");
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("problem");
    assert_eq!(problem["code"], "invalid_campaign");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["field"].as_str())
        .collect();
    for field in [
        "/name",
        "/flow_id",
        "/list_id",
        "/settings/schedule/windows/0",
        "/settings/pacing/max_concurrent",
    ] {
        assert!(fields.contains(&field), "{field}: {problem}");
    }
    assert!(problem["detail"]
        .as_str()
        .expect("detail")
        .contains("外呼活动"));
    // An editor builds campaigns but cannot make one ring phones.
    let editor = app.key(&shop.tenant.id, server::store::Role::Editor).await;
    let id = campaign(&app, &shop, &list_id, json!({})).await;
    let (status, body) = steer(&app, &editor, &id, "start").await;
    assert_eq!(status, 403, "{body}");
    // Moves that do not fit the status are 409s that say why.
    let (status, body) = steer(&app, &key, &id, "resume").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("wrong_status")),
        "{body}"
    );
    let (status, _) = steer(&app, &key, &id, "start").await;
    assert_eq!(status, 200);
    let (status, body) = request(
        &app,
        Method::DELETE,
        &key,
        &format!("/campaigns/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = steer(&app, &key, &id, "pause").await;
    assert_eq!(status, 200);
    let (status, body) = steer(&app, &editor, &id, "stop").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("stopped")),
        "{body}"
    );
    // Every change is in the audit log.
    let (_, audit) = request(&app, Method::GET, &key, "/audit-log?limit=50", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "campaign.create",
        "campaign.start",
        "campaign.pause",
        "campaign.stop",
    ] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    app
}

on_both_databases!(
    a_thousand_members_are_called_within_hours_across_a_holiday,
    a_birthday_campaign_calls_todays_birthdays_and_lists_who_says_no,
    a_restart_mid_campaign_repeats_no_dial_and_loses_nobody,
    two_servers_share_the_queue_without_double_dials,
    campaigns_refuse_what_they_cannot_do,
);

// Load measurements of the campaign runner, for BENCHMARKS.md ("Campaigns"): ignored, as they
// print figures and take minutes. The server under test keeps a clock frozen in the past, so
// its own runner never finds these contacts due; the measured runner is a second state on the
// same store, with its own clock and a carrier that accepts every call at once.

/// Accepts every call at once, and notes when: the runner's own cost, without a carrier's.
#[derive(Default)]
struct InstantCarrier {
    placed: std::sync::Mutex<Vec<std::time::Instant>>,
}

impl server::telephony::Carrier for InstantCarrier {
    fn place_call<'a>(
        &'a self,
        _account: &'a twilio::Account,
        _call: &'a server::telephony::outbound::CallRequest<'a>,
    ) -> server::telephony::outbound::CarrierFuture<'a> {
        let mut placed = self.placed.lock().expect("not poisoned");
        placed.push(std::time::Instant::now());
        let id = format!("CA{:032}", placed.len());
        Box::pin(async move {
            Ok(server::telephony::outbound::CarrierCall {
                id,
                status: "queued".into(),
            })
        })
    }

    fn fetch_call<'a>(
        &'a self,
        _account: &'a twilio::Account,
        _call_id: &'a str,
    ) -> server::telephony::outbound::CarrierStateFuture<'a> {
        Box::pin(async {
            Ok(server::telephony::outbound::CarrierCallState {
                status: "completed".into(),
                answered_by: None,
                duration_s: Some(1),
            })
        })
    }
}

const QUEUED: usize = 100_000;
const WARM_UP: Duration = Duration::from_secs(5);
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Decisions per second with 100,000 contacts queued, over a minute (or until every one is
/// decided): at 21:30 in Shanghai (outside the
/// default 09:00–20:00), every tenth number on the do-not-call list. Each decision reads the
/// list and the number's recent dials and writes the job back, as one inside hours does
/// before it dials.
async fn decisions_per_second(mut app: TestApp) -> TestApp {
    let frozen = Clock::manual(shanghai((2026, 12, 7), 21, 30));
    let shop = shop(&mut app, "satisfaction-survey.json", &frozen).await;
    let key = shop.tenant.owner_key.clone();
    let list_id = list(&app, &key, &format!("phone,name\n{},会员\n", phone(0))).await;
    let id = campaign(&app, &shop, &list_id, json!({})).await;
    let (status, body) = steer(&app, &key, &id, "start").await;
    assert_eq!(status, 200, "{body}");
    let at = shanghai((2026, 12, 8), 21, 30);
    let number = |index: usize| format!("+86139{index:08}");
    let jobs: Vec<server::store::NewJob> = (0..QUEUED)
        .map(|index| server::store::NewJob {
            contact_id: format!("ctc_bench{index}"),
            phone: number(index),
            name: String::new(),
            occurrence: String::new(),
            due_at: at - 60_000,
        })
        .collect();
    let queued = app
        .store
        .queue_jobs(&shop.tenant.id, &id, &jobs, at)
        .await
        .expect("queued");
    assert_eq!(queued, QUEUED as u64);
    let mut transaction = app.store.transaction().await.expect("transaction");
    for index in (0..QUEUED).step_by(10) {
        let entry = server::store::DoNotCallRow {
            phone: number(index),
            source: "api".into(),
            call_id: None,
            note: String::new(),
            added_by: "system".into(),
            created_at: at - DAY_MS,
        };
        transaction
            .add_do_not_call(&shop.tenant.id, &entry)
            .await
            .expect("listed");
    }
    transaction.commit().await.expect("committed");
    let state = app.state().with_clock(Clock::manual(at));
    let started = std::time::Instant::now();
    let (mut decided, mut passes) = (0, 0);
    // Over a minute at most: the queue stays about 100,000 long meanwhile.
    while started.elapsed() < Duration::from_secs(60) {
        let pass = server::campaigns::runner::run_once(&state)
            .await
            .expect("a pass");
        passes += 1;
        decided += pass.decided;
        assert_eq!(pass.dialed, 0);
        if pass.decided == 0 {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let counts = progress(&app, &key, &id).await;
    println!(
        "{:?}: {decided} decisions in {seconds:.1} s over {passes} passes: {:.0} decisions/s; {}",
        app.store.backend(),
        decided as f64 / seconds,
        counts
    );
    assert!(decided > 0);
    app
}

/// Runs `runners` runners on the system clock, each looking every 50 ms as a server does,
/// for `seconds` from 5 s after the first dial, ending each call as soon as it is dialled; prints the
/// calls per second achieved against `rate`.
async fn pacing(mut app: TestApp, rate: f64, runners: usize, seconds: u64) -> TestApp {
    let now = server::store::now_ms();
    let frozen = Clock::manual(now - 2 * DAY_MS);
    let shop = shop(&mut app, "satisfaction-survey.json", &frozen).await;
    let key = shop.tenant.owner_key.clone();
    // The calls' records stay open (no carrier tells their end): the shop's limit of calls in
    // progress must not be what stops the dialing.
    app.change_settings(&shop.tenant.id, |settings| {
        settings.quotas.concurrent_calls = Some(1_000_000);
    })
    .await;
    let members = (rate * (seconds + WARM_UP.as_secs()) as f64 * 1.2) as usize + 50;
    let mut csv = String::from("phone,name\n");
    for index in 0..members {
        csv.push_str(&format!("{},会员{index}\n", phone(index)));
    }
    let list_id = list(&app, &key, &csv).await;
    // Every hour of every day from today on: the frozen server has them wait for today.
    let today = SHANGHAI
        .timestamp_millis_opt(now)
        .single()
        .expect("a time")
        .date_naive()
        .to_string();
    let id = campaign(
        &app,
        &shop,
        &list_id,
        json!({
            "schedule": { "start_date": today, "skip_holidays": false,
                          "windows": [{ "start": "00:00", "end": "24:00" }] },
            "pacing": { "max_concurrent": 100, "calls_per_second": rate,
                        "carrier_calls_per_second": rate },
        }),
    )
    .await;
    let (status, body) = steer(&app, &key, &id, "start").await;
    assert_eq!(status, 200, "{body}");
    let carrier = std::sync::Arc::new(InstantCarrier::default());
    let state = app
        .state()
        .with_clock(Clock::System)
        .with_carrier(carrier.clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..runners {
        let (state, stop) = (state.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                server::campaigns::runner::run_once(&state)
                    .await
                    .expect("a pass");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    // Calls end as soon as they are dialled, so that the calls in progress never hold the
    // campaign back.
    let ender = {
        let (store, stop) = (app.store.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = server::store::now_ms();
                for (_, attempt) in store.open_attempts(1_000).await.expect("open") {
                    if store
                        .finish_attempt(&attempt.id, "completed", now)
                        .await
                        .expect("ended")
                    {
                        store
                            .finish_job(
                                &attempt.job_id,
                                "completed",
                                None,
                                &Default::default(),
                                now,
                            )
                            .await
                            .expect("done");
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let first = loop {
        if let Some(first) = carrier.placed.lock().expect("not poisoned").first() {
            break *first;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    // The window starts after the first calls: the flow's first call compiles it, which holds
    // up the carrier's first requests (not the dials), and they then come in a bunch.
    let (first, window) = (first + WARM_UP, Duration::from_secs(seconds));
    tokio::time::sleep_until((first + window + Duration::from_millis(500)).into()).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in tasks {
        task.await.expect("runner");
    }
    ender.await.expect("ender");
    // The next measurement's runner works every running campaign: this one ends here.
    let (status, body) = steer(&app, &key, &id, "stop").await;
    assert_eq!(status, 200, "{body}");
    let placed = carrier.placed.lock().expect("not poisoned").clone();
    let within = placed
        .iter()
        .filter(|at| **at >= first && **at < first + window)
        .count();
    let achieved = within as f64 / seconds as f64;
    println!(
        "{:?}: {rate} calls/s set, {runners} runner(s): {within} calls in {seconds} s = {achieved:.3}/s, error {:+.2}%",
        app.store.backend(),
        (achieved - rate) / rate * 100.0
    );
    assert!(placed.len() < members, "the list ran out");
    app
}

async fn pacing_accuracy(app: TestApp) -> TestApp {
    let app = pacing(app, 2.0, 1, 60).await;
    let app = pacing(app, 5.0, 1, 60).await;
    pacing(app, 50.0, 1, 60).await
}

async fn pacing_accuracy_two_runners(app: TestApp) -> TestApp {
    let app = pacing(app, 2.0, 2, 60).await;
    pacing(app, 5.0, 2, 60).await
}

mod load {
    use callflow_tests::app::{with_app, Db};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement: prints decisions per second (BENCHMARKS.md)"]
    async fn decisions_per_second() {
        with_app(Db::Sqlite, super::decisions_per_second).await;
        with_app(Db::Postgres, super::decisions_per_second).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement: runs minutes on the system clock (BENCHMARKS.md)"]
    async fn pacing_accuracy() {
        with_app(Db::Sqlite, super::pacing_accuracy).await;
        with_app(Db::Postgres, super::pacing_accuracy).await;
        with_app(Db::Postgres, super::pacing_accuracy_two_runners).await;
    }
}
