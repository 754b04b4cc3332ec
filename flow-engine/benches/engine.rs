//! Engine benchmarks; figures and how to read them are in BENCHMARKS.md.
//!
//! `cargo bench -p flow-engine --bench engine`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flow_engine::conversation::{ConversationFile, HttpMock};
use flow_engine::nlu::{grouping, IntentIndex, IntentSpec, Scope, Utterance};
use flow_engine::runtime::{CallInfo, Event, HandoffStatus, HttpRequest, Session, Transfer};
use flow_engine::script::{Bindings, Sandbox};
use flow_engine::template::Template;
use flow_engine::turn::{self, Resolver};
use flow_engine::{CompiledFlow, FlowDocument};

// The allocator the `callflow` binary runs the engine with (server/src/main.rs): a turn
// allocates often, and its cost differs between allocators.
#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../flows")
}

fn example_flows() -> Vec<(String, FlowDocument)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(flows_dir())
        .expect("flows/")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("readable flow");
            (name, serde_json::from_str(&text).expect("valid flow"))
        })
        .collect()
}

fn compile(document: &FlowDocument) -> Arc<CompiledFlow> {
    CompiledFlow::compile(document, &Default::default()).expect("example flows compile")
}

/// Records the events of a conversation, HTTP answers included, so they can be replayed
/// without the conversation runner.
struct Recorder<'a> {
    mocks: &'a [HttpMock],
    answers: Vec<Event>,
}

impl Resolver for Recorder<'_> {
    fn http(&mut self, request: &HttpRequest) -> Event {
        let answer = self
            .mocks
            .iter()
            .find(|m| m.matches(request))
            .map(HttpMock::answer)
            .expect("the happy path mocks every request");
        self.answers.push(answer.clone());
        answer
    }

    fn transfer(&mut self, _: &Transfer) -> Event {
        let answer = Event::HandoffResult {
            status: HandoffStatus::Connected,
        };
        self.answers.push(answer.clone());
        answer
    }
}

/// The first conversation of `flows/tests/order-status.yaml` (its happy path) as the exact list
/// of events a driver feeds, and the tenant it runs with.
fn happy_path(flow: &Arc<CompiledFlow>) -> (Vec<Event>, CallInfo) {
    let text = std::fs::read_to_string(flows_dir().join("tests/order-status.yaml")).expect("tests");
    let file = ConversationFile::parse(&text).expect("conversation file");
    let conversation = &file.conversations[0];
    let mocks: Vec<HttpMock> = conversation
        .http
        .iter()
        .chain(&file.http)
        .cloned()
        .collect();
    let mut tenant = file.tenant.clone();
    tenant.extend(conversation.tenant.clone());
    let call = CallInfo {
        vars: conversation.vars.clone(),
        tenant,
        ..CallInfo::default()
    };
    let mut session = Session::new(flow.clone(), call.clone());
    let mut events = Vec::new();
    let mut inputs = vec![Event::Started];
    inputs.extend(conversation.turns.iter().filter_map(|turn| {
        if let Some(text) = &turn.caller {
            Some(Event::Heard {
                text: text.clone(),
                confidence: None,
            })
        } else if let Some(digits) = &turn.digits {
            Some(Event::Digits {
                digits: digits.clone(),
            })
        } else if turn.silence {
            Some(Event::NoInput)
        } else {
            turn.hangup.then_some(Event::HungUp)
        }
    }));
    for input in inputs {
        let mut recorder = Recorder {
            mocks: &mocks,
            answers: Vec::new(),
        };
        events.push(input.clone());
        turn::drive(&mut session, input, &mut recorder);
        events.extend(recorder.answers);
    }
    assert!(session.is_ended(), "the happy path ends the call");
    (events, call)
}

/// A flow near the largest allowed size (5,000 nodes): 2,499 question-and-answer pairs in a chain, each
/// question with two intents, a branch and a template.
fn largest_flow() -> FlowDocument {
    let pairs = 2_499;
    let mut nodes = Vec::with_capacity(pairs * 2 + 1);
    for i in 0..pairs {
        let next = if i + 1 == pairs {
            "bye".to_owned()
        } else {
            format!("ask{}", i + 1)
        };
        nodes.push(serde_json::json!({
            "id": format!("ask{i}"), "type": "ask", "prompt": format!("第{i}个问题：{{{{vars.name}}}}，请问是否继续？"),
            "intents": [
                { "name": "yes", "examples": ["继续", "好的"], "next": format!("check{i}") },
                { "name": "human", "examples": ["转人工"], "next": "bye" }
            ],
            "no_match": { "prompts": ["没听清"], "max": 1, "next": format!("check{i}") },
            "no_input": { "max": 1, "next": "bye" }
        }));
        nodes.push(serde_json::json!({
            "id": format!("check{i}"), "type": "branch",
            "cases": [ { "when": format!("vars.count > {i}"), "next": "bye" } ], "else": next
        }));
    }
    nodes.push(serde_json::json!({ "id": "bye", "type": "end", "outcome": "resolved" }));
    serde_json::from_value(serde_json::json!({
        "schema": 1, "name": "largest", "language": "zh-CN", "start": "ask0",
        "variables": { "name": "张伟", "count": 0 }, "nodes": nodes
    }))
    .expect("a valid generated flow")
}

fn bench_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    for (name, document) in example_flows() {
        group.bench_function(&name, |b| b.iter(|| compile(black_box(&document))));
    }
    let largest = largest_flow();
    assert_eq!(largest.nodes.len(), 4_999);
    group.sample_size(10);
    group.bench_function("generated_4999_nodes", |b| {
        b.iter(|| compile(black_box(&largest)))
    });
    group.finish();
}

fn bench_turns(c: &mut Criterion) {
    let flows = example_flows();
    let (_, document) = flows
        .iter()
        .find(|(n, _)| n == "order-status")
        .expect("order-status");
    let flow = compile(document);
    let (events, call) = happy_path(&flow);
    let mut group = c.benchmark_group("turns");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("order_status_happy_path", |b| {
        let mut actions = Vec::with_capacity(64);
        b.iter_batched(
            || (Session::new(flow.clone(), call.clone()), events.clone()),
            |(mut session, events)| {
                for event in events {
                    actions.clear();
                    session.handle_into(event, &mut actions);
                }
                session
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("snapshot");
    let mut session = Session::new(flow.clone(), call.clone());
    // Mid-call: after the greeting and the first answer.
    for event in events.iter().take(2) {
        session.handle(event.clone());
    }
    let text = serde_json::to_string(&session.snapshot()).expect("snapshot");
    println!("order-status snapshot mid-call: {} bytes", text.len());
    group.bench_function("take_and_serialize", |b| {
        b.iter(|| serde_json::to_string(&black_box(&session).snapshot()).expect("snapshot"))
    });
    group.bench_function("parse_and_resume", |b| {
        b.iter(|| {
            let snapshot = serde_json::from_str(black_box(&text)).expect("parse");
            Session::resume(flow.clone(), snapshot).expect("resume")
        })
    });
    group.finish();
}

fn bindings() -> Bindings {
    let mut bindings = Bindings::default();
    for (name, value) in [
        ("order_id", "12345678"),
        ("status", "shipped"),
        ("carrier", "顺丰速运"),
        ("eta", "明天"),
        ("customer_name", "张伟"),
        ("tracking_no", "SF1234567890"),
    ] {
        bindings.vars.insert(name.into(), value.into());
    }
    bindings
        .vars
        .insert("attempts".into(), rhai::Dynamic::from_int(2));
    bindings.tenant.insert("name".into(), "演示商城".into());
    bindings
}

fn bench_expressions(c: &mut Criterion) {
    let sandbox = Sandbox::shared();
    let mut group = c.benchmark_group("expressions");
    let condition = sandbox
        .compile_expression(r#"vars.status == "shipped""#)
        .expect("compiles");
    let mut b1 = bindings();
    group.bench_function("branch_condition", |b| {
        b.iter(|| {
            sandbox
                .eval_expression(black_box(&condition), &mut b1)
                .expect("evaluates")
        })
    });
    let compound = sandbox
        .compile_expression(
            r#"vars.status == "shipped" && vars.attempts < 3 && vars.carrier != """#,
        )
        .expect("compiles");
    group.bench_function("branch_condition_compound", |b| {
        b.iter(|| {
            sandbox
                .eval_expression(black_box(&compound), &mut b1)
                .expect("evaluates")
        })
    });
    let path = Template::parse(
        "您的订单{{vars.order_id}}已由{{vars.carrier}}发出，预计{{vars.eta}}送达。",
        &sandbox,
    )
    .expect("parses");
    group.bench_function("template_paths", |b| {
        b.iter(|| path.render(&sandbox, &mut b1).expect("renders"))
    });
    let computed = Template::parse("还剩{{ 3 - vars.attempts }}次机会", &sandbox).expect("parses");
    group.bench_function("template_expression", |b| {
        b.iter(|| computed.render(&sandbox, &mut b1).expect("renders"))
    });
    let runaway = sandbox.compile_script("loop { }").expect("compiles");
    group.sample_size(10);
    group.bench_function("runaway_script_stopped", |b| {
        b.iter(|| sandbox.run_script(&runaway, &mut b1).expect_err("stopped"))
    });
    group.finish();
}

fn bench_nlu(c: &mut Criterion) {
    let examples: Vec<(Vec<String>, Vec<String>)> = [
        (
            vec!["我的快递到哪了", "查物流", "查一下订单", "订单什么时候到"],
            vec!["物流", "快递"],
        ),
        (
            vec!["我要退货", "怎么退款", "申请退款"],
            vec!["退货", "退款"],
        ),
        (vec!["转人工", "人工客服", "我要找人工"], vec!["人工"]),
        (vec!["修改地址", "改一下收货地址"], vec!["地址"]),
        (vec!["开发票", "发票怎么开"], vec!["发票"]),
    ]
    .into_iter()
    .map(|(e, k)| {
        (
            e.into_iter().map(str::to_owned).collect(),
            k.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect();
    let index = IntentIndex::new(
        examples
            .iter()
            .map(|(examples, keywords)| IntentSpec { examples, keywords }),
        Scope::Node,
    );
    let mut group = c.benchmark_group("nlu");
    group.bench_function("utterance_and_best_match_5_intents", |b| {
        b.iter(|| {
            index.best_match(&Utterance::new(black_box(
                "你好，我想问一下我买的东西现在到哪儿了",
            )))
        })
    });
    // A large node: 30 intents × 20 examples, trained at compile time.
    let large = large_node();
    let specs = || {
        large.iter().map(|examples| IntentSpec {
            examples,
            keywords: &[],
        })
    };
    group.sample_size(20);
    group.bench_function("train_30_intents_x_20_examples", |b| {
        b.iter(|| IntentIndex::new(specs(), Scope::Node))
    });
    // What the built-in shop intents cost a compile, in the same run.
    group.bench_function("train_30_intents_x_20_examples_without_library", |b| {
        b.iter(|| IntentIndex::without_library(specs(), Scope::Node))
    });
    let index = IntentIndex::new(specs(), Scope::Node);
    group.sample_size(100);
    group.bench_function("utterance_and_best_match_30_intents", |b| {
        b.iter(|| {
            index.best_match(&Utterance::new(black_box(
                "你好，我想问一下退款现在怎么样了",
            )))
        })
    });
    print_p99(&index);
    group.bench_function("utterance", |b| {
        b.iter(|| Utterance::new(black_box("你好，我想问一下退款现在怎么样了")))
    });
    let utterance = Utterance::new("你好，我想问一下退款现在怎么样了");
    group.bench_function("best_match_30_intents", |b| {
        b.iter(|| index.best_match(black_box(&utterance)))
    });
    // The "not understood" list groups at most 2,000 phrasings per request, a campaign's report
    // at most 5,000 wordings of a reason: 600 sentences, each also with one of a few openings
    // and endings, as callers vary them.
    let phrasings: Vec<String> = ["", "喂，", "你好，"]
        .iter()
        .flat_map(|opening| {
            large.iter().flatten().flat_map(move |sentence| {
                ["", "啊", "呢", "吗"]
                    .iter()
                    .map(move |ending| format!("{opening}{sentence}{ending}"))
            })
        })
        .take(5000)
        .collect();
    let texts: Vec<&str> = phrasings.iter().map(String::as_str).collect();
    group.sample_size(10);
    group.bench_function("group_2000_phrasings", |b| {
        b.iter(|| grouping::group(black_box(&texts[..2000])))
    });
    group.bench_function("group_5000_phrasings", |b| {
        b.iter(|| grouping::group(black_box(&texts)))
    });
    group.finish();
}

/// Criterion reports means; the target is on the 99th percentile of single predictions
/// (analysing the text included), so time them one by one over varied sentences.
fn print_p99(index: &IntentIndex) {
    let sentences = [
        "你好，我想问一下退款现在怎么样了",
        "我的快递到哪了",
        "help me with my invoice please",
        "今天天气怎么样",
        "我要投诉你们的快递员，态度太差了",
        "发票开错了能不能重新开一张",
    ];
    let mut times: Vec<std::time::Duration> = (0..20_000)
        .map(|i| {
            let start = std::time::Instant::now();
            black_box(index.best_match(&Utterance::new(sentences[i % sentences.len()])));
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    println!(
        "nlu: prediction with text analysis, 30 intents × 20 examples: p50 {:?}, p99 {:?}",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

/// 30 intents of 20 distinct Chinese and English examples each, built from a vocabulary so
/// that intents share words as real ones do.
fn large_node() -> Vec<Vec<String>> {
    const TOPICS: [&str; 30] = [
        "物流",
        "发货",
        "退款",
        "退货",
        "换货",
        "发票",
        "取消订单",
        "地址",
        "投诉",
        "人工",
        "优惠券",
        "支付",
        "积分",
        "会员",
        "商品",
        "维修",
        "保修",
        "价格",
        "库存",
        "尺码",
        "颜色",
        "快递",
        "包装",
        "赠品",
        "预售",
        "定金",
        "分期",
        "账号",
        "密码",
        "评价",
    ];
    const FRAMES: [&str; 20] = [
        "我想问一下{}的事情",
        "{}怎么办",
        "帮我查一下{}",
        "{}有问题",
        "关于{}我要咨询",
        "你好，{}现在是什么情况",
        "请问{}在哪里看",
        "我的{}不对",
        "{}能不能快一点",
        "{}要多久",
        "how does {} work",
        "question about {}",
        "help me with {}",
        "{} is wrong",
        "check {} please",
        "我想改{}",
        "{}为什么还没好",
        "{}出错了怎么办",
        "我要办理{}",
        "第{}类问题",
    ];
    TOPICS
        .iter()
        .map(|topic| FRAMES.iter().map(|f| f.replace("{}", topic)).collect())
        .collect()
}

criterion_group!(
    benches,
    bench_compile,
    bench_turns,
    bench_expressions,
    bench_nlu
);
criterion_main!(benches);
