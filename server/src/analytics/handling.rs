//! What the manager does with a phrasing nobody understood, besides teaching it to an intent
//! (`flows::add_example`) or a knowledge entry: dismissing it, so that the list shows what is
//! left to do.

use serde_json::json;

use crate::store::{Actor, HandledUnheard, Store, StoreError};

/// Leaves the phrasing out of the "not understood" list from now on; audited.
pub async fn dismiss(
    store: &Store,
    actor: &Actor,
    mut phrasing: HandledUnheard,
    now_ms: i64,
) -> Result<(), StoreError> {
    phrasing.text = super::tally::normalized_said(&phrasing.text);
    phrasing.resolution = "dismissed".to_owned();
    phrasing.target = String::new();
    let mut transaction = store.transaction().await?;
    transaction
        .mark_unheard_handled(&actor.tenant_id, &phrasing, &actor.name, now_ms)
        .await?;
    let detail = json!({
        "flow_id": phrasing.flow_id,
        "node": phrasing.node,
        "kind": phrasing.kind,
        "text": phrasing.text,
    });
    transaction
        .record_audit(
            actor,
            "analytics.unheard_dismissed",
            &phrasing.flow_id,
            &detail,
            now_ms,
        )
        .await?;
    transaction.commit().await
}
