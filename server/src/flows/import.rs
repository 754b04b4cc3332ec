//! Importing many flow documents at once, each validated and saved with its own result. An
//! all-or-nothing import saves every document in one transaction, or none; otherwise each
//! document is saved (and published) in a transaction of its own.

use std::collections::BTreeSet;

use flow_engine::messages::{term, Message};
use flow_engine::msg;
use flow_engine::validate::Diagnostic;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::publish::check_note;
use super::{check_documents, document_name, flow_names, named, problem, FlowError, Named};
use crate::store::{Actor, NewFlow, Store, Transaction};

/// Most flow documents in one import.
pub const MAX_IMPORT_FLOWS: usize = 100;
/// The note of versions published by an import that gives none.
const IMPORT_NOTE: &str = "Imported";

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Save all the documents or, if any of them fails, none.
    pub all_or_nothing: bool,
    /// Also publish each saved flow as its version 1; documents with validation errors are
    /// then refused instead of being saved as drafts.
    pub publish: bool,
    /// The note of the published versions; `None`: "Imported".
    pub note: Option<String>,
}

/// What happened to one document of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Saved as a draft (which may have validation errors, listed in `diagnostics`).
    Created,
    /// Saved and published as version 1.
    Published,
    /// Not saved: publishing was asked for and the document has validation errors.
    Invalid,
    /// Not saved: the tenant has a flow of that name, or an earlier document of the request has it.
    Conflict,
    /// Not saved: not a JSON object, or no `name`.
    Rejected,
    /// Not saved, though nothing is wrong with it: an `all_or_nothing` import failed elsewhere.
    Skipped,
}

/// One document's result.
#[derive(Debug)]
pub struct ImportResult {
    /// Position of the document in the request.
    pub index: usize,
    pub name: Option<String>,
    pub status: ImportStatus,
    /// The new flow's id, when it was saved.
    pub id: Option<String>,
    /// The published version, when it was published.
    pub version: Option<i64>,
    pub diagnostics: Vec<Diagnostic>,
}

/// What an import did: one result per document, in the request's order.
#[derive(Debug)]
pub enum Imported {
    /// Each document was saved or not on its own.
    Results(Vec<ImportResult>),
    /// All or nothing was asked for, and something failed: nothing was saved.
    NothingSaved(Vec<ImportResult>),
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("an import takes at most {MAX_IMPORT_FLOWS} flows; this one has {0}: split it")]
    TooMany(usize),
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// All or nothing: a name was taken while the import ran, and it is free again.
    #[error("another request took one of these names meanwhile; send the import again")]
    NameTakenMeanwhile,
}

impl From<crate::store::StoreError> for ImportError {
    fn from(error: crate::store::StoreError) -> Self {
        ImportError::Flow(error.into())
    }
}

/// Imports `documents`. `subflow` nodes may name the tenant's flows and the other documents.
pub async fn import(
    store: &Store,
    actor: &Actor,
    documents: Vec<Value>,
    options: &ImportOptions,
    now_ms: i64,
) -> Result<Imported, ImportError> {
    if documents.len() > MAX_IMPORT_FLOWS {
        return Err(ImportError::TooMany(documents.len()));
    }
    if documents.is_empty() {
        return Err(FlowError::InvalidDocument(problem(
            "empty_value",
            "/flows",
            term("import.nothing"),
        ))
        .into());
    }
    let note = options.note.as_deref().unwrap_or(IMPORT_NOTE);
    check_note(note, "/note")?;
    let existing = flow_names(store, &actor.tenant_id).await?;
    let mut plan = Plan::new(documents, &existing);
    let mut known = existing;
    known.extend(plan.ready.iter().map(|item| item.name.clone()));
    let named = named(store, &actor.tenant_id).await?;
    plan.check(known, named, options.publish).await?;
    let save = Save {
        store,
        actor,
        publish: options.publish,
        note,
        now_ms,
    };
    let saved = if options.all_or_nothing {
        if !plan.failed.is_empty() {
            return Ok(Imported::NothingSaved(plan.into_skipped()));
        }
        match save.all(&plan.ready).await? {
            Ok(saved) => saved,
            Err(taken) => {
                plan.mark_taken(&taken);
                return Ok(Imported::NothingSaved(plan.into_skipped()));
            }
        }
    } else {
        save.each(&mut plan).await?
    };
    let mut results = plan.failed;
    for (item, (id, version)) in plan.ready.into_iter().zip(saved) {
        results.push(ImportResult {
            index: item.index,
            status: if version.is_some() {
                ImportStatus::Published
            } else {
                ImportStatus::Created
            },
            name: Some(item.name),
            id: Some(id),
            version,
            diagnostics: item.diagnostics,
        });
    }
    results.sort_by_key(|result| result.index);
    Ok(Imported::Results(results))
}

/// A document that passed the checks so far.
struct Item {
    index: usize,
    name: String,
    document: Value,
    diagnostics: Vec<Diagnostic>,
}

/// The documents of an import, sorted into the ones to save and the ones that failed.
struct Plan {
    ready: Vec<Item>,
    failed: Vec<ImportResult>,
}

impl Plan {
    /// Rejects documents without a name and documents whose name is taken, by the tenant or by
    /// an earlier document of the request.
    fn new(documents: Vec<Value>, existing: &BTreeSet<String>) -> Self {
        let mut plan = Plan {
            ready: Vec::new(),
            failed: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        for (index, document) in documents.into_iter().enumerate() {
            let name = match document_name(&document) {
                Ok(name) => name.to_owned(),
                Err(problem) => {
                    plan.failed.push(ImportResult {
                        index,
                        name: None,
                        status: ImportStatus::Rejected,
                        id: None,
                        version: None,
                        diagnostics: vec![problem],
                    });
                    continue;
                }
            };
            let taken = if existing.contains(&name) {
                Some(msg!("import.name_taken", name = &name))
            } else if !seen.insert(name.clone()) {
                Some(msg!("import.name_repeated", name = &name))
            } else {
                None
            };
            match taken {
                Some(message) => plan.failed.push(conflict_result(index, name, message)),
                None => plan.ready.push(Item {
                    index,
                    name,
                    document,
                    diagnostics: Vec::new(),
                }),
            }
        }
        plan
    }

    /// Validates the documents to save; with `publish`, the ones with errors fail.
    async fn check(
        &mut self,
        known: BTreeSet<String>,
        named: Named,
        publish: bool,
    ) -> Result<(), FlowError> {
        let items = std::mem::take(&mut self.ready);
        let (positions, documents): (Vec<_>, Vec<_>) = items
            .into_iter()
            .map(|item| ((item.index, item.name), item.document))
            .unzip();
        let checked = check_documents(documents, known, named).await?;
        for ((index, name), checked) in positions.into_iter().zip(checked) {
            if publish && !checked.valid {
                self.failed.push(ImportResult {
                    index,
                    name: Some(name),
                    status: ImportStatus::Invalid,
                    id: None,
                    version: None,
                    diagnostics: checked.diagnostics,
                });
            } else {
                self.ready.push(Item {
                    index,
                    name,
                    document: checked.document,
                    diagnostics: checked.diagnostics,
                });
            }
        }
        Ok(())
    }

    /// Moves the documents whose name turned out to be taken to the failed ones.
    fn mark_taken(&mut self, taken: &BTreeSet<String>) {
        let (conflicts, ready) = std::mem::take(&mut self.ready)
            .into_iter()
            .partition(|item| taken.contains(&item.name));
        self.ready = ready;
        for item in conflicts {
            let message = msg!("import.name_taken", name = &item.name);
            self.failed
                .push(conflict_result(item.index, item.name, message));
        }
    }

    /// The results of an all-or-nothing import that saved nothing: the good documents skipped.
    fn into_skipped(self) -> Vec<ImportResult> {
        let mut results = self.failed;
        results.extend(self.ready.into_iter().map(|item| ImportResult {
            index: item.index,
            name: Some(item.name),
            status: ImportStatus::Skipped,
            id: None,
            version: None,
            diagnostics: item.diagnostics,
        }));
        results.sort_by_key(|result| result.index);
        results
    }
}

fn conflict_result(index: usize, name: String, message: Message) -> ImportResult {
    ImportResult {
        index,
        name: Some(name),
        status: ImportStatus::Conflict,
        id: None,
        version: None,
        diagnostics: vec![problem(
            "flow_name_taken",
            "/name",
            msg!("import.rename", problem = message),
        )],
    }
}

/// How the documents of an import are saved.
struct Save<'a> {
    store: &'a Store,
    actor: &'a Actor,
    publish: bool,
    note: &'a str,
    now_ms: i64,
}

/// A saved item's new flow id and, when published, its version.
type Saved = (String, Option<i64>);

impl Save<'_> {
    /// Saves one item (and publishes it) with its audit entry, inside `transaction`.
    async fn one(
        &self,
        transaction: &mut Transaction<'_>,
        item: &Item,
    ) -> Result<Saved, FlowError> {
        let tenant_id = self.actor.tenant_id.as_str();
        let new = NewFlow {
            name: &item.name,
            draft: &item.document,
        };
        let flow = transaction
            .create_flow(tenant_id, &new, self.now_ms)
            .await
            .map_err(|error| FlowError::of_save(error, &item.name))?;
        let version = if self.publish {
            let version = transaction
                .publish_flow(
                    tenant_id,
                    &flow.id,
                    flow.revision,
                    self.note,
                    &self.actor.name,
                    self.now_ms,
                )
                .await
                .map_err(|error| FlowError::of_write(error, flow.revision, &flow.name))?
                .ok_or(FlowError::NotFound)?;
            Some(version.version)
        } else {
            None
        };
        let detail = json!({ "name": item.name, "version": version });
        super::record(
            transaction,
            self.actor,
            "flow.import",
            &flow.id,
            detail,
            self.now_ms,
        )
        .await?;
        Ok((flow.id, version))
    }

    /// Saves every item in one transaction; `Err` with the names that turned out to be taken
    /// when nothing was saved because of them.
    async fn all(
        &self,
        items: &[Item],
    ) -> Result<Result<Vec<Saved>, BTreeSet<String>>, ImportError> {
        let mut transaction = self.store.transaction().await?;
        let mut saved = Vec::with_capacity(items.len());
        for item in items {
            match self.one(&mut transaction, item).await {
                Ok(one) => saved.push(one),
                Err(FlowError::NameTaken(_)) => {
                    drop(transaction);
                    let existing = flow_names(self.store, &self.actor.tenant_id).await?;
                    let taken: BTreeSet<String> = items
                        .iter()
                        .filter(|item| existing.contains(&item.name))
                        .map(|item| item.name.clone())
                        .collect();
                    if taken.is_empty() {
                        return Err(ImportError::NameTakenMeanwhile);
                    }
                    return Ok(Err(taken));
                }
                Err(error) => return Err(error.into()),
            }
        }
        transaction.commit().await?;
        Ok(Ok(saved))
    }

    /// Saves each item in a transaction of its own; items whose name was taken meanwhile move
    /// to the failed ones. Returns the saved items in `plan.ready`'s order.
    async fn each(&self, plan: &mut Plan) -> Result<Vec<Saved>, ImportError> {
        let mut saved = Vec::with_capacity(plan.ready.len());
        let mut taken = BTreeSet::new();
        for item in &plan.ready {
            let mut transaction = self.store.transaction().await?;
            match self.one(&mut transaction, item).await {
                Ok(one) => {
                    transaction.commit().await?;
                    saved.push(one);
                }
                Err(FlowError::NameTaken(_)) => {
                    taken.insert(item.name.clone());
                }
                Err(error) => return Err(error.into()),
            }
        }
        plan.mark_taken(&taken);
        Ok(saved)
    }
}
