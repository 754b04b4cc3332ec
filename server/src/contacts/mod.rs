//! Contact lists: the people a shop calls (its members), each with an E.164 number ([`phone`]),
//! a name, custom fields that flows read as variables (`birthday`, `last_order`…), and the
//! evidence of their consent to be called (where it was given and when). Lists are filled from
//! files by [`import`]; every change is audited.

pub mod import;
pub mod phone;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::error::FieldProblem;
use crate::store::{
    constraint, Actor, ContactListRow, ContactRow, ContactValues, Store, StoreError,
};

/// The longest list name, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// The longest custom field name, in characters.
pub const FIELD_NAME_MAX_CHARS: usize = 64;
/// The most contacts one page holds.
pub const MAX_PAGE_SIZE: u32 = 500;

/// A contact list as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContactList {
    #[schema(example = "ctl_01980c1e5f3a7d2c9b1e4f6a8c0d2e4f")]
    pub id: String,
    #[schema(example = "会员")]
    pub name: String,
    /// How many contacts it holds.
    pub contacts: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ContactListRow> for ContactList {
    fn from(row: ContactListRow) -> Self {
        ContactList {
            id: row.id,
            name: row.name,
            contacts: row.contacts,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A contact as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Contact {
    #[schema(example = "con_01980c1e5f3a7d2c9b1e4f6a8c0d2e4f")]
    pub id: String,
    pub list_id: String,
    /// E.164.
    #[schema(example = "+8613800138000")]
    pub phone: String,
    #[schema(example = "张伟")]
    pub name: String,
    /// Custom fields flows read as variables: strings and numbers by identifier.
    #[schema(value_type = Object, example = json!({"birthday": "1990-03-08", "last_order": "SO-1024"}))]
    pub fields: Map<String, Value>,
    /// Where the person agreed to be called, e.g. 门店登记, `app signup`.
    pub consent_source: String,
    /// When they agreed, epoch ms.
    pub consent_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ContactRow> for Contact {
    fn from(row: ContactRow) -> Self {
        Contact {
            id: row.id,
            list_id: row.list_id,
            phone: row.phone,
            name: row.name,
            fields: row.fields,
            consent_source: row.consent_source,
            consent_at: row.consent_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A page of a list's contacts, by number.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContactPage {
    pub contacts: Vec<Contact>,
    /// Contacts that match, over all pages.
    pub total: i64,
}

/// New values for a contact; what is left out stays. In `fields`, a name set to `null` removes
/// that field and the others are merged into the contact's.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// Read in the tenant's region when it has no country code.
    #[schema(example = "138 0013 8000")]
    pub phone: Option<String>,
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    pub consent_source: Option<String>,
    pub consent_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("the request has wrong fields")]
    Invalid(Vec<FieldProblem>),
    #[error("no such contact list or contact")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A list's name, trimmed, or the problem with it.
fn list_name(name: &str) -> Result<String, ContactError> {
    let name = name.trim();
    let count = name.chars().count();
    if count == 0 || count > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(ContactError::Invalid(vec![FieldProblem::new(
            "/name",
            "invalid_name",
            format!("名称应为 1 到 {NAME_MAX_CHARS} 个字符，且不含控制字符。"),
            format!("A name is 1 to {NAME_MAX_CHARS} characters without control characters."),
        )]));
    }
    Ok(name.to_owned())
}

/// Whether `name` can be a custom field: an identifier, so that flows read it as a variable
/// (`{{contact.birthday}}`), and not one of the contact's own columns.
pub fn is_field_name(name: &str) -> bool {
    name.chars().count() <= FIELD_NAME_MAX_CHARS
        && flow_engine::is_identifier(name)
        && !matches!(name, "phone" | "name" | "consent_source" | "consent_at")
}

/// The problem with a custom field's name, naming it.
pub fn field_name_problem(pointer: &str, name: &str) -> FieldProblem {
    FieldProblem::new(
        pointer,
        "invalid_field_name",
        format!(
            "自定义字段名“{name}”不可用：流程把它当作变量读取，须以英文字母或 _ 开头，只含英文字母、数字和 _（如 birthday、last_order），最长 {FIELD_NAME_MAX_CHARS} 个字符，且不能是 phone、name、consent_source、consent_at。"
        ),
        format!(
            "The custom field name \"{name}\" cannot be used: flows read it as a variable, so it starts with a letter or _ and holds only letters, digits and _ (such as birthday, last_order), at most {FIELD_NAME_MAX_CHARS} characters, and is not phone, name, consent_source or consent_at."
        ),
    )
}

/// Problems with custom fields: names that are no identifiers, values that are neither
/// strings nor numbers.
fn field_problems(fields: &Map<String, Value>) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for (name, value) in fields {
        let pointer = format!("/fields/{}", name.replace('~', "~0").replace('/', "~1"));
        if !is_field_name(name) {
            problems.push(field_name_problem(&pointer, name));
        } else if !(value.is_string() || value.is_number() || value.is_null()) {
            problems.push(FieldProblem::new(
                pointer,
                "invalid_field_value",
                format!("字段“{name}”的值应为文字或数字。"),
                format!("The value of the field \"{name}\" must be text or a number."),
            ));
        }
    }
    problems
}

/// The region numbers without a country code are read in: the tenant's.
pub async fn region(store: &Store, tenant_id: &str) -> Result<String, StoreError> {
    Ok(store
        .get_tenant(tenant_id)
        .await?
        .map(|tenant| phone::region_of(&tenant).to_owned())
        .unwrap_or_else(|| phone::DEFAULT_REGION.to_owned()))
}

pub async fn lists(store: &Store, tenant_id: &str) -> Result<Vec<ContactList>, ContactError> {
    Ok(store
        .list_contact_lists(tenant_id)
        .await?
        .into_iter()
        .map(ContactList::from)
        .collect())
}

pub async fn get_list(
    store: &Store,
    tenant_id: &str,
    list_id: &str,
) -> Result<ContactList, ContactError> {
    store
        .get_contact_list(tenant_id, list_id)
        .await?
        .map(ContactList::from)
        .ok_or(ContactError::NotFound)
}

pub async fn create_list(
    store: &Store,
    actor: &Actor,
    name: &str,
    now_ms: i64,
) -> Result<ContactList, ContactError> {
    let name = list_name(name)?;
    let mut transaction = store.transaction().await?;
    let id = transaction
        .insert_contact_list(&actor.tenant_id, &name, now_ms)
        .await?;
    transaction
        .record_audit(
            actor,
            "contact_list.create",
            &id,
            &json!({ "name": name }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    get_list(store, &actor.tenant_id, &id).await
}

pub async fn rename_list(
    store: &Store,
    actor: &Actor,
    list_id: &str,
    name: &str,
    now_ms: i64,
) -> Result<ContactList, ContactError> {
    let name = list_name(name)?;
    let mut transaction = store.transaction().await?;
    if !transaction
        .rename_contact_list(&actor.tenant_id, list_id, &name, now_ms)
        .await?
    {
        return Err(ContactError::NotFound);
    }
    transaction
        .record_audit(
            actor,
            "contact_list.rename",
            list_id,
            &json!({ "name": name }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    get_list(store, &actor.tenant_id, list_id).await
}

/// Deletes the list and its contacts.
pub async fn delete_list(
    store: &Store,
    actor: &Actor,
    list_id: &str,
    now_ms: i64,
) -> Result<(), ContactError> {
    let mut transaction = store.transaction().await?;
    let contacts = transaction
        .delete_contact_list(&actor.tenant_id, list_id)
        .await?
        .ok_or(ContactError::NotFound)?;
    transaction
        .record_audit(
            actor,
            "contact_list.delete",
            list_id,
            &json!({ "contacts": contacts }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// A page of the list's contacts; `search` keeps those whose number or name contains it.
pub async fn contacts(
    store: &Store,
    tenant_id: &str,
    list_id: &str,
    search: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<ContactPage, ContactError> {
    get_list(store, tenant_id, list_id).await?;
    let page = store
        .list_contacts(
            tenant_id,
            list_id,
            search,
            offset,
            limit.clamp(1, MAX_PAGE_SIZE),
        )
        .await?;
    Ok(ContactPage {
        contacts: page.contacts.into_iter().map(Contact::from).collect(),
        total: page.total,
    })
}

pub async fn get_contact(
    store: &Store,
    tenant_id: &str,
    list_id: &str,
    contact_id: &str,
) -> Result<Contact, ContactError> {
    store
        .get_contact(tenant_id, list_id, contact_id)
        .await?
        .map(Contact::from)
        .ok_or(ContactError::NotFound)
}

/// Changes a contact; a number is read in `region` when it has no country code.
pub async fn update_contact(
    store: &Store,
    actor: &Actor,
    list_id: &str,
    contact_id: &str,
    patch: ContactPatch,
    region: &str,
    now_ms: i64,
) -> Result<Contact, ContactError> {
    let tenant_id = &actor.tenant_id;
    // The audit entry names what changed, not the values: they are a person's data.
    let changed: Vec<&str> = [
        ("phone", patch.phone.is_some()),
        ("name", patch.name.is_some()),
        ("fields", patch.fields.is_some()),
        ("consent_source", patch.consent_source.is_some()),
        ("consent_at", patch.consent_at.is_some()),
    ]
    .iter()
    .filter(|(_, given)| *given)
    .map(|(name, _)| *name)
    .collect();
    let current = store
        .get_contact(tenant_id, list_id, contact_id)
        .await?
        .ok_or(ContactError::NotFound)?;
    let mut problems = Vec::new();
    let mut values = ContactValues {
        phone: current.phone,
        name: current.name,
        fields: current.fields,
        consent_source: current.consent_source,
        consent_at: current.consent_at,
    };
    if let Some(typed) = &patch.phone {
        match phone::normalize(typed, region) {
            Ok(e164) => values.phone = e164,
            Err(invalid) => problems.push(FieldProblem {
                field: "/phone".to_owned(),
                code: "invalid_phone",
                message: invalid.message(),
            }),
        }
    }
    if let Some(fields) = &patch.fields {
        problems.extend(field_problems(fields));
        for (name, value) in fields {
            match value {
                Value::Null => values.fields.remove(name),
                value => values.fields.insert(name.clone(), value.clone()),
            };
        }
    }
    if !problems.is_empty() {
        return Err(ContactError::Invalid(problems));
    }
    if let Some(name) = patch.name {
        values.name = name.trim().to_owned();
    }
    if let Some(source) = patch.consent_source {
        values.consent_source = source.trim().to_owned();
    }
    if patch.consent_at.is_some() {
        values.consent_at = patch.consent_at;
    }
    let mut transaction = store.transaction().await?;
    let updated = transaction
        .update_contact(tenant_id, list_id, contact_id, &values, now_ms)
        .await
        .map_err(
            |error| match error.is_conflict_on(constraint::CONTACT_PHONE) {
                true => ContactError::Invalid(vec![FieldProblem::new(
                    "/phone",
                    "duplicate_phone",
                    "名单中已有这个号码的联系人。",
                    "The list already has a contact with this number.",
                )]),
                false => ContactError::Store(error),
            },
        )?;
    if !updated {
        return Err(ContactError::NotFound);
    }
    transaction
        .touch_contact_list(tenant_id, list_id, now_ms)
        .await?;
    transaction
        .record_audit(
            actor,
            "contact.update",
            contact_id,
            &json!({ "list": list_id, "changed": changed }),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    get_contact(store, tenant_id, list_id, contact_id).await
}

pub async fn delete_contact(
    store: &Store,
    actor: &Actor,
    list_id: &str,
    contact_id: &str,
    now_ms: i64,
) -> Result<(), ContactError> {
    let mut transaction = store.transaction().await?;
    if !transaction
        .delete_contact(&actor.tenant_id, list_id, contact_id)
        .await?
    {
        return Err(ContactError::NotFound);
    }
    transaction
        .record_audit(
            actor,
            "contact.delete",
            contact_id,
            &json!({ "list": list_id }),
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
    fn field_names_are_identifiers_flows_can_read() {
        for good in ["birthday", "lunar_birthday", "_x", "first_order_date", "a1"] {
            assert!(is_field_name(good), "{good}");
        }
        for bad in [
            "1st",
            "生日",
            "last order",
            "",
            "phone",
            "a-b",
            &"x".repeat(65),
        ] {
            assert!(!is_field_name(bad), "{bad}");
        }
        let problem = field_name_problem("/fields/生日", "生日");
        assert!(problem.message.zh.contains("“生日”"));
        assert!(problem.message.en.contains("\"生日\""));
    }

    #[test]
    fn field_values_are_text_or_numbers() {
        let fields = json!({"birthday": "1990-03-08", "orders": 3, "tags": ["a"], "bad name": "x"});
        let problems = field_problems(fields.as_object().expect("object"));
        let codes: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("/fields/tags", "invalid_field_value"),
                ("/fields/bad name", "invalid_field_name")
            ]
        );
    }
}
