//! Nodes of a few intents, as real flows ask: two to five intents per node, not fifteen. Nodes
//! of `size` intents are built from a training set's intents (each intent in turn with the
//! ones 4, 8, … places after it), asked the test set's phrasings of their own intents (to
//! understand) and all other test phrasings (to reject).
//!
//! What the node's classifier knows of the built-in shop intents ([`Knows`]) is the point:
//! the evaluation sets' intents are all in the library, while a shop's own intents ("where is
//! your shop", "gift wrapping") often are not.

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
    let mut names: Vec<&String> = train.iter().filter_map(|e| e.intent.as_ref()).collect();
    names.dedup();
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
            // Without the intents they are, and then without the neighbours they become,
            // until none of them is a library intent.
            let mut reduced: Option<Library> = None;
            loop {
                let current = reduced.as_ref().unwrap_or(library::shop());
                let twins: Vec<usize> = names
                    .iter()
                    .filter_map(|n| current.twin(&examples_of(n)))
                    .collect();
                if twins.is_empty() {
                    break;
                }
                reduced = Some(current.without(&twins));
            }
            // The index keeps references to its library's phrasings for as long as it lives;
            // an evaluation builds this library once per run.
            let reduced = reduced.unwrap_or_else(|| library::shop().without(&[]));
            Some(Box::leak(Box::new(reduced)))
        }
    };
    let tests: Vec<(Utterance, Option<&String>)> = test
        .iter()
        .map(|e| (Utterance::new(&e.text), e.intent.as_ref()))
        .collect();
    let (mut understood, mut own, mut rejected, mut others) = (0usize, 0usize, 0usize, 0usize);
    for start in 0..names.len() {
        let chosen: Vec<&String> = (0..size)
            .map(|k| names[(start + k * 4) % names.len()])
            .collect();
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
            match intent.and_then(|w| chosen.iter().position(|n| *n == w)) {
                Some(i) => {
                    own += 1;
                    understood += usize::from(answer == Some(i));
                }
                None => {
                    others += 1;
                    rejected += usize::from(answer.is_none());
                }
            }
        }
    }
    NodeScores {
        understood: understood as f64 / own.max(1) as f64,
        rejected: rejected as f64 / others.max(1) as f64,
    }
}
