//! Flows: drafts with revisions and what validation finds in them. Publishing and restoring
//! versions are in [`publish`], importing many documents at once in [`import`].
//!
//! A draft's revision guards every change: a write names the revision it started from, so a
//! save made meanwhile by someone else is never overwritten unseen. The flow's name is always its
//! document's `name`, which `subflow` nodes refer to. Every change is written in one
//! transaction with its audit entry.

pub mod import;
pub mod names;
pub mod publish;

use std::collections::BTreeSet;

use flow_engine::messages::{term, Message};
use flow_engine::msg;
use flow_engine::script::Sandbox;
use flow_engine::validate::{self, Diagnostic, ValidationContext};
use serde_json::{json, Value};

use crate::store::{constraint, Actor, Flow, FlowSummary, NewFlow, Store, StoreError, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("the flow was not found")]
    NotFound,
    #[error("version {0} of the flow was not found")]
    VersionNotFound(i64),
    /// Not a document that can be saved: not an object, or no usable name; or a wrong value
    /// of the request around it (a note too long).
    #[error("{}", .0.message)]
    InvalidDocument(Diagnostic),
    #[error("the tenant already has a flow named \"{0}\"")]
    NameTaken(String),
    /// A change that must name the revision it starts from did not.
    #[error("the change names no revision to start from")]
    RevisionRequired,
    /// Someone saved after the revision `sent`.
    #[error("the flow was saved after revision {sent}; the current revision is {current}")]
    RevisionConflict { sent: i64, current: i64 },
    /// The draft at `revision` has validation errors, so it cannot be published.
    #[error("the draft (revision {revision}) has errors")]
    Invalid {
        revision: i64,
        diagnostics: Vec<Diagnostic>,
    },
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for FlowError {
    fn from(error: StoreError) -> Self {
        FlowError::Store(error)
    }
}

impl FlowError {
    /// A write's error: the name `name` taken, or else.
    fn of_save(error: StoreError, name: &str) -> FlowError {
        if error.is_conflict_on(constraint::FLOW_NAME) {
            FlowError::NameTaken(name.to_owned())
        } else {
            FlowError::Store(error)
        }
    }

    /// A draft write's error: a lost compare-and-set from `sent`, the name taken, or else.
    fn of_write(error: StoreError, sent: i64, name: &str) -> FlowError {
        match error {
            StoreError::RevisionMismatch { current } => {
                FlowError::RevisionConflict { sent, current }
            }
            error => FlowError::of_save(error, name),
        }
    }
}

/// An error diagnostic of the server's own, about the document as a whole or the request.
pub fn problem(code: &'static str, field: &str, text: Message) -> Diagnostic {
    Diagnostic::error(code, field, text)
}

/// The flow's name from its document. A draft may be unfinished, but it must be an object with
/// a name (the name is how the flow is listed and how `subflow` nodes call it), and no larger
/// than a flow may be.
pub fn document_name(document: &Value) -> Result<&str, Diagnostic> {
    let Some(object) = document.as_object() else {
        return Err(problem("wrong_type", "", term("flow.not_an_object")));
    };
    // A draft is saved with its validation errors, but not past the size limit: that many
    // nodes would only fill the database, as no version of it can ever be published.
    if let Some(Value::Array(nodes)) = object.get("nodes") {
        if nodes.len() > validate::MAX_NODES {
            return Err(problem(
                "too_large",
                "/nodes",
                msg!(
                    "too_large.nodes",
                    count = nodes.len(),
                    max = validate::MAX_NODES
                ),
            ));
        }
    }
    match object.get("name") {
        None => Err(problem("missing_field", "/name", term("flow.name_missing"))),
        Some(Value::String(name)) if name.trim().is_empty() => {
            Err(problem("empty_value", "/name", term("flow.name_empty")))
        }
        Some(Value::String(name)) if name.chars().count() > validate::MAX_NAME_CHARS => {
            Err(problem(
                "too_large",
                "/name",
                msg!(
                    "flow.name_too_long",
                    count = name.chars().count(),
                    max = validate::MAX_NAME_CHARS
                ),
            ))
        }
        Some(Value::String(name)) => Ok(name),
        Some(_) => Err(problem("wrong_type", "/name", term("flow.name_not_text"))),
    }
}

/// A document and what validation found in it.
#[derive(Debug)]
pub struct Checked {
    pub document: Value,
    pub diagnostics: Vec<Diagnostic>,
    /// No errors; warnings allowed.
    pub valid: bool,
}

/// A flow and what validation finds in its draft (which is `flow.draft`).
#[derive(Debug)]
pub struct DiagnosedFlow {
    pub flow: Flow,
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates documents on a blocking thread: a large flow takes a while (every script and
/// template is compiled). `known` are the flow names `subflow` nodes may use.
async fn check_documents(
    documents: Vec<Value>,
    known: BTreeSet<String>,
    named: Named,
) -> Result<Vec<Checked>, FlowError> {
    tokio::task::spawn_blocking(move || {
        let sandbox = Sandbox::shared();
        let context = ValidationContext::new(&sandbox)
            .with_subflows(&known)
            .with_knowledge_bases(&named.knowledge_bases)
            .with_queues(&named.queues);
        documents
            .into_iter()
            .map(|document| {
                let validated = validate::validate_value(&document, &context);
                Checked {
                    valid: !validated.has_errors(),
                    diagnostics: validated.diagnostics,
                    document,
                }
            })
            .collect()
    })
    .await
    .map_err(|error| FlowError::Internal(format!("validation failed: {error}")))
}

async fn check_document(
    document: Value,
    known: BTreeSet<String>,
    named: Named,
) -> Result<Checked, FlowError> {
    check_documents(vec![document], known, named)
        .await?
        .pop()
        .ok_or_else(|| FlowError::Internal("validation returned nothing".to_owned()))
}

/// The names of the tenant's flows, which `subflow` nodes may call.
async fn flow_names(store: &Store, tenant_id: &str) -> Result<BTreeSet<String>, FlowError> {
    Ok(store
        .list_flows(tenant_id, None)
        .await?
        .into_iter()
        .map(|flow| flow.name)
        .collect())
}

/// What a flow may name outside itself, besides flows: the tenant's knowledge bases (`answer`
/// nodes, the FAQ setting) and agent queues (`handoff` nodes), by key.
pub(super) struct Named {
    knowledge_bases: BTreeSet<String>,
    queues: BTreeSet<String>,
}

async fn named(store: &Store, tenant_id: &str) -> Result<Named, FlowError> {
    Ok(Named {
        knowledge_bases: store
            .list_knowledge_bases(tenant_id)
            .await?
            .into_iter()
            .map(|summary| summary.base.key)
            .collect(),
        queues: crate::queues::keys(store, tenant_id).await?,
    })
}

/// The flow with its draft's diagnostics.
async fn diagnose(store: &Store, mut flow: Flow) -> Result<DiagnosedFlow, FlowError> {
    let known = flow_names(store, &flow.tenant_id).await?;
    let named = named(store, &flow.tenant_id).await?;
    let checked = check_document(std::mem::take(&mut flow.draft), known, named).await?;
    flow.draft = checked.document;
    Ok(DiagnosedFlow {
        flow,
        diagnostics: checked.diagnostics,
    })
}

/// The tenant's flow, without diagnostics.
pub async fn load(store: &Store, tenant_id: &str, id: &str) -> Result<Flow, FlowError> {
    store
        .get_flow(tenant_id, id)
        .await?
        .ok_or(FlowError::NotFound)
}

/// The tenant's flows, most recently edited first; `search` keeps names containing it.
pub async fn list(
    store: &Store,
    tenant_id: &str,
    search: Option<&str>,
) -> Result<Vec<FlowSummary>, FlowError> {
    let search = search.filter(|text| !text.trim().is_empty());
    Ok(store.list_flows(tenant_id, search).await?)
}

/// The tenant's flow with its draft's diagnostics.
pub async fn get(store: &Store, tenant_id: &str, id: &str) -> Result<DiagnosedFlow, FlowError> {
    diagnose(store, load(store, tenant_id, id).await?).await
}

/// Validates a document without saving anything; `subflow` nodes may name the tenant's flows
/// and the document itself.
pub async fn check(store: &Store, tenant_id: &str, document: Value) -> Result<Checked, FlowError> {
    let mut known = flow_names(store, tenant_id).await?;
    if let Ok(name) = document_name(&document) {
        known.insert(name.to_owned());
    }
    check_document(document, known, named(store, tenant_id).await?).await
}

/// Writes the audit entry of a change to a flow.
async fn record(
    transaction: &mut Transaction<'_>,
    actor: &Actor,
    action: &str,
    flow_id: &str,
    detail: Value,
    now_ms: i64,
) -> Result<(), FlowError> {
    transaction
        .record_audit(actor, action, flow_id, &detail, now_ms)
        .await?;
    Ok(())
}

/// Commits a draft written in `transaction` with its audit entry, and answers it diagnosed.
async fn commit_draft(
    store: &Store,
    mut transaction: Transaction<'_>,
    actor: &Actor,
    action: &str,
    flow: Flow,
    now_ms: i64,
) -> Result<DiagnosedFlow, FlowError> {
    let detail = json!({ "name": flow.name, "revision": flow.revision });
    record(&mut transaction, actor, action, &flow.id, detail, now_ms).await?;
    transaction.commit().await?;
    diagnose(store, flow).await
}

/// Creates a flow from a document. The draft is saved even when it has validation errors (an
/// editor autosaves unfinished flows); they are in the answer's diagnostics.
pub async fn create(
    store: &Store,
    actor: &Actor,
    document: Value,
    now_ms: i64,
) -> Result<DiagnosedFlow, FlowError> {
    let name = document_name(&document).map_err(FlowError::InvalidDocument)?;
    let new = NewFlow {
        name,
        draft: &document,
    };
    let mut transaction = store.transaction().await?;
    let flow = transaction
        .create_flow(&actor.tenant_id, &new, now_ms)
        .await
        .map_err(|error| FlowError::of_save(error, name))?;
    commit_draft(store, transaction, actor, "flow.create", flow, now_ms).await
}

/// Replaces the draft and the name (the document's `name`), if the draft is still at
/// `expected`. Without `expected` it is [`FlowError::RevisionRequired`], once the flow is
/// known to exist.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    document: Value,
    now_ms: i64,
) -> Result<DiagnosedFlow, FlowError> {
    let Some(expected) = expected else {
        load(store, &actor.tenant_id, id).await?;
        return Err(FlowError::RevisionRequired);
    };
    let name = document_name(&document).map_err(FlowError::InvalidDocument)?;
    let new = NewFlow {
        name,
        draft: &document,
    };
    let mut transaction = store.transaction().await?;
    let flow = transaction
        .update_draft(&actor.tenant_id, id, expected, &new, now_ms)
        .await
        .map_err(|error| FlowError::of_write(error, expected, name))?
        .ok_or(FlowError::NotFound)?;
    commit_draft(store, transaction, actor, "flow.update", flow, now_ms).await
}

/// Deletes a flow. Its published versions stay, for the calls that ran them; its name is free.
pub async fn delete(store: &Store, actor: &Actor, id: &str, now_ms: i64) -> Result<(), FlowError> {
    let mut transaction = store.transaction().await?;
    if !transaction
        .delete_flow(&actor.tenant_id, id, now_ms)
        .await?
    {
        return Err(FlowError::NotFound);
    }
    record(
        &mut transaction,
        actor,
        "flow.delete",
        id,
        json!({}),
        now_ms,
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_need_an_object_with_a_name() {
        assert_eq!(document_name(&json!({ "name": "a" })).ok(), Some("a"));
        let field = |document: Value| document_name(&document).err().map(|d| (d.code, d.field));
        assert_eq!(field(json!([])), Some(("wrong_type", "".into())));
        assert_eq!(field(json!({})), Some(("missing_field", "/name".into())));
        assert_eq!(
            field(json!({ "name": " " })),
            Some(("empty_value", "/name".into()))
        );
        assert_eq!(
            field(json!({ "name": 7 })),
            Some(("wrong_type", "/name".into()))
        );
        let long = "x".repeat(validate::MAX_NAME_CHARS + 1);
        assert_eq!(
            field(json!({ "name": long })),
            Some(("too_large", "/name".into()))
        );
    }

    #[test]
    fn a_node_is_taught_its_intents_then_the_global_ones_and_its_knowledge_base() {
        let document = json!({
            "nodes": [
                { "id": "ask", "intents": [
                    { "name": "track", "examples": ["where is my parcel", "tracking"] },
                    { "name": "agent" },
                ] },
                { "id": "faq", "type": "answer", "knowledge_base": "shop-faq" },
            ],
            "global_intents": [{ "name": "agent" }, { "name": "bye" }],
            "settings": { "knowledge": { "knowledge_base": "general" } },
        });
        let names = |taught: &Teachable| -> Vec<String> {
            taught.intents.iter().map(|i| i.name.clone()).collect()
        };
        let ask = teachable(&document, "ask");
        assert_eq!(names(&ask), ["track", "agent", "bye"]);
        assert_eq!(
            ask.intents[0].example.as_deref(),
            Some("where is my parcel")
        );
        assert_eq!(ask.intents[1].example, None);
        assert_eq!(ask.knowledge_base.as_deref(), Some("general"));
        let faq = teachable(&document, "faq");
        assert_eq!(faq.knowledge_base.as_deref(), Some("shop-faq"));
        assert_eq!(names(&faq), ["agent", "bye"]);
        assert_eq!(teachable(&json!({}), "gone"), Teachable::default());
    }
}

/// A phrasing callers used that a listening node did not understand, to add to one of its
/// intents (or a global intent) as an example.
#[derive(Clone, Debug)]
pub struct NewExample {
    /// The listening node where it was not understood.
    pub node: String,
    /// The intent of that node, or a global intent, that it means.
    pub intent: String,
    pub text: String,
}

/// Adds `example` to the draft's intent, if the draft is still at `expected`, as an edit in
/// the editor would; the "not understood" list then leaves the phrasing out. The answer is the
/// draft diagnosed; republishing puts the example to work.
pub async fn add_example(
    store: &Store,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    example: &NewExample,
    now_ms: i64,
) -> Result<DiagnosedFlow, FlowError> {
    let flow = load(store, &actor.tenant_id, id).await?;
    let Some(expected) = expected else {
        return Err(FlowError::RevisionRequired);
    };
    if flow.revision != expected {
        return Err(FlowError::RevisionConflict {
            sent: expected,
            current: flow.revision,
        });
    }
    let text = example.text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(FlowError::InvalidDocument(problem(
            "invalid_example",
            "/text",
            term("flow.example_length"),
        )));
    }
    let mut document = flow.draft;
    let intents = intent_list(&mut document, &example.node, &example.intent).ok_or_else(|| {
        FlowError::InvalidDocument(problem(
            "unknown_intent",
            "/intent",
            msg!(
                "flow.unknown_intent",
                node = &example.node,
                intent = &example.intent
            ),
        ))
    })?;
    let examples = intents
        .as_object_mut()
        .map(|intent| intent.entry("examples").or_insert_with(|| json!([])));
    match examples.and_then(Value::as_array_mut) {
        Some(list) if !list.iter().any(|e| e.as_str() == Some(text)) => {
            list.push(Value::from(text))
        }
        Some(_) => {}
        None => {
            return Err(FlowError::InvalidDocument(problem(
                "invalid_document",
                "/intent",
                term("flow.examples_not_a_list"),
            )))
        }
    }
    let name = document_name(&document).map_err(FlowError::InvalidDocument)?;
    let new = NewFlow {
        name,
        draft: &document,
    };
    let mut transaction = store.transaction().await?;
    let saved = transaction
        .update_draft(&actor.tenant_id, id, expected, &new, now_ms)
        .await
        .map_err(|error| FlowError::of_write(error, expected, name))?
        .ok_or(FlowError::NotFound)?;
    let handled = crate::store::HandledUnheard {
        flow_id: id.to_owned(),
        node: example.node.clone(),
        kind: "no_match".to_owned(),
        text: crate::analytics::tally::normalized_said(text),
        resolution: "example".to_owned(),
        target: example.intent.clone(),
    };
    transaction
        .mark_unheard_handled(&actor.tenant_id, &handled, &actor.name, now_ms)
        .await?;
    let detail = json!({
        "name": saved.name,
        "revision": saved.revision,
        "node": example.node,
        "intent": example.intent,
        "example": text,
    });
    record(
        &mut transaction,
        actor,
        "flow.example_added",
        id,
        detail,
        now_ms,
    )
    .await?;
    transaction.commit().await?;
    diagnose(store, saved).await
}

/// What a phrasing callers said at a node can be taught to, in a flow document: the node's
/// intents, then the flow's global intents (by name); and the knowledge base the node answers
/// from (its own, else the flow's "FAQ from anywhere" base).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Teachable {
    pub intents: Vec<TeachableIntent>,
    pub knowledge_base: Option<String>,
}

/// An intent by its key, with what people call it (its label, else its key) and its first
/// example: names are short and several may look alike, so a chooser shows what the intent is
/// about.
#[derive(Debug, PartialEq, Eq)]
pub struct TeachableIntent {
    pub name: String,
    pub label: String,
    pub example: Option<String>,
}

pub fn teachable(document: &Value, node: &str) -> Teachable {
    let named = |list: Option<&Value>| -> Vec<TeachableIntent> {
        list.and_then(Value::as_array)
            .map(|intents| {
                intents
                    .iter()
                    .filter_map(|intent| {
                        let name = intent.get("name").and_then(Value::as_str)?;
                        let label = intent
                            .get("label")
                            .and_then(Value::as_str)
                            .map(str::trim)
                            .filter(|label| !label.is_empty())
                            .unwrap_or(name);
                        Some(TeachableIntent {
                            name: name.to_owned(),
                            label: label.to_owned(),
                            example: intent
                                .pointer("/examples/0")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let found = document
        .get("nodes")
        .and_then(Value::as_array)
        .and_then(|nodes| {
            nodes
                .iter()
                .find(|n| n.get("id").and_then(Value::as_str) == Some(node))
        });
    let mut intents = named(found.and_then(|n| n.get("intents")));
    for global in named(document.get("global_intents")) {
        if !intents.iter().any(|intent| intent.name == global.name) {
            intents.push(global);
        }
    }
    let base = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .filter(|key| !key.is_empty())
            .map(str::to_owned)
    };
    let knowledge_base = base(found.and_then(|n| n.get("knowledge_base")))
        .or_else(|| base(document.pointer("/settings/knowledge/knowledge_base")));
    Teachable {
        intents,
        knowledge_base,
    }
}

/// The intent named `intent` of the listening node `node`, else the flow's global intent of
/// that name.
fn intent_list<'d>(document: &'d mut Value, node: &str, intent: &str) -> Option<&'d mut Value> {
    let named = |candidate: &Value| candidate.get("name").and_then(Value::as_str) == Some(intent);
    let in_node = document
        .get("nodes")
        .and_then(Value::as_array)
        .and_then(|nodes| {
            nodes.iter().position(|n| {
                n.get("id").and_then(Value::as_str) == Some(node)
                    && n.get("intents")
                        .and_then(Value::as_array)
                        .is_some_and(|list| list.iter().any(named))
            })
        });
    match in_node {
        Some(index) => document
            .get_mut("nodes")?
            .get_mut(index)?
            .get_mut("intents")?
            .as_array_mut()?
            .iter_mut()
            .find(|candidate| named(candidate)),
        None => document
            .get_mut("global_intents")?
            .as_array_mut()?
            .iter_mut()
            .find(|candidate| named(candidate)),
    }
}
