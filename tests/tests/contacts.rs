//! Contact lists and the do-not-call list against the real server, on SQLite and PostgreSQL: a
//! shop imports its members from CSV and XLSX (numbers in every form people type, bad rows,
//! duplicates, custom fields), keeps its do-not-call list, and neither another shop, a
//! caller's erasure nor the shop's deletion leaves what it should not.

use callflow_tests::app::TestApp;
use callflow_tests::catalogue::every_row;
use callflow_tests::on_both_databases;
use reqwest::Method;
use serde_json::{json, Value};
use server::store::{now_ms, Role};
use server::tenancy::{self, Operator};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Calls the API with a key in `language`: the status and the JSON body (`null` when empty).
async fn call(
    app: &TestApp,
    method: Method,
    key: &str,
    path: &str,
    language: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(key)
        .header("Accept-Language", language);
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request).await
}

async fn upload(
    app: &TestApp,
    key: &str,
    path: &str,
    language: &str,
    content_type: &str,
    file: Vec<u8>,
) -> (u16, Value) {
    let request = app
        .client
        .post(app.url(&format!("/api/v1{path}")))
        .bearer_auth(key)
        .header("Accept-Language", language)
        .header("Content-Type", content_type)
        .body(file);
    answer(request).await
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn new_list(app: &TestApp, key: &str, name: &str) -> String {
    let (status, list) = call(
        app,
        Method::POST,
        key,
        "/contact-lists",
        "zh-CN",
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(status, 201, "{list}");
    list["id"].as_str().expect("an id").to_owned()
}

/// The list's contacts by number.
async fn contacts(app: &TestApp, key: &str, list: &str, query: &str) -> Value {
    let (status, page) = call(
        app,
        Method::GET,
        key,
        &format!("/contact-lists/{list}/contacts{query}"),
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page
}

async fn csv_import_normalises_numbers_reports_bad_rows_and_merges_duplicates(
    app: TestApp,
) -> TestApp {
    let shop = app.tenant("Member Shop").await;
    let key = &shop.owner_key;
    let list = new_list(&app, key, "会员").await;
    let file = "手机,姓名,birthday,last_order,同意来源,同意时间\n\
                138 0013 8000,张伟,1990-03-08,SO-1,门店登记,2026-01-02\n\
                12345,坏号码,,,,\n\
                +86 139-0013-9000,李娜,1988-02-29,,小程序,\n\
                008613800138000,,,SO-2,,\n\
                13700137000,王芳,,,,昨天\n";
    let (status, report) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "text/csv",
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            &report["rows"],
            &report["created"],
            &report["updated"],
            &report["merged"],
            &report["failed"]
        ),
        (&json!(5), &json!(2), &json!(0), &json!(1), &json!(2)),
        "{report}"
    );
    assert_eq!(report["errors"][0]["row"], 3, "{report}");
    assert_eq!(report["errors"][0]["column"], "手机");
    let message = report["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("“12345”不是有效的电话号码"), "{message}");
    assert_eq!(report["errors"][1]["row"], 6);
    assert_eq!(report["errors"][1]["column"], "同意时间");

    let page = contacts(&app, key, &list, "").await;
    assert_eq!(page["total"], 2, "{page}");
    let zhang = &page["contacts"][0];
    assert_eq!(zhang["phone"], "+8613800138000");
    assert_eq!(
        zhang["name"], "张伟",
        "an empty cell keeps the earlier name"
    );
    assert_eq!(
        zhang["fields"],
        json!({ "birthday": "1990-03-08", "last_order": "SO-2" }),
        "later values win and fields merge"
    );
    assert_eq!(zhang["consent_source"], "门店登记");
    assert_eq!(zhang["consent_at"], 1_767_283_200_000_i64);

    // A second file updates by number, merging into what the list holds.
    let (status, again) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "en",
        "text/csv",
        "phone,first_order_date\n13800138000,2020-05-01\n13600136000,2021-01-01\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (&again["created"], &again["updated"]),
        (&json!(1), &json!(1))
    );
    let found = contacts(&app, key, &list, "?search=8000").await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(
        found["contacts"][0]["fields"],
        json!({ "birthday": "1990-03-08", "last_order": "SO-2", "first_order_date": "2020-05-01" })
    );
    let by_name = contacts(&app, key, &list, "?search=李").await;
    assert_eq!(by_name["contacts"][0]["phone"], "+8613900139000");
    let paged = contacts(&app, key, &list, "?limit=2&offset=2").await;
    assert_eq!(
        (
            paged["total"].as_i64(),
            paged["contacts"].as_array().map(Vec::len)
        ),
        (Some(3), Some(1))
    );

    let audit = app.store.list_audit(&shop.id, 20).await.expect("audit");
    let imports: Vec<&Value> = audit
        .iter()
        .filter(|entry| entry.action == "contact_list.import" && entry.object == list)
        .map(|entry| &entry.detail)
        .collect();
    assert_eq!(imports.len(), 2, "one entry per import");
    assert_eq!(imports[1]["created"], 2);
    assert_eq!(imports[1]["failed"], 2);

    // A header flows cannot read, and a file without a phone column, are refused whole.
    let (status, refused) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "en",
        "text/csv",
        "phone,生日\n13800138000,3月8日\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_field_name"))
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("\"生日\""),
        "{refused}"
    );
    let (status, refused) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "text/csv",
        "姓名\n张伟\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("missing_column"))
    );
    assert!(refused["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("电话"));
    let (status, _) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(status, 415);
    app
}

async fn xlsx_import_reads_numeric_cells_and_us_numbers_in_a_us_shop(app: TestApp) -> TestApp {
    let shop = app.tenant("US Shop").await;
    app.change_settings(&shop.id, |settings| {
        settings.region = Some("US".into());
        settings.time_zone = Some("America/Los_Angeles".into());
    })
    .await;
    let key = &shop.owner_key;
    let list = new_list(&app, key, "Members").await;
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let date = rust_xlsxwriter::Format::new().set_num_format("m/d/yyyy");
    let date_time = rust_xlsxwriter::Format::new().set_num_format("m/d/yyyy h:mm");
    let sheet = workbook.add_worksheet();
    for (column, header) in [
        "Name",
        "Phone",
        "lunar_birthday",
        "orders",
        "birthday",
        "last_order",
    ]
    .iter()
    .enumerate()
    {
        sheet
            .write_string(0, column as u16, *header)
            .expect("header");
    }
    sheet.write_string(1, 0, "Ann").expect("cell");
    sheet.write_string(1, 1, "(415) 555-2671").expect("cell");
    sheet.write_string(1, 2, "腊月初八").expect("cell");
    sheet.write_number(1, 3, 7.0).expect("cell");
    // Date cells: a birthday (Excel keeps 32940, a serial number of days) and a last order
    // with its time of day, local to the shop.
    sheet
        .write_number_with_format(1, 4, 32_940, &date)
        .expect("cell");
    let order = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 7, 4)
        .and_then(|day| day.and_hms(18, 30, 0))
        .expect("date-time");
    sheet
        .write_datetime_with_format(1, 5, order, &date_time)
        .expect("cell");
    sheet.write_string(2, 0, "Bo").expect("cell");
    // Typed as a number by Excel: read as its digits.
    sheet.write_number(2, 1, 4_155_550_100.0).expect("cell");
    sheet.write_string(3, 0, "Cy").expect("cell");
    sheet.write_string(3, 1, "not a number").expect("cell");
    let file = workbook.save_to_buffer().expect("workbook");
    let (status, report) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "en",
        XLSX,
        file,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (&report["created"], &report["failed"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(report["errors"][0]["row"], 4);
    assert_eq!(report["errors"][0]["column"], "Phone");
    assert!(report["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("\"not a number\" is not a valid phone number"));
    let page = contacts(&app, key, &list, "").await;
    let phones: Vec<&str> = page["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .filter_map(|contact| contact["phone"].as_str())
        .collect();
    assert_eq!(phones, vec!["+14155550100", "+14155552671"]);
    assert_eq!(
        page["contacts"][1]["fields"],
        json!({
            "lunar_birthday": "腊月初八",
            "orders": "7",
            "birthday": "1990-03-08",
            "last_order": "2026-07-04T18:30:00-07:00",
        })
    );
    app
}

async fn contacts_change_by_role_and_field_names_are_identifiers(app: TestApp) -> TestApp {
    let shop = app.tenant("Edit Shop").await;
    let key = &shop.owner_key;
    let list = new_list(&app, key, "会员").await;
    upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "text/csv",
        "phone,name\n13800138000,张伟\n13900139000,李娜\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    let page = contacts(&app, key, &list, "").await;
    let id = page["contacts"][0]["id"].as_str().expect("id").to_owned();
    let path = format!("/contact-lists/{list}/contacts/{id}");

    let (status, changed) = call(
        &app,
        Method::PATCH,
        key,
        &path,
        "zh-CN",
        Some(json!({ "name": "张伟先生", "fields": { "birthday": "1990-03-08", "visits": 3 } })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        changed["fields"],
        json!({ "birthday": "1990-03-08", "visits": 3 })
    );
    let (status, changed) = call(
        &app,
        Method::PATCH,
        key,
        &path,
        "zh-CN",
        Some(json!({ "fields": { "visits": null } })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["fields"], json!({ "birthday": "1990-03-08" }));

    let (status, refused) = call(
        &app,
        Method::PATCH,
        key,
        &path,
        "en",
        Some(json!({ "phone": "139 0013 9000", "fields": { "last order": "x", "tags": [1] } })),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid_contact")),
        "{refused}"
    );
    let fields: Vec<(&str, &str)> = refused["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or(""),
                e["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("/fields/last order", "invalid_field_name"),
            ("/fields/tags", "invalid_field_value")
        ]
    );
    let (status, refused) = call(
        &app,
        Method::PATCH,
        key,
        &path,
        "en",
        Some(json!({ "phone": "139 0013 9000" })),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["code"], "duplicate_phone");

    let viewer = app.key(&shop.id, Role::Viewer).await;
    let (status, _) = call(&app, Method::GET, &viewer, &path, "zh-CN", None).await;
    assert_eq!(status, 200);
    let (status, refused) = call(&app, Method::DELETE, &viewer, &path, "zh-CN", None).await;
    assert_eq!(status, 403);
    assert!(refused["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("编辑者和所有者可以"));
    let (status, _) = call(
        &app,
        Method::POST,
        &viewer,
        "/do-not-call",
        "zh-CN",
        Some(json!({ "phone": "13800138000" })),
    )
    .await;
    assert_eq!(status, 403);
    let editor = app.key(&shop.id, Role::Editor).await;
    let (status, _) = call(&app, Method::DELETE, &editor, &path, "zh-CN", None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&app, Method::GET, key, &path, "zh-CN", None).await;
    assert_eq!(status, 404);

    let (status, renamed) = call(
        &app,
        Method::PATCH,
        key,
        &format!("/contact-lists/{list}"),
        "zh-CN",
        Some(json!({ "name": "  老会员 " })),
    )
    .await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("老会员")));
    assert_eq!(renamed["contacts"], 1);
    let (status, refused) = call(
        &app,
        Method::POST,
        key,
        "/contact-lists",
        "zh-CN",
        Some(json!({ "name": " " })),
    )
    .await;
    assert_eq!(
        (status, refused["errors"][0]["field"].as_str()),
        (422, Some("/name"))
    );
    let (status, _) = call(
        &app,
        Method::DELETE,
        key,
        &format!("/contact-lists/{list}"),
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, lists) = call(&app, Method::GET, key, "/contact-lists", "zh-CN", None).await;
    assert_eq!(lists, json!([]));
    let actions: Vec<String> = app
        .store
        .list_audit(&shop.id, 20)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    for action in [
        "contact_list.create",
        "contact_list.rename",
        "contact_list.delete",
        "contact.update",
        "contact.delete",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    app
}

async fn the_do_not_call_list_is_added_to_imported_searched_and_asked(app: TestApp) -> TestApp {
    let shop = app.tenant("Quiet Shop").await;
    let key = &shop.owner_key;
    let (status, entry) = call(
        &app,
        Method::POST,
        key,
        "/do-not-call",
        "zh-CN",
        Some(json!({ "phone": "138 0013 8000", "note": "客户来电要求" })),
    )
    .await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(
        (
            entry["phone"].as_str(),
            entry["source"].as_str(),
            entry["note"].as_str()
        ),
        (Some("+8613800138000"), Some("api"), Some("客户来电要求"))
    );
    let (status, refused) = call(
        &app,
        Method::POST,
        key,
        "/do-not-call",
        "en",
        Some(json!({ "phone": "12" })),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "/phone");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("\"12\""));

    let listed = |phone: &'static str| {
        let store = app.store.clone();
        let tenant = shop.id.clone();
        async move {
            server::do_not_call::is_listed(&store, &tenant, phone)
                .await
                .expect("asked")
        }
    };
    assert!(listed("+8613800138000").await);
    assert!(!listed("+8613900139000").await);

    // A flow's opt-out: once, with its call.
    let added = server::do_not_call::add_from_call(
        &app.store,
        &shop.id,
        "+8613900139000",
        "cal_1",
        now_ms(),
    )
    .await
    .expect("added");
    assert!(added);
    let again = server::do_not_call::add_from_call(
        &app.store,
        &shop.id,
        "+8613900139000",
        "cal_2",
        now_ms(),
    )
    .await
    .expect("asked");
    assert!(!again, "a listed number keeps its first entry");
    assert!(listed("+8613900139000").await);

    let (status, report) = upload(
        &app,
        key,
        "/do-not-call/import",
        "zh-CN",
        "text/csv",
        "电话,备注\n13700137000,投诉\n13800138000,\n123,\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            &report["added"],
            &report["already_listed"],
            &report["failed"]
        ),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(
        (
            report["errors"][0]["row"].as_u64(),
            report["errors"][0]["column"].as_str()
        ),
        (Some(4), Some("电话"))
    );

    let (_, page) = call(
        &app,
        Method::GET,
        key,
        "/do-not-call?limit=2",
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(2));
    let (_, found) = call(
        &app,
        Method::GET,
        key,
        "/do-not-call?search=投诉",
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(found["entries"][0]["phone"], "+8613700137000", "{found}");
    assert_eq!(found["entries"][0]["source"], "import");
    assert_eq!(
        found["entries"][0]["added_by_name"], "owner key",
        "an entry names who added it as people know them: {found}"
    );
    let (_, found) = call(
        &app,
        Method::GET,
        key,
        "/do-not-call?search=139",
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(found["entries"][0]["call_id"], "cal_1", "{found}");
    assert_eq!(found["entries"][0]["source"], "flow");
    assert!(
        found["entries"][0].get("added_by_name").is_none(),
        "the system has no name: {found}"
    );

    let (status, _) = call(
        &app,
        Method::DELETE,
        key,
        "/do-not-call/%2B8613800138000",
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(!listed("+8613800138000").await);
    let (status, missing) = call(
        &app,
        Method::DELETE,
        key,
        "/do-not-call/13800138000",
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(missing["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("免打扰"));

    let actions: Vec<(String, String)> = app
        .store
        .list_audit(&shop.id, 20)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| (entry.action, entry.object))
        .collect();
    for (action, object) in [
        ("do_not_call.add", "+8613800138000"),
        ("do_not_call.add", "+8613900139000"),
        ("do_not_call.import", "do_not_call"),
        ("do_not_call.remove", "+8613800138000"),
    ] {
        assert!(
            actions.iter().any(|(a, o)| a == action && o == object),
            "{action} {object} in {actions:?}"
        );
    }
    assert_eq!(
        actions
            .iter()
            .filter(|(a, _)| a == "do_not_call.add")
            .count(),
        2
    );
    app
}

async fn another_shops_lists_and_numbers_are_not_there(app: TestApp) -> TestApp {
    let mine = app.tenant("Mine").await;
    let theirs = app.tenant("Theirs").await;
    let list = new_list(&app, &theirs.owner_key, "会员").await;
    upload(
        &app,
        &theirs.owner_key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "text/csv",
        "phone\n13800138000\n".as_bytes().to_vec(),
    )
    .await;
    let page = contacts(&app, &theirs.owner_key, &list, "").await;
    let contact = page["contacts"][0]["id"].as_str().expect("id").to_owned();
    server::do_not_call::add_from_call(&app.store, &theirs.id, "+8613800138000", "cal_9", now_ms())
        .await
        .expect("added");

    let key = &mine.owner_key;
    for (method, path) in [
        (Method::GET, format!("/contact-lists/{list}")),
        (Method::PATCH, format!("/contact-lists/{list}")),
        (Method::DELETE, format!("/contact-lists/{list}")),
        (Method::GET, format!("/contact-lists/{list}/contacts")),
        (
            Method::GET,
            format!("/contact-lists/{list}/contacts/{contact}"),
        ),
        (
            Method::PATCH,
            format!("/contact-lists/{list}/contacts/{contact}"),
        ),
        (
            Method::DELETE,
            format!("/contact-lists/{list}/contacts/{contact}"),
        ),
        (Method::DELETE, "/do-not-call/%2B8613800138000".to_owned()),
    ] {
        let body = (method == Method::PATCH).then(|| json!({ "name": "x" }));
        let (status, _) = call(&app, method.clone(), key, &path, "zh-CN", body).await;
        assert_eq!(status, 404, "{method} {path}");
    }
    let (status, _) = upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "text/csv",
        "phone\n13900139000\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 404);
    let (_, lists) = call(&app, Method::GET, key, "/contact-lists", "zh-CN", None).await;
    assert_eq!(lists, json!([]));
    let (_, page) = call(&app, Method::GET, key, "/do-not-call", "zh-CN", None).await;
    assert_eq!(page["total"], 0);
    assert!(
        !server::do_not_call::is_listed(&app.store, &mine.id, "+8613800138000")
            .await
            .expect("asked")
    );
    // Theirs are untouched.
    assert_eq!(
        contacts(&app, &theirs.owner_key, &list, "").await["total"],
        1
    );
    app
}

async fn erasure_keeps_the_refusal_and_deletion_leaves_nothing(app: TestApp) -> TestApp {
    let shop = app.tenant("Erasing Shop").await;
    let key = &shop.owner_key;
    let list = new_list(&app, key, "会员").await;
    upload(
        &app,
        key,
        &format!("/contact-lists/{list}/import"),
        "zh-CN",
        "text/csv",
        "phone,name\n13800138000,张伟\n13900139000,李娜\n"
            .as_bytes()
            .to_vec(),
    )
    .await;
    let second = new_list(&app, key, "问卷").await;
    upload(
        &app,
        key,
        &format!("/contact-lists/{second}/import"),
        "zh-CN",
        "text/csv",
        "phone\n+86 138 0013 8000\n".as_bytes().to_vec(),
    )
    .await;
    server::do_not_call::add_from_call(&app.store, &shop.id, "+8613800138000", "cal_1", now_ms())
        .await
        .expect("added");

    let (status, erased) = call(
        &app,
        Method::POST,
        key,
        "/privacy/subjects/erase",
        "zh-CN",
        Some(json!({ "phone": "13800138000" })),
    )
    .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(erased["contacts"], 2, "{erased}");
    assert_eq!(erased["do_not_call_kept"], true);
    let left: Vec<String> = every_row(&app)
        .await
        .into_iter()
        .filter(|(_, row)| row.contains("+8613800138000"))
        .map(|(table, _)| table)
        .collect();
    // The refusal stays, with the audit entry of its adding (its evidence), and nothing else.
    assert_eq!(
        left,
        vec!["audit_log".to_owned(), "do_not_call".to_owned()],
        "the refusal alone stays"
    );
    let audit = app.store.list_audit(&shop.id, 50).await.expect("audit");
    assert!(audit
        .iter()
        .filter(|entry| entry.object.contains("+8613800138000"))
        .all(|entry| entry.action == "do_not_call.add"));
    assert_eq!(contacts(&app, key, &list, "").await["total"], 1);

    let kept = app.tenant("Kept Shop").await;
    let kept_list = new_list(&app, &kept.owner_key, "会员").await;
    let slug = app
        .store
        .get_tenant(&shop.id)
        .await
        .expect("read")
        .expect("the tenant")
        .slug;
    let (_, deleted) = tenancy::delete(&app.store, &Operator::Admin, &slug, &slug, now_ms())
        .await
        .expect("deleted");
    let count = |table: &str| {
        deleted
            .iter()
            .find(|(name, _)| *name == table)
            .map_or(0, |(_, rows)| *rows)
    };
    assert_eq!(
        (
            count("contact_lists"),
            count("contacts"),
            count("do_not_call")
        ),
        (2, 1, 1)
    );
    let left: Vec<String> = every_row(&app)
        .await
        .into_iter()
        .filter(|(table, row)| {
            ["contact_lists", "contacts", "do_not_call"].contains(&table.as_str())
                && row.contains(&shop.id)
        })
        .map(|(table, _)| table)
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let (status, _) = call(
        &app,
        Method::GET,
        &kept.owner_key,
        &format!("/contact-lists/{kept_list}"),
        "zh-CN",
        None,
    )
    .await;
    assert_eq!(status, 200, "another shop's list stays");
    app
}

on_both_databases!(
    csv_import_normalises_numbers_reports_bad_rows_and_merges_duplicates,
    xlsx_import_reads_numeric_cells_and_us_numbers_in_a_us_shop,
    contacts_change_by_role_and_field_names_are_identifiers,
    the_do_not_call_list_is_added_to_imported_searched_and_asked,
    another_shops_lists_and_numbers_are_not_there,
    erasure_keeps_the_refusal_and_deletion_leaves_nothing,
);
