//! Emotion scoring of one utterance (`flow_engine::emotion::score`, the rules and the learned
//! model), over a mix of 20 Chinese and English sentences from calm to angry, and the rules
//! alone (`emotion::rules`) beside it; the budget is under 20 µs an utterance.
//!
//! `cargo bench -p flow-engine --bench emotion`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flow_engine::emotion::score;

const SENTENCES: &[&str] = &[
    "我想查一下我的订单到哪里了",
    "你们这什么垃圾服务，气死我了！",
    "我已经说了多少遍了，你们到底能不能解决？",
    "我想问一下投诉流程是怎样的",
    "谢谢你，问题解决了",
    "快递有点慢，等了好几天",
    "我要投诉你们，打12315！",
    "我没生气，就是想问问退款什么时候到",
    "衣服尺码发错了，能帮我换一下吗",
    "你好，我上个星期买了一件外套，颜色和图片上有点不一样，想问一下能不能换一件",
    "Where is my order?",
    "This is ridiculous, I want to speak to your manager now!",
    "How many times do I have to tell you? My order is STILL not here!",
    "How do I file a complaint?",
    "Thank you so much, that's perfect!",
    "I'm not happy with this product.",
    "The package arrived damaged.",
    "I'm going to file a chargeback",
    "Not bad at all, I'm happy with it.",
    "Hi, I ordered a jacket last week and the colour is a little different from the picture",
];

fn bench(c: &mut Criterion) {
    // Build the lexicon tables and load jieba before measuring.
    for s in SENTENCES {
        black_box(score(s));
    }
    let mut group = c.benchmark_group("emotion");
    group.throughput(Throughput::Elements(SENTENCES.len() as u64));
    group.bench_function("score 20 sentences", |b| {
        b.iter(|| {
            for s in SENTENCES {
                black_box(score(black_box(s)));
            }
        })
    });
    group.bench_function("rules 20 sentences", |b| {
        b.iter(|| {
            for s in SENTENCES {
                black_box(flow_engine::emotion::rules(black_box(s)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
