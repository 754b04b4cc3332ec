//! The development table (written for this project, to develop the lexicon against; the test
//! split of `tests/data/emotion` is kept apart and was not looked at), and the rules one by
//! one.

use super::*;

use Label::{Angry as A, Negative as N, Neutral as U, Positive as P};

/// Sentences a caller might say to a shop's phone robot, with the class a person would give.
const DEVELOPMENT: &[(&str, Label)] = &[
    // Chinese, angry
    ("你们这什么垃圾服务，气死我了！", A),
    ("骗子！收了钱不发货！", A),
    ("我已经说了多少遍了，你们到底能不能解决？", A),
    ("我要投诉你们，打12315！", A),
    ("受够了，你们就是坑人", A),
    ("凭什么不给我退款？", A),
    ("这都第三次了，又是发错货，你们有完没完", A),
    ("你们到底还发不发货啊？！", A),
    ("太过分了，我要去消费者协会告你们", A),
    ("什么破玩意，一用就坏了，退一赔三！", A),
    ("不要再敷衍我了，叫你们领导来", A),
    ("你们这是黑店吧，简直无耻", A),
    // Chinese, negative and calm
    ("东西收到了，但是外包装破损了", N),
    ("我对这次的服务不太满意", N),
    ("快递有点慢，等了好几天", N),
    ("衣服尺码发错了，能帮我换一下吗", N),
    ("我有点失望，质量没有想象中好", N),
    ("耳机左边没声音，坏了", N),
    ("我想问一下投诉流程是怎样的", N),
    ("买的水果烂了好几个，挺遗憾的", N),
    ("我还没收到货，有点着急", N),
    ("说好的赠品没有发", N),
    // Chinese, neutral
    ("我想查一下我的订单到哪里了", U),
    ("请问怎么修改收货地址", U),
    ("帮我转人工客服", U),
    ("我的订单号是12345678", U),
    ("这个商品有没有红色的", U),
    ("明天上午可以送到吗", U),
    ("我要退货，尺码不合适", U),
    ("发票怎么开", U),
    ("好的，我知道了", U),
    ("我没生气，就是想问问退款什么时候到", U),
    // Chinese, positive
    ("谢谢你，问题解决了", P),
    ("太好了，非常感谢", P),
    ("你们客服很耐心，给你们点赞", P),
    ("东西收到了，很满意", P),
    ("没问题，辛苦你了", P),
    ("质量不错，下次还来买", P),
    ("放心了，谢谢", P),
    ("服务很专业，非常满意", P),
    // English, angry
    (
        "This is ridiculous, I want to speak to your manager now!",
        A,
    ),
    ("You people are useless!", A),
    (
        "How many times do I have to tell you? My order is STILL not here!",
        A,
    ),
    ("This is a scam, I'm filing a chargeback.", A),
    ("I want to file a complaint against you.", A),
    ("I'm sick and tired of waiting, this is unacceptable!", A),
    ("What the hell is going on with my refund?!", A),
    (
        "I've called three times already and you keep lying to me",
        A,
    ),
    // English, negative and calm
    ("I'm a bit disappointed with the quality.", N),
    ("The package arrived damaged.", N),
    ("My delivery is late again.", N),
    ("Unfortunately the size is wrong.", N),
    ("I'm not happy with this product.", N),
    ("How do I file a complaint?", N),
    ("The screen is cracked and the charger is missing.", N),
    // English, neutral
    ("Where is my order?", U),
    ("I'd like to change my delivery address.", U),
    ("Can I speak to a person, please?", U),
    ("My order number is 55512345.", U),
    ("Do you have this in blue?", U),
    ("I want to return this item.", U),
    (
        "I'm not angry, I just want to know when the refund arrives.",
        U,
    ),
    ("OK, I understand.", U),
    // English, positive
    ("Thank you so much, that's perfect!", P),
    ("Great, thanks for your patience.", P),
    ("That was really helpful, thanks.", P),
    ("Not bad at all, I'm happy with it.", P),
    ("No problem, have a nice day.", P),
    ("Excellent service, I'm very satisfied.", P),
    ("I'm relieved it's sorted, thank you.", P),
];

#[test]
fn development_table_is_at_least_90_percent_right() {
    let mut wrong = Vec::new();
    let mut per_class: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for &(text, want) in DEVELOPMENT {
        let got = score(text);
        let entry = per_class.entry(format!("{want:?}")).or_default();
        entry.1 += 1;
        if got.label == want {
            entry.0 += 1;
        } else {
            wrong.push(format!(
                "{text}: want {want:?}, got {:?} (anger {:.2}, valence {:.2})",
                got.label, got.anger, got.valence
            ));
        }
    }
    let right = DEVELOPMENT.len() - wrong.len();
    let accuracy = right as f32 / DEVELOPMENT.len() as f32;
    println!("accuracy {right}/{} = {accuracy:.3}", DEVELOPMENT.len());
    for (class, (r, n)) in &per_class {
        println!("  {class}: {r}/{n}");
    }
    for w in &wrong {
        println!("  confused: {w}");
    }
    assert!(
        accuracy >= 0.9,
        "accuracy {accuracy:.3}:\n{}",
        wrong.join("\n")
    );
    for (class, (r, n)) in &per_class {
        assert!(*r * 10 >= *n * 8, "{class}: only {r} of {n} right");
    }
}

#[test]
fn the_table_has_both_languages_and_all_classes() {
    let cjk = |t: &str| t.chars().any(crate::text::is_cjk);
    let zh = DEVELOPMENT.iter().filter(|(t, _)| cjk(t)).count();
    assert!(zh >= 40 && DEVELOPMENT.len() - zh >= 30);
    for label in [A, N, U, P] {
        for chinese in [true, false] {
            assert!(DEVELOPMENT
                .iter()
                .any(|(t, l)| *l == label && cjk(t) == chinese));
        }
    }
}

/// The rules' label: the tests below check the rules one by one, the learned model beside
/// them is measured on the data sets (`tests/emotion_datasets.rs`) and in `learned.rs`.
fn label_of(text: &str) -> Label {
    rules(text).label
}

#[test]
fn negation_turns_emotion_words() {
    assert_eq!(label_of("不满意"), N);
    assert_eq!(label_of("不错"), P);
    assert_ne!(label_of("没问题"), N);
    assert_ne!(label_of("没问题"), A);
    assert_eq!(label_of("I'm not happy"), N);
    assert_eq!(label_of("not bad"), P);
    // Anger that is denied is no anger.
    assert!(rules("我没生气").anger < 0.2, "{:?}", rules("我没生气"));
    assert!(rules("我生气").anger >= ANGRY);
    assert!(rules("I'm not angry").anger < 0.2);
    assert!(rules("I'm angry").anger >= ANGRY);
    // A negated positive is negative, a negated complaint mildly positive.
    assert!(rules("我不开心").valence < 0.0);
    assert!(rules("I don't like it").valence < 0.0);
    assert!(rules("it was not late").valence > 0.0);
    // No escalation when the caller takes it back.
    assert!(rules("我不投诉了").anger < 0.1);
}

#[test]
fn intensifiers_strengthen_and_dampeners_weaken() {
    let v = |t: &str| rules(t).valence;
    assert!(v("非常失望") < v("失望"));
    assert!(v("有点失望") > v("失望"));
    assert!(v("very disappointed") < v("disappointed"));
    assert!(v("a bit disappointed") > v("disappointed"));
    assert!(v("太好了") > 0.5);
    assert!(rules("really annoyed").anger > rules("annoyed").anger);
}

#[test]
fn escalation_asked_calmly_is_not_angry() {
    let pairs = [
        ("我想问一下投诉流程", "我要投诉你们"),
        ("请问怎么联系你们经理", "我马上就去12315投诉"),
        (
            "How do I file a complaint?",
            "I want to file a complaint against you",
        ),
        (
            "What is the process for a chargeback?",
            "I'm going to file a chargeback",
        ),
    ];
    for (calm, angry) in pairs {
        let (c, a) = (rules(calm), rules(angry));
        assert!(c.anger < ANGRY, "{calm}: {c:?}");
        assert!(a.anger >= ANGRY, "{angry}: {a:?}");
        assert!(c.anger > 0.0, "{calm}: escalation is still evidence");
    }
}

#[test]
fn punctuation_and_capitals_amplify() {
    let anger = |t: &str| rules(t).anger;
    assert!(anger("太慢了！！") > anger("太慢了"));
    assert!(anger("why is it late?!") > anger("why is it late"));
    assert!(anger("this is RIDICULOUS") > anger("this is ridiculous"));
    assert!(anger("WHERE IS MY ORDER, IT IS LATE") > anger("where is my order, it is late"));
    // Marks alone say little.
    assert!(anger("喂！！") < 0.2);
    assert!(anger("I got a DHL SMS about my order") < 0.1);
    // A rhetorical question with 到底 is angrier than the statement.
    assert!(anger("你们到底发不发货吗") > anger("你们到底发货"));
}

#[test]
fn long_calm_rambles_are_not_angry() {
    let ramble = "你好，我上个星期在你们店里买了一件外套，然后今天早上快递打电话说放在了小区门口的快递柜里，\
                  我下班回家去拿的时候发现颜色和图片上有点不一样，稍微有点失望，想问一下能不能换一件";
    let e = rules(ramble);
    assert!(e.anger < 0.3, "{e:?}");
    let ramble_en = "Hi, so I ordered a jacket last week and it came this morning, the courier left it \
                     with my neighbour which is fine, but the colour is a little different from the \
                     picture, slightly disappointing, could I swap it for another one";
    let e = rules(ramble_en);
    assert!(e.anger < 0.3, "{e:?}");
}

#[test]
fn words_inside_other_words_are_not_found() {
    assert_eq!(label_of("垃圾桶放在门口"), U);
    assert_eq!(label_of("页面滚动不了"), label_of("页面动不了"));
    assert_eq!(label_of("不好意思，我想改一下地址"), U);
}

#[test]
fn scores_are_bounded_and_deterministic() {
    for &(text, _) in DEVELOPMENT {
        let a = score(text);
        assert_eq!(a, score(text));
        assert!((0.0..=1.0).contains(&a.anger), "{text}: {a:?}");
        assert!((-1.0..=1.0).contains(&a.valence), "{text}: {a:?}");
    }
    for text in ["", "！！！", "？", "   ", "12345", "a", "吗"] {
        assert_eq!(rules(text).label, U, "{text:?}");
        assert!(score(text).anger < ANGRY, "{text:?}");
    }
}

#[test]
fn labels_serialize_in_snake_case() {
    let e = score("骗子");
    let json = serde_json::to_value(e).expect("serializes");
    assert_eq!(json["label"], "angry");
    assert_eq!(
        serde_json::to_value(Label::Negative).expect("serializes"),
        "negative"
    );
}

#[test]
fn lexicon_files_parse_and_have_no_duplicates() {
    let mut seen = std::collections::HashSet::new();
    let mut twice = Vec::new();
    for line in lexicon::all_lines() {
        let line = line.unwrap_or_else(|bad| panic!("malformed lexicon line: {bad:?}"));
        let normalized = normalize(line.entry);
        let cjk = normalized
            .chars()
            .filter(|c| crate::text::is_cjk(*c))
            .count();
        assert!(
            cjk == 0 || cjk == normalized.chars().count(),
            "{}: mixes scripts",
            line.entry
        );
        let stems = crate::text::words(&normalized).join(" ");
        if !seen.insert(stems) {
            twice.push(line.entry);
        }
    }
    assert!(twice.is_empty(), "listed twice (after stemming): {twice:?}");
    let (zh, en) = lexicon_sizes();
    assert!(zh > 250 && en > 200, "{zh} {en}");
}

#[test]
fn trend_rises_with_repetition_and_decays_when_calm() {
    let mut trend = Trend::default();
    let ask = "我的快递到底什么时候到";
    let first = trend.observe(&score(ask), ask);
    let second = trend.observe(&score(ask), ask);
    let third = trend.observe(&score(ask), ask);
    assert!(second > first && third > second, "{first} {second} {third}");
    // A calm, different turn lets it fade.
    let calm = "好的，谢谢";
    let after = trend.observe(&score(calm), calm);
    assert!(after < third, "{after} {third}");
    let later = trend.observe(&score("嗯"), "嗯");
    assert!(later <= after);
}

#[test]
fn trend_rising_anger_counts_more_than_one_turn() {
    let turns = [
        "where is my parcel",
        "it is late again",
        "this is ridiculous!",
    ];
    let mut trend = Trend::default();
    let mut last = 0.0;
    for t in turns {
        let e = score(t);
        let adjusted = trend.observe(&e, t);
        assert!(adjusted >= e.anger, "{t}");
        last = adjusted;
    }
    assert!(last > score(turns[2]).anger);
    // Short answers said twice are not repetitions.
    let mut trend = Trend::default();
    let yes = score("对");
    let a = trend.observe(&yes, "对");
    let b = trend.observe(&yes, "对");
    assert_eq!(a, b);
}

#[test]
fn trend_calm_requests_whose_score_drifts_up_do_not_rise() {
    // Said calmly one after the other in an order-status call; the second scores higher than
    // the first, but neither sounds unhappy, so the call is not angry.
    let turns = ["我的快递到哪了", "还要查一个订单", "再查一个"];
    let mut trend = Trend::default();
    for t in turns {
        let e = score(t);
        assert_ne!(e.label, Label::Angry, "{t}: {e:?}");
        trend.observe(&e, t);
        assert_ne!(trend.label(), Some(Label::Angry), "{t}: {trend:?}");
    }
    assert_eq!(trend.rising, 0);
}

#[test]
fn trend_is_deterministic_and_serializable() {
    let turns = ["查物流", "查物流！", "我说了多少遍了查物流", "谢谢"];
    let run = || {
        let mut t = Trend::default();
        let out: Vec<f32> = turns.iter().map(|x| t.observe(&score(x), x)).collect();
        (out, t)
    };
    let (a, ta) = run();
    let (b, tb) = run();
    assert_eq!(a, b);
    assert_eq!(ta, tb);
    let json = serde_json::to_string(&ta).expect("serializes");
    let back: Trend = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, ta);
}

#[test]
fn similar_texts_are_found_similar() {
    use super::trend::similarity_for_tests as sim;
    assert!(sim("我的快递到底什么时候到", "我的快递到底什么时候到啊") > 0.8);
    assert!(sim("where is my order", "where's my order??") > 0.8);
    assert!(sim("查物流", "我要退款") < 0.2);
}

#[test]
fn numbers_said_digit_by_digit_are_calm() {
    for text in [
        "九九九九九九九九",
        "幺三八幺三八幺三八",
        "nine nine nine nine nine nine nine nine",
        "one two one two one two",
        "99999999",
    ] {
        let e = rules(text);
        assert!(e.anger < NEGATIVE_ANGER, "{text}: {e:?}");
    }
    // A word said over and over still is exasperation.
    assert_eq!(label_of("转人工转人工转人工！"), Label::Angry);
}

#[test]
fn construction_rules_compile() {
    assert!(constructions::rules_compile());
}

/// Each kind of anger the constructions catch, in sentences that share none of the lexicon's
/// anger words, beside calm sentences built alike that must stay calm.
#[test]
fn kinds_of_anger_without_an_angry_word() {
    let angry = [
        // Accusing and rhetorical questions.
        "你们平时就是这样对待客户的吗",
        "一个退款你们都处理不好吗",
        "你们还做什么生意",
        "do you guys even check the orders before sending them",
        "what kind of shop takes a month to answer an email",
        // Blame and burden.
        "明明是你们的失误，还要我来回跑",
        "it's your mistake and now you're making me pay the postage",
        // Dismissal.
        "别再跟我打官腔了，说不通",
        "i'm done with this company, go nowhere every time",
        // Threats without an escalation word.
        "别怪我把这事发到小红书上",
        "我要让身边的人都知道你们怎么做生意的",
        "i'll be warning all my friends about you",
        "you have two hours to sort this out",
        // A deadline given as an order.
        "明天中午之前必须给我寄出来",
        // Sarcasm and irony.
        "好好好，你们牛，东西到现在还没发",
        "fantastic, yet again the wrong colour",
        // Shouting.
        "WHY IS NOBODY ANSWERING",
    ];
    for text in angry {
        assert_eq!(label_of(text), A, "{text}: {:?}", rules(text));
    }
    let calm = [
        "我不是故意的，地址写错了能改吗",
        "你是机器人吗",
        "你们能不能明天之前发货",
        "麻烦下午三点前给我回个电话",
        "对对对，就是这个地址",
        "你们太厉害了，一下就修好了",
        "我去你们门店取货可以吗",
        "是不是还没发货呀",
        "行，那我继续等吧",
        "could you send it by friday please",
        "never mind, i found it",
        "so it just needs a restart?",
        "why can't i log in",
        "perfect, thanks",
        "brilliant, cheers for sorting that",
        "the box is damaged, can you send a new one, thanks",
        "半小时就解决了，谢谢",
    ];
    for text in calm {
        assert_ne!(label_of(text), A, "{text}: {:?}", rules(text));
    }
}

#[test]
fn praise_after_a_complaint_is_ironic_but_thanks_are_not() {
    assert_eq!(label_of("so nobody can help me? brilliant."), A);
    assert_eq!(label_of("lovely, another automated answer"), A);
    assert_ne!(label_of("the parcel is late, thanks"), A);
    assert_ne!(label_of("快递一直没更新，谢谢"), A);
    assert_eq!(label_of("wonderful, that's exactly what i wanted"), P);
}
