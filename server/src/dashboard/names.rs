//! Names for what calls record by id: flows, their nodes, knowledge bases and their entries. Users see
//! names; an id shows only where its object is gone.

use std::collections::{BTreeSet, HashMap};

use super::words::Words;
use crate::state::AppState;
use crate::store::StoreError;

/// The tenant's flows as (id, name), by name, for the filter and for showing names.
pub async fn flows(state: &AppState, tenant_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut flows: Vec<(String, String)> = state
        .store
        .list_flows(tenant_id, None)
        .await?
        .into_iter()
        .map(|flow| (flow.id, flow.name))
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
            for entry in state
                .store
                .knowledge_entries(tenant_id, &base.id, None)
                .await?
            {
                names.entries.insert(entry.id, entry.fields.question);
            }
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

    /// An entry's question; its id when it was deleted since.
    pub fn entry(&self, id: &str) -> String {
        self.entries
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }
}

/// Nodes' labels by flow and node id, from the flows' drafts: what the manager calls them in
/// the editor. A node without a label, or gone from the draft, shows its id.
#[derive(Default)]
pub struct Nodes {
    labels: HashMap<(String, String), String>,
}

impl Nodes {
    pub async fn of(
        state: &AppState,
        tenant_id: &str,
        flow_ids: BTreeSet<String>,
    ) -> Result<Nodes, StoreError> {
        let mut nodes = Nodes::default();
        for flow_id in flow_ids {
            let Some(flow) = state.store.get_flow(tenant_id, &flow_id).await? else {
                continue;
            };
            let list = flow
                .draft
                .get("nodes")
                .and_then(serde_json::Value::as_array);
            for node in list.into_iter().flatten() {
                let id = node.get("id").and_then(serde_json::Value::as_str);
                let label = node.get("label").and_then(serde_json::Value::as_str);
                if let (Some(id), Some(label)) = (id, label.filter(|l| !l.trim().is_empty())) {
                    nodes
                        .labels
                        .insert((flow_id.clone(), id.to_owned()), label.to_owned());
                }
            }
        }
        Ok(nodes)
    }

    pub fn label(&self, flow_id: &str, node: &str) -> String {
        self.labels
            .get(&(flow_id.to_owned(), node.to_owned()))
            .cloned()
            .unwrap_or_else(|| node.to_owned())
    }
}
