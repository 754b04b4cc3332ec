//! Published versions: publishing the draft as the next numbered version (which never changes
//! afterwards and which new calls run), reading versions, and restoring one into the draft.

use flow_engine::msg;
use serde_json::json;

use super::{
    check_document, diagnose, document_name, flow_names, load, named, problem, record,
    DiagnosedFlow, FlowError,
};
use crate::store::{constraint, Actor, FlowVersion, FlowVersionSummary, Store};

/// Longest version note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

/// Refuses a note longer than [`MAX_NOTE_CHARS`]; `field` is where the request has it.
pub fn check_note(note: &str, field: &str) -> Result<(), FlowError> {
    let length = note.chars().count();
    if length > MAX_NOTE_CHARS {
        return Err(FlowError::InvalidDocument(problem(
            "too_large",
            field,
            msg!("flow.note_too_long", count = length, max = MAX_NOTE_CHARS),
        )));
    }
    Ok(())
}

/// Publishes the draft as the next version, with `note`. The draft must have no validation
/// errors; `expected`, when given, is the revision the caller reviewed.
pub async fn publish(
    store: &Store,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    note: &str,
    now_ms: i64,
) -> Result<FlowVersion, FlowError> {
    check_note(note, "/note")?;
    let tenant_id = actor.tenant_id.as_str();
    let flow = load(store, tenant_id, id).await?;
    if let Some(expected) = expected.filter(|expected| *expected != flow.revision) {
        return Err(FlowError::RevisionConflict {
            sent: expected,
            current: flow.revision,
        });
    }
    let known = flow_names(store, tenant_id).await?;
    let named = named(store, tenant_id).await?;
    let checked = check_document(flow.draft, known, named).await?;
    if !checked.valid {
        return Err(FlowError::Invalid {
            revision: flow.revision,
            diagnostics: checked.diagnostics,
        });
    }
    // The flow's row lock serialises publishers, so the primary key should never refuse the
    // next number; one retry covers a database that lets two through anyway.
    let draft = (flow.revision, flow.name.as_str());
    match publish_revision(store, actor, id, draft, note, now_ms).await {
        Err(FlowError::Store(error)) if error.is_conflict_on(constraint::FLOW_VERSION) => {
            publish_revision(store, actor, id, draft, note, now_ms).await
        }
        published => published,
    }
}

/// Publishes the draft at `(revision, name)` with its audit entry.
async fn publish_revision(
    store: &Store,
    actor: &Actor,
    id: &str,
    (revision, name): (i64, &str),
    note: &str,
    now_ms: i64,
) -> Result<FlowVersion, FlowError> {
    let mut transaction = store.transaction().await?;
    let version = transaction
        .publish_flow(&actor.tenant_id, id, revision, note, &actor.name, now_ms)
        .await
        .map_err(|error| FlowError::of_write(error, revision, name))?
        .ok_or(FlowError::NotFound)?;
    let detail = json!({
        "version": version.version,
        "revision": version.draft_revision,
        "note": version.note,
    });
    record(&mut transaction, actor, "flow.publish", id, detail, now_ms).await?;
    transaction.commit().await?;
    Ok(version)
}

/// The flow's published versions, newest first.
pub async fn versions(
    store: &Store,
    tenant_id: &str,
    id: &str,
) -> Result<Vec<FlowVersionSummary>, FlowError> {
    load(store, tenant_id, id).await?;
    Ok(store.list_flow_versions(tenant_id, id).await?)
}

/// One published version of the tenant's flow, with its document.
pub async fn version(
    store: &Store,
    tenant_id: &str,
    id: &str,
    number: i64,
) -> Result<FlowVersion, FlowError> {
    load(store, tenant_id, id).await?;
    store
        .get_flow_version(tenant_id, id, number)
        .await?
        .ok_or(FlowError::VersionNotFound(number))
}

/// Replaces the draft with a published version's document, as a new revision from
/// `expected`; the published version does not change.
pub async fn restore(
    store: &Store,
    actor: &Actor,
    id: &str,
    number: i64,
    expected: Option<i64>,
    now_ms: i64,
) -> Result<DiagnosedFlow, FlowError> {
    let tenant_id = actor.tenant_id.as_str();
    let flow = load(store, tenant_id, id).await?;
    let version = version(store, tenant_id, id, number).await?;
    let expected = expected.ok_or(FlowError::RevisionRequired)?;
    // The flow's name is always its document's, also when the flow was renamed after this
    // version.
    let name = document_name(&version.document).unwrap_or(&flow.name);
    let title = crate::store::document_title(&version.document);
    let mut transaction = store.transaction().await?;
    let restored = transaction
        .restore_flow_version(
            tenant_id,
            id,
            number,
            expected,
            (name, title.as_deref()),
            now_ms,
        )
        .await
        .map_err(|error| FlowError::of_write(error, expected, name))?
        .ok_or(FlowError::NotFound)?;
    let detail = json!({ "version": version.version, "revision": restored.revision });
    record(&mut transaction, actor, "flow.restore", id, detail, now_ms).await?;
    transaction.commit().await?;
    diagnose(store, restored).await
}
