//! Nodes of a few intents, as real flows ask: two to five intents per node, not fifteen. Nodes
//! of `size` intents are built from a training set's intents (each intent in turn with the
//! ones 4, 8, … places after it), asked the test set's phrasings of their own intents (to
//! understand) and all other test phrasings (to reject).
//!
//! What the node's classifier knows of the built-in shop intents ([`Knows`]) is the point:
//! the evaluation sets' intents are all in the library, while a shop's own intents ("where is
//! your shop", "gift wrapping") often are not. [`own_intent_nodes`] asks such intents, written
//! for the purpose, beside library intents.

use super::Example;
use crate::nlu::library::{self, Library};
use crate::nlu::{IntentIndex, IntentSpec, Scope, Utterance, DEFAULT_THRESHOLD};

/// Which built-in library the nodes' classifiers know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knows {
    /// The library as shipped (every node's classifier in a flow).
    Library,
    /// No library at all.
    Nothing,
    /// The library without the intents the training set's intents are to it: the intents
    /// measured are ones the library does not know, as a shop's own intents are.
    LibraryWithoutThem,
}

/// Of the phrasings of a node's own intents, the share understood (right intent at the
/// default threshold); of all other phrasings, the share rejected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeScores {
    pub understood: f64,
    pub rejected: f64,
}

/// Nodes of `size` intents, each intent of `train` leading one.
pub fn small_nodes(train: &[Example], test: &[Example], size: usize, knows: Knows) -> NodeScores {
    let names = intent_names(train);
    let nodes: Vec<Vec<&String>> = (0..names.len())
        .map(|start| {
            (0..size)
                .map(|k| names[(start + k * 4) % names.len()])
                .collect()
        })
        .collect();
    let tally = ask(&nodes, train, test, knows);
    NodeScores {
        understood: share(
            tally.leader.0 + tally.others.0,
            tally.leader.1 + tally.others.1,
        ),
        rejected: share(tally.rejected.0, tally.rejected.1),
    }
}

/// Of a shop's own intents' phrasings (intents the library does not know), the share
/// understood; of the library intents' beside them, the share understood; of all other
/// phrasings, the share rejected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnScores {
    pub own: f64,
    pub known: f64,
    pub rejected: f64,
}

/// Nodes of `size` intents, each of the shop's own intents (`own_train`) leading one beside
/// intents of `train` (library intents, as a shop also asks), asked every test phrasing.
pub fn own_intent_nodes(
    (own_train, own_test): (&[Example], &[Example]),
    (train, test): (&[Example], &[Example]),
    size: usize,
    knows: Knows,
) -> OwnScores {
    let own = intent_names(own_train);
    let known = intent_names(train);
    let nodes: Vec<Vec<&String>> = own
        .iter()
        .enumerate()
        .map(|(i, name)| {
            std::iter::once(*name)
                .chain((1..size).map(|k| known[(i * 2 + k * 4) % known.len()]))
                .collect()
        })
        .collect();
    let train: Vec<Example> = own_train.iter().chain(train).cloned().collect();
    let test: Vec<Example> = own_test.iter().chain(test).cloned().collect();
    let tally = ask(&nodes, &train, &test, knows);
    OwnScores {
        own: share(tally.leader.0, tally.leader.1),
        known: share(tally.others.0, tally.others.1),
        rejected: share(tally.rejected.0, tally.rejected.1),
    }
}

/// (right, asked) of a node's first intent's phrasings, of its other intents', and (rejected,
/// asked) of the rest.
#[derive(Default)]
struct Tally {
    leader: (usize, usize),
    others: (usize, usize),
    rejected: (usize, usize),
}

fn intent_names(examples: &[Example]) -> Vec<&String> {
    let mut names: Vec<&String> = examples.iter().filter_map(|e| e.intent.as_ref()).collect();
    names.dedup();
    names
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole.max(1) as f64
}

/// Trains each node on `train`'s examples of its intents and asks it every `test` phrasing.
fn ask(nodes: &[Vec<&String>], train: &[Example], test: &[Example], knows: Knows) -> Tally {
    let examples_of = |name: &String| -> Vec<String> {
        train
            .iter()
            .filter(|e| e.intent.as_ref() == Some(name))
            .map(|e| e.text.clone())
            .collect()
    };
    let library: Option<&'static Library> = match knows {
        Knows::Library => Some(library::shop()),
        Knows::Nothing => None,
        Knows::LibraryWithoutThem => {
            let all: Vec<Vec<String>> = intent_names(train).into_iter().map(examples_of).collect();
            Some(without_twins(&all))
        }
    };
    let tests: Vec<(Utterance, Option<&String>)> = test
        .iter()
        .map(|e| (Utterance::new(&e.text), e.intent.as_ref()))
        .collect();
    let mut tally = Tally::default();
    for chosen in nodes {
        let examples: Vec<Vec<String>> = chosen.iter().map(|n| examples_of(n)).collect();
        let specs = examples.iter().map(|e| IntentSpec {
            examples: e,
            keywords: &[],
        });
        let index = match library {
            Some(library) => IntentIndex::with_library(specs, Scope::Node, library),
            None => IntentIndex::without_library(specs, Scope::Node),
        };
        for (u, intent) in &tests {
            let answer = index
                .best_match(u)
                .filter(|m| m.score >= DEFAULT_THRESHOLD)
                .map(|m| m.index);
            let (right, counter) = match intent.and_then(|w| chosen.iter().position(|n| *n == w)) {
                Some(0) => (answer == Some(0), &mut tally.leader),
                Some(i) => (answer == Some(i), &mut tally.others),
                None => (answer.is_none(), &mut tally.rejected),
            };
            counter.0 += usize::from(right);
            counter.1 += 1;
        }
    }
    tally
}

/// The library without the intents these example sets are to it, and then without the
/// neighbours they become, until none of them is a library intent. The index keeps references
/// to its library's phrasings for as long as it lives, so the library lives for the process:
/// an evaluation builds one per run.
fn without_twins(intents: &[Vec<String>]) -> &'static Library {
    let mut reduced: Option<Library> = None;
    loop {
        let current = reduced.as_ref().unwrap_or(library::shop());
        let twins: Vec<usize> = intents.iter().filter_map(|e| current.twin(e)).collect();
        if twins.is_empty() {
            break;
        }
        reduced = Some(current.without(&twins));
    }
    Box::leak(Box::new(
        reduced.unwrap_or_else(|| library::shop().without(&[])),
    ))
}
