//! A tenant's widget channels, as managers keep them: each gives one flow a publishable key,
//! the exact origins whose pages may use it, and an identity secret that signs the shop's
//! signed-in customers ([`super::identity`]). Every change is written with its audit entry.

use serde_json::json;

use super::identity::IdentitySecret;
use crate::secrets::SecretBox;
use crate::store::{Actor, ChannelFields, Store, StoreError, Transaction, WidgetChannel};

/// The most origins one channel may allow.
pub const MAX_ORIGINS: usize = 50;
/// The longest channel name.
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// A field is wrong: its JSON pointer, a stable code, and a message.
    #[error("{}", .2.en)]
    Invalid(String, &'static str, crate::language::Text),
    /// The tenant has no such flow.
    #[error("the tenant has no such flow")]
    FlowNotFound,
    #[error("the widget channel was not found")]
    NotFound,
    /// The system's random generator failed.
    #[error("no random bytes for a secret")]
    NoRandomness,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A channel with its identity secret in the clear, the one time its owner sees it.
#[derive(Debug)]
pub struct WithSecret {
    pub channel: WidgetChannel,
    pub identity_secret: IdentitySecret,
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
            crate::language::Text::new(
                format!("渠道名称须为 1 到 {MAX_NAME_CHARS} 个字"),
                format!("a channel's name has 1 to {MAX_NAME_CHARS} characters"),
            ),
        ));
    }
    if fields.allowed_origins.len() > MAX_ORIGINS {
        return Err(ChannelError::Invalid(
            "/allowed_origins".into(),
            "too_many_origins",
            crate::language::Text::new(
                format!("一个渠道最多允许 {MAX_ORIGINS} 个来源"),
                format!("a channel allows at most {MAX_ORIGINS} origins"),
            ),
        ));
    }
    let mut origins: Vec<String> = Vec::with_capacity(fields.allowed_origins.len());
    for (index, origin) in fields.allowed_origins.iter().enumerate() {
        let normal = normalise_origin(origin).ok_or_else(|| {
            ChannelError::Invalid(
                format!("/allowed_origins/{index}"),
                "invalid_origin",
                crate::language::Text::new(
                    format!(
                        "{origin:?} 不是来源：只写协议、主机和端口，例如 https://shop.example 或 \
                         http://127.0.0.1:8000"
                    ),
                    format!(
                        "{origin:?} is not an origin: write the scheme, host and port only, \
                         such as https://shop.example or http://127.0.0.1:8000"
                    ),
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

/// Gives a channel a new identity secret, in `transaction`: the one it had stops signing.
pub async fn new_identity_secret(
    transaction: &mut Transaction<'_>,
    secrets: &SecretBox,
    tenant_id: &str,
    id: &str,
    now_ms: i64,
) -> Result<WithSecret, ChannelError> {
    let identity_secret = IdentitySecret::new().ok_or(ChannelError::NoRandomness)?;
    let sealed = identity_secret.seal(secrets, tenant_id, id);
    let channel = transaction
        .set_widget_identity_secret(tenant_id, id, &sealed, now_ms)
        .await?
        .ok_or(ChannelError::NotFound)?;
    Ok(WithSecret {
        channel,
        identity_secret,
    })
}

/// A new channel for one of the tenant's flows, with a new key and identity secret.
pub async fn create(
    store: &Store,
    secrets: &SecretBox,
    actor: &Actor,
    flow_id: &str,
    fields: ChannelFields,
    now_ms: i64,
) -> Result<WithSecret, ChannelError> {
    let fields = checked(fields)?;
    let mut transaction = store.transaction().await?;
    let created = transaction
        .create_widget_channel(&actor.tenant_id, flow_id, &fields, now_ms)
        .await?
        .ok_or(ChannelError::FlowNotFound)?;
    let made = new_identity_secret(
        &mut transaction,
        secrets,
        &actor.tenant_id,
        &created.id,
        now_ms,
    )
    .await?;
    let channel = &made.channel;
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
    Ok(made)
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

/// Gives a channel a new identity secret: pages that sign with the old one are refused (their
/// visitors are told so) until the shop's server signs with the new one.
pub async fn rotate_identity_secret(
    store: &Store,
    secrets: &SecretBox,
    actor: &Actor,
    id: &str,
    now_ms: i64,
) -> Result<WithSecret, ChannelError> {
    let mut transaction = store.transaction().await?;
    let made = new_identity_secret(&mut transaction, secrets, &actor.tenant_id, id, now_ms).await?;
    transaction
        .record_audit(
            actor,
            "widget_channel.rotate_identity_secret",
            id,
            &json!({}),
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(made)
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
