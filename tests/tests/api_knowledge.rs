//! The knowledge-bases API against the real server, on SQLite and PostgreSQL: a CS manager's
//! day — create a base, import a spreadsheet with a bad row, try questions, export and
//! re-import, read the revisions — plus entries, roles and the files the import refuses.

use callflow_tests::app::TestApp;
use callflow_tests::on_both_databases;
use reqwest::header::HeaderMap;
use reqwest::RequestBuilder;
use serde_json::{json, Value};
use server::store::Role;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
    bytes: Vec<u8>,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

async fn send(request: RequestBuilder) -> Answer {
    let response = request.send().await.expect("the request is answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("the body is read").to_vec();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        bytes,
    }
}

fn request(app: &TestApp, method: reqwest::Method, key: &str, path: &str) -> RequestBuilder {
    app.client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(key)
        .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
}

async fn import(app: &TestApp, key: &str, mode: &str, content_type: &str, file: Vec<u8>) -> Answer {
    send(
        request(
            app,
            reqwest::Method::POST,
            key,
            &format!("/knowledge-bases/shop-faq/import?mode={mode}"),
        )
        .header("Content-Type", content_type)
        .body(file),
    )
    .await
}

/// A workbook as a CS manager writes one: columns in their own order, English and Chinese
/// header names mixed, a notes column, one row without an answer and one with a broken
/// template.
fn workbook() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let rows: [[&str; 5]; 6] = [
        ["答案", "question", "分类", "相似问法", "备注"],
        [
            "付款后48小时内发货，预售商品以页面时间为准。",
            "多久发货",
            "物流",
            "什么时候发货\n几天能发出",
            "",
        ],
        [
            "可以，在订单详情页申请电子发票。",
            "能开发票吗",
            "发票",
            "怎么开发票|要发票",
            "财务确认过",
        ],
        ["", "运费怎么算", "物流", "", "答案待补"],
        [
            "签收后七天内可无理由退货。",
            "怎么退货",
            "售后",
            "我想退货",
            "",
        ],
        ["{{vars.name 您好，会员包邮。", "会员包邮吗", "会员", "", ""],
    ];
    for (row, cells) in rows.iter().enumerate() {
        for (column, text) in cells.iter().enumerate() {
            sheet
                .write_string(row as u32, column as u16, *text)
                .expect("write cell");
        }
    }
    workbook.save_to_buffer().expect("workbook")
}

async fn a_base_from_a_spreadsheet_round_trips(app: TestApp) -> TestApp {
    let tenant = app.tenant("Knowledge Shop").await;
    let owner = &tenant.owner_key;
    let created = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases")
            .json(&json!({ "key": "shop-faq", "name": "商城常见问题", "language": "zh-CN" })),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["revision"], 1);
    assert_eq!(created.body["entries"], 0);
    let again = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases")
            .json(&json!({ "key": "shop-faq", "name": "重复", "language": "zh-CN" })),
    )
    .await;
    assert_eq!((again.status, again.code()), (409, "key_taken"));
    let bad_key = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases")
            .json(&json!({ "key": "Shop FAQ", "name": "x", "language": "zh-CN" })),
    )
    .await;
    assert_eq!((bad_key.status, bad_key.code()), (422, "invalid_body"));
    assert_eq!(bad_key.body["errors"][0]["code"], "invalid_key");

    // All or nothing: two bad rows, nothing written.
    let refused = import(&app, owner, "all_or_nothing", XLSX, workbook()).await;
    assert_eq!(refused.status, 422, "{:?}", refused.body);
    assert_eq!(refused.body["written"], false);
    assert_eq!(refused.body["failed"], 2);
    let base = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases/shop-faq",
    ))
    .await;
    assert_eq!(
        (
            base.body["revision"].as_i64(),
            base.body["entries"].as_i64()
        ),
        (Some(1), Some(0))
    );

    // Partial: the good rows are written as one revision, the bad ones say why in Chinese.
    let imported = import(&app, owner, "partial", XLSX, workbook()).await;
    assert_eq!(imported.status, 200, "{:?}", imported.body);
    assert_eq!(
        (
            &imported.body["created"],
            &imported.body["failed"],
            &imported.body["revision"]
        ),
        (&json!(3), &json!(2), &json!(2))
    );
    // The audit log names the base an import changed.
    let audit = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/audit-log?action=knowledge_base.import",
    ))
    .await;
    assert_eq!(audit.status, 200, "{:?}", audit.body);
    assert_eq!(
        audit.body["entries"][0]["detail"]["base_name"], "商城常见问题",
        "{:?}",
        audit.body
    );
    let rows = imported.body["rows"].as_array().expect("rows");
    let statuses: Vec<(i64, &str)> = rows
        .iter()
        .map(|row| {
            (
                row["row"].as_i64().unwrap_or(0),
                row["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (2, "created"),
            (3, "created"),
            (4, "failed"),
            (5, "created"),
            (6, "failed")
        ]
    );
    assert_eq!(rows[2]["error"]["code"], "empty_answer");
    assert_eq!(rows[2]["error"]["message"], "答案不能为空。");
    assert_eq!(rows[4]["error"]["code"], "invalid_template");
    assert!(rows[0]["entry_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("kbe_")));

    let listed = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases",
    ))
    .await;
    let items = listed.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(
        (
            &items[0]["key"],
            &items[0]["name"],
            &items[0]["revision"],
            &items[0]["entries"]
        ),
        (
            &json!("shop-faq"),
            &json!("商城常见问题"),
            &json!(2),
            &json!(3)
        )
    );

    // Try a question: an alternative the sheet gave matches its entry.
    let found = send(
        request(
            &app,
            reqwest::Method::POST,
            owner,
            "/knowledge-bases/shop-faq/search",
        )
        .json(&json!({ "question": "什么时候发货呀" })),
    )
    .await;
    assert_eq!(found.status, 200, "{:?}", found.body);
    assert_eq!(found.body["revision"], 2);
    assert_eq!(found.body["hits"][0]["entry"]["question"], "多久发货");
    assert!(found.body["decision"].is_string());

    let invoices = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases/shop-faq/entries?q=发票",
    ))
    .await;
    let invoices = invoices.body["items"].as_array().expect("items");
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0]["alternatives"], json!(["怎么开发票", "要发票"]));
    let paged = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases/shop-faq/entries?limit=2",
    ))
    .await;
    assert_eq!(paged.body["items"].as_array().map(Vec::len), Some(2));
    let cursor = paged.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        &format!("/knowledge-bases/shop-faq/entries?limit=2&cursor={cursor}"),
    ))
    .await;
    assert_eq!(rest.body["items"].as_array().map(Vec::len), Some(1));
    assert!(rest.body.get("next_cursor").is_none());

    // Export as CSV and import it back: every row unchanged, no new revision.
    let exported = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases/shop-faq/export?format=csv",
    ))
    .await;
    assert_eq!(exported.status, 200);
    assert!(
        exported.bytes.starts_with(b"\xEF\xBB\xBF"),
        "a BOM for Excel"
    );
    let text = String::from_utf8(exported.bytes.clone()).expect("UTF-8");
    assert!(text.contains("编号,问题,相似问法,答案,分类,启用"), "{text}");
    assert!(exported.headers["content-disposition"]
        .to_str()
        .is_ok_and(|value| value.contains("shop-faq.csv")));
    let again = import(&app, owner, "all_or_nothing", "text/csv", exported.bytes).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(
        (&again.body["unchanged"], &again.body["revision"]),
        (&json!(3), &json!(2))
    );
    assert!(again.body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .all(|row| row["status"] == "unchanged"));
    let xlsx = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases/shop-faq/export?format=xlsx",
    ))
    .await;
    assert_eq!(xlsx.headers["content-type"], XLSX);
    let again = import(&app, owner, "all_or_nothing", XLSX, xlsx.bytes).await;
    assert_eq!(again.body["unchanged"], 3, "{:?}", again.body);

    let revisions = send(request(
        &app,
        reqwest::Method::GET,
        owner,
        "/knowledge-bases/shop-faq/revisions",
    ))
    .await;
    let items = revisions.body["items"].as_array().expect("items");
    let numbers: Vec<i64> = items
        .iter()
        .filter_map(|item| item["revision"].as_i64())
        .collect();
    assert_eq!(numbers, vec![2, 1]);
    assert_eq!(items[0]["summary"], "导入：新增 3 条，修改 0 条");
    assert_eq!(items[0]["by"], "API 密钥 owner key");
    app
}

async fn entries_roles_and_refused_files(app: TestApp) -> TestApp {
    let tenant = app.tenant("Entries Shop").await;
    let owner = &tenant.owner_key;
    let viewer = app.key(&tenant.id, Role::Viewer).await;
    let agent = app.key(&tenant.id, Role::Agent).await;
    let created = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases")
            .json(&json!({ "key": "shop-faq", "name": "Shop FAQ", "language": "en" })),
    )
    .await;
    assert_eq!(created.status, 201);

    let entry = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases/shop-faq/entries").json(
            &json!({ "question": "How long does shipping take?", "alternatives": ["When will it ship?"],
                     "answer": "Orders ship within 48 hours.", "category": "Shipping" }),
        ),
    )
    .await;
    assert_eq!(entry.status, 201, "{:?}", entry.body);
    assert_eq!(entry.body["enabled"], true);
    let id = entry.body["id"].as_str().expect("id").to_owned();
    let path = format!("/knowledge-bases/shop-faq/entries/{id}");

    let invalid = send(
        app.client
            .put(app.url(&format!("/api/v1{path}")))
            .bearer_auth(owner)
            .header("Accept-Language", "en-US")
            .json(&json!({ "question": " ", "answer": "" })),
    )
    .await;
    assert_eq!((invalid.status, invalid.code()), (422, "invalid_entry"));
    let codes: Vec<&str> = invalid.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|error| error["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["empty_question", "empty_answer"]);
    assert_eq!(invalid.body["errors"][0]["field"], "/question");

    // A question callers asked another way joins the entry, once; nothing else changes.
    let alternatives = format!("{path}/alternatives");
    let add = |text: &str| {
        request(&app, reqwest::Method::POST, owner, &alternatives).json(&json!({ "text": text }))
    };
    let added = send(add(" Is it shipped yet? ")).await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(
        added.body["alternatives"],
        json!(["When will it ship?", "Is it shipped yet?"])
    );
    assert_eq!(added.body["answer"], "Orders ship within 48 hours.");
    let again = send(add("Is it shipped yet?")).await;
    assert_eq!(again.body["alternatives"], added.body["alternatives"]);
    let empty = send(add("  ")).await;
    assert_eq!((empty.status, empty.code()), (422, "invalid_body"));
    assert_eq!(empty.body["errors"][0]["field"], "/text");
    assert!(empty.body["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("问法"));
    let gone = send(
        request(
            &app,
            reqwest::Method::POST,
            owner,
            "/knowledge-bases/shop-faq/entries/kbe_gone/alternatives",
        )
        .json(&json!({ "text": "Where is it?" })),
    )
    .await;
    assert_eq!(gone.status, 404);
    let refused = send(
        request(&app, reqwest::Method::POST, &viewer, &alternatives)
            .json(&json!({ "text": "Where is it?" })),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        invalid.body["errors"][0]["message"],
        "The question is empty."
    );

    let changed = send(
        request(&app, reqwest::Method::PUT, owner, &path).json(&json!({
            "question": "How long does shipping take?",
            "answer": "Orders ship within 24 hours.", "enabled": false
        })),
    )
    .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    assert_eq!(changed.body["id"], id.as_str());
    let base = send(request(
        &app,
        reqwest::Method::GET,
        viewer.as_str(),
        "/knowledge-bases/shop-faq",
    ))
    .await;
    assert_eq!(
        (
            &base.body["revision"],
            &base.body["entries"],
            &base.body["enabled_entries"]
        ),
        // Created, the alternative added (adding it again changes nothing), replaced.
        (&json!(4), &json!(1), &json!(0))
    );

    // Viewers and agents read; only editors and owners change.
    for key in [viewer.as_str(), agent.as_str()] {
        let read = send(request(&app, reqwest::Method::GET, key, &path)).await;
        assert_eq!(read.status, 200);
        let write = send(request(&app, reqwest::Method::DELETE, key, &path)).await;
        assert_eq!(write.status, 403);
    }
    let deleted = send(request(&app, reqwest::Method::DELETE, owner, &path)).await;
    assert_eq!(deleted.status, 204);
    let gone = send(request(&app, reqwest::Method::GET, owner, &path)).await;
    assert_eq!(gone.status, 404);

    // Files the import refuses as a whole, with a problem document in the user's language.
    let missing = import(
        &app,
        owner,
        "partial",
        "text/csv",
        "问题,分类\n多久发货,物流\n".into(),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (422, "missing_column"),
        "{:?}",
        missing.body
    );
    assert!(missing.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("答案")));
    let binary = import(
        &app,
        owner,
        "partial",
        "text/csv",
        b"PK\x03\x04\x00\x00".to_vec(),
    )
    .await;
    assert_eq!((binary.status, binary.code()), (422, "unreadable_file"));
    let damaged = import(
        &app,
        owner,
        "partial",
        XLSX,
        b"PK\x03\x04 not a workbook".to_vec(),
    )
    .await;
    assert_eq!((damaged.status, damaged.code()), (422, "unreadable_file"));
    let undecodable = import(
        &app,
        owner,
        "partial",
        "text/csv",
        b"\x81\x20,\x80\n".to_vec(),
    )
    .await;
    assert_eq!(
        (undecodable.status, undecodable.code()),
        (422, "unsupported_encoding")
    );
    assert!(undecodable.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("UTF-8")));
    let pdf = import(&app, owner, "partial", "application/pdf", b"%PDF".to_vec()).await;
    assert_eq!((pdf.status, pdf.code()), (415, "unsupported_media_type"));
    let large = import(
        &app,
        owner,
        "partial",
        "text/csv",
        vec![b'a'; 5 * 1024 * 1024 + 1],
    )
    .await;
    assert_eq!((large.status, large.code()), (413, "file_too_large"));

    // A GBK file, as Excel saves CSV on a Chinese Windows, with a BOM-less header.
    let gbk: Vec<u8> = [0xce, 0xca, 0xcc, 0xe2, b',', 0xb4, 0xf0, 0xb0, 0xb8, b'\n']
        .into_iter()
        .chain("Q1,A1\n".bytes())
        .collect();
    let imported = import(&app, owner, "partial", "text/csv", gbk).await;
    assert_eq!(
        (imported.status, &imported.body["created"]),
        (200, &json!(1)),
        "{:?}",
        imported.body
    );

    // A base that a published flow answers from cannot be deleted.
    let flow = json!({
        "schema": 1, "name": "faq", "language": "en", "start": "ask",
        "nodes": [
            { "id": "ask", "type": "answer", "knowledge_base": "shop-faq", "next": "bye" },
            { "id": "bye", "type": "end", "outcome": "resolved" }
        ]
    });
    app.published_flow(&tenant.id, "faq", &flow).await;
    let refused = send(request(
        &app,
        reqwest::Method::DELETE,
        owner,
        "/knowledge-bases/shop-faq",
    ))
    .await;
    assert_eq!((refused.status, refused.code()), (409, "in_use"));
    assert!(refused.body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("faq")));
    let other = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases")
            .json(&json!({ "key": "returns", "name": "退货", "language": "zh-CN" })),
    )
    .await;
    assert_eq!(other.status, 201);
    let dropped = send(request(
        &app,
        reqwest::Method::DELETE,
        owner,
        "/knowledge-bases/returns",
    ))
    .await;
    assert_eq!(dropped.status, 204);
    let listed = send(request(
        &app,
        reqwest::Method::GET,
        agent.as_str(),
        "/knowledge-bases",
    ))
    .await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));

    // Another tenant sees none of it.
    let stranger = app.tenant("Stranger").await;
    let hidden = send(request(
        &app,
        reqwest::Method::GET,
        &stranger.owner_key,
        "/knowledge-bases/shop-faq",
    ))
    .await;
    assert_eq!(hidden.status, 404);
    app
}

/// A conversation pins the revision of each knowledge base it started with: an edit made while
/// it goes on changes nothing for it, on this server or another one, and the next conversation
/// sees the edit.
async fn calls_keep_the_revision_they_started_with(app: TestApp) -> TestApp {
    let tenant = app.tenant("Pinning Shop").await;
    let owner = &tenant.owner_key;
    let created = send(
        request(&app, reqwest::Method::POST, owner, "/knowledge-bases")
            .json(&json!({ "key": "shop-faq", "name": "商城常见问题", "language": "zh-CN" })),
    )
    .await;
    assert_eq!(created.status, 201);
    let entry = send(
        request(
            &app,
            reqwest::Method::POST,
            owner,
            "/knowledge-bases/shop-faq/entries",
        )
        .json(&json!({ "question": "多久发货", "answer": "48小时内发货。" })),
    )
    .await;
    let entry_path = format!(
        "/knowledge-bases/shop-faq/entries/{}",
        entry.body["id"].as_str().expect("id")
    );
    let flow = json!({
        "schema": 1, "name": "faq", "language": "zh-CN", "start": "faq",
        "nodes": [
            { "id": "faq", "type": "answer", "knowledge_base": "shop-faq",
              "prompt": "请问有什么可以帮您？", "answered": "done", "no_answer": "done" },
            { "id": "done", "type": "end", "outcome": "resolved" }
        ]
    });
    let (flow, _) = app.published_flow(&tenant.id, "faq", &flow).await;
    let start = || async {
        let started = send(
            request(&app, reqwest::Method::POST, owner, "/sessions")
                .json(&json!({ "flow_id": flow.id })),
        )
        .await;
        assert_eq!(started.status, 201, "{:?}", started.body);
        started.body["id"].as_str().expect("session id").to_owned()
    };
    let before = start().await;

    let edited = send(
        request(&app, reqwest::Method::PUT, owner, &entry_path)
            .json(&json!({ "question": "多久发货", "answer": "24小时内发货。" })),
    )
    .await;
    assert_eq!(edited.status, 200);
    let after = start().await;

    // Another server instance on the same database, with nothing cached.
    let other = server::state::AppState::new(&app.config, app.store.clone()).expect("state");
    for (session, revision, answer) in [
        (&before, 2, "48小时内发货。"),
        (&after, 3, "24小时内发货。"),
    ] {
        let row = app
            .store
            .get_chat_session(&tenant.id, session)
            .await
            .expect("read")
            .expect("the conversation");
        let knowledge = server::conversation::pinned_knowledge(&other, &tenant.id, &row)
            .await
            .expect("knowledge");
        let index = knowledge.get("shop-faq").expect("the base is pinned");
        assert_eq!(index.revision(), revision);
        assert_eq!(index.entries()[0].answer, answer);
    }
    // The old conversation goes on after the edit.
    let turn = send(
        request(
            &app,
            reqwest::Method::POST,
            owner,
            &format!("/sessions/{before}/events"),
        )
        .json(&json!({ "type": "text", "text": "多久发货" })),
    )
    .await;
    assert_eq!(turn.status, 200, "{:?}", turn.body);
    let said = turn.body.to_string();
    assert!(
        said.contains("48小时内发货") && !said.contains("24小时内发货"),
        "the call answers from the revision it started with: {said}"
    );
    // The turn says which entry answered, by its question at that revision, for Try it's line.
    let steps = turn.body["knowledge"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(steps.len(), 1, "{}", turn.body);
    assert_eq!(steps[0]["type"], "kb_answered");
    assert_eq!(steps[0]["question"], "多久发货");
    assert_eq!(steps[0]["knowledge_base"], "shop-faq");
    let score = steps[0]["score"].as_f64().unwrap_or(-1.0);
    assert!((0.0..=1.0).contains(&score), "{score}");
    app
}

/// Refusals speak the asker's `Accept-Language`, Chinese or English, with the same codes.
async fn refusals_speak_the_askers_language(app: TestApp) -> TestApp {
    let tenant = app.tenant("Language Shop").await;
    let owner = tenant.owner_key.clone();
    let viewer = app.key(&tenant.id, Role::Viewer).await;
    let ask = |key: String, method: reqwest::Method, path: &str, language: &str| {
        app.client
            .request(method, app.url(&format!("/api/v1{path}")))
            .bearer_auth(key)
            .header("Accept-Language", language)
    };
    let base = json!({ "key": "shop-faq", "name": "商城常见问题", "language": "zh-CN" });
    let created = send(
        ask(
            owner.clone(),
            reqwest::Method::POST,
            "/knowledge-bases",
            "zh-CN",
        )
        .json(&base),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);

    for (language, chinese) in [("zh-CN,zh;q=0.9", true), ("en-US,en;q=0.9", false)] {
        let cases = [
            (
                send(ask(
                    owner.clone(),
                    reqwest::Method::GET,
                    "/knowledge-bases/gone",
                    language,
                ))
                .await,
                404,
                "not_found",
                ("没有找到这个知识库", "knowledge base was not found"),
            ),
            (
                send(ask(
                    owner.clone(),
                    reqwest::Method::GET,
                    "/knowledge-bases/shop-faq/entries/kbe_gone",
                    language,
                ))
                .await,
                404,
                "not_found",
                ("没有找到这个条目", "entry was not found"),
            ),
            (
                send(
                    ask(
                        viewer.clone(),
                        reqwest::Method::POST,
                        "/knowledge-bases",
                        language,
                    )
                    .json(&json!({ "key": "other", "name": "其他", "language": "zh-CN" })),
                )
                .await,
                403,
                "forbidden",
                (
                    "你的角色不能修改知识库",
                    "Your role may not change knowledge bases",
                ),
            ),
            (
                send(
                    ask(
                        owner.clone(),
                        reqwest::Method::POST,
                        "/knowledge-bases",
                        language,
                    )
                    .json(&base),
                )
                .await,
                409,
                "key_taken",
                (
                    "已有键为“shop-faq”的知识库",
                    "already has a knowledge base with the key",
                ),
            ),
        ];
        for (answer, status, code, (zh, en)) in cases {
            assert_eq!(answer.status, status, "{:?}", answer.body);
            assert_eq!(answer.code(), code);
            assert_eq!(
                answer.headers["content-type"], "application/problem+json",
                "{code}"
            );
            let detail = answer.body["detail"].as_str().unwrap_or_default();
            let (expected, other) = if chinese { (zh, en) } else { (en, zh) };
            assert!(detail.contains(expected), "{language}: {detail}");
            assert!(!detail.contains(other), "{language}: {detail}");
            if chinese {
                assert!(
                    !detail
                        .replace("shop-faq", "")
                        .chars()
                        .any(|c| c.is_ascii_alphabetic()),
                    "no English in the Chinese detail: {detail}"
                );
            }
        }
    }
    app
}

on_both_databases!(
    a_base_from_a_spreadsheet_round_trips,
    entries_roles_and_refused_files,
    calls_keep_the_revision_they_started_with,
    refusals_speak_the_askers_language
);
