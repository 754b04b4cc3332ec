//! A tenant's widget channels, as managers keep them: each gives one flow a publishable key
//! and the exact origins whose pages may use it. Every change is written with its audit entry.

use serde_json::json;

use crate::store::{Actor, ChannelFields, Store, StoreError, WidgetChannel};

/// The most origins one channel may allow.
pub const MAX_ORIGINS: usize = 50;
/// The longest channel name.
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// A field is wrong: its JSON pointer, a stable code, and a message.
    #[error("{2}")]
    Invalid(String, &'static str, String),
    /// The tenant has no such flow.
    #[error("the tenant has no such flow")]
    FlowNotFound,
    #[error("the widget channel was not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case, the
/// scheme's default port left out. `None` when `text` is not one (a path, a query, a user, a
/// scheme other than http or https).
pub fn normalise_origin(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text.trim()).ok()?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    let scheme = url.scheme();
    if !bare || !matches!(scheme, "http" | "https") || text.trim().ends_with('/') {
        return None;
    }
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Checks and normalises what a manager sets.
pub fn checked(mut fields: ChannelFields) -> Result<ChannelFields, ChannelError> {
    fields.name = fields.name.trim().to_owned();
    let name_chars = fields.name.chars().count();
    if name_chars == 0 || name_chars > MAX_NAME_CHARS {
        return Err(ChannelError::Invalid(
            "/name".into(),
            "invalid_name",
            format!("a channel's name has 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if fields.allowed_origins.len() > MAX_ORIGINS {
        return Err(ChannelError::Invalid(
            "/allowed_origins".into(),
            "too_many_origins",
            format!("a channel allows at most {MAX_ORIGINS} origins"),
        ));
    }
    let mut origins: Vec<String> = Vec::with_capacity(fields.allowed_origins.len());
    for (index, origin) in fields.allowed_origins.iter().enumerate() {
        let normal = normalise_origin(origin).ok_or_else(|| {
            ChannelError::Invalid(
                format!("/allowed_origins/{index}"),
                "invalid_origin",
                format!(
                    "{origin:?} is not an origin: write the scheme, host and port only, such \
                     as https://shop.example or http://127.0.0.1:8000"
                ),
            )
        })?;
        if !origins.contains(&normal) {
            origins.push(normal);
        }
    }
    fields.allowed_origins = origins;
    Ok(fields)
}

pub async fn list(store: &Store, tenant_id: &str) -> Result<Vec<WidgetChannel>, ChannelError> {
    Ok(store.list_widget_channels(tenant_id).await?)
}

/// A new channel for one of the tenant's flows, with a new key.
pub async fn create(
    store: &Store,
    actor: &Actor,
    flow_id: &str,
    fields: ChannelFields,
    now_ms: i64,
) -> Result<WidgetChannel, ChannelError> {
    let fields = checked(fields)?;
    let mut transaction = store.transaction().await?;
    let channel = transaction
        .create_widget_channel(&actor.tenant_id, flow_id, &fields, now_ms)
        .await?
        .ok_or(ChannelError::FlowNotFound)?;
    let detail = json!({
        "flow_id": channel.flow_id,
        "name": channel.name,
        "allowed_origins": channel.allowed_origins,
        "enabled": channel.enabled,
        "language": channel.language.as_str(),
    });
    transaction
        .record_audit(actor, "widget_channel.create", &channel.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(channel)
}

/// Replaces a channel's name, origins, switch and language.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &str,
    fields: ChannelFields,
    now_ms: i64,
) -> Result<WidgetChannel, ChannelError> {
    let fields = checked(fields)?;
    let mut transaction = store.transaction().await?;
    let channel = transaction
        .update_widget_channel(&actor.tenant_id, id, &fields, now_ms)
        .await?
        .ok_or(ChannelError::NotFound)?;
    let detail = json!({
        "name": channel.name,
        "allowed_origins": channel.allowed_origins,
        "enabled": channel.enabled,
        "language": channel.language.as_str(),
    });
    transaction
        .record_audit(actor, "widget_channel.update", id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(channel)
}

/// Gives a channel a new key; pages with the old one stop working.
pub async fn rotate(
    store: &Store,
    actor: &Actor,
    id: &str,
    now_ms: i64,
) -> Result<WidgetChannel, ChannelError> {
    let mut transaction = store.transaction().await?;
    let channel = transaction
        .rotate_widget_channel_key(&actor.tenant_id, id, now_ms)
        .await?
        .ok_or(ChannelError::NotFound)?;
    transaction
        .record_audit(actor, "widget_channel.rotate_key", id, &json!({}), now_ms)
        .await?;
    transaction.commit().await?;
    Ok(channel)
}

pub async fn delete(
    store: &Store,
    actor: &Actor,
    id: &str,
    now_ms: i64,
) -> Result<(), ChannelError> {
    let mut transaction = store.transaction().await?;
    if !transaction
        .delete_widget_channel(&actor.tenant_id, id)
        .await?
    {
        return Err(ChannelError::NotFound);
    }
    transaction
        .record_audit(actor, "widget_channel.delete", id, &json!({}), now_ms)
        .await?;
    transaction.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        let cases = [
            ("https://Shop.Example", Some("https://shop.example")),
            ("https://shop.example:443", Some("https://shop.example")),
            ("http://127.0.0.1:8000", Some("http://127.0.0.1:8000")),
            ("https://shop.example/", None),
            ("https://shop.example/page", None),
            ("https://user@shop.example", None),
            ("ftp://shop.example", None),
            ("shop.example", None),
            ("*", None),
        ];
        for (text, expected) in cases {
            assert_eq!(normalise_origin(text).as_deref(), expected, "{text}");
        }
    }
}
