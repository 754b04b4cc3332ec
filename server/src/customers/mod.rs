//! Who is calling: a tenant's customer lookup. When a conversation opens, the server asks the
//! shop's own API for the caller (by phone number, by chat-widget visitor, or by the shop's
//! own id of a signed-in visitor, which its page proved) and hands the
//! answer to the flow as `customer` ([`lookup`]). This module keeps the tenant's settings for
//! it: the URL, its headers and secret, the time it may take, and whether it is on.
//!
//! The secret (an API token for the shop) is sealed with the server's key like the telephony
//! secrets and never returned.

pub mod lookup;

use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::language::Language;
use crate::secrets::SecretBox;
use crate::store::{Actor, CustomerLookupRow, Store, StoreError};

pub use lookup::{look_up, Caller, Lookup, LookupOutcome};

/// How long a lookup may take unless the tenant says otherwise: the caller is waiting for the
/// first words, so it is short.
pub const DEFAULT_TIMEOUT_MS: u32 = 1500;
pub const MIN_TIMEOUT_MS: u32 = 100;
/// Longer would keep a caller in silence, and Twilio waits for the first answer only so long.
pub const MAX_TIMEOUT_MS: u32 = 5000;
/// The header that carries the secret unless the tenant names another.
pub const DEFAULT_SECRET_HEADER: &str = "Authorization";
const MAX_URL_CHARS: usize = 2000;
const MAX_HEADERS: usize = 20;
const MAX_HEADER_VALUE_CHARS: usize = 1000;
const MAX_SECRET_CHARS: usize = 1024;
/// The placeholders a lookup URL may hold.
pub const PLACEHOLDERS: [&str; 3] = ["phone", "visitor", "customer"];
/// Headers that describe the connection, which is ours to decide.
const RESERVED_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
];

/// A tenant's customer lookup as the API shows it: without its secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerLookupView {
    /// Whether the tenant has configured a lookup at all.
    pub configured: bool,
    /// Whether conversations look the caller up.
    pub enabled: bool,
    /// The shop's URL, with `{{phone}}`, `{{visitor}}` and/or `{{customer}}`.
    #[schema(example = "https://shop.example/api/customers?phone={{phone}}")]
    pub url: String,
    /// Request headers that are no secret.
    pub headers: BTreeMap<String, String>,
    /// The header that carries the secret.
    pub secret_header: String,
    /// Whether a secret is stored (it is never returned).
    pub secret_set: bool,
    /// How long the lookup may take, in milliseconds.
    pub timeout_ms: u32,
    /// Epoch milliseconds; `null` before the first save.
    pub updated_at: Option<i64>,
}

/// A customer lookup to keep; it replaces the one stored, except that a secret left out is kept.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerLookupUpdate {
    /// Default `true`.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// `http` or `https`, with `{{phone}}` (the caller's number; the callee's on outbound
    /// calls), `{{visitor}}` (the chat-widget visitor's id) and/or `{{customer}}` (the shop's
    /// own id of a signed-in widget visitor, which the shop's server signed), URL-encoded
    /// when filled in.
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The header that carries `secret` (default `Authorization`).
    #[serde(default)]
    pub secret_header: Option<String>,
    /// The header's value, e.g. `Bearer …`: sealed at rest, never returned. Leave it out to
    /// keep the stored one; `""` removes it.
    #[serde(default)]
    pub secret: Option<String>,
    /// 100 to 5000 (default 1500).
    #[serde(default)]
    #[schema(minimum = 100, maximum = 5000)]
    pub timeout_ms: Option<u32>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum CustomerLookupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An update with errors, each naming its field (in the asker's language).
    #[error("the customer lookup has errors")]
    Invalid(Vec<FieldError>),
}

/// Where the tenant's secret is sealed for: a sealed value copied elsewhere does not open.
fn secret_context(tenant_id: &str) -> String {
    format!("customer-lookup/{tenant_id}/secret")
}

fn view_of(row: Option<CustomerLookupRow>) -> CustomerLookupView {
    match row {
        Some(row) => CustomerLookupView {
            configured: true,
            enabled: row.enabled,
            url: row.url,
            headers: row.headers,
            secret_header: row.secret_header,
            secret_set: row.secret.is_some(),
            timeout_ms: u32::try_from(row.timeout_ms).unwrap_or(DEFAULT_TIMEOUT_MS),
            updated_at: Some(row.updated_at),
        },
        None => CustomerLookupView {
            configured: false,
            enabled: false,
            url: String::new(),
            headers: BTreeMap::new(),
            secret_header: DEFAULT_SECRET_HEADER.to_owned(),
            secret_set: false,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            updated_at: None,
        },
    }
}

/// The tenant's customer lookup as the API shows it.
pub async fn view(store: &Store, tenant_id: &str) -> Result<CustomerLookupView, StoreError> {
    Ok(view_of(store.get_customer_lookup(tenant_id).await?))
}

struct Problems {
    language: Language,
    errors: Vec<FieldError>,
}

impl Problems {
    fn add(&mut self, field: &str, code: &str, zh: &str, en: &str) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: self.language.pick(zh, en).to_owned(),
            node: None,
        });
    }
}

/// The placeholders of a URL template (`{{ phone }}` → `phone`), in order; `None` when one
/// is not closed.
pub fn placeholders(url: &str) -> Option<Vec<&str>> {
    let mut found = Vec::new();
    let mut rest = url;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after.find("}}")?;
        found.push(after[..close].trim());
        rest = &after[close + 2..];
    }
    Some(found)
}

/// The URL with its placeholders filled in (values URL-encoded; a missing one is empty).
pub fn fill(url: &str, caller: &Caller) -> String {
    let mut out = String::with_capacity(url.len() + 32);
    let mut rest = url;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let value = match after[..close].trim() {
            "phone" => caller.phone.as_deref(),
            "visitor" => caller.visitor.as_deref(),
            "customer" => caller.customer.as_deref(),
            _ => None,
        };
        out.push_str(&encode(value.unwrap_or_default()));
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so that a `+` of a phone
/// number survives in a query string.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn check_url(url: &str, problems: &mut Problems) {
    if url.is_empty() {
        problems.add(
            "/url",
            "required",
            "请填写查询客户的网址。",
            "is required: the shop's URL to look customers up.",
        );
        return;
    }
    if url.chars().count() > MAX_URL_CHARS {
        problems.add(
            "/url",
            "too_long",
            "网址最多 2000 个字符。",
            "must be at most 2000 characters.",
        );
        return;
    }
    let Some(names) = placeholders(url) else {
        problems.add(
            "/url",
            "invalid_placeholder",
            "网址中的 {{ 没有用 }} 结束。",
            "has a {{ that is not closed with }}.",
        );
        return;
    };
    if names.iter().any(|name| !PLACEHOLDERS.contains(name)) {
        problems.add(
            "/url",
            "unknown_placeholder",
            "网址只能使用 {{phone}}、{{visitor}} 和 {{customer}} 三个占位符。",
            "may only use the placeholders {{phone}}, {{visitor}} and {{customer}}.",
        );
        return;
    }
    if names.is_empty() {
        problems.add(
            "/url",
            "missing_placeholder",
            "网址需要包含 {{phone}}、{{visitor}} 或 {{customer}}，否则无法知道查询的是谁。",
            "must hold {{phone}}, {{visitor}} or {{customer}}, or it cannot say whom to look up.",
        );
        return;
    }
    let sample = Caller {
        phone: Some("+8613800000000".to_owned()),
        visitor: Some("0123456789abcdef".to_owned()),
        customer: Some("C1001".to_owned()),
    };
    let valid = Url::parse(&fill(url, &sample))
        .is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https") && parsed.has_host());
    if !valid {
        problems.add(
            "/url",
            "invalid_url",
            "网址必须是以 http:// 或 https:// 开头的完整地址。",
            "must be a full http:// or https:// URL.",
        );
    }
}

fn check_header_name(name: &str, field: &str, problems: &mut Problems) -> bool {
    if HeaderName::from_bytes(name.as_bytes()).is_err() {
        problems.add(
            field,
            "invalid_header",
            "请求头名称只能包含字母、数字和 - 等符号。",
            "is not a valid header name.",
        );
        return false;
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        problems.add(
            field,
            "reserved_header",
            "这个请求头由服务器自己设置，不能配置。",
            "is set by the server itself and cannot be configured.",
        );
        return false;
    }
    true
}

/// Checks an update and saves it with its audit entry (which says whether the secret changed,
/// never what it is).
pub async fn update(
    store: &Store,
    secrets: &SecretBox,
    actor: &Actor,
    update: CustomerLookupUpdate,
    language: Language,
    now_ms: i64,
) -> Result<CustomerLookupView, CustomerLookupError> {
    let tenant_id = actor.tenant_id.as_str();
    let mut problems = Problems {
        language,
        errors: Vec::new(),
    };
    let url = update.url.trim().to_owned();
    check_url(&url, &mut problems);
    if update.headers.len() > MAX_HEADERS {
        problems.add(
            "/headers",
            "too_many",
            "最多配置 20 个请求头。",
            "may hold at most 20 headers.",
        );
    }
    let mut headers = BTreeMap::new();
    for (name, value) in update.headers {
        let name = name.trim().to_owned();
        let field = format!("/headers/{}", name.replace('~', "~0").replace('/', "~1"));
        if !check_header_name(&name, &field, &mut problems) {
            continue;
        }
        let value = value.trim().to_owned();
        if value.chars().count() > MAX_HEADER_VALUE_CHARS || HeaderValue::from_str(&value).is_err()
        {
            problems.add(
                &field,
                "invalid_header",
                "请求头的值最多 1000 个字符，且不能包含换行等控制字符。",
                "must be at most 1000 characters without line breaks or other control \
                 characters.",
            );
            continue;
        }
        headers.insert(name, value);
    }
    let secret_header = update
        .secret_header
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_SECRET_HEADER.to_owned());
    check_header_name(&secret_header, "/secret_header", &mut problems);
    let timeout_ms = update.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        problems.add(
            "/timeout_ms",
            "out_of_range",
            "等待时间须在 100 到 5000 毫秒之间：来电者在等第一句话。",
            "must be 100 to 5000 milliseconds: the caller is waiting for the first words.",
        );
    }
    let current = store.get_customer_lookup(tenant_id).await?;
    let secret_changed = update.secret.is_some();
    let secret = match update.secret.map(|secret| secret.trim().to_owned()) {
        None => current.and_then(|row| row.secret),
        Some(secret) if secret.is_empty() => None,
        Some(secret)
            if secret.chars().count() > MAX_SECRET_CHARS
                || HeaderValue::from_str(&secret).is_err() =>
        {
            problems.add(
                "/secret",
                "invalid_secret",
                "密钥最多 1024 个字符，且不能包含换行等控制字符。",
                "must be at most 1024 characters without line breaks or other control \
                 characters.",
            );
            None
        }
        Some(secret) => Some(secrets.seal(&secret, &secret_context(tenant_id))),
    };
    if !problems.errors.is_empty() {
        return Err(CustomerLookupError::Invalid(problems.errors));
    }
    let row = CustomerLookupRow {
        tenant_id: tenant_id.to_owned(),
        enabled: update.enabled,
        url,
        headers,
        secret_header,
        secret,
        timeout_ms: i64::from(timeout_ms),
        updated_at: now_ms,
    };
    let detail = json!({
        "enabled": row.enabled,
        "url": row.url,
        "secret_changed": secret_changed,
    });
    let mut transaction = store.transaction().await?;
    transaction.put_customer_lookup(&row).await?;
    transaction
        .record_audit(
            actor,
            "customer_lookup.update",
            "customer_lookup",
            &detail,
            now_ms,
        )
        .await?;
    transaction.commit().await?;
    Ok(view_of(Some(row)))
}

/// Removes the tenant's customer lookup; whether it had one.
pub async fn remove(store: &Store, actor: &Actor, now_ms: i64) -> Result<bool, StoreError> {
    let mut transaction = store.transaction().await?;
    let removed = transaction.delete_customer_lookup(&actor.tenant_id).await?;
    if removed {
        transaction
            .record_audit(
                actor,
                "customer_lookup.delete",
                "customer_lookup",
                &json!({}),
                now_ms,
            )
            .await?;
    }
    transaction.commit().await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_encoded() {
        let caller = Caller {
            phone: Some("+86 138".to_owned()),
            visitor: None,
            customer: Some("C 1/1".to_owned()),
        };
        assert_eq!(
            fill(
                "https://s.example/c?phone={{phone}}&v={{ visitor }}&c={{customer}}",
                &caller
            ),
            "https://s.example/c?phone=%2B86%20138&v=&c=C%201%2F1"
        );
        assert_eq!(
            placeholders("a{{ phone }}b{{visitor}}"),
            Some(vec!["phone", "visitor"])
        );
        assert_eq!(placeholders("a{{phone"), None);
    }

    fn problems_of(url: &str) -> Vec<String> {
        let mut problems = Problems {
            language: Language::English,
            errors: Vec::new(),
        };
        check_url(url, &mut problems);
        problems.errors.into_iter().map(|e| e.code).collect()
    }

    #[test]
    fn urls_must_say_whom_to_look_up() {
        assert!(problems_of("https://shop.example/api/customers?phone={{phone}}").is_empty());
        assert!(problems_of("http://demo-shop.internal/api/customers/{{visitor}}").is_empty());
        assert!(problems_of("https://shop.example/api/members/{{customer}}").is_empty());
        assert_eq!(problems_of(""), ["required"]);
        assert_eq!(
            problems_of("https://shop.example/api"),
            ["missing_placeholder"]
        );
        assert_eq!(
            problems_of("https://x.example/{{vars.a}}"),
            ["unknown_placeholder"]
        );
        assert_eq!(problems_of("ftp://x.example/{{phone}}"), ["invalid_url"]);
        assert_eq!(problems_of("{{phone}}"), ["invalid_url"]);
        assert_eq!(
            problems_of("https://x.example/{{phone"),
            ["invalid_placeholder"]
        );
    }
}
