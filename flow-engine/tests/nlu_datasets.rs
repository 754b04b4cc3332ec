//! Intent recognition held to its targets, with the shipped default threshold, beside the
//! TF-IDF + LinearSVC peer (`flow_engine::nlu::eval`), on:
//!
//! * the Chinese e-commerce set written for this project (`tests/data/nlu/zh-ecommerce`, see
//!   its README), clean and with recognition homophones;
//! * the Bitext customer-support set kept beside the workspace (../shared/datasets), with 5,
//!   10 and 20 training sentences per intent and held-out intents as out-of-scope.
//!
//! Run with `cargo test -p flow-engine --test nlu_datasets -- --nocapture` to see the figures
//! (`scripts/nlu-bench` prints the same through `callflow nlu-eval`). A missing shared dataset
//! fails the test when `CI=true` and is skipped (with a notice) otherwise.

mod common;

use common::{bitext, ours, written};
use flow_engine::nlu::eval::{self, Comparison, Example, Trained};
use flow_engine::nlu::DEFAULT_THRESHOLD;

fn compare(name: &str, train: &[Example], test: &[Example]) -> Comparison {
    let c = Trained::new(train, true).evaluate(test, DEFAULT_THRESHOLD, 0.0);
    println!("== {name}\n{c}");
    c
}

/// The targets (accuracy with the default threshold) and the floors this code is held
/// to: its measured figures less one point. Where a floor is below its target, the target is
/// not met yet (see BENCHMARKS.md); the floors keep it from slipping further, and the peer
/// must stay below.
struct Bar {
    target: f64,
    floor: f64,
    /// Out-of-scope rejection floor (target 0.70).
    rejection_floor: f64,
}

const ZH_CLEAN: Bar = Bar {
    target: 0.92,
    floor: 0.92,
    rejection_floor: 0.77,
};
const ZH_HOMOPHONES: Bar = Bar {
    target: 0.88,
    floor: 0.865,
    rejection_floor: 0.79,
};
const BITEXT: [(usize, Bar); 3] = [
    (
        5,
        Bar {
            target: 0.85,
            floor: 0.85,
            rejection_floor: 0.60,
        },
    ),
    (
        10,
        Bar {
            target: 0.93,
            floor: 0.95,
            rejection_floor: 0.57,
        },
    ),
    (
        20,
        Bar {
            target: 0.975,
            floor: 0.975,
            rejection_floor: 0.60,
        },
    ),
];

fn holds(name: &str, c: &Comparison, bar: &Bar) {
    let (ours, peer) = (c.ours.accuracy(), c.peer.accuracy());
    if ours < bar.target {
        println!("{name}: target {} not met ({ours:.4})", bar.target);
    }
    assert!(
        ours >= bar.floor,
        "{name}: accuracy {ours:.4} below {}",
        bar.floor
    );
    assert!(
        ours > peer,
        "{name}: accuracy {ours:.4} not above the peer's {peer:.4}"
    );
    let rejection = c.ours.rejection();
    assert!(
        rejection >= bar.rejection_floor,
        "{name}: out-of-scope rejection {rejection:.4} below {}",
        bar.rejection_floor
    );
}

#[test]
fn chinese_paraphrases_and_out_of_scope() {
    let c = compare(
        "zh-ecommerce, 5 per intent",
        &ours("train5.csv"),
        &ours("test.csv"),
    );
    holds("zh clean", &c, &ZH_CLEAN);
}

#[test]
fn chinese_with_recognition_homophones() {
    let c = compare(
        "zh-ecommerce homophones, 5 per intent",
        &ours("train5.csv"),
        &ours("test-homophones.csv"),
    );
    holds("zh homophones", &c, &ZH_HOMOPHONES);
}

#[test]
fn bitext_by_examples_per_intent() {
    let Some(text) = bitext() else { return };
    let results: Vec<(String, Comparison, &Bar)> = BITEXT
        .iter()
        .map(|(per_intent, bar)| {
            let split = eval::bitext_split(&text, *per_intent).unwrap_or_default();
            assert_eq!(split.train.len(), 22 * per_intent);
            let name = format!("bitext, {per_intent} per intent");
            let c = compare(&name, &split.train, &split.test);
            (name, c, bar)
        })
        .collect();
    for (name, c, bar) in &results {
        holds(name, c, bar);
    }
}

/// Real flows ask with two to five intents per node, not fifteen: nodes of 2, 3 and 5 intents
/// built from the Chinese examples, asked their own test phrasings and the other intents'
/// ones (`nlu::eval::small_nodes`). The floors are the measured figures less about two points,
/// and keep them from slipping further. The same nodes whose intents the library does not
/// know (a shop's own intents) must do as well as without any library: see BENCHMARKS.md.
#[test]
fn small_chinese_nodes_understand_and_reject() {
    use flow_engine::nlu::eval::small_nodes::{small_nodes, Knows};
    let (train, test) = (ours("train5.csv"), ours("test.csv"));
    for size in [2usize, 3, 5] {
        let s = small_nodes(&train, &test, size, Knows::Library);
        let unknown = small_nodes(&train, &test, size, Knows::LibraryWithoutThem);
        let none = small_nodes(&train, &test, size, Knows::Nothing);
        println!(
            "{size} intents per node: understood {:.3}, others rejected {:.3} \
             (intents the library does not know: {:.3}, {:.3}; no library: {:.3}, {:.3})",
            s.understood,
            s.rejected,
            unknown.understood,
            unknown.rejected,
            none.understood,
            none.rejected
        );
        assert!(s.understood >= 0.87, "{size} intents: understood {s:?}");
        assert!(s.rejected >= 0.89, "{size} intents: rejected {s:?}");
        // A shop's own intents lose nothing to the library (they lost 10-18 points when its
        // shop-word neighbours were their background).
        assert!(
            unknown.understood >= 0.76 && unknown.understood >= none.understood - 0.02,
            "{size} intents the library does not know: understood {unknown:?}, {none:?} without it"
        );
        assert!(
            unknown.rejected >= 0.88,
            "{size} intents: rejected {unknown:?}"
        );
    }
}

/// A shop's own intents, ones the built-in library does not know (门店在哪, 礼品包装, 刻字,
/// 批发, 加盟, 招聘, 以旧换新, 预约安装; `zh-ecommerce/own-*.csv`, and the same wishes in English,
/// `en-own/`), each in nodes of 1, 2, 3 and 5 intents beside library intents
/// (`nlu::eval::small_nodes::own_intent_nodes`). The library's phrasings of what the node does
/// not have used to take their paraphrases (Chinese 43.8 / 50.0 / 59.4 / 70.3 % understood,
/// English 21.7 / 37.0 / 47.8 / 54.3 %). Chinese ones must now be understood at least as well
/// as without the library; English ones, whose second model is calibrated less sharply (see
/// BENCHMARKS.md), within ten points of it; the library intents beside them better.
#[test]
fn a_shops_own_intents_are_understood_beside_the_library() {
    use flow_engine::nlu::eval::small_nodes::{own_intent_nodes, Knows};
    let chinese = (
        (ours("own-train.csv"), ours("own-test.csv")),
        (ours("train5.csv"), ours("test.csv")),
    );
    let english = bitext().map(|csv| {
        let split = eval::bitext_split(&csv, 5).unwrap_or_default();
        (
            (
                written("en-own", "train.csv"),
                written("en-own", "test.csv"),
            ),
            (split.train, split.test),
        )
    });
    // (name, data, slack against no library, floor)
    let sets = [
        ("Chinese", Some(chinese), 0.0, 0.84),
        ("English", english, 0.1, 0.6),
    ];
    for (name, data, slack, floor) in sets {
        let Some((own, known)) = data else { continue };
        for size in [1usize, 2, 3, 5] {
            let ask = |knows| own_intent_nodes((&own.0, &own.1), (&known.0, &known.1), size, knows);
            let (with, without) = (ask(Knows::Library), ask(Knows::Nothing));
            println!(
                "{name}, {size} intents per node: own understood {:.3}, library intents {:.3}, \
                 others rejected {:.3} (no library: {:.3}, {:.3}, {:.3})",
                with.own, with.known, with.rejected, without.own, without.known, without.rejected
            );
            assert!(
                with.own >= without.own - slack && with.own >= floor,
                "{name}, {size} intents: own intents {with:?}, without the library {without:?}"
            );
            assert!(
                with.known >= without.known,
                "{name}, {size} intents: library intents {with:?}, without the library {without:?}"
            );
            assert!(
                with.rejected >= without.rejected - 0.04,
                "{name}, {size} intents: rejected {with:?}, without the library {without:?}"
            );
        }
    }
}
