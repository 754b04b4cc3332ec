//! The dashboard pages through the real server: figures of real conversations after the
//! roll-up, in Chinese and in English, the sign-in they need, and tenancy.

use callflow_tests::app::{TestApp, TestTenant};
use callflow_tests::on_both_databases;
use serde_json::{json, Value};
use server::flow_http::DEMO_SHOP_BASE;
use server::store::{now_ms, Role};

on_both_databases!(
    overview_counts_the_calls_in_both_languages,
    transcript_shows_each_turn_and_other_tenants_calls_are_not_found,
    signed_out_visitors_are_sent_to_sign_in_and_bad_filters_explained,
    versions_of_a_flow_are_compared,
    the_unheard_list_teaches_intents_and_entries_with_plain_forms,
    results_page_charts_each_result_in_both_languages,
    an_angry_caller_is_handed_off_and_the_transcript_shows_how_angry,
);

/// A tenant whose flows reach the built-in demo shop, with a signed-in viewer: the session
/// cookie to send.
async fn shop_with_user(app: &TestApp, name: &str, email: &str) -> (TestTenant, String) {
    let tenant = app.tenant_with_example_knowledge(name).await;
    app.change_settings(&tenant.id, |settings| {
        settings.display_name = [
            ("zh-CN".to_owned(), "演示商城".to_owned()),
            ("en".to_owned(), "Demo Shop".to_owned()),
        ]
        .into();
        settings.api_base_url = Some(DEMO_SHOP_BASE.to_owned());
    })
    .await;
    let cookie = signed_in(app, &tenant, email, Role::Viewer).await;
    (tenant, cookie)
}

/// A new user of the tenant with this role, signed in: the session cookie to send.
async fn signed_in(app: &TestApp, tenant: &TestTenant, email: &str, role: Role) -> String {
    app.person(&tenant.id, email, "店长", role).await.cookie
}

/// A page as the browser gets it, without following redirects: status, `Location`, body.
async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.get(app.url(path));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("page");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

/// The value on the overview card with this test id.
fn card(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("data-testid=\"card-{id}\""))
        .unwrap_or_else(|| panic!("no card {id} in {html}"));
    let rest = &html[start..];
    let value = &rest[rest.find("card-value\">").expect("value") + "card-value\">".len()..];
    value[..value.find('<').expect("end")].to_owned()
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> Value {
    let (status, view) = app.api(reqwest::Method::POST, key, path, Some(&body)).await;
    assert!(status == 200 || status == 201, "{status} {view}");
    view
}

/// Three conversations with the order-status flow: resolved, handed to a person, abandoned.
async fn three_calls(app: &TestApp, tenant: &TestTenant) -> String {
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(callflow_tests::root().join("flows/order-status.json"))
            .expect("example flow"),
    )
    .expect("JSON");
    let (flow, _) = app.published_flow(&tenant.id, "订单查询", &document).await;
    let key = &tenant.owner_key;
    let start = json!({ "flow_id": flow.id, "from": "13800000000" });
    let resolved = post(app, key, "/sessions", start.clone()).await;
    let events = format!("/sessions/{}/events", resolved["id"].as_str().expect("id"));
    for event in [
        json!({ "type": "text", "text": "我的快递到哪了", "confidence": 0.92 }),
        json!({ "type": "digits", "digits": "2024061801#" }),
        json!({ "type": "text", "text": "不用了，谢谢" }),
    ] {
        post(app, key, &events, event).await;
    }
    let handoff = post(app, key, "/sessions", start.clone()).await;
    let events = format!("/sessions/{}/events", handoff["id"].as_str().expect("id"));
    let asked = post(
        app,
        key,
        &events,
        json!({ "type": "text", "text": "转人工" }),
    )
    .await;
    assert_eq!(asked["ended"], true, "{asked}");
    let abandoned = post(app, key, "/sessions", start).await;
    let events = format!("/sessions/{}/events", abandoned["id"].as_str().expect("id"));
    post(app, key, &events, json!({ "type": "hangup" })).await;
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");
    resolved["call_id"].as_str().expect("call id").to_owned()
}

/// One conversation that the flow resolves on its own.
async fn resolved_call(app: &TestApp, key: &str, flow_id: &str) {
    let session = post(app, key, "/sessions", json!({ "flow_id": flow_id })).await;
    let events = format!("/sessions/{}/events", session["id"].as_str().expect("id"));
    for event in [
        json!({ "type": "text", "text": "我的快递到哪了" }),
        json!({ "type": "digits", "digits": "2024061801#" }),
        json!({ "type": "text", "text": "不用了，谢谢" }),
    ] {
        post(app, key, &events, event).await;
    }
}

async fn overview_counts_the_calls_in_both_languages(app: TestApp) -> TestApp {
    let (tenant, session) = shop_with_user(&app, "Dash Shop", "dash@example.com").await;
    let (status, _, empty) = page(&app, &session, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(empty.contains("data-testid=\"dash-empty\""), "{empty}");
    three_calls(&app, &tenant).await;

    let chinese = format!("{session}; callflow_lang=zh-CN");
    let (status, _, html) = page(&app, &chinese, "/dashboard").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(card(&html, "calls"), "3");
    assert_eq!(card(&html, "containment"), "33%");
    assert_eq!(card(&html, "handoff"), "33%");
    assert_eq!(card(&html, "abandonment"), "33%");
    assert!(html.contains("<html lang=\"zh-CN\">"));
    for words in [
        "机器人独立解决",
        "转人工率",
        "每天的通话",
        "各版本对比",
        "演示商城",
    ] {
        assert!(html.contains(words), "{words} in {html}");
    }
    assert!(!html.contains("Containment"), "{html}");
    assert_common_periods(&app, &chinese, &html).await;
    // The charts are SVG drawn on the server; the versions table names the flow.
    assert!(html.contains("data-testid=\"chart-series\"><svg"), "{html}");
    assert!(html.contains("data-testid=\"chart-hours\"><svg"), "{html}");
    assert!(
        html.contains("<td>订单查询</td><td>1</td><td class=\"num\">3</td>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td>查订单</td>"),
        "top intents by their labels: {html}"
    );

    // Without the editor's choice, the browser's language decides.
    let (_, _, english) = page(&app, &session, "/dashboard?channel=chat").await;
    assert!(english.contains("机器人独立解决"), "Chinese by default");
    let english_cookie = format!("{session}; callflow_lang=en");
    let (status, _, english) = page(&app, &english_cookie, "/dashboard?channel=chat").await;
    assert_eq!(status, 200);
    assert_eq!(card(&english, "containment"), "33%");
    for words in [
        "Containment",
        "Calls per day",
        "Versions compared",
        "Demo Shop",
    ] {
        assert!(english.contains(words), "{words} in {english}");
    }
    assert!(!english.contains("机器人独立解决"));
    let (_, _, phone_only) = page(&app, &english_cookie, "/dashboard?channel=phone").await;
    assert!(phone_only.contains("data-testid=\"dash-empty\""));

    // The switch remembers the choice in the cookie the editor reads, and comes back.
    let (status, location, _) = page(
        &app,
        &session,
        "/dashboard/language?to=en&back=%2Fdashboard%2Fcalls%3Fchannel%3Dchat",
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/dashboard/calls?channel=chat")
    );
    let (_, location, _) = page(
        &app,
        &session,
        "/dashboard/language?to=en&back=https://evil.test",
    )
    .await;
    assert_eq!(location, "/dashboard");

    // The calls list, newest first, and its CSV for Excel.
    let (status, _, calls) = page(&app, &chinese, "/dashboard/calls").await;
    assert_eq!(status, 200);
    assert_eq!(calls.matches("data-testid=\"call-row\"").count(), 3);
    let outcomes: Vec<&str> = calls
        .split("data-outcome=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').expect("end")])
        .collect();
    assert_eq!(outcomes, ["abandoned", "handoff", "resolved"]);
    let (_, _, resolved_only) = page(&app, &chinese, "/dashboard/calls?outcome=resolved").await;
    assert_eq!(resolved_only.matches("data-testid=\"call-row\"").count(), 1);
    let (status, _, csv) = page(&app, &chinese, "/dashboard/calls?format=csv").await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("\u{feff}开始时间,流程,版本"), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    app
}

async fn transcript_shows_each_turn_and_other_tenants_calls_are_not_found(app: TestApp) -> TestApp {
    let (tenant, session) = shop_with_user(&app, "Transcript Shop", "t@example.com").await;
    let call_id = three_calls(&app, &tenant).await;
    let chinese = format!("{session}; callflow_lang=zh-CN");
    let (status, _, html) = page(&app, &chinese, &format!("/dashboard/calls/{call_id}")).await;
    assert_eq!(status, 200, "{html}");
    for words in [
        "欢迎致电演示商城",
        "我的快递到哪了",
        "识别为：查订单",
        "语音置信度 92%",
        "按键：2024061801",
        "记下：order_id = 2024061801",
        "接口结果：状态码 200",
        "通话结束：已解决",
        "订单查询",
        // Nodes by the names the editor shows, not their ids.
        "<td class=\"node\">询问来电需求</td>",
    ] {
        assert!(html.contains(words), "{words} in {html}");
    }
    let english = format!("{session}; callflow_lang=en");
    let (_, _, html) = page(&app, &english, &format!("/dashboard/calls/{call_id}")).await;
    assert!(
        html.contains("Heard as: 查订单"),
        "the intent by its label: {html}"
    );
    assert!(html.contains("Call ended: Resolved"), "{html}");
    assert!(!html.contains("<td class=\"node\">ask_need</td>"), "{html}");

    // What the bot did not understand, grouped, with a call to read.
    let flow_id = app
        .store
        .list_flows(&tenant.id, None)
        .await
        .expect("flows")
        .remove(0)
        .id;
    let key = &tenant.owner_key;
    let puzzled = post(&app, key, "/sessions", json!({ "flow_id": flow_id })).await;
    let events = format!("/sessions/{}/events", puzzled["id"].as_str().expect("id"));
    post(
        &app,
        key,
        &events,
        json!({ "type": "text", "text": "积分怎么兑换优惠券" }),
    )
    .await;
    post(&app, key, &events, json!({ "type": "hangup" })).await;
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");
    let (status, _, html) = page(&app, &chinese, "/dashboard/unheard").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(
        html.matches("data-testid=\"unheard-row\"").count(),
        1,
        "{html}"
    );
    assert!(html.contains("积分怎么兑换优惠券"), "{html}");
    assert!(html.contains("没匹配到意图"), "{html}");
    // The node by the name the manager gave it, not its id.
    assert!(html.contains("<td>询问来电需求</td>"), "{html}");
    let example = format!(
        "/dashboard/calls/{}",
        puzzled["call_id"].as_str().expect("call")
    );
    assert!(html.contains(&example), "{html}");
    let (_, _, csv) = page(&app, &chinese, "/dashboard/unheard?format=csv").await;
    assert!(csv.starts_with("\u{feff}流程,节点,类型,次数,说法"), "{csv}");
    assert!(csv.contains("积分怎么兑换优惠券 (1)"), "{csv}");

    let (_, other) = shop_with_user(&app, "Other Shop", "o@example.com").await;
    let (status, _, html) = page(&app, &other, &format!("/dashboard/calls/{call_id}")).await;
    assert_eq!(status, 404);
    assert!(html.contains("找不到这通电话"), "{html}");
    let (status, _, _) = page(&app, &other, "/dashboard/calls/no-such-call").await;
    assert_eq!(status, 404);
    let (_, _, list) = page(&app, &other, "/dashboard/calls").await;
    assert_eq!(list.matches("data-testid=\"call-row\"").count(), 0);
    app
}

async fn signed_out_visitors_are_sent_to_sign_in_and_bad_filters_explained(
    app: TestApp,
) -> TestApp {
    let (status, location, _) = page(&app, "", "/dashboard/calls?outcome=resolved").await;
    assert_eq!(status, 303);
    assert_eq!(location, "/?next=%2Fdashboard%2Fcalls%3Foutcome%3Dresolved");
    let (status, _, _) = page(&app, "callflow_session=forged", "/dashboard").await;
    assert_eq!(status, 303);

    let (_, session) = shop_with_user(&app, "Filter Shop", "f@example.com").await;
    let chinese = format!("{session}; callflow_lang=zh-CN");
    let (status, _, html) = page(&app, &chinese, "/dashboard?from=yesterday").await;
    assert_eq!(status, 400);
    assert!(html.contains("开始日期：“yesterday”不是日期"), "{html}");
    // A form's blank fields are no filter: the page answers as without them.
    let (status, _, html) = page(
        &app,
        &chinese,
        "/dashboard?from=&to=&flow_id=&version=&channel=&include_simulated=",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("data-testid=\"dash-filters\""),
        "the form is still there"
    );
    let english = format!("{session}; callflow_lang=en");
    let (status, _, html) = page(&app, &english, "/dashboard/calls?outcome=maybe").await;
    assert_eq!(status, 400);
    assert!(html.contains("Outcome: not valid"), "{html}");
    let (status, _, html) = page(&app, &english, "/dashboard/calls?cursor=garbage").await;
    assert_eq!(status, 400);
    assert!(html.contains("start from the first page"), "{html}");
    let (status, _, html) = page(
        &app,
        &english,
        "/dashboard/unheard?to=2020-01-01&from=2026-01-01",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("From: 2026-01-01 must not be after the last day, 2020-01-01"),
        "{html}"
    );
    let (status, _, _) = page(&app, &english, "/dashboard/knowledge").await;
    assert_eq!(status, 200);
    let (status, _, css) = page(&app, "", "/dashboard/style.css").await;
    assert_eq!(status, 200);
    assert!(css.contains("--accent"));
    app
}

async fn versions_of_a_flow_are_compared(app: TestApp) -> TestApp {
    let (tenant, session) = shop_with_user(&app, "Version Shop", "v@example.com").await;
    three_calls(&app, &tenant).await;
    let flow = app
        .store
        .list_flows(&tenant.id, None)
        .await
        .expect("flows")
        .remove(0);
    let mut transaction = app.store.transaction().await.expect("transaction");
    transaction
        .publish_flow(
            &tenant.id,
            &flow.id,
            flow.revision,
            "第二版",
            "test",
            now_ms(),
        )
        .await
        .expect("publish")
        .expect("published");
    transaction.commit().await.expect("commit");
    resolved_call(&app, &tenant.owner_key, &flow.id).await;
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");

    let chinese = format!("{session}; callflow_lang=zh-CN");
    let (status, _, html) = page(&app, &chinese, &format!("/dashboard?flow_id={}", flow.id)).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(card(&html, "calls"), "4");
    let second = html
        .find("<td>订单查询</td><td>2</td><td class=\"num\">1</td><td class=\"num\">100%</td>")
        .unwrap_or_else(|| panic!("version 2 contained its one call: {html}"));
    let first = html
        .find("<td>订单查询</td><td>1</td><td class=\"num\">3</td><td class=\"num\">33%</td>")
        .unwrap_or_else(|| panic!("version 1 contained one of three: {html}"));
    assert!(second < first, "the newest version comes first");
    let (_, _, html) = page(
        &app,
        &chinese,
        &format!("/dashboard?flow_id={}&version=2", flow.id),
    )
    .await;
    assert_eq!(card(&html, "calls"), "1");
    assert_eq!(card(&html, "containment"), "100%");
    let (_, _, csv) = page(&app, &chinese, "/dashboard?format=csv").await;
    assert!(
        csv.starts_with("\u{feff}流程,版本,通话,机器人独立解决"),
        "{csv}"
    );
    assert!(csv.contains("订单查询,2,1,100%"), "{csv}");
    app
}

/// The link of the period `name` above the filters: its `href` and whether it is current.
fn period(html: &str, name: &str) -> (String, bool) {
    let at = html
        .find(&format!("data-testid=\"{name}\""))
        .unwrap_or_else(|| panic!("no period {name} in {html}"));
    let start = html[..at].rfind("<a ").expect("link");
    let link = &html[start..at + html[at..].find('>').expect("end")];
    let href = field_in(link, "href=\"");
    (href.replace("&#38;", "&"), link.contains("aria-current"))
}

fn field_in(text: &str, marker: &str) -> String {
    let at = text.find(marker).expect("marker") + marker.len();
    text[at..at + text[at..].find('"').expect("end")].to_owned()
}

/// The default page shows the last 7 days and says so; "yesterday" is one day before "today",
/// keeps the other filters, and shows itself as current once followed.
async fn assert_common_periods(app: &TestApp, cookie: &str, html: &str) {
    let (week, current) = period(html, "period_7_days");
    assert!(current, "the default is the last 7 days: {week}");
    let from = field_in(html, "name=\"from\" value=\"");
    let to = field_in(html, "name=\"to\" value=\"");
    assert_eq!(week, format!("/dashboard?from={from}&to={to}"));
    let (today, _) = period(html, "period_today");
    assert_eq!(today, format!("/dashboard?from={to}&to={to}"));
    let (_, _, chat) = page(app, cookie, "/dashboard?channel=chat").await;
    let (yesterday, current) = period(&chat, "period_yesterday");
    assert!(!current);
    let day = yesterday
        .split("from=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("the day")
        .to_owned();
    assert!(day < to, "{day} before {to}");
    assert_eq!(
        yesterday,
        format!("/dashboard?from={day}&to={day}&channel=chat")
    );
    let (status, _, followed) = page(app, cookie, &yesterday).await;
    assert_eq!(status, 200, "{followed}");
    assert!(period(&followed, "period_yesterday").1, "{followed}");
    assert!(!period(&followed, "period_7_days").1, "{followed}");
}

/// The form of the "not understood" list's row that offers `text`.
fn teach_form<'h>(html: &'h str, text: &str) -> &'h str {
    let at = html
        .find(&format!("name=\"text\" value=\"{text}\""))
        .unwrap_or_else(|| panic!("no form for {text} in {html}"));
    let start = html[..at].rfind("<form").expect("form start");
    let end = at + html[at..].find("</form>").expect("form end");
    &html[start..end]
}

/// The value of the form's field `name`.
fn field(form: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = form
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {form}"))
        + marker.len();
    form[at..at + form[at..].find('"').expect("end")].to_owned()
}

/// Posts a form as a browser without scripts would: status, `Location`, body.
async fn submit(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, String)],
) -> (u16, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client
        .post(app.url(path))
        .header("cookie", cookie)
        .form(fields)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, response.text().await.expect("body"))
}

/// The fields with one value replaced, as a stale or forged page would send them.
fn with(
    fields: Vec<(&'static str, String)>,
    name: &str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields
        .into_iter()
        .map(|(field, old)| (field, if field == name { value.to_owned() } else { old }))
        .collect()
}

/// The fields a row's form sends, with the target chosen.
fn filled(form: &str, target: &str) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = [
        "csrf_token",
        "back",
        "flow_id",
        "node",
        "kind",
        "revision",
        "text",
    ]
    .into_iter()
    .map(|name| (name, field(form, name)))
    .collect();
    fields.push(("target", target.to_owned()));
    fields
}

async fn the_unheard_list_teaches_intents_and_entries_with_plain_forms(app: TestApp) -> TestApp {
    let (tenant, viewer) = shop_with_user(&app, "Teach Shop", "look@example.com").await;
    let editor = signed_in(&app, &tenant, "edit@example.com", Role::Editor).await;
    let key = &tenant.owner_key;
    let read = |file: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(callflow_tests::root().join("flows").join(file))
                .expect("example flow"),
        )
        .expect("JSON")
    };
    let (orders, _) = app
        .published_flow(&tenant.id, "订单查询", &read("order-status.json"))
        .await;
    let (faq, _) = app
        .published_flow(&tenant.id, "商城问答", &read("shop-faq.json"))
        .await;
    for (flow_id, said) in [
        (&orders.id, "明天上海下雨吗"),
        (&faq.id, "你们店长叫什么名字"),
    ] {
        let session = post(&app, key, "/sessions", json!({ "flow_id": flow_id })).await;
        let events = format!("/sessions/{}/events", session["id"].as_str().expect("id"));
        let heard = post(&app, key, &events, json!({ "type": "text", "text": said })).await;
        if heard["ended"] != true {
            post(&app, key, &events, json!({ "type": "hangup" })).await;
        }
    }
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");

    // A viewer reads the list but has nothing to change it with.
    let (status, _, html) = page(&app, &viewer, "/dashboard/unheard").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("明天上海下雨吗"), "{html}");
    assert!(!html.contains("data-testid=\"teach-form\""), "{html}");

    let chinese = format!("{editor}; callflow_lang=zh-CN");
    let (_, _, html) = page(&app, &chinese, "/dashboard/unheard?channel=chat").await;
    let weather = teach_form(&html, "明天上海下雨吗");
    assert!(
        weather.contains("value=\"intent:track_order\""),
        "{weather}"
    );
    // The chooser names an intent by its label, never by its key.
    assert!(
        weather.contains("value=\"intent:track_order\">查订单 · "),
        "{weather}"
    );
    assert!(!weather.contains(">track_order"), "{weather}");
    let forged = with(
        filled(weather, "intent:track_order"),
        "csrf_token",
        "forged",
    );
    let (status, _, refused) = submit(&app, &chinese, "/dashboard/unheard/teach", &forged).await;
    assert_eq!(status, 403);
    assert!(refused.contains("页面已过期"), "{refused}");

    // A draft changed since the list was read is a conflict, not a lost edit.
    let stale = with(filled(weather, "intent:track_order"), "revision", "0");
    let (status, _, conflict) = submit(&app, &chinese, "/dashboard/unheard/teach", &stale).await;
    assert_eq!(status, 409);
    assert!(
        conflict.contains("流程草稿在你打开列表后被修改过"),
        "{conflict}"
    );

    let (status, location, _) = submit(
        &app,
        &chinese,
        "/dashboard/unheard/teach",
        &filled(weather, "intent:track_order"),
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!(
            "/dashboard/unheard?channel=chat&notice=example&notice_flow={}",
            orders.id
        )
    );
    let draft = app
        .store
        .get_flow(&tenant.id, &orders.id)
        .await
        .expect("flow")
        .expect("exists")
        .draft;
    let taught = draft["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .flat_map(|node| node["intents"].as_array().into_iter().flatten())
        .find(|intent| intent["name"] == "track_order")
        .expect("the intent");
    assert!(
        taught["examples"]
            .as_array()
            .expect("examples")
            .iter()
            .any(|e| e == "明天上海下雨吗"),
        "{taught}"
    );
    let (_, _, after) = page(&app, &chinese, &location).await;
    assert!(after.contains("data-testid=\"teach-notice\""), "{after}");
    assert!(
        after.contains(&format!("href=\"/#/flows/{}\"", orders.id)),
        "{after}"
    );
    assert!(
        !after.contains("明天上海下雨吗"),
        "taught phrasings leave the list: {after}"
    );

    // A question the knowledge base had no answer for becomes an entry's alternative question.
    let question = teach_form(&after, "你们店长叫什么名字");
    let target_at = question
        .find("value=\"entry:shop-faq:")
        .expect("the base's entries are offered");
    let target = &question[target_at + "value=\"".len()..];
    let target = target[..target.find('"').expect("end")].to_owned();
    let entry_id = target.rsplit(':').next().expect("entry id").to_owned();
    let (status, location, _) = submit(
        &app,
        &editor,
        "/dashboard/unheard/teach",
        &filled(question, &target),
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (status, entry) = app
        .api(
            reqwest::Method::GET,
            key,
            &format!("/knowledge-bases/shop-faq/entries/{entry_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        entry["alternatives"]
            .as_array()
            .expect("alternatives")
            .iter()
            .any(|a| a == "你们店长叫什么名字"),
        "{entry}"
    );
    let (_, _, html) = page(&app, &editor, "/dashboard/unheard?channel=chat").await;
    assert!(
        html.contains("data-testid=\"dash-empty\""),
        "nothing left: {html}"
    );
    app
}

/// The page's visible text: tags, and the charts' SVG, left out.
fn visible_text(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</svg>")
            .map_or("", |end| &rest[start + end + "</svg>".len()..]);
    }
    text.push_str(rest);
    let mut visible = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                visible.push(' ');
            }
            _ if !in_tag => visible.push(c),
            _ => {}
        }
    }
    visible
}

/// Survey calls with their scores; the results page shows each result, its chart, mean and
/// Net Promoter Score, in Chinese without a word of English and in English, and as CSV.
async fn results_page_charts_each_result_in_both_languages(app: TestApp) -> TestApp {
    let (tenant, session) = shop_with_user(&app, "Survey Shop", "survey@example.com").await;
    let chinese = format!("{session}; callflow_lang=zh-CN");
    let (status, _, empty) = page(&app, &chinese, "/dashboard/results").await;
    assert_eq!(status, 200, "{empty}");
    assert!(empty.contains("data-testid=\"dash-empty\""), "{empty}");

    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(callflow_tests::root().join("flows/satisfaction-survey.json"))
            .expect("example flow"),
    )
    .expect("JSON");
    let (flow, _) = app
        .published_flow(&tenant.id, "满意度回访", &document)
        .await;
    let key = &tenant.owner_key;
    let scores = [("十分", 10), ("九分", 9), ("两分", 2)];
    for (said, _) in scores {
        let call = post(&app, key, "/sessions", json!({ "flow_id": flow.id })).await;
        let events = format!("/sessions/{}/events", call["id"].as_str().expect("id"));
        post(&app, key, &events, json!({ "type": "text", "text": said })).await;
        let last = post(
            &app,
            key,
            &events,
            json!({ "type": "text", "text": "还行" }),
        )
        .await;
        assert_eq!(last["ended"], true, "{last}");
    }
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");

    let (status, _, html) = page(&app, &chinese, "/dashboard/results").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("data-var=\"score\""), "{html}");
    assert!(html.contains("data-testid=\"result-chart\"><svg"), "{html}");
    for words in ["调查结果", "评分", "平均值", "净推荐值", "通话数"] {
        assert!(html.contains(words), "{words} in {html}");
    }
    let score_section = &html[html.find("data-var=\"score\"").expect("score")..];
    let mean = scores.iter().map(|(_, n)| n).sum::<i64>() as f64 / scores.len() as f64;
    assert!(
        score_section.contains(&format!("{mean:.2}")),
        "the mean {mean:.2} in {score_section}"
    );
    let promoters = scores.iter().filter(|(_, n)| *n >= 9).count() as f64;
    let detractors = scores.iter().filter(|(_, n)| *n <= 6).count() as f64;
    let nps = (promoters - detractors) * 100.0 / scores.len() as f64;
    assert!(
        score_section.contains(&format!("{nps:.0}")),
        "{score_section}"
    );
    // Each result is headed by its label in the flow, not by its variable.
    assert!(
        score_section.contains("data-testid=\"result-label\">满意度评分</span>"),
        "{score_section}"
    );
    // Not a word of English on the Chinese page but the brand, the language switch and the
    // CSV link: the variables (score, reason) show by their labels.
    let allowed = ["Callflow", "English", "CSV"];
    for word in visible_text(&html)
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1)
    {
        assert!(
            allowed.contains(&word),
            "the English word {word} on the Chinese page"
        );
    }

    let english = format!("{session}; callflow_lang=en");
    let (status, _, page_en) = page(&app, &english, "/dashboard/results").await;
    assert_eq!(status, 200);
    for words in ["Results", "Mean", "Net Promoter Score", "Score"] {
        assert!(page_en.contains(words), "{words} in {page_en}");
    }
    assert!(!page_en.contains("净推荐值"));
    // Filters as on the other pages; a bad one is explained.
    let (_, _, phone_only) = page(&app, &english, "/dashboard/results?channel=phone").await;
    assert!(
        phone_only.contains("data-testid=\"dash-empty\""),
        "{phone_only}"
    );
    let (status, _, bad) = page(&app, &english, "/dashboard/results?channel=fax").await;
    assert_eq!(status, 400, "{bad}");

    // The CSV: one line per value, the header in the reader's language.
    let (status, _, csv) = page(&app, &chinese, "/dashboard/results?format=csv").await;
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("\u{feff}结果变量,类型,取值,通话数"),
        "{csv}"
    );
    for (_, n) in scores {
        assert!(
            csv.contains(&format!("满意度评分,评分,{n},1")),
            "{n} in {csv}"
        );
    }

    // Every page links to it, and the overview shows the outbound figures.
    let (_, _, overview) = page(&app, &chinese, "/dashboard").await;
    assert!(
        overview.contains("href=\"/dashboard/results?from="),
        "the link keeps the filters: {overview}"
    );
    assert_eq!(card(&overview, "outbound-answered"), "0");
    assert_eq!(card(&overview, "answer-rate"), "—");
    app
}

/// The badges of a transcript's lines: (label, text) in order.
fn emotion_badges(html: &str) -> Vec<(String, String)> {
    html.split("data-testid=\"emotion\"")
        .skip(1)
        .map(|rest| {
            let label = field_in(rest, "data-label=\"");
            let text = &rest[rest.find('>').expect("badge") + 1..];
            (label, text[..text.find('<').expect("end")].to_owned())
        })
        .collect()
}

async fn an_angry_caller_is_handed_off_and_the_transcript_shows_how_angry(app: TestApp) -> TestApp {
    let (tenant, session) = shop_with_user(&app, "Angry Shop", "angry@example.com").await;
    let document: Value = serde_json::from_str(
        &std::fs::read_to_string(callflow_tests::root().join("flows/order-status.json"))
            .expect("example flow"),
    )
    .expect("JSON");
    let (flow, _) = app.published_flow(&tenant.id, "订单查询", &document).await;
    let key = &tenant.owner_key;
    let chat = post(&app, key, "/sessions", json!({ "flow_id": flow.id })).await;
    let events = format!("/sessions/{}/events", chat["id"].as_str().expect("id"));
    let calm = post(
        &app,
        key,
        &events,
        json!({ "type": "text", "text": "查订单" }),
    )
    .await;
    assert_eq!(calm["ended"], false, "{calm}");
    assert_eq!(calm["emotion"]["label"], "neutral", "{calm}");
    let angry = post(
        &app,
        key,
        &events,
        json!({ "type": "text", "text": "太失望了，我要投诉！" }),
    )
    .await;
    assert_eq!(angry["ended"], true, "handed off at once: {angry}");
    assert_eq!(angry["emotion"]["label"], "angry", "{angry}");
    let call_id = chat["call_id"].as_str().expect("call id");

    let (status, call) = app
        .api(
            reqwest::Method::GET,
            key,
            &format!("/calls/{call_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{call}");
    let events = call["events"].as_array().expect("events");
    let heard: Vec<&Value> = events.iter().filter(|e| e["kind"] == "heard").collect();
    assert_eq!(heard.len(), 2, "{call}");
    let (calm, angry) = (&heard[0]["data"]["emotion"], &heard[1]["data"]["emotion"]);
    assert_eq!(calm["label"], "neutral", "{call}");
    assert_eq!(angry["label"], "angry", "{call}");
    let anger = angry["anger"].as_f64().expect("anger");
    assert!((0.5..=1.0).contains(&anger), "{call}");
    assert_eq!(anger, (anger * 100.0).round() / 100.0, "two decimals");
    let triggered = events
        .iter()
        .find(|e| e["kind"] == "emotion_triggered")
        .unwrap_or_else(|| panic!("no emotion_triggered in {call}"));
    assert_eq!(triggered["node"], "ask_order_id");
    assert_eq!(triggered["data"]["next"], "handoff_agent");
    assert_eq!(triggered["data"]["threshold"], 0.5);

    let page_of = |lang: &str| format!("{session}; callflow_lang={lang}");
    let path = format!("/dashboard/calls/{call_id}");
    let (status, _, html) = page(&app, &page_of("zh-CN"), &path).await;
    assert_eq!(status, 200, "{html}");
    let shown = format!("生气 {anger:.2}");
    assert_eq!(
        emotion_badges(&html),
        vec![("angry".to_owned(), shown)],
        "only the angry line has a badge: {html}"
    );
    assert!(html.contains("来电者生气，转到：转人工客服"), "{html}");
    let (_, _, html) = page(&app, &page_of("en"), &path).await;
    assert_eq!(
        emotion_badges(&html),
        vec![("angry".to_owned(), format!("angry {anger:.2}"))]
    );
    assert!(html.contains("Angry caller, sent to: "), "{html}");

    // The overview counts the handoff as the caller's anger, not as the caller asking.
    server::analytics::rollup::settle(&app.store)
        .await
        .expect("roll-up");
    let (status, _, html) = page(&app, &page_of("zh-CN"), "/dashboard").await;
    assert_eq!(status, 200, "{html}");
    let reasons = &html[html
        .find("data-testid=\"handoff-reasons\"")
        .expect("reasons")..];
    let reasons = &reasons[..reasons.find("</ul>").expect("end")];
    assert!(reasons.contains("<li>来电者生气：1</li>"), "{reasons}");
    assert!(!reasons.contains("来电者要求"), "{reasons}");
    app
}
