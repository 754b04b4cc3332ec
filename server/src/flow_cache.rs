//! Compiled flows, shared by every call through an `Arc` (compile once, run many).
//!
//! A compiled flow is identified by a [`FlowRef`]: the flow's published version or draft
//! revision, and the same for every flow its `subflow` nodes call, directly or not. Versions
//! and revisions never change once written, so an entry never goes stale; the caches only
//! bound their size and forget the least recently used entries. A session stores its
//! `FlowRef`, so every turn runs on exactly the documents it started with, on any server
//! instance, whatever was published or edited since.
//!
//! Subflows name other flows of the same tenant by `name`. A published flow (or a numbered
//! version) calls their published versions, a draft calls their drafts. Cycles and nesting
//! deeper than the runtime allows are compile errors.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use flow_engine::compile::CompileOptions;
use flow_engine::link::{self, Linkable};
use flow_engine::{CompiledFlow, Diagnostic};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Store, StoreError};

/// Compiled published versions kept at most.
pub const PUBLISHED_CAPACITY: usize = 1_000;
/// Compiled draft revisions kept at most: drafts churn while someone edits, and must not push
/// the published versions that live calls run out of the cache.
pub const DRAFT_CAPACITY: usize = 256;

/// Which document of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A published version.
    Version(i64),
    /// The draft at this revision.
    Draft(i64),
}

/// One flow's document, exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pin {
    pub flow_id: String,
    pub source: Source,
}

/// Everything a compiled flow was built from: the flow and, by name, each flow its subflows
/// call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlowRef {
    pub root: Pin,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subflows: BTreeMap<String, Pin>,
}

impl FlowRef {
    pub fn is_draft(&self) -> bool {
        matches!(self.root.source, Source::Draft(_))
    }
}

/// What a new session asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Draft,
    Published,
    Version(i64),
}

/// The documents behind a [`FlowRef`], by the same names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Documents {
    pub root: Value,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subflows: BTreeMap<String, Value>,
}

/// A flow ready for a new session.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub flow_ref: FlowRef,
    pub flow: Arc<CompiledFlow>,
    pub documents: Documents,
}

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("the flow was not found")]
    NotFound,
    #[error("version {0} of the flow was not found")]
    VersionNotFound(i64),
    #[error("the flow has no published version")]
    NotPublished,
    #[error("the flow has errors")]
    Invalid(Vec<Diagnostic>),
    /// A pinned document is no longer there (a draft session's revision without its copy).
    #[error("{0}")]
    Gone(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("compiling failed: {0}")]
    Internal(String),
}

type Key = (String, FlowRef);
type Cell = crate::lru::Cell<Arc<CompiledFlow>>;
type Lru = crate::lru::Lru<Key, Arc<CompiledFlow>>;

/// A draft compiled on its own, or why it does not compile.
pub type AloneResult = Result<Arc<CompiledFlow>, Arc<Vec<Diagnostic>>>;
/// Tenant, flow, and the draft's stored revision and update time: what identifies a draft's
/// text on every server instance, so that another instance's edit is a new key, never a stale
/// hit.
type AloneKey = (String, String, i64, i64);

/// The compiled-flow caches of one server.
pub struct FlowCache {
    published: Mutex<Lru>,
    drafts: Mutex<Lru>,
    /// Published versions known to call no subflows: a new session on one needs only the
    /// flow's current version number to find its compiled flow.
    standalone: Mutex<HashSet<(String, Pin)>>,
    /// Drafts compiled on their own (subflows not linked), for trying sentences on their
    /// nodes while someone types: failures are kept too, as a draft with errors fails the same
    /// way on every keystroke.
    alone: Mutex<crate::lru::Lru<AloneKey, AloneResult>>,
    options: CompileOptions,
}

impl Default for FlowCache {
    fn default() -> Self {
        FlowCache::new(PUBLISHED_CAPACITY, DRAFT_CAPACITY)
    }
}

impl FlowCache {
    pub fn new(published: usize, drafts: usize) -> FlowCache {
        FlowCache {
            published: Mutex::new(Lru::new(published.max(1))),
            drafts: Mutex::new(Lru::new(drafts.max(1))),
            standalone: Mutex::default(),
            alone: Mutex::new(crate::lru::Lru::new(drafts.max(1))),
            options: CompileOptions::default(),
        }
    }

    /// The tenant's flow's draft as it is stored now, compiled on its own (subflows are not
    /// linked): from the cache while the draft's revision is unchanged. `Ok(Err(_))` holds the
    /// draft's errors.
    pub async fn draft_alone(
        &self,
        store: &Store,
        tenant_id: &str,
        flow_id: &str,
    ) -> Result<AloneResult, FlowError> {
        let flow = store
            .get_flow(tenant_id, flow_id)
            .await?
            .ok_or(FlowError::NotFound)?;
        let key = (
            tenant_id.to_owned(),
            flow.id,
            flow.revision,
            flow.updated_at,
        );
        let cell = self
            .alone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cell(key);
        let options = self.options.clone();
        let draft = flow.draft;
        let compiled = cell
            .get_or_try_init(|| async move {
                // CPU work, as in `compile_into`.
                tokio::task::spawn_blocking(move || compile_alone(draft, &options))
                    .await
                    .map_err(|error| FlowError::Internal(error.to_string()))
            })
            .await?;
        Ok(compiled.clone())
    }

    fn cell(&self, tenant_id: &str, flow_ref: &FlowRef) -> Cell {
        let lru = if flow_ref.is_draft() {
            &self.drafts
        } else {
            &self.published
        };
        lru.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cell((tenant_id.to_owned(), flow_ref.clone()))
    }

    /// Finds the documents a new session on `flow_id` runs and compiles them (or takes them
    /// from the cache).
    pub async fn resolve(
        &self,
        store: &Store,
        tenant_id: &str,
        flow_id: &str,
        selector: Selector,
    ) -> Result<Resolved, FlowError> {
        if selector == Selector::Published {
            if let Some(resolved) = self.resolve_standalone(store, tenant_id, flow_id).await? {
                return Ok(resolved);
            }
        }
        let (root, root_document) = load_root(store, tenant_id, flow_id, selector).await?;
        let standalone = link::subflow_calls(&root_document).is_empty();
        let draft = selector == Selector::Draft;
        let mut subflows = BTreeMap::new();
        let mut documents = Documents {
            root: root_document,
            subflows: BTreeMap::new(),
        };
        let mut problems = Vec::new();
        let mut pending = link::subflow_calls(&documents.root);
        while let Some(call) = pending.pop() {
            let name = &call.flow;
            if subflows.contains_key(name) {
                continue;
            }
            let Some(child) = find_flow_by_name(store, tenant_id, name).await? else {
                // The compiler reports the unknown name on the node that uses it.
                continue;
            };
            let (pin, document) = if draft {
                match store.get_flow(tenant_id, &child).await? {
                    Some(flow) => (
                        Pin {
                            flow_id: flow.id,
                            source: Source::Draft(flow.revision),
                        },
                        flow.draft,
                    ),
                    None => continue,
                }
            } else {
                match store.get_published_flow_version(tenant_id, &child).await? {
                    Some(version) => (
                        Pin {
                            flow_id: version.flow_id,
                            source: Source::Version(version.version),
                        },
                        version.document,
                    ),
                    None => {
                        problems.push(link::not_published(&call));
                        continue;
                    }
                }
            };
            pending.extend(link::subflow_calls(&document));
            subflows.insert(name.clone(), pin);
            documents.subflows.insert(call.flow, document);
        }
        if !problems.is_empty() {
            return Err(FlowError::Invalid(problems));
        }
        let flow_ref = FlowRef { root, subflows };
        let flow = self.compiled(tenant_id, &flow_ref, &documents).await?;
        if standalone && !flow_ref.is_draft() {
            let mut known = self
                .standalone
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if known.len() >= PUBLISHED_CAPACITY {
                known.clear();
            }
            known.insert((tenant_id.to_owned(), flow_ref.root.clone()));
        }
        Ok(Resolved {
            flow_ref,
            flow,
            documents,
        })
    }

    /// The published version of a flow that calls no subflows, when it is compiled already:
    /// one light query instead of loading and resolving its documents.
    async fn resolve_standalone(
        &self,
        store: &Store,
        tenant_id: &str,
        flow_id: &str,
    ) -> Result<Option<Resolved>, FlowError> {
        let Some(version) = store.published_version_number(tenant_id, flow_id).await? else {
            return Err(FlowError::NotFound);
        };
        let Some(version) = version else {
            return Err(FlowError::NotPublished);
        };
        let root = Pin {
            flow_id: flow_id.to_owned(),
            source: Source::Version(version),
        };
        let key = (tenant_id.to_owned(), root);
        if !self
            .standalone
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&key)
        {
            return Ok(None);
        }
        let flow_ref = FlowRef {
            root: key.1,
            subflows: BTreeMap::new(),
        };
        let Some(flow) = self.cell(tenant_id, &flow_ref).get().cloned() else {
            return Ok(None);
        };
        Ok(Some(Resolved {
            flow_ref,
            flow,
            // Only draft sessions keep their documents.
            documents: Documents::default(),
        }))
    }

    /// The compiled flow a session stored: from the cache, else compiled again from the
    /// `documents` given (a draft session keeps its own copy) or from the published versions.
    pub async fn get(
        &self,
        store: &Store,
        tenant_id: &str,
        flow_ref: &FlowRef,
        documents: Option<&Documents>,
    ) -> Result<Arc<CompiledFlow>, FlowError> {
        let cell = self.cell(tenant_id, flow_ref);
        if let Some(flow) = cell.get() {
            return Ok(flow.clone());
        }
        let documents = match documents {
            Some(documents) => documents.clone(),
            None => load_pinned(store, tenant_id, flow_ref).await?,
        };
        self.compile_into(&cell, flow_ref, documents).await
    }

    async fn compiled(
        &self,
        tenant_id: &str,
        flow_ref: &FlowRef,
        documents: &Documents,
    ) -> Result<Arc<CompiledFlow>, FlowError> {
        let cell = self.cell(tenant_id, flow_ref);
        if let Some(flow) = cell.get() {
            return Ok(flow.clone());
        }
        self.compile_into(&cell, flow_ref, documents.clone()).await
    }

    async fn compile_into(
        &self,
        cell: &Cell,
        flow_ref: &FlowRef,
        documents: Documents,
    ) -> Result<Arc<CompiledFlow>, FlowError> {
        let flow = cell
            .get_or_try_init(|| async {
                let options = self.options.clone();
                let flow_ref = flow_ref.clone();
                // Compiling runs scripts' parser and builds intent indexes: CPU work that must
                // not hold up the requests sharing this thread.
                tokio::task::spawn_blocking(move || link_tree(&flow_ref, &documents, &options))
                    .await
                    .map_err(|error| FlowError::Internal(error.to_string()))?
                    .map_err(FlowError::Invalid)
            })
            .await?;
        Ok(flow.clone())
    }
}

async fn load_root(
    store: &Store,
    tenant_id: &str,
    flow_id: &str,
    selector: Selector,
) -> Result<(Pin, Value), FlowError> {
    let pin = |source| Pin {
        flow_id: flow_id.to_owned(),
        source,
    };
    match selector {
        Selector::Draft => {
            let flow = store
                .get_flow(tenant_id, flow_id)
                .await?
                .ok_or(FlowError::NotFound)?;
            Ok((pin(Source::Draft(flow.revision)), flow.draft))
        }
        Selector::Published => match store.get_published_flow_version(tenant_id, flow_id).await? {
            Some(version) => Ok((pin(Source::Version(version.version)), version.document)),
            None if store.get_flow(tenant_id, flow_id).await?.is_some() => {
                Err(FlowError::NotPublished)
            }
            None => Err(FlowError::NotFound),
        },
        Selector::Version(number) => {
            if store.get_flow(tenant_id, flow_id).await?.is_none() {
                return Err(FlowError::NotFound);
            }
            let version = store
                .get_flow_version(tenant_id, flow_id, number)
                .await?
                .ok_or(FlowError::VersionNotFound(number))?;
            Ok((pin(Source::Version(number)), version.document))
        }
    }
}

/// The documents of a reference whose every pin is a published version.
async fn load_pinned(
    store: &Store,
    tenant_id: &str,
    flow_ref: &FlowRef,
) -> Result<Documents, FlowError> {
    let load = |pin: &Pin| {
        let pin = pin.clone();
        async move {
            let Source::Version(number) = pin.source else {
                return Err(FlowError::Gone(
                    "the session ran a draft whose document is not stored with it".into(),
                ));
            };
            store
                .get_flow_version(tenant_id, &pin.flow_id, number)
                .await?
                .map(|version| version.document)
                .ok_or_else(|| FlowError::Gone(format!("version {number} of a flow is gone")))
        }
    };
    let mut documents = Documents {
        root: load(&flow_ref.root).await?,
        subflows: BTreeMap::new(),
    };
    for (name, pin) in &flow_ref.subflows {
        documents.subflows.insert(name.clone(), load(pin).await?);
    }
    Ok(documents)
}

/// The tenant's flow with exactly this name.
async fn find_flow_by_name(
    store: &Store,
    tenant_id: &str,
    name: &str,
) -> Result<Option<String>, StoreError> {
    let flows = store.list_flows(tenant_id, Some(name)).await?;
    Ok(flows
        .into_iter()
        .find(|flow| flow.name == name)
        .map(|flow| flow.id))
}

/// One document compiled without its subflows; a document that is not a flow has no
/// diagnostics to show.
fn compile_alone(document: Value, options: &CompileOptions) -> AloneResult {
    let document: flow_engine::FlowDocument =
        serde_json::from_value(document).map_err(|_| Arc::new(Vec::new()))?;
    CompiledFlow::compile(&document, options).map_err(|error| Arc::new(error.diagnostics))
}

/// Compiles the documents behind a reference, each subflow by the pin of its name.
fn link_tree(
    flow_ref: &FlowRef,
    documents: &Documents,
    options: &CompileOptions,
) -> Result<Arc<CompiledFlow>, Vec<Diagnostic>> {
    let root = Linkable {
        id: &flow_ref.root.flow_id,
        document: &documents.root,
    };
    let lookup = |name: &str| {
        Some(Linkable {
            id: &flow_ref.subflows.get(name)?.flow_id,
            document: documents.subflows.get(name)?,
        })
    };
    link::link(root, lookup, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(id: &str) -> Pin {
        Pin {
            flow_id: id.into(),
            source: Source::Version(1),
        }
    }

    #[test]
    fn the_cache_forgets_the_least_recently_used() {
        let mut lru = Lru::new(2);
        let key = |id: &str| {
            (
                "t".to_owned(),
                FlowRef {
                    root: pin(id),
                    subflows: BTreeMap::new(),
                },
            )
        };
        let first = lru.cell(key("a"));
        lru.cell(key("b"));
        assert!(Arc::ptr_eq(&first, &lru.cell(key("a"))));
        lru.cell(key("c"));
        assert!(lru.contains(&key("a")));
        assert!(!lru.contains(&key("b")));
    }
}
