//! The names beside the keys of the reports the JSON API (and for results, the dashboard)
//! returns: flows by title, nodes, intents and results by label, knowledge entries by question
//! (see [`crate::flows::names`]), in the request's language where a node goes by its kind's
//! name. The figures are counted by key, so that renaming a node does not split them; they are
//! named when read.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use super::report::{EntryHelpfulness, Funnel, Overview, UnheardGroup};
use super::results::ResultSummary;
use crate::dashboard::words::Words;
use crate::flows::names::{self, DeclaredResults, Drafts, Knowledge, Versions};
use crate::language::Language;
use crate::state::AppState;
use crate::store::{AnalyticsFilter, Part, StoreError, Table};

/// The tenant's flows' ids.
async fn flow_ids(state: &AppState, tenant_id: &str) -> Result<BTreeSet<String>, StoreError> {
    Ok(names::flows(state, tenant_id)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// Names the flows of the versions and the top intents.
pub async fn overview(
    state: &AppState,
    tenant_id: &str,
    language: Language,
    overview: &mut Overview,
) -> Result<(), StoreError> {
    let t = Words::new(language);
    let flows = names::flows(state, tenant_id).await?;
    for version in &mut overview.versions {
        version.flow_title = Some(names::flow(t, &flows, &version.flow_id));
    }
    let ids = flows.into_iter().map(|(id, _)| id).collect();
    let drafts = Drafts::of(state, tenant_id, ids).await?;
    for counted in &mut overview.top_intents {
        counted.intent_label = Some(drafts.intent_anywhere(&counted.intent));
    }
    Ok(())
}

/// Names the funnel's nodes: as the flow named by the filter (in its version, when one is
/// named) calls them, else as the first flow that has the node does.
pub async fn funnel(
    state: &AppState,
    filter: &AnalyticsFilter,
    language: Language,
    funnel: &mut Funnel,
) -> Result<(), StoreError> {
    let t = Words::new(language);
    let tenant_id = &filter.tenant_id;
    let label: Box<dyn Fn(&str) -> String> = match &filter.flow_id {
        Some(flow_id) => {
            let run = (flow_id.clone(), filter.version.filter(|v| *v > 0));
            let versions = Versions::of(state, tenant_id, BTreeSet::from([run.clone()])).await?;
            Box::new(move |node| versions.label(t, &run.0, run.1, node))
        }
        None => {
            let drafts = Drafts::of(state, tenant_id, flow_ids(state, tenant_id).await?).await?;
            Box::new(move |node| drafts.label_anywhere(t, node))
        }
    };
    for node in &mut funnel.nodes {
        node.node_label = Some(label(&node.node));
    }
    for step in &mut funnel.steps {
        step.from_label = Some(label(&step.from));
        step.to_label = Some(label(&step.to));
    }
    Ok(())
}

/// Names the groups' flows and nodes, as the flows' drafts call them: the groups gather
/// what was said over every version.
pub async fn unheard(
    state: &AppState,
    tenant_id: &str,
    language: Language,
    groups: &mut [UnheardGroup],
) -> Result<(), StoreError> {
    let t = Words::new(language);
    let flows = names::flows(state, tenant_id).await?;
    let ids = groups.iter().map(|group| group.flow_id.clone()).collect();
    let drafts = Drafts::of(state, tenant_id, ids).await?;
    for group in groups {
        group.flow_title = Some(names::flow(t, &flows, &group.flow_id));
        group.node_label = Some(drafts.label(t, &group.flow_id, &group.node));
    }
    Ok(())
}

/// Names the entries' knowledge bases and questions.
pub async fn knowledge(
    state: &AppState,
    tenant_id: &str,
    entries: &mut [EntryHelpfulness],
) -> Result<(), StoreError> {
    let keys = entries
        .iter()
        .map(|entry| entry.knowledge_base.clone())
        .collect();
    let knowledge = Knowledge::of(state, tenant_id, keys).await?;
    for entry in entries {
        entry.knowledge_base_name = Some(knowledge.base(&entry.knowledge_base));
        entry.question = Some(knowledge.entry(&entry.entry));
    }
    Ok(())
}

/// Names the results: each as the newest of the flow versions whose calls were counted that
/// marks the variable calls it (published versions from the newest, across flows by number;
/// the draft, which only Try it runs, last), else by the variable's name. Each version is read
/// once, and only until every result is named.
pub async fn results(
    state: &AppState,
    filter: &AnalyticsFilter,
    results: &mut [ResultSummary],
) -> Result<(), StoreError> {
    if results.is_empty() {
        return Ok(());
    }
    let counted = state
        .store
        .analytics_sums(Table::Results, filter, &["var", "flow_id", "version"])
        .await?;
    // Each variable's runs as (flow, version): `None` for the draft.
    let mut runs: HashMap<String, Vec<(String, Option<i64>)>> = HashMap::new();
    for (key, counts) in counted {
        let [Part::Text(var), Part::Text(flow_id), Part::Int(version)] = key.as_slice() else {
            continue;
        };
        if counts.sums.first().copied().unwrap_or(0) > 0 {
            let version = Some(*version).filter(|version| *version > 0);
            runs.entry(var.to_string())
                .or_default()
                .push((flow_id.to_string(), version));
        }
    }
    let mut declared: HashMap<(String, Option<i64>), DeclaredResults> = HashMap::new();
    for result in results {
        let mut candidates = runs.get(&result.var).cloned().unwrap_or_default();
        candidates.sort_by_key(|(flow_id, version)| {
            (version.is_none(), Reverse(*version), flow_id.clone())
        });
        let mut label = None;
        for run in candidates {
            if !declared.contains_key(&run) {
                let versions =
                    Versions::of(state, &filter.tenant_id, BTreeSet::from([run.clone()])).await?;
                declared.insert(run.clone(), versions.results(&run.0, run.1));
            }
            if let Some(marked) = declared.get(&run).and_then(|d| d.get(&result.var)) {
                label = Some(marked.display_name().to_owned());
                break;
            }
        }
        result.label = Some(label.unwrap_or_else(|| result.var.clone()));
    }
    Ok(())
}
