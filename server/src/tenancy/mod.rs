//! The service's operator and its tenants (shops): creating a shop with its first owner's
//! invite, renaming it and setting its quotas, suspending and resuming it, deleting it with
//! every row it has. The operator API (`api::operator`) and `callflow admin tenant` both call
//! these functions; each change is recorded in the operator's audit log (which outlives the
//! tenant) in the transaction that makes it.
//!
//! Suspension: [`ensure_active`] is the one check, asked where a tenant's people, keys and
//! customers come in (`auth`, sign-in, the chat widget, inbound phone calls). It reads the
//! tenant through the store's short-lived cache, so it costs no query on a busy server, and a
//! suspension made on another server sharing the database takes effect within
//! [`crate::store::CACHE_TTL`] (one second). Conversations in progress finish; periodic jobs
//! (analytics roll-up, retention, ending idle chats) go on for a suspended tenant: they only
//! tidy what it has, and a shop's retention promise holds while it is suspended.

pub mod operator_keys;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::FieldProblem;
use crate::people::invites::LINK_TTL_MS;
use crate::store::{
    constraint, Actor, CreatedInvite, DeletedRows, InviteKind, NewInvite, Quotas, Role, Store,
    StoreError, Tenant, TenantSettings, TenantUsage,
};

/// Who does an operator's action, as the operator audit log names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// An operator key through the API (its id).
    Key(String),
    /// `callflow admin` on the server's machine.
    Admin,
}

impl Operator {
    pub fn name(&self) -> String {
        match self {
            Operator::Key(id) => format!("operator-key:{id}"),
            Operator::Admin => "callflow admin".to_owned(),
        }
    }

    /// The actor of entries written in the tenant's own audit log and of the owner's invite.
    fn in_tenant(&self, tenant_id: &str) -> Actor {
        Actor {
            tenant_id: tenant_id.to_owned(),
            name: "system".to_owned(),
        }
    }
}

/// Why an operator's change was refused.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("the request has wrong values")]
    Invalid(Vec<FieldProblem>),
    #[error("a tenant with this slug already exists")]
    SlugTaken,
    /// Emails are unique across tenants.
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("no such tenant")]
    NotFound,
    /// A deletion whose confirmation is not the tenant's slug.
    #[error("the confirmation is not the tenant's slug")]
    NotConfirmed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant is suspended: what [`ensure_active`] answers.
#[derive(Debug, thiserror::Error)]
pub enum Inactive {
    #[error("the tenant is suspended")]
    Suspended,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refuses a suspended tenant; a tenant that does not exist (deleted meanwhile) is refused
/// too, as suspended, so that nothing new starts for it.
pub async fn ensure_active(store: &Store, tenant_id: &str) -> Result<(), Inactive> {
    match store.get_tenant(tenant_id).await? {
        Some(tenant) if tenant.suspended_at.is_none() => Ok(()),
        _ => Err(Inactive::Suspended),
    }
}

/// The shop's names in both languages, as the operator gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Names {
    #[serde(rename = "zh-CN")]
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub zh: String,
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub en: String,
}

/// A new tenant.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Short unique identifier: 2 to 63 lower-case letters, digits and hyphens.
    pub slug: String,
    #[serde(deserialize_with = "object")]
    pub names: Names,
    /// The first owner's email: they get a one-time link to set their password.
    pub owner_email: String,
    /// The first owner's name [default: the email's part before @].
    #[serde(default)]
    pub owner_name: Option<String>,
    #[serde(default, deserialize_with = "object_or_null")]
    pub quotas: Option<Quotas>,
}

/// A change: what is given replaces what the tenant has.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdate {
    #[serde(default, deserialize_with = "object_or_null")]
    pub names: Option<Names>,
    /// The whole set of quotas; a limit left out takes the server's default.
    #[serde(default, deserialize_with = "object_or_null")]
    pub quotas: Option<Quotas>,
}

/// A JSON object read as `T`. Names and quotas are documented as objects, but serde would also
/// read a struct from an array of its fields in order (`"quotas": [null, null]`), which would
/// then change a tenant on a request no operator meant.
fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match serde_json::Value::deserialize(deserializer)? {
        value @ serde_json::Value::Object(_) => {
            serde_json::from_value(value).map_err(serde::de::Error::custom)
        }
        _ => Err(serde::de::Error::custom("expected an object")),
    }
}

/// [`object`], or nothing for `null`.
fn object_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        value => object(value).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A tenant as the operator sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TenantView {
    pub slug: String,
    pub names: Names,
    /// `active` or `suspended`.
    pub status: &'static str,
    pub suspended_at: Option<i64>,
    pub created_at: i64,
    pub quotas: Quotas,
    pub usage: TenantUsage,
}

impl TenantView {
    pub fn of(tenant: &Tenant, usage: TenantUsage) -> TenantView {
        let name = |tag: &str| {
            tenant
                .settings
                .display_name
                .get(tag)
                .cloned()
                .unwrap_or_else(|| tenant.name.clone())
        };
        TenantView {
            slug: tenant.slug.clone(),
            names: Names {
                zh: name("zh-CN"),
                en: name("en"),
            },
            status: if tenant.suspended_at.is_some() {
                "suspended"
            } else {
                "active"
            },
            suspended_at: tenant.suspended_at,
            created_at: tenant.created_at,
            quotas: tenant.settings.quotas,
            usage,
        }
    }
}

/// The longest name of a shop, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The largest value of any quota: far above what one server carries, small enough that
/// arithmetic on it never overflows.
pub const MAX_QUOTA: u32 = 1_000_000;

/// Whether `slug` is a valid slug: what `callflow admin` and the API both accept.
pub fn is_slug(slug: &str) -> bool {
    (2..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

fn check_names(names: &Names, problems: &mut Vec<FieldProblem>) {
    for (field, value, zh, en) in [
        ("/names/zh-CN", &names.zh, "中文名称", "the Chinese name"),
        ("/names/en", &names.en, "英文名称", "the English name"),
    ] {
        let count = value.trim().chars().count();
        if count == 0 || count > MAX_NAME_CHARS || value.chars().any(char::is_control) {
            problems.push(FieldProblem::new(
                field,
                "invalid_name",
                format!("{zh}需要 1 到 {MAX_NAME_CHARS} 个字符，且不能含控制字符"),
                format!("{en} needs 1 to {MAX_NAME_CHARS} characters and no control characters"),
            ));
        }
    }
}

/// Each quota given is 1 to [`MAX_QUOTA`]: a zero would stop the shop as a suspension does,
/// which is what suspending is for.
pub fn check_quotas(quotas: &Quotas, problems: &mut Vec<FieldProblem>) {
    for (name, value) in [
        ("concurrent_calls", quotas.concurrent_calls),
        ("concurrent_chats", quotas.concurrent_chats),
        ("turns_per_second", quotas.turns_per_second),
        ("api_requests_per_minute", quotas.api_requests_per_minute),
        ("storage_mb", quotas.storage_mb),
    ] {
        if let Some(value) = value {
            if !(1..=MAX_QUOTA).contains(&value) {
                problems.push(FieldProblem::new(
                    format!("/quotas/{name}"),
                    "invalid_quota",
                    format!("{name} 须在 1 到 {MAX_QUOTA} 之间，不能是 {value}；不限请省略"),
                    format!(
                        "{name} must be 1 to {MAX_QUOTA}, not {value}; leave it out for the default"
                    ),
                ));
            }
        }
    }
}

fn trimmed(names: &Names) -> Names {
    Names {
        zh: names.zh.trim().to_owned(),
        en: names.en.trim().to_owned(),
    }
}

fn set_names(settings: &mut TenantSettings, names: &Names) {
    settings
        .display_name
        .insert("zh-CN".to_owned(), names.zh.clone());
    settings
        .display_name
        .insert("en".to_owned(), names.en.clone());
}

/// A tenant by slug.
pub async fn find(store: &Store, slug: &str) -> Result<Tenant, TenancyError> {
    store
        .get_tenant_by_slug(slug.trim())
        .await?
        .ok_or(TenancyError::NotFound)
}

/// Every tenant with its usage figures, by slug.
pub async fn list(store: &Store) -> Result<Vec<TenantView>, TenancyError> {
    let tenants = store.list_tenants().await?;
    let usage = store.tenant_usage().await?;
    Ok(tenants
        .iter()
        .map(|tenant| TenantView::of(tenant, usage.get(&tenant.id).copied().unwrap_or_default()))
        .collect())
}

/// One tenant with its usage figures.
pub async fn show(store: &Store, slug: &str) -> Result<TenantView, TenancyError> {
    let tenant = find(store, slug).await?;
    let usage = store.tenant_usage().await?;
    Ok(TenantView::of(
        &tenant,
        usage.get(&tenant.id).copied().unwrap_or_default(),
    ))
}

/// Creates a tenant and a one-time link for its first owner (see `people::invites`): the
/// operator hands the link over, and the owner chooses the password, which nobody else ever
/// sees; no password travels through the operator's terminal or logs. All in one transaction.
pub async fn create(
    store: &Store,
    operator: &Operator,
    new: &NewTenant,
    now_ms: i64,
) -> Result<(Tenant, CreatedInvite), TenancyError> {
    let mut problems = Vec::new();
    let slug = new.slug.trim();
    if !is_slug(slug) {
        problems.push(FieldProblem::new(
            "/slug",
            "invalid_slug",
            "标识需要 2 到 63 个小写字母、数字或连字符，且不以连字符开头或结尾（如 my-shop）",
            "the slug needs 2 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen (e.g. my-shop)",
        ));
    }
    check_names(&new.names, &mut problems);
    let email = new.owner_email.trim().to_lowercase();
    if !crate::accounts::is_email(&email) {
        problems.push(FieldProblem::new(
            "/owner_email",
            "invalid_email",
            "不是邮箱地址（如 name@example.com）",
            "not an email address (such as name@example.com)",
        ));
    }
    let owner_name = match &new.owner_name {
        Some(name) => name.trim().to_owned(),
        None => email.split('@').next().unwrap_or_default().to_owned(),
    };
    let name_chars = owner_name.chars().count();
    if name_chars == 0 || name_chars > crate::people::invites::MAX_NAME_CHARS {
        problems.push(FieldProblem::new(
            "/owner_name",
            "invalid_name",
            format!(
                "店主的名字需要 1 到 {} 个字符",
                crate::people::invites::MAX_NAME_CHARS
            ),
            format!(
                "the owner's name needs 1 to {} characters",
                crate::people::invites::MAX_NAME_CHARS
            ),
        ));
    }
    let quotas = new.quotas.unwrap_or_default();
    check_quotas(&quotas, &mut problems);
    if !problems.is_empty() {
        return Err(TenancyError::Invalid(problems));
    }
    if store.find_user_by_email(&email).await?.is_some() {
        return Err(TenancyError::EmailTaken);
    }
    let names = trimmed(&new.names);
    let mut settings = TenantSettings {
        quotas,
        ..TenantSettings::default()
    };
    set_names(&mut settings, &names);
    let mut transaction = store.transaction().await?;
    let tenant = match transaction
        .create_tenant(&names.en, slug, &settings, now_ms)
        .await
    {
        Ok(tenant) => tenant,
        Err(error) if error.is_conflict_on(constraint::TENANT_SLUG) => {
            return Err(TenancyError::SlugTaken)
        }
        Err(error) => return Err(error.into()),
    };
    let actor = operator.in_tenant(&tenant.id);
    let invite = transaction
        .create_invite(
            &tenant.id,
            &NewInvite {
                kind: InviteKind::Invite,
                email: &email,
                display_name: &owner_name,
                role: Role::Owner,
                user_id: None,
                created_by: &actor.name,
            },
            now_ms,
            LINK_TTL_MS,
        )
        .await?;
    let detail = json!({ "slug": tenant.slug, "names": names, "by": operator.name() });
    transaction
        .record_audit(&actor, "tenant.create", &tenant.id, &detail, now_ms)
        .await?;
    transaction
        .record_operator_audit(
            &operator.name(),
            "tenant.create",
            slug,
            &json!({ "names": names, "owner_email": email, "quotas": quotas }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok((tenant, invite))
}

/// Renames a tenant and sets its quotas.
pub async fn update(
    store: &Store,
    operator: &Operator,
    slug: &str,
    update: &TenantUpdate,
    now_ms: i64,
) -> Result<Tenant, TenancyError> {
    let mut problems = Vec::new();
    if let Some(names) = &update.names {
        check_names(names, &mut problems);
    }
    if let Some(quotas) = &update.quotas {
        check_quotas(quotas, &mut problems);
    }
    if !problems.is_empty() {
        return Err(TenancyError::Invalid(problems));
    }
    let tenant = find(store, slug).await?;
    let mut settings = tenant.settings.clone();
    let mut name = tenant.name.clone();
    if let Some(names) = &update.names {
        let names = trimmed(names);
        set_names(&mut settings, &names);
        name = names.en.clone();
    }
    if let Some(quotas) = update.quotas {
        settings.quotas = quotas;
    }
    let mut transaction = store.transaction().await?;
    let changed = transaction
        .update_tenant(&tenant.id, &name, &settings)
        .await?
        .ok_or(TenancyError::NotFound)?;
    let detail = json!({
        "names": update.names.as_ref().map(trimmed),
        "quotas": update.quotas,
    });
    transaction
        .record_audit(
            &operator.in_tenant(&tenant.id),
            "tenant.operator_update",
            &tenant.id,
            &detail,
            now_ms,
        )
        .await?;
    transaction
        .record_operator_audit(
            &operator.name(),
            "tenant.update",
            &tenant.slug,
            &detail,
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(changed)
}

/// Suspends (`true`) or resumes (`false`) a tenant; doing it twice changes nothing and
/// records nothing. Answers the tenant as it is now.
pub async fn set_suspended(
    store: &Store,
    operator: &Operator,
    slug: &str,
    suspended: bool,
    reason: Option<&str>,
    now_ms: i64,
) -> Result<Tenant, TenancyError> {
    let tenant = find(store, slug).await?;
    if tenant.suspended_at.is_some() == suspended {
        return Ok(tenant);
    }
    let action = if suspended {
        "tenant.suspend"
    } else {
        "tenant.resume"
    };
    let mut transaction = store.transaction().await?;
    let changed = transaction
        .set_tenant_suspended(&tenant.id, suspended.then_some(now_ms))
        .await?
        .ok_or(TenancyError::NotFound)?;
    let detail = json!({ "reason": reason });
    transaction
        .record_audit(
            &operator.in_tenant(&tenant.id),
            action,
            &tenant.id,
            &detail,
            now_ms,
        )
        .await?;
    transaction
        .record_operator_audit(&operator.name(), action, &tenant.slug, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(changed)
}

/// Deletes a tenant with every row it has, in one transaction, once `confirm` repeats its
/// slug (so that a typo in a script cannot delete another shop). Calls and chats ended but
/// not yet counted are counted first, so that no count waiting for the roll-up names it
/// afterwards. Answers the tenant's id and the rows deleted by table.
pub async fn delete(
    store: &Store,
    operator: &Operator,
    slug: &str,
    confirm: &str,
    now_ms: i64,
) -> Result<(String, DeletedRows), TenancyError> {
    let tenant = find(store, slug).await?;
    if confirm.trim() != tenant.slug {
        return Err(TenancyError::NotConfirmed);
    }
    crate::analytics::rollup::catch_up(store).await?;
    let mut transaction = store.transaction().await?;
    let deleted = transaction
        .delete_tenant(&tenant.id, &crate::quotas::counting_buckets(&tenant.id))
        .await?;
    let counts: BTreeMap<&str, u64> = deleted
        .iter()
        .filter(|(_, rows)| *rows > 0)
        .map(|(table, rows)| (*table, *rows))
        .collect();
    transaction
        .record_operator_audit(
            &operator.name(),
            "tenant.delete",
            &tenant.slug,
            &json!({ "name": tenant.name, "rows": counts }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok((tenant.id, deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_are_one_to_the_most() {
        let mut problems = Vec::new();
        check_quotas(
            &Quotas {
                concurrent_calls: Some(0),
                concurrent_chats: Some(5),
                storage_mb: Some(MAX_QUOTA + 1),
                ..Quotas::default()
            },
            &mut problems,
        );
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["/quotas/concurrent_calls", "/quotas/storage_mb"]);
        problems.clear();
        check_quotas(&Quotas::default(), &mut problems);
        assert!(problems.is_empty());
    }

    #[test]
    fn slugs_and_names_are_checked() {
        assert!(is_slug("my-shop"));
        assert!(!is_slug("My Shop"));
        assert!(!is_slug("-x"));
        assert!(!is_slug("x"));
        let mut problems = Vec::new();
        check_names(
            &Names {
                zh: " ".into(),
                en: "Shop".into(),
            },
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "/names/zh-CN");
    }
}
