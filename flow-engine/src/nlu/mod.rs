//! Intent recognition for Chinese and English: a classifier trained per listening node when
//! the flow compiles.
//!
//! * [`features`](self::features): what the classifier sees — character 1–4-grams, jieba words
//!   and English stems, toneless pinyin syllables and their n-grams (so recognition homophones
//!   such as 取肖 for 取消 still match), hashed into sparse vectors.
//! * `model`: one-vs-rest linear SVMs on those sparse vectors, trained deterministically.
//! * `background`: generic sentences of no intent, the extra class that lets a node with one
//!   or two intents reject unrelated text.
//! * `library`: built-in shop intents in Chinese and English, whose phrasings a node's intents
//!   learn when they are one of them, and whose other intents are text of no intent.
//! * `negatives`: near misses made from a node's English examples (a shop concept swapped for
//!   one no intent of the node mentions with the rest), background that teaches each intent
//!   which of its words are not enough.
//! * [`IntentIndex`]: the trained index a node asks once per turn — calibrated confidences,
//!   verbatim examples, keywords as evidence and negation.
//! * [`grouping`]: phrasings grouped by meaning, for the "not understood" list.
//! * [`confusable_pairs`]: intents whose examples are too alike to tell apart, for validation.
//!
//! Measured with `callflow nlu-eval` against a TF-IDF + LinearSVC peer: see BENCHMARKS.md.

mod background;
mod concepts;
mod cues;
pub mod eval;
mod features;
pub mod grouping;
mod index;
mod library;
mod memo;
mod model;
mod negatives;
mod overlap;
mod phrases;
mod vocabulary;

pub(crate) use background::SENTENCES as background_sentences;
pub(crate) use features::{features_for, Purpose};
pub use features::{similarity, Utterance};
pub use index::{IntentIndex, IntentMatch, IntentSpec, Scope, DEFAULT_THRESHOLD};
pub(crate) use library::phrasings as library_phrasings;
pub use memo::shared;
pub(crate) use model::{Model, Row};
pub use overlap::confusable_pairs;
pub(crate) use vocabulary::{Vocabulary, Weighted};
