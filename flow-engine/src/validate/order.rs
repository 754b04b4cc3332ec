//! Diagnostics sorted by where their field appears in the document, so that they read from
//! top to bottom.

use std::collections::HashMap;

use serde_json::Value;

use super::Diagnostic;
use crate::model::unescape_pointer;

/// Sorts by where each field appears in `root`; equal places keep the order they were found in.
pub(super) fn sort_in_document_order(diagnostics: &mut Vec<Diagnostic>, root: &Value) {
    let mut positions = KeyPositions::default();
    let mut keyed: Vec<(Vec<usize>, usize, Diagnostic)> = diagnostics
        .drain(..)
        .enumerate()
        .map(|(i, d)| (positions.order_key(root, &d.field), i, d))
        .collect();
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    diagnostics.extend(keyed.into_iter().map(|(_, _, d)| d));
}

/// Key → position maps for large objects, so that many diagnostics in a big `variables` object
/// do not each scan it.
#[derive(Default)]
struct KeyPositions<'v> {
    cache: HashMap<String, HashMap<&'v str, usize>>,
}

impl<'v> KeyPositions<'v> {
    /// The position of each segment of `field` in `root`; a segment not present (e.g. a missing
    /// field) sorts after everything present in its object.
    fn order_key(&mut self, root: &'v Value, field: &str) -> Vec<usize> {
        let mut key = Vec::new();
        let mut current = root;
        let mut prefix = String::new();
        for raw_segment in field.split('/').skip(1) {
            let segment = unescape_pointer(raw_segment);
            let found = match current {
                Value::Object(map) if map.len() > 16 => {
                    let positions = self.cache.entry(prefix.clone()).or_insert_with(|| {
                        map.keys()
                            .enumerate()
                            .map(|(i, k)| (k.as_str(), i))
                            .collect()
                    });
                    positions
                        .get(segment.as_str())
                        .and_then(|&i| Some((i, map.get(&segment)?)))
                }
                Value::Object(map) => map
                    .iter()
                    .enumerate()
                    .find(|(_, (k, _))| **k == segment)
                    .map(|(i, (_, v))| (i, v)),
                Value::Array(items) => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| Some((i, items.get(i)?))),
                _ => None,
            };
            match found {
                Some((position, next)) => {
                    key.push(position);
                    current = next;
                    prefix.push('/');
                    prefix.push_str(raw_segment);
                }
                None => {
                    key.push(usize::MAX);
                    break;
                }
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::FlowDocument;
    use crate::testing::{end, flow, sandbox, say, with};
    use crate::validate::{validate_document, ValidationContext};

    #[test]
    fn document_diagnostics_follow_the_model_order() {
        let document: FlowDocument = serde_json::from_value(flow(json!([
            with(say("a", "ghost"), json!({ "text": "{{" })),
            say("b", ""),
            end("done")
        ])))
        .expect("valid shape");
        let sandbox = sandbox();
        let diagnostics = validate_document(&document, &ValidationContext::new(&sandbox));
        let got: Vec<(&str, &str)> = diagnostics
            .iter()
            .map(|d| (d.field.as_str(), d.code))
            .collect();
        assert_eq!(
            got,
            [
                ("/nodes/0/text", "template_syntax"),
                ("/nodes/0/next", "dangling_port"),
                ("/nodes/1", "unreachable"),
                ("/nodes/1/next", "missing_port"),
                ("/nodes/2", "unreachable"),
            ]
        );
    }
}
