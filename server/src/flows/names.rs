//! Names for what calls record by id: flows, their nodes, knowledge bases and their entries,
//! the results flows mark. Users see names; an id shows only where its object is gone. The
//! dashboard's pages, the JSON APIs and the command line all name things through here, so that
//! they call a node the same.

use std::collections::{BTreeSet, HashMap};

use crate::dashboard::words::Words;
use crate::state::AppState;
use flow_engine::model::ResultVar;
use serde::Deserialize;
use serde_json::Value;

use crate::store::{Flow, StoreError};

/// The tenant's flows as (id, display name), by name, for the filter and for showing names:
/// the flow's title, its key when it has none.
pub async fn flows(state: &AppState, tenant_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut flows: Vec<(String, String)> = state
        .store
        .list_flows(tenant_id, None)
        .await?
        .into_iter()
        .map(|flow| (flow.id, flow.title.unwrap_or(flow.name)))
        .collect();
    flows.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(flows)
}

/// A flow's name, or the words for a flow that is gone.
pub fn flow(words: Words, flows: &[(String, String)], id: &str) -> String {
    flows.iter().find(|(flow_id, _)| flow_id == id).map_or_else(
        || words.w("deleted_flow").to_owned(),
        |(_, name)| name.clone(),
    )
}

/// Knowledge bases' names by key and their entries' questions by id.
#[derive(Default)]
pub struct Knowledge {
    bases: HashMap<String, String>,
    entries: HashMap<String, String>,
    /// Each base's entries as (id, question), by question.
    by_base: HashMap<String, Vec<(String, String)>>,
}

impl Knowledge {
    /// The names of the bases with these keys and of all their current entries.
    pub async fn of(
        state: &AppState,
        tenant_id: &str,
        keys: BTreeSet<String>,
    ) -> Result<Knowledge, StoreError> {
        let mut names = Knowledge::default();
        for key in keys {
            let Some(base) = state.store.get_knowledge_base(tenant_id, &key).await? else {
                continue;
            };
            let mut entries: Vec<(String, String)> = state
                .store
                .knowledge_entries(tenant_id, &base.id, None)
                .await?
                .into_iter()
                .map(|entry| (entry.id, entry.fields.question))
                .collect();
            entries.sort_by(|a, b| a.1.cmp(&b.1));
            names.entries.extend(entries.iter().cloned());
            names.by_base.insert(key.clone(), entries);
            names.bases.insert(key, base.name);
        }
        Ok(names)
    }

    pub fn base(&self, key: &str) -> String {
        self.bases
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// The base's entries as (id, question), by question; none for a base that is gone.
    pub fn entries_of(&self, key: &str) -> &[(String, String)] {
        self.by_base.get(key).map_or(&[], Vec::as_slice)
    }

    /// An entry's question; its id when it was deleted since.
    pub fn entry(&self, id: &str) -> String {
        self.entries
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

/// The flows' drafts by id: what the manager calls the nodes and intents in the editor, and
/// what the "not understood" list's forms teach. A node without a label is its kind and a
/// number, as the editor shows it (editor-ui/src/flow/names.ts); only a node gone from the
/// draft shows its id.
#[derive(Default)]
pub struct Drafts {
    flows: HashMap<String, Flow>,
}

impl Drafts {
    pub async fn of(
        state: &AppState,
        tenant_id: &str,
        flow_ids: BTreeSet<String>,
    ) -> Result<Drafts, StoreError> {
        let mut drafts = Drafts::default();
        for flow_id in flow_ids {
            if let Some(flow) = state.store.get_flow(tenant_id, &flow_id).await? {
                drafts.flows.insert(flow_id, flow);
            }
        }
        Ok(drafts)
    }

    pub fn get(&self, flow_id: &str) -> Option<&Flow> {
        self.flows.get(flow_id)
    }

    fn nodes(&self, flow_id: &str) -> &[Value] {
        self.flows
            .get(flow_id)
            .and_then(|flow| flow.draft.get("nodes"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// What the node `node` of the flow's draft is called (see [`node_label`]).
    pub fn label(&self, t: Words, flow_id: &str, node: &str) -> String {
        node_label(t, self.nodes(flow_id), node)
    }

    /// What the node `node` is called in the first flow (by id) whose draft has it, for
    /// figures counted by node across flows; the id when none has it.
    pub fn label_anywhere(&self, t: Words, node: &str) -> String {
        let mut ids: Vec<&String> = self.flows.keys().collect();
        ids.sort();
        ids.into_iter()
            .find(|flow_id| {
                self.nodes(flow_id)
                    .iter()
                    .any(|n| n.get("id").and_then(Value::as_str) == Some(node))
            })
            .map_or_else(|| node.to_owned(), |flow_id| self.label(t, flow_id, node))
    }

    /// What the intent keyed `key` is called in whichever flow labels it first (analytics counts
    /// intents by key across flows); the key when none does.
    pub fn intent_anywhere(&self, key: &str) -> String {
        let mut ids: Vec<&String> = self.flows.keys().collect();
        ids.sort();
        ids.into_iter()
            .map(|flow_id| self.intent(flow_id, key))
            .find(|name| name != key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// What the intent keyed `key` is called in the flow's draft (see [`intent_label`]).
    pub fn intent(&self, flow_id: &str, key: &str) -> String {
        match self.flows.get(flow_id) {
            Some(flow) => intent_label(&flow.draft, key),
            None => key.to_owned(),
        }
    }

    /// What the result `var` is called in the flow's draft (see [`DeclaredResults::label`]).
    pub fn result(&self, flow_id: &str, var: &str) -> String {
        match self.flows.get(flow_id) {
            Some(flow) => DeclaredResults::of(&flow.draft).label(var),
            None => var.to_owned(),
        }
    }
}

/// What the intent keyed `key` is called in a flow document: the label of its global intent or
/// of a node's intent with that key, else the key (a menu choice, an intent since removed).
pub fn intent_label(document: &Value, key: &str) -> String {
    fn list(value: Option<&Value>) -> &[Value] {
        value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }
    let globals = list(document.get("global_intents"));
    let own = list(document.get("nodes"))
        .iter()
        .flat_map(|n| list(n.get("intents")));
    globals
        .iter()
        .chain(own)
        .find(|intent| intent.get("name").and_then(Value::as_str) == Some(key))
        .and_then(|intent| intent.get("label").and_then(Value::as_str))
        .map(str::trim)
        .filter(|label| !label.is_empty())
        .map_or_else(|| key.to_owned(), str::to_owned)
}

/// The results a flow document marks (`settings.results`) and what the manager calls them:
/// figures and files count results by variable, and show them by these names.
#[derive(Clone, Debug, Default)]
pub struct DeclaredResults {
    results: Vec<ResultVar>,
}

impl DeclaredResults {
    /// The results of a flow document as stored; one that cannot be read is left out (a
    /// draft may hold anything, a published version always reads).
    pub fn of(document: &Value) -> DeclaredResults {
        let results = document
            .get("settings")
            .and_then(|settings| settings.get("results"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|result| ResultVar::deserialize(result).ok())
            .collect();
        DeclaredResults { results }
    }

    /// The result the flow marks with this variable, if it marks it.
    pub fn get(&self, var: &str) -> Option<&ResultVar> {
        self.results.iter().find(|result| result.var == var)
    }

    /// What the result `var` is called: its label, else the variable's name.
    pub fn label(&self, var: &str) -> String {
        self.get(var)
            .map_or(var, ResultVar::display_name)
            .to_owned()
    }

    /// The variables in the order the flow marks them, then the ones it does not (results of
    /// an earlier version), by name; each once.
    pub fn order(&self, vars: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut vars: Vec<String> = vars.into_iter().collect();
        vars.sort_by_key(|var| {
            let declared = self.results.iter().position(|result| &result.var == var);
            (declared.unwrap_or(usize::MAX), var.clone())
        });
        vars.dedup();
        vars
    }
}

/// An agent queue's name in the visitor's language; a queue deleted since goes by its key.
pub fn queue_name(words: Words, queues: &[crate::queues::Queue], key: &str) -> String {
    let english = words.language == crate::language::Language::English;
    queues.iter().find(|queue| queue.key == key).map_or_else(
        || key.to_owned(),
        |queue| queue.display_name(english).to_owned(),
    )
}

/// What the node `node` among `nodes` (a flow document's) is called: its label, else its kind's
/// name, numbered when several nodes have the same name (提问 1, 提问 2), as the editor shows it
/// (editor-ui/src/flow/names.ts). A node not among them goes by its id.
pub fn node_label(t: Words, nodes: &[Value], node: &str) -> String {
    let plain: Vec<String> = nodes
        .iter()
        .map(|n| {
            let label = n.get("label").and_then(Value::as_str).map(str::trim);
            match label.filter(|label| !label.is_empty()) {
                Some(label) => label.to_owned(),
                None => {
                    let kind = n.get("type").and_then(Value::as_str).unwrap_or_default();
                    t.word(&format!("kind_{kind}")).unwrap_or(kind).to_owned()
                }
            }
        })
        .collect();
    let Some(index) = nodes
        .iter()
        .position(|n| n.get("id").and_then(Value::as_str) == Some(node))
    else {
        return node.to_owned();
    };
    let name = &plain[index];
    let total = plain.iter().filter(|other| *other == name).count();
    if total == 1 {
        return name.clone();
    }
    let n = plain[..index].iter().filter(|other| *other == name).count() + 1;
    format!("{name} {n}")
}

/// The flow documents calls ran, by flow id and version (`None`: the draft, which a conversation
/// from the editor's Try it runs): a call's nodes are named as the version it ran named them,
/// since a node may be renamed or removed after. A version gone falls back to the draft.
#[derive(Default)]
pub struct Versions {
    documents: HashMap<(String, Option<i64>), Value>,
}

impl Versions {
    pub async fn of(
        state: &AppState,
        tenant_id: &str,
        runs: BTreeSet<(String, Option<i64>)>,
    ) -> Result<Versions, StoreError> {
        let mut versions = Versions::default();
        let mut drafts: HashMap<String, Option<Value>> = HashMap::new();
        for (flow_id, version) in runs {
            let published = match version {
                Some(number) => state
                    .store
                    .get_flow_version(tenant_id, &flow_id, number)
                    .await?
                    .map(|found| found.document),
                None => None,
            };
            let document = match published {
                Some(document) => Some(document),
                None => {
                    if !drafts.contains_key(&flow_id) {
                        let draft = state
                            .store
                            .get_flow(tenant_id, &flow_id)
                            .await?
                            .map(|flow| flow.draft);
                        drafts.insert(flow_id.clone(), draft);
                    }
                    drafts.get(&flow_id).cloned().flatten()
                }
            };
            if let Some(document) = document {
                versions.documents.insert((flow_id, version), document);
            }
        }
        Ok(versions)
    }

    /// What the node `node` of that version of the flow is called (see [`node_label`]).
    pub fn label(&self, t: Words, flow_id: &str, version: Option<i64>, node: &str) -> String {
        let nodes = self
            .documents
            .get(&(flow_id.to_owned(), version))
            .and_then(|document| document.get("nodes"))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        node_label(t, nodes, node)
    }

    /// The results that version of the flow marks (none when it is gone with its draft).
    pub fn results(&self, flow_id: &str, version: Option<i64>) -> DeclaredResults {
        self.documents
            .get(&(flow_id.to_owned(), version))
            .map(DeclaredResults::of)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn results_go_by_their_labels_in_the_order_the_flow_marks_them() {
        let document = json!({ "settings": { "results": [
            { "var": "score", "label": "满意度评分", "kind": "score" },
            { "var": "reason", "label": "  ", "kind": "text" },
            { "var": "broken", "kind": "colour" },
            { "var": "liked", "label": "满意的地方", "kind": "text" }
        ] } });
        let declared = DeclaredResults::of(&document);
        assert_eq!(declared.label("score"), "满意度评分");
        assert_eq!(declared.label("reason"), "reason", "a blank label is none");
        assert_eq!(
            declared.label("gone"),
            "gone",
            "a result the flow no longer marks"
        );
        assert!(
            declared.get("broken").is_none(),
            "an unreadable result is left out"
        );
        let vars = ["zeta", "liked", "score", "alpha", "liked"].map(str::to_owned);
        assert_eq!(
            declared.order(vars),
            ["score", "liked", "alpha", "zeta"],
            "marked ones first, as marked; others by name; each once"
        );
        assert!(DeclaredResults::of(&json!({ "nodes": [] }))
            .get("score")
            .is_none());
    }
}
