//! A campaign as the shop defines and steers it: created as a draft, changed while it does not
//! run, started (a list campaign queues its contacts then), paused, resumed and stopped —
//! each change through here only, and each in the audit log with the change.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::settings::Settings;
use crate::error::FieldProblem;
use crate::store::{Actor, CampaignRow, NewJob, Store, StoreError};

/// The longest name, in characters.
const NAME_MAX_CHARS: usize = 100;

/// A campaign as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub flow_id: String,
    /// The flow's title, as the shop named it.
    pub flow_title: String,
    /// The published version the campaign calls with.
    pub flow_version: i64,
    pub list_id: String,
    /// The contact list's name.
    pub list_name: String,
    pub settings: Settings,
    /// `draft`, `running`, `paused`, `stopped` or `completed`.
    pub status: String,
    /// `list`: the list's contacts, once each; `date`: every day, those whose date is today.
    pub kind: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a campaign is made of, as the shop writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    #[schema(example = "双十一满意度回访", min_length = 1, max_length = 100)]
    pub name: String,
    pub flow_id: String,
    /// A published version of the flow; none: the one published now.
    pub flow_version: Option<i64>,
    pub list_id: String,
    #[serde(default)]
    pub settings: Settings,
}

#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("the request has wrong fields")]
    Invalid(Vec<FieldProblem>),
    #[error("no such campaign")]
    NotFound,
    /// The change does not fit the campaign's status (editing a running one, resuming a
    /// stopped one…).
    #[error("the campaign is {status}")]
    WrongStatus { status: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The moves between statuses: the action, the statuses it leaves, the one it reaches.
const MOVES: &[(&str, &[&str], &str)] = &[
    ("start", &["draft"], "running"),
    ("pause", &["running"], "paused"),
    ("resume", &["paused"], "running"),
    ("stop", &["running", "paused"], "stopped"),
];

/// The statuses in which a campaign's definition may change.
const EDITABLE: &[&str] = &["draft", "paused"];

impl Campaign {
    async fn of(store: &Store, tenant_id: &str, row: CampaignRow) -> Result<Campaign, StoreError> {
        let settings = Settings::of(&row)?;
        let flow_title = store
            .get_flow(tenant_id, &row.flow_id)
            .await?
            .map(|flow| flow.title.unwrap_or(flow.name))
            .unwrap_or_default();
        let list_name = store
            .get_contact_list(tenant_id, &row.list_id)
            .await?
            .map(|list| list.name)
            .unwrap_or_default();
        Ok(Campaign {
            kind: if settings.trigger.is_some() {
                "date"
            } else {
                "list"
            }
            .to_owned(),
            id: row.id,
            name: row.name,
            flow_id: row.flow_id,
            flow_title,
            flow_version: row.flow_version,
            list_id: row.list_id,
            list_name,
            settings,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

pub async fn list(store: &Store, tenant_id: &str) -> Result<Vec<Campaign>, CampaignError> {
    let mut campaigns = Vec::new();
    for row in store.list_campaigns(tenant_id).await? {
        campaigns.push(Campaign::of(store, tenant_id, row).await?);
    }
    Ok(campaigns)
}

pub async fn get(store: &Store, tenant_id: &str, id: &str) -> Result<Campaign, CampaignError> {
    let row = row(store, tenant_id, id).await?;
    Ok(Campaign::of(store, tenant_id, row).await?)
}

/// The tenant's campaign as stored.
async fn row(store: &Store, tenant_id: &str, id: &str) -> Result<CampaignRow, CampaignError> {
    store
        .get_campaign(tenant_id, id)
        .await?
        .ok_or(CampaignError::NotFound)
}

/// Checks a definition against the tenant's flows and lists: the row to write, or every
/// problem, each named.
async fn checked(
    store: &Store,
    tenant_id: &str,
    input: CampaignInput,
) -> Result<(String, i64, Settings, CampaignInput), CampaignError> {
    let mut wrong = Vec::new();
    let name = input.name.trim().to_owned();
    let count = name.chars().count();
    if count == 0 || count > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        wrong.push(FieldProblem::new(
            "/name",
            "invalid_name",
            format!("名称应为 1 到 {NAME_MAX_CHARS} 个字符，且不含控制字符。"),
            format!("A name is 1 to {NAME_MAX_CHARS} characters without control characters."),
        ));
    }
    let published = store
        .published_version_number(tenant_id, &input.flow_id)
        .await?;
    let version = match (published, input.flow_version) {
        (None, _) => {
            wrong.push(FieldProblem::new(
                "/flow_id",
                "unknown_flow",
                "账户里没有这个流程",
                "the account has no such flow",
            ));
            0
        }
        (Some(None), None) => {
            wrong.push(FieldProblem::new(
                "/flow_id",
                "flow_not_published",
                "这个流程还没有发布：请先发布，活动拨打的是已发布的版本",
                "the flow is not published yet: publish it first, campaigns call with a published version",
            ));
            0
        }
        (Some(Some(live)), None) => live,
        (Some(_), Some(version)) => {
            if store
                .get_flow_version(tenant_id, &input.flow_id, version)
                .await?
                .is_none()
            {
                wrong.push(FieldProblem::new(
                    "/flow_version",
                    "unknown_version",
                    format!("这个流程没有已发布的第 {version} 版"),
                    format!("the flow has no published version {version}"),
                ));
            }
            version
        }
    };
    if store
        .get_contact_list(tenant_id, &input.list_id)
        .await?
        .is_none()
    {
        wrong.push(FieldProblem::new(
            "/list_id",
            "unknown_list",
            "账户里没有这个联系人名单",
            "the account has no such contact list",
        ));
    }
    let tenant = store.get_tenant(tenant_id).await?;
    let zone = tenant
        .as_ref()
        .map(crate::conversation::local_time::time_zone)
        .unwrap_or(chrono_tz::Asia::Shanghai);
    wrong.extend(input.settings.check(zone.name()));
    if !wrong.is_empty() {
        return Err(CampaignError::Invalid(wrong));
    }
    let settings = input.settings.clone();
    Ok((name, version, settings, input))
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    input: CampaignInput,
    now_ms: i64,
) -> Result<Campaign, CampaignError> {
    let tenant_id = actor.tenant_id.as_str();
    let (name, version, settings, input) = checked(store, tenant_id, input).await?;
    let row = CampaignRow {
        id: Store::new_campaign_id(),
        name,
        flow_id: input.flow_id,
        flow_version: version,
        list_id: input.list_id,
        settings: serde_json::to_value(&settings).unwrap_or_default(),
        status: "draft".to_owned(),
        planned_through: None,
        created_by: actor.name.clone(),
        created_at: now_ms,
        updated_at: now_ms,
    };
    let mut transaction = store.transaction().await?;
    transaction.insert_campaign(tenant_id, &row).await?;
    transaction
        .record_audit(
            actor,
            "campaign.create",
            &row.id,
            &audit_detail(&row),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    get(store, tenant_id, &row.id).await
}

/// Rewrites a draft's or a paused campaign's definition.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &str,
    input: CampaignInput,
    now_ms: i64,
) -> Result<Campaign, CampaignError> {
    let tenant_id = actor.tenant_id.as_str();
    let before = row(store, tenant_id, id).await?;
    let (name, version, settings, input) = checked(store, tenant_id, input).await?;
    let row = CampaignRow {
        name,
        flow_id: input.flow_id,
        flow_version: version,
        list_id: input.list_id,
        settings: serde_json::to_value(&settings).unwrap_or_default(),
        updated_at: now_ms,
        ..before.clone()
    };
    if before.status != "draft" && (row.list_id != before.list_id) {
        return Err(CampaignError::Invalid(vec![FieldProblem::new(
            "/list_id",
            "list_fixed",
            "活动开始后不能更换联系人名单；请新建一个活动",
            "a campaign's contact list cannot change once it has started; create a new campaign",
        )]));
    }
    let mut transaction = store.transaction().await?;
    if !transaction
        .update_campaign(tenant_id, &row, EDITABLE)
        .await?
    {
        return Err(CampaignError::WrongStatus {
            status: before.status,
        });
    }
    transaction
        .record_audit(actor, "campaign.update", id, &audit_detail(&row), now_ms)
        .await?;
    transaction.commit().await?;
    get(store, tenant_id, id).await
}

/// Deletes a campaign that never started.
pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &str,
    now_ms: i64,
) -> Result<(), CampaignError> {
    let tenant_id = actor.tenant_id.as_str();
    let before = row(store, tenant_id, id).await?;
    let mut transaction = store.transaction().await?;
    if !transaction.delete_draft_campaign(tenant_id, id).await? {
        return Err(CampaignError::WrongStatus {
            status: before.status,
        });
    }
    transaction
        .record_audit(
            actor,
            "campaign.delete",
            id,
            &json!({ "name": before.name }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Starts, pauses, resumes or stops a campaign (`action` is one of those). Starting a list
/// campaign queues its contacts (those its filter keeps); stopping one ends what it had not
/// dialled yet as `stopped`. Calls in progress finish either way.
pub async fn steer(
    store: &Store,
    actor: &Actor,
    id: &str,
    action: &str,
    now_ms: i64,
) -> Result<Campaign, CampaignError> {
    let tenant_id = actor.tenant_id.as_str();
    let before = row(store, tenant_id, id).await?;
    let Some((_, from, to)) = MOVES.iter().find(|(name, ..)| *name == action) else {
        return Err(CampaignError::NotFound);
    };
    if !from.contains(&before.status.as_str()) {
        return Err(CampaignError::WrongStatus {
            status: before.status,
        });
    }
    let queued = if action == "start" {
        queue_list(store, tenant_id, &before, now_ms).await?
    } else {
        0
    };
    let mut transaction = store.transaction().await?;
    if !transaction
        .set_campaign_status(tenant_id, id, from, to, now_ms)
        .await?
    {
        return Err(CampaignError::WrongStatus {
            status: before.status,
        });
    }
    let ended = if action == "stop" {
        transaction.stop_campaign_jobs(id, now_ms).await?
    } else {
        0
    };
    transaction
        .record_audit(
            actor,
            &format!("campaign.{action}"),
            id,
            &json!({ "name": before.name, "queued": queued, "ended": ended }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    get(store, tenant_id, id).await
}

/// Queues the contacts of a list campaign's list that its filter keeps; a date-triggered
/// campaign queues its contacts day by day instead (see the runner).
async fn queue_list(
    store: &Store,
    tenant_id: &str,
    campaign: &CampaignRow,
    now_ms: i64,
) -> Result<u64, CampaignError> {
    let settings = Settings::of(campaign)?;
    if settings.trigger.is_some() {
        return Ok(0);
    }
    let jobs: Vec<NewJob> = store
        .all_contacts(tenant_id, &campaign.list_id)
        .await?
        .into_iter()
        .filter(|contact| settings.keeps(&contact.name, &contact.fields))
        .map(|contact| NewJob {
            contact_id: contact.id,
            phone: contact.phone,
            name: contact.name,
            occurrence: String::new(),
            due_at: now_ms,
        })
        .collect();
    Ok(store
        .queue_jobs(tenant_id, &campaign.id, &jobs, now_ms)
        .await?)
}

/// What the audit log keeps of a definition.
fn audit_detail(row: &CampaignRow) -> serde_json::Value {
    json!({
        "name": row.name,
        "flow_id": row.flow_id,
        "flow_version": row.flow_version,
        "list_id": row.list_id,
        "settings": row.settings,
    })
}
