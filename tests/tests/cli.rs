//! The `callflow` command line, run as a user would run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use callflow_tests::{callflow, example_flows, root};

/// `callflow` speaking English, whatever the machine's `LANG`: most tests read its English words.
fn english() -> Command {
    let mut command = callflow();
    command.env("LANG", "en_US.UTF-8");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(args: &[&str]) -> Output {
    english().args(args).output().expect("callflow runs")
}

/// `callflow chat` on the order-status example for 演示商城, with the caller's lines on stdin.
fn chat(args: &[&str], caller: &str) -> Output {
    let mut child = english()
        .args([
            "chat",
            "flows/order-status.json",
            "--tenant",
            "name=演示商城",
        ])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(caller.as_bytes())
        .expect("write");
    child.wait_with_output().expect("finishes")
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["chat", "--help"],
        vec!["test", "--help"],
        vec!["schema", "--help"],
    ] {
        let output = run(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(text(&output.stdout).contains("Usage: callflow"), "{args:?}");
    }
    let help = text(&run(&["chat", "--help"]).stdout);
    assert!(
        help.contains("/digits 12#") && help.contains("--mock-http"),
        "{help}"
    );
}

#[test]
fn the_example_flows_validate() {
    let flows = example_flows();
    assert!(flows.len() >= 5);
    let output = english()
        .arg("validate")
        .args(&flows)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout), "", "no diagnostics expected");
    assert!(text(&output.stderr).contains(&format!(
        "{} file(s) checked: 0 error(s), 0 warning(s)",
        flows.len()
    )));
}

#[test]
fn a_malformed_flow_gets_precise_messages_and_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        r#"{
  "schema": 1, "name": "坏的流程", "language": "zh-CN", "start": "greet",
  "nodes": [
    { "id": "greet", "type": "say", "text": "您好 {{ vars.name ", "next": "ask" },
    { "id": "ask", "type": "ask", "prompt": "请问？",
      "intents": [ { "name": "track", "examples": ["查物流"], "next": "nowhere" } ],
      "no_match": { "next": "bye" }, "no_input": { "next": "bye" }, "timeout_ms": "five" },
    { "id": "calc", "type": "script", "code": "let x = 1;\nx +* 2;", "next": "bye", "error": "bye" },
    { "id": "bye", "type": "end", "outcome": "resolved" }
  ]
}"#,
    )
    .expect("write");
    let output = english().arg("validate").arg(&path).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    let file = path.display().to_string();
    // Each line is `file: node: field: message`.
    for expected in [
        format!("{file}: greet: /nodes/0/text: error[template_syntax]"),
        format!("{file}: ask: /nodes/1/timeout_ms: error[wrong_type]"),
        format!("{file}: calc: /nodes/2/code: error[script_syntax]"),
    ] {
        assert!(
            stdout.contains(&expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("(line 2, column"),
        "script error has its place:\n{stdout}"
    );
}

#[test]
fn invalid_json_names_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("syntax.json");
    std::fs::write(&path, "{\n  \"schema\": 1,\n  \"name\": \n}").expect("write");
    let output = english().arg("validate").arg(&path).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("error[json_syntax]") && stdout.contains("line 4"),
        "{stdout}"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let output = run(&["validate", "no/such/flow.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stdout)
        .contains("no/such/flow.json: -: /: error[unreadable_file]: cannot read"));
}

#[test]
fn callflow_test_passes_every_example_conversation() {
    for flow in example_flows() {
        let stem = flow
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let conversations = root().join("flows/tests").join(format!("{stem}.yaml"));
        let output = english()
            .arg("test")
            .arg(&flow)
            .arg(&conversations)
            .output()
            .expect("runs");
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "{stem}:\n{stdout}{}",
            text(&output.stderr)
        );
        let summary = stdout.lines().last().unwrap_or_default();
        assert!(summary.ends_with(" passed, 0 failed"), "{summary}");
        let passed: usize = summary
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(passed >= 5, "{stem}: only {passed} conversations");
    }
}

#[test]
fn a_failing_conversation_prints_a_diff_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wrong.yaml");
    std::fs::write(
        &path,
        "conversations:\n  - name: expects the wrong greeting\n    turns:\n      - bot: [\"Hello there\"]\n",
    )
    .expect("write");
    let output = english()
        .args(["test", "flows/order-status.json"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("✗ expects the wrong greeting"), "{stdout}");
    assert!(stdout.contains("- expected: Hello there"), "{stdout}");
    assert!(stdout.contains("+ actual:"), "{stdout}");
    assert!(stdout.ends_with("0 passed, 1 failed\n"), "{stdout}");
}

#[test]
fn chat_runs_a_conversation_from_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mocks = dir.path().join("mocks.yaml");
    std::fs::write(&mocks, "- url: /orders/\n  status: 503\n").expect("write");
    let output = chat(
        &[
            "--tenant",
            "api=https://demo-shop.callflow.test/api",
            "--mock-http",
            &mocks.display().to_string(),
        ],
        "/vars\n/silence\n转人工\n",
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains("演示商城"),
        "the greeting uses the tenant name:\n{stdout}"
    );
    assert!(stdout.contains("(no input #1)"), "{stdout}");
    assert!(stdout.contains("(global intent 转人工, "), "{stdout}");
    // The flow, its nodes and intents go by the names the editor shows.
    assert!(
        stdout.starts_with("订单查询 (order-status) [zh-CN]"),
        "{stdout}"
    );
    assert!(stdout.contains("bot [欢迎语]: "), "{stdout}");
    assert!(stdout.contains("transfer to Queue"), "{stdout}");
    assert!(stdout.contains("call ended: handoff"), "{stdout}");
}

#[test]
fn chat_answers_from_a_knowledge_base_given_as_a_spreadsheet() {
    let output = chat(
        &["--knowledge", "shop-faq=flows/knowledge/shop-faq.zh-CN.csv"],
        "怎么开发票\n",
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("from shop-faq"), "{stdout}");
    assert!(stdout.contains("申请开票"), "the FAQ's answer:\n{stdout}");
    // Without it the flow's FAQ from anywhere has no base to ask.
    let without = text(&chat(&[], "怎么开发票\n").stdout);
    assert!(!without.contains("申请开票"), "{without}");
    let missing = chat(&["--knowledge", "shop-faq=no-such.csv"], "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no-such.csv"));
}

#[test]
fn chat_takes_the_caller_and_the_customer_a_lookup_would_find() {
    let output = chat(
        &[
            "--from",
            "+8613800000001",
            "--customer",
            "title=张先生",
            "--customer",
            "vip_level=2",
        ],
        "",
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("张先生您好"), "greeted by name:\n{stdout}");
    let stranger = text(&chat(&["--from", "+8613900001111"], "").stdout);
    assert!(!stranger.contains("张先生"), "{stranger}");
}

#[test]
fn chat_hangs_up_at_end_of_input() {
    let output = english()
        .args(["chat", "flows/order-status.json"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert!(text(&output.stdout).contains("call ended: abandoned"));
}

#[test]
fn schema_prints_the_committed_schema() {
    let output = run(&["schema"]);
    assert!(output.status.success());
    let committed = std::fs::read_to_string(root().join("schema/flow-v1.schema.json"))
        .expect("committed schema");
    assert_eq!(text(&output.stdout), committed);
}

/// Answers one HTTP request on 127.0.0.1 with `body`, and hands back the request it got.
fn serve_once(body: &'static str) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a request arrives");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).expect("read") == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("respond");
        head
    });
    (address, handle)
}

#[test]
fn chat_makes_real_http_requests() {
    let (api, server) = serve_once(
        r#"{"order_id":"2024061801","status":"shipped","carrier":"顺丰速运","tracking_no":"SF1234567890","eta":"明天下午","customer_name":"王先生"}"#,
    );
    let output = chat(
        &["--tenant", &format!("api={api}")],
        "查物流\n二零二四零六一八零一\n没有了，谢谢\n",
    );
    let stdout = text(&output.stdout);
    let request = server.join().expect("the server saw the request");
    assert!(
        request.starts_with("GET /orders/2024061801 HTTP/1.1"),
        "{request}"
    );
    assert!(stdout.contains("(→ 200, port next)"), "{stdout}");
    assert!(
        stdout.contains("顺丰速运") && stdout.contains("尾号7890"),
        "{stdout}"
    );
    assert!(stdout.contains("call ended: resolved"), "{stdout}");
}

#[test]
fn messages_follow_lang_and_the_lang_option() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dangling.json");
    std::fs::write(
        &path,
        r#"{ "schema": 1, "name": "悬空", "language": "zh-CN", "start": "greet",
  "nodes": [ { "id": "greet", "type": "say", "text": "您好", "next": "nowhere" } ] }"#,
    )
    .expect("write");
    let file = path.display().to_string();
    let chinese = text(
        &callflow()
            .args(["validate", "--lang", "zh-CN", &file])
            .output()
            .expect("runs")
            .stdout,
    );
    assert!(
        chinese.contains("「下一步」连线指向的节点「nowhere」不存在"),
        "{chinese}"
    );
    let english = text(
        &english()
            .args(["validate", &file])
            .output()
            .expect("runs")
            .stdout,
    );
    assert!(
        english.contains("The \"next\" connection leads to node \"nowhere\""),
        "{english}"
    );
    let by_lang = text(
        &callflow()
            .env("LANG", "zh_CN.UTF-8")
            .args(["validate", &file])
            .output()
            .expect("runs")
            .stdout,
    );
    assert_eq!(by_lang, chinese);
    let refused = callflow()
        .args(["validate", "--lang", "fr", &file])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));

    let chat = callflow()
        .args(["chat", "flows/order-status.json", "--lang", "zh-CN"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let stdout = text(&chat.stdout);
    assert!(stdout.contains("输入来电者说的话"), "{stdout}");
    assert!(stdout.contains("通话结束：中途放弃"), "{stdout}");
    assert!(!stdout.contains("call ended"), "{stdout}");
}

/// Whether `line` holds Chinese and no English sentence (no run of two Latin words).
fn is_chinese_only(line: &str) -> bool {
    let has_chinese = line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let latin_words: Vec<&str> = line
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| word.len() > 1)
        .collect();
    has_chinese && latin_words.is_empty()
}

#[test]
fn the_summary_lines_of_validate_and_test_follow_lang() {
    let flow = "flows/order-status.json";
    let validate = |lang: &str| {
        let output = callflow()
            .args(["validate", "--lang", lang, flow])
            .output()
            .expect("runs");
        text(&output.stderr)
            .lines()
            .last()
            .unwrap_or_default()
            .to_owned()
    };
    let chinese = validate("zh-CN");
    assert!(is_chinese_only(&chinese), "{chinese}");
    assert!(chinese.contains("检查了 1 个文件"), "{chinese}");
    assert_eq!(
        validate("en"),
        "1 file(s) checked: 0 error(s), 0 warning(s)"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wrong.yaml");
    std::fs::write(
        &path,
        "conversations:\n  - name: expects the wrong greeting\n    turns:\n      - bot: [\"Hello there\"]\n",
    )
    .expect("write");
    let test = |lang: &str| {
        let output = callflow()
            .args(["test", "--lang", lang, flow])
            .arg(&path)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1));
        text(&output.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .to_owned()
    };
    let chinese = test("zh-CN");
    assert!(is_chinese_only(&chinese), "{chinese}");
    assert_eq!(chinese, "0 个通过，1 个失败");
    assert_eq!(test("en"), "0 passed, 1 failed");
}

/// A conversation test whose flow's script fails reads, with `--lang zh-CN`, in Chinese: the
/// failed expectation, the transcript and the script's failure, the node by its name and only
/// the author's own words (the thrown value, the bot's lines) left as they were written.
#[test]
fn a_failing_script_reads_in_the_language_of_test() {
    let dir = tempfile::tempdir().expect("temp dir");
    let flow = dir.path().join("flow.json");
    std::fs::write(
        &flow,
        r#"{
  "schema": 1,
  "name": "script-fails",
  "language": "zh-CN",
  "start": "check",
  "nodes": [
    { "id": "check", "type": "script", "label": "核对订单号",
      "code": "throw \"缺少订单号\";", "next": "done", "error": "sorry" },
    { "id": "sorry", "type": "say", "label": "致歉", "text": "抱歉，系统开小差了。", "next": "done" },
    { "id": "done", "type": "end", "label": "结束", "outcome": "resolved" }
  ]
}"#,
    )
    .expect("write flow");
    let conversations = dir.path().join("fails.yaml");
    std::fs::write(
        &conversations,
        "conversations:\n  - name: 期望别的结果\n    turns:\n      - node: done\n        bot: [\"您好\"]\n",
    )
    .expect("write conversations");
    let report = |lang: &str| {
        let output = callflow()
            .args(["test", "--lang", lang])
            .arg(&flow)
            .arg(&conversations)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        text(&output.stdout)
    };

    let chinese = report("zh-CN");
    for expected in [
        "第 1 轮：机器人的话",
        "- 期望：您好",
        "+ 实际：抱歉，系统开小差了。",
        "对话记录：",
        "（脚本出错（核对订单号）：脚本因出错而停止：缺少订单号）",
        "机器人：抱歉，系统开小差了。",
        "（通话结束：resolved）",
    ] {
        assert!(
            chinese.contains(expected),
            "{expected:?} missing in:\n{chinese}"
        );
    }
    // Every line but the first (the files' paths) is Chinese, but for the outcome's code.
    for line in chinese.lines().skip(1) {
        let line = line.replace("resolved", "");
        assert!(
            !line.chars().any(|c| c.is_ascii_alphabetic()),
            "English in {line:?} of:\n{chinese}"
        );
    }

    let english = report("en");
    for expected in [
        "turn 1: bot lines",
        "- expected: 您好",
        "transcript:",
        "(Script error in 核对订单号: the script stopped with an error: 缺少订单号)",
        "(ended: resolved)",
    ] {
        assert!(
            english.contains(expected),
            "{expected:?} missing in:\n{english}"
        );
    }
}
