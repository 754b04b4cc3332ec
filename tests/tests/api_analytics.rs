//! The analytics API over HTTP, on SQLite and PostgreSQL: real conversations through the
//! sessions API, counted by the roll-up, read back as the overview, the node funnel, the
//! phrasings nobody understood and the knowledge answers; bad filters and other tenants.

use std::collections::BTreeMap;

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};

async fn get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    app.api(Method::GET, key, path, None).await
}

async fn start(app: &TestApp, key: &str, body: Value) -> Value {
    let (status, view) = app.api(Method::POST, key, "/sessions", Some(&body)).await;
    assert_eq!(status, 201, "{view}");
    view
}

async fn send(app: &TestApp, key: &str, session: &Value, event: Value) -> Value {
    let id = session["id"].as_str().expect("session id");
    let path = format!("/sessions/{id}/events");
    let (status, view) = app.api(Method::POST, key, &path, Some(&event)).await;
    assert_eq!(status, 200, "{view}");
    view
}

fn text(text: &str) -> Value {
    json!({ "type": "text", "text": text })
}

fn example(file: &str) -> Value {
    let path = callflow_tests::root().join("flows").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).expect("example flow")).expect("JSON")
}

/// Counts what ended, as the roll-up job would within seconds.
async fn roll_up(app: &TestApp) {
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");
}

async fn the_dashboard_counts_what_callers_did(app: TestApp) -> TestApp {
    let tenant = app.tenant_with_example_knowledge("Analytics Shop").await;
    let key = &tenant.owner_key;
    let (flow, _) = app
        .published_flow(&tenant.id, "订单查询", &example("order-status.json"))
        .await;
    let flow_id = flow.id;

    // A caller who asks for a person, one who hangs up at once, one who says nothing, one who
    // asks about something the flow does not know and hangs up.
    let asked = start(&app, key, json!({ "flow_id": flow_id })).await;
    let handed = send(&app, key, &asked, text("转人工")).await;
    assert_eq!(handed["outcome"], "handoff", "{handed}");
    let gone = start(&app, key, json!({ "flow_id": flow_id })).await;
    send(&app, key, &gone, json!({ "type": "hangup" })).await;
    let quiet = start(&app, key, json!({ "flow_id": flow_id })).await;
    for _ in 0..3 {
        send(&app, key, &quiet, json!({ "type": "no_input" })).await;
    }
    let puzzled = start(&app, key, json!({ "flow_id": flow_id })).await;
    let missed = send(&app, key, &puzzled, text("明天上海下雨吗")).await;
    assert_eq!(missed["ended"], false, "{missed}");
    let missed = send(
        &app,
        key,
        &puzzled,
        text("请问能请你们主管来接一下电话吗？"),
    )
    .await;
    assert_eq!(missed["ended"], false, "{missed}");
    send(&app, key, &puzzled, json!({ "type": "hangup" })).await;
    // The editor's Try it runs the draft: counted apart.
    let trial = start(&app, key, json!({ "flow_id": flow_id, "version": "draft" })).await;
    send(&app, key, &trial, json!({ "type": "hangup" })).await;

    // The server counted each chat from the events it kept as it ended (SQLite adds the count
    // with the turn; PostgreSQL with the roll-up job's first step): the task that reads events
    // back finds nothing left.
    let (_, read_back) = server::analytics::rollup::catch_up(&app.store)
        .await
        .expect("roll-up");
    assert_eq!(read_back, 0);

    let (status, overview) = get(&app, key, "/analytics/overview").await;
    assert_eq!(status, 200, "{overview}");
    let measures = &overview["measures"];
    assert_eq!(measures["calls"], 4, "{overview}");
    assert_eq!(measures["handoffs"], 1);
    assert_eq!(measures["abandoned"], 3);
    assert_eq!(measures["contained"], 0);
    assert_eq!(measures["containment_rate"], 0.0);
    assert_eq!(measures["handoff_rate"], 0.25);
    assert_eq!(overview["handoff_reasons"]["asked"], 1, "{overview}");
    assert!(measures["p90_handle_ms"].as_i64().is_some());
    assert!(
        measures["no_match_rate"]
            .as_f64()
            .expect("turns were heard")
            > 0.0
    );
    assert_eq!(overview["by_hour"].as_array().map(Vec::len), Some(24));
    let hours: i64 = overview["by_hour"]
        .as_array()
        .expect("hours")
        .iter()
        .filter_map(Value::as_i64)
        .sum();
    assert_eq!(hours, 4);
    assert!(
        overview["top_intents"]
            .as_array()
            .expect("intents")
            .iter()
            .any(|i| i["intent"] == "agent" && i["intent_label"] == "转人工" && i["calls"] == 1),
        "{overview}"
    );
    assert_eq!(overview["versions"][0]["version"], 1);
    assert_eq!(overview["versions"][0]["flow_title"], "订单查询");
    assert_eq!(overview["versions"][0]["measures"]["calls"], 4);

    let (_, with_trials) = get(&app, key, "/analytics/overview?include_simulated=true").await;
    assert_eq!(with_trials["measures"]["calls"], 5, "{with_trials}");
    let (_, phone) = get(&app, key, "/analytics/overview?channel=phone").await;
    assert_eq!(phone["measures"]["calls"], 0);
    let (_, long_ago) = get(
        &app,
        key,
        "/analytics/overview?from=2020-01-01&to=2020-01-31",
    )
    .await;
    assert_eq!(long_ago["measures"]["calls"], 0);
    assert_eq!(
        (&long_ago["from"], &long_ago["to"]),
        (&json!("2020-01-01"), &json!("2020-01-31")),
        "the days covered are named: {long_ago}"
    );
    // By default the last seven local days, ending today, named in the answer.
    let (_, default) = get(&app, key, "/analytics/overview").await;
    let day = |name: &str| {
        chrono::NaiveDate::parse_from_str(default[name].as_str().unwrap_or_default(), "%Y-%m-%d")
            .unwrap_or_else(|_| panic!("{name} is a day: {default}"))
    };
    assert_eq!((day("to") - day("from")).num_days(), 6, "{default}");

    let (status, funnel) = get(&app, key, &format!("/analytics/funnel?flow_id={flow_id}")).await;
    assert_eq!(status, 200, "{funnel}");
    let ask = funnel["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["node"] == "ask_need")
        .expect("the first question")
        .clone();
    assert_eq!(ask["reached"], 4, "{funnel}");
    assert_eq!(ask["node_label"], "询问来电需求", "{ask}");
    assert!(ask["no_input"].as_i64().expect("no-input") >= 2, "{ask}");
    assert!(ask["abandoned"].as_i64().expect("abandoned") >= 2, "{ask}");
    assert!(funnel["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .any(|s| s["from"] == "greeting"
            && s["from_label"] == "欢迎语"
            && s["to_label"] == "询问来电需求"
            && s["calls"] == 4));
    // With no flow named, a node is named by the flow that has it.
    let (_, every) = get(&app, key, "/analytics/funnel").await;
    assert!(
        every["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|n| n["node"] == "ask_need" && n["node_label"] == "询问来电需求"),
        "{every}"
    );

    // The days the list covers are named: the last seven, today (in Shanghai) the last — the
    // day before or after the request, should it straddle midnight.
    let today = || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970");
        chrono::DateTime::from_timestamp(now.as_secs() as i64, 0)
            .expect("a time chrono can hold")
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
    };
    let before = today();
    let (status, unheard) = get(&app, key, "/analytics/unheard").await;
    let after = today();
    assert_eq!(status, 200, "{unheard}");
    let to = [before, after]
        .into_iter()
        .find(|day| unheard["to"] == day.to_string())
        .unwrap_or_else(|| panic!("the list ends today: {unheard}"));
    assert_eq!(
        unheard["from"],
        (to - chrono::Days::new(6)).to_string(),
        "{unheard}"
    );
    let unheard = unheard["groups"].clone();
    let group = unheard
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["phrasings"][0]["text"] == "明天上海下雨吗")
        .expect("the unheard question")
        .clone();
    assert_eq!(group["kind"], "no_match");
    assert_eq!(group["flow_title"], "订单查询", "{group}");
    assert_eq!(group["node_label"], "询问来电需求", "{group}");
    assert_eq!(group["example_call"], puzzled["call_id"]);

    // The improvement loop: teach one phrasing to an intent of the draft, dismiss the other.
    let person = unheard
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["phrasings"][0]["text"] == "请问能请你们主管来接一下电话吗")
        .expect("the request for a person, closing punctuation dropped")
        .clone();
    let (_, flow) = get(&app, key, &format!("/flows/{flow_id}")).await;
    let revision = flow["revision"].as_i64().expect("revision");
    let body = json!({ "node": person["node"], "intent": "agent", "text": "请问能请你们主管来接一下电话吗" });
    let teach = |if_match: Option<String>| {
        let mut request = app
            .client
            .post(app.url(&format!("/api/v1/flows/{flow_id}/draft/examples")))
            .bearer_auth(key)
            .json(&body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send()
    };
    let without = teach(None).await.expect("request");
    assert_eq!(without.status().as_u16(), 428);
    let stale = teach(Some(format!("\"{}\"", revision + 5)))
        .await
        .expect("request");
    assert_eq!(stale.status().as_u16(), 412);
    let taught = teach(Some(format!("\"{revision}\"")))
        .await
        .expect("request");
    assert_eq!(taught.status().as_u16(), 200);
    let taught: Value = taught.json().await.expect("flow");
    assert_eq!(taught["revision"], revision + 1);
    let agent = taught["draft"]["global_intents"]
        .as_array()
        .expect("global intents")
        .iter()
        .find(|i| i["name"] == "agent")
        .expect("the agent intent")
        .clone();
    assert!(agent["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .any(|e| e == "请问能请你们主管来接一下电话吗"));
    let (status, problem) = app
        .api(
            Method::POST,
            key,
            "/analytics/unheard/dismiss",
            Some(&json!({ "flow_id": flow_id, "node": group["node"], "kind": "no_match", "text": "明天上海下雨吗" })),
        )
        .await;
    assert_eq!(status, 204, "{problem}");
    for blank in ["flow_id", "node"] {
        let mut phrasing = json!({ "flow_id": flow_id, "node": group["node"], "kind": "no_match", "text": "你好" });
        phrasing[blank] = json!("");
        let (status, problem) = app
            .api(
                Method::POST,
                key,
                "/analytics/unheard/dismiss",
                Some(&phrasing),
            )
            .await;
        assert_eq!(status, 422, "{blank}: {problem}");
        assert_eq!(problem["code"], "invalid_body", "{problem}");
    }
    let (_, left) = get(&app, key, "/analytics/unheard").await;
    assert!(
        left["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .all(|g| g["phrasings"]
                .as_array()
                .expect("phrasings")
                .iter()
                .all(|p| p["text"] != "明天上海下雨吗"
                    && p["text"] != "请问能请你们主管来接一下电话吗")),
        "{left}"
    );
    let actions: Vec<String> = app
        .store
        .list_audit(&tenant.id, 10)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert!(
        actions.contains(&"flow.example_added".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"analytics.unheard_dismissed".to_owned()),
        "{actions:?}"
    );

    // The new version understands it.
    let (status, published) = app
        .api(
            Method::POST,
            key,
            &format!("/flows/{flow_id}/publish"),
            Some(&json!({ "note": "v2" })),
        )
        .await;
    assert!(status == 200 || status == 201, "{published}");
    let again = start(&app, key, json!({ "flow_id": flow_id })).await;
    let understood = send(&app, key, &again, text("请问能请你们主管来接一下电话吗")).await;
    assert_eq!(understood["intent"], "agent", "{understood}");

    let (status, knowledge) = get(&app, key, "/analytics/knowledge").await;
    assert_eq!(status, 200, "{knowledge}");
    assert_eq!(knowledge["entries"], json!([]), "{knowledge}");

    // Another tenant's figures are its own.
    let stranger = app.tenant("Other Shop").await;
    let (_, theirs) = get(&app, &stranger.owner_key, "/analytics/overview").await;
    assert_eq!(theirs["measures"]["calls"], 0);
    app
}

async fn bad_filters_name_their_parameter(app: TestApp) -> TestApp {
    let tenant = app.tenant("Careful Shop").await;
    for (query, field) in [
        ("channel=fax", "channel"),
        ("from=yesterday", "from"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("version=-2", "version"),
        ("outcome=resolved", "outcome"),
        // The dashboard's forms send blank fields as no filter; a caller of the API leaves
        // the parameter out instead.
        ("to=", "to"),
        ("from=2026-12-01&version=", "version"),
        ("flow_id=", "flow_id"),
    ] {
        for (language, word) in [("zh-CN", "参数"), ("en", "parameter")] {
            let response = app
                .client
                .get(app.url(&format!("/api/v1/analytics/overview?{query}")))
                .bearer_auth(&tenant.owner_key)
                .header("Accept-Language", language)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status().as_u16(), 400, "{query}");
            let problem: Value = response.json().await.expect("problem+json");
            assert_eq!(problem["code"], "invalid_parameter", "{problem}");
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
            let detail = problem["detail"].as_str().expect("detail");
            assert!(detail.contains(word), "{language}: {detail}");
        }
    }
    let (status, problem) = get(&app, &tenant.owner_key, "/analytics/unheard?limit=0").await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["field"], "limit");
    for (query, field) in [
        ("to=", "to"),
        ("flow_id=", "flow_id"),
        ("cursor=", "cursor"),
    ] {
        let (status, problem) = get(&app, &tenant.owner_key, &format!("/calls?{query}")).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains("值是空的"),
            "{problem}"
        );
    }
    let (status, problem) = get(&app, &tenant.owner_key, "/calls?flow_id=f&nope=").await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "nope", "{problem}");
    let response = app
        .client
        .get(app.url("/api/v1/analytics/overview"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 401);
    app
}

/// Survey calls: the scores and answers the flow marks as results, counted per value.
async fn results_of_calls_are_counted_per_value(app: TestApp) -> TestApp {
    let tenant = app.tenant("Survey Shop").await;
    let key = &tenant.owner_key;
    let (flow, _) = app
        .published_flow(
            &tenant.id,
            "满意度回访",
            &example("satisfaction-survey.json"),
        )
        .await;
    let flow_id = flow.id;
    // A caller who gives 10 and says what they liked, one who keys 8 and says nothing more,
    // one who gives 2 and says why, and one who hangs up before scoring.
    let scores: [(Value, Option<&str>, i64); 3] = [
        (text("十分"), Some("物流很快"), 10),
        (json!({ "type": "digits", "digits": "8" }), None, 8),
        (text("两分"), Some("太慢了"), 2),
    ];
    for (score, said, _) in &scores {
        let call = start(&app, key, json!({ "flow_id": flow_id })).await;
        let asked = send(&app, key, &call, score.clone()).await;
        assert_eq!(asked["ended"], false, "{asked}");
        let last = match said {
            Some(said) => send(&app, key, &call, text(said)).await,
            None => send(&app, key, &call, json!({ "type": "no_input" })).await,
        };
        assert_eq!(last["ended"], true, "{last}");
    }
    let gone = start(&app, key, json!({ "flow_id": flow_id })).await;
    send(&app, key, &gone, json!({ "type": "hangup" })).await;
    roll_up(&app).await;
    // A second run finds nothing more to count.
    roll_up(&app).await;

    let (status, report) = get(&app, key, "/analytics/results").await;
    assert_eq!(status, 200, "{report}");
    let results = report["results"].clone();
    let var = |name: &str| {
        results
            .as_array()
            .expect("a list")
            .iter()
            .find(|r| r["var"] == name)
            .unwrap_or_else(|| panic!("{name} in {results}"))
            .clone()
    };
    let score = var("score");
    assert_eq!(score["kind"], "score");
    assert_eq!(score["count"], scores.len());
    // Each result comes with the name the flow gives it.
    for (name, label) in [
        ("score", "满意度评分"),
        ("liked", "满意的地方"),
        ("reason", "不满意的原因"),
    ] {
        assert_eq!(var(name)["label"], label, "{results}");
    }
    let given: Vec<i64> = scores.iter().map(|(_, _, n)| *n).collect();
    let mut sorted = given.clone();
    sorted.sort_unstable();
    let distribution: Vec<(String, i64)> = score["distribution"]
        .as_array()
        .expect("distribution")
        .iter()
        .map(|v| {
            (
                v["value"].as_str().expect("value").to_owned(),
                v["count"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(
        distribution,
        sorted
            .iter()
            .map(|n| (n.to_string(), 1))
            .collect::<Vec<_>>()
    );
    let mean = given.iter().sum::<i64>() as f64 / given.len() as f64;
    assert!(
        (score["mean"].as_f64().expect("mean") - mean).abs() < 1e-9,
        "{score}"
    );
    let promoters = given.iter().filter(|n| **n >= 9).count() as f64;
    let detractors = given.iter().filter(|n| **n <= 6).count() as f64;
    let nps = (promoters - detractors) * 100.0 / given.len() as f64;
    assert!(
        (score["nps"].as_f64().expect("nps") - nps).abs() < 1e-9,
        "{score}"
    );
    // Free answers are counted, not listed.
    let liked = var("liked");
    assert_eq!(
        (liked["kind"].as_str(), liked["count"].as_i64()),
        (Some("text"), Some(1))
    );
    assert_eq!(liked["distribution"], json!([]));
    assert_eq!(var("reason")["count"], 1);

    // The filters of the other reports.
    for (query, empty) in [
        (format!("flow_id={flow_id}&version=1"), false),
        ("channel=chat".to_owned(), false),
        ("channel=phone".to_owned(), true),
        ("direction=outbound".to_owned(), true),
        ("flow_id=flw_other".to_owned(), true),
        ("from=2020-01-01&to=2020-01-31".to_owned(), true),
    ] {
        let (status, filtered) = get(&app, key, &format!("/analytics/results?{query}")).await;
        assert_eq!(status, 200, "{query}: {filtered}");
        if query.starts_with("from=") {
            assert_eq!(
                (&filtered["from"], &filtered["to"]),
                (&json!("2020-01-01"), &json!("2020-01-31")),
                "{filtered}"
            );
        }
        let filtered = filtered["results"].clone();
        assert_eq!(filtered == json!([]), empty, "{query}: {filtered}");
        if !empty {
            assert_eq!(filtered, results, "{query}");
        }
    }
    for (query, field) in [
        ("channel=fax", "channel"),
        ("from=2026-13-01", "from"),
        ("version=x", "version"),
        ("var=score", "var"),
    ] {
        let (status, problem) = get(&app, key, &format!("/analytics/results?{query}")).await;
        assert_eq!(status, 400, "{query}: {problem}");
        assert_eq!(problem["code"], "invalid_parameter", "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // A second version renames the score and leaves the reason unnamed. Each result is named
    // by the newest version whose calls counted it: the score and what callers liked by the
    // second, whose call gave them; the reason, which only the first version's calls gave, by
    // the first. A filter on the first version names all by it.
    let mut renamed = example("satisfaction-survey.json");
    renamed["settings"]["results"][0]["label"] = json!("打分");
    renamed["settings"]["results"][2]
        .as_object_mut()
        .expect("the reason")
        .remove("label");
    let mut transaction = app.store.transaction().await.expect("transaction");
    let now = server::store::now_ms();
    let draft = server::store::NewFlow {
        name: "满意度回访",
        draft: &renamed,
    };
    transaction
        .update_draft(&tenant.id, &flow_id, 1, &draft, now)
        .await
        .expect("draft")
        .expect("the flow");
    transaction
        .publish_flow(&tenant.id, &flow_id, 2, "v2", "test", now)
        .await
        .expect("publish")
        .expect("published");
    transaction.commit().await.expect("commit");
    let call = start(&app, key, json!({ "flow_id": flow_id })).await;
    send(&app, key, &call, text("九分")).await;
    let last = send(&app, key, &call, text("包装很好")).await;
    assert_eq!(last["ended"], true, "{last}");
    roll_up(&app).await;
    let named = |report: &Value| -> BTreeMap<String, String> {
        report["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                let text = |field: &str| r[field].as_str().expect("text").to_owned();
                (text("var"), text("label"))
            })
            .collect()
    };
    let expected = |pairs: [(&str, &str); 3]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(var, label)| (var.to_string(), label.to_string()))
            .collect()
    };
    let (_, both) = get(&app, key, "/analytics/results").await;
    assert_eq!(
        named(&both),
        expected([
            ("score", "打分"),
            ("liked", "满意的地方"),
            ("reason", "不满意的原因")
        ]),
        "{both}"
    );
    let first_only = format!("/analytics/results?flow_id={flow_id}&version=1");
    let (_, first) = get(&app, key, &first_only).await;
    assert_eq!(
        named(&first),
        expected([
            ("score", "满意度评分"),
            ("liked", "满意的地方"),
            ("reason", "不满意的原因")
        ]),
        "{first}"
    );

    // Another tenant sees none of them.
    let stranger = app.tenant("Other Survey Shop").await;
    let (status, theirs) = get(&app, &stranger.owner_key, "/analytics/results").await;
    assert_eq!((status, &theirs["results"]), (200, &json!([])), "{theirs}");
    app
}

/// A server started `--without-analytics-rollup` counts nothing, not even the chats it ends:
/// they wait for the roll-up task of a server that counts, which reads their events back.
async fn a_server_that_does_not_count_leaves_its_chats_to_others(mut app: TestApp) -> TestApp {
    app.reconfigure(|config| config.analytics_rollup = false)
        .await;
    let tenant = app.tenant("Quiet Shop").await;
    let key = &tenant.owner_key;
    let (flow, _) = app
        .published_flow(&tenant.id, "订单查询", &example("order-status.json"))
        .await;
    let chat = start(&app, key, json!({ "flow_id": flow.id })).await;
    let ended = send(&app, key, &chat, json!({ "type": "hangup" })).await;
    assert_eq!(ended["outcome"], "abandoned", "{ended}");
    let (_, overview) = get(&app, key, "/analytics/overview").await;
    assert_eq!(overview["measures"]["calls"], 0, "{overview}");
    assert_eq!(
        app.store
            .write_ended_chat_counts()
            .await
            .expect("the chats' counts"),
        0,
        "this server counted nothing"
    );

    let counted = server::analytics::rollup::roll_up(&app.store)
        .await
        .expect("roll-up");
    assert_eq!(counted, 1);
    assert_eq!(
        server::analytics::rollup::roll_up(&app.store)
            .await
            .expect("roll-up"),
        0
    );
    let (_, overview) = get(&app, key, "/analytics/overview").await;
    assert_eq!(overview["measures"]["calls"], 1, "{overview}");
    assert_eq!(overview["measures"]["abandoned"], 1, "{overview}");
    app
}

on_both_databases!(
    a_server_that_does_not_count_leaves_its_chats_to_others,
    the_dashboard_counts_what_callers_did,
    bad_filters_name_their_parameter,
    results_of_calls_are_counted_per_value,
);
