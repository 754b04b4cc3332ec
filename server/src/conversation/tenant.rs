//! The tenant as a flow sees it (`tenant.*`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::store::Tenant;

/// The tenant settings a flow sees as `tenant`: `name` (the display name in the flow's
/// language, else the tenant's name) and `api` (the merchant's API base URL).
pub fn tenant_map(tenant: &Tenant, language: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        "name".into(),
        Value::String(tenant_name(tenant, language).to_owned()),
    );
    if let Some(api) = &tenant.settings.api_base_url {
        map.insert(
            "api".into(),
            Value::String(api.trim_end_matches('/').to_owned()),
        );
    }
    map
}

/// The tenant's name for people speaking `language`: its display name there, else its name.
pub fn tenant_name<'a>(tenant: &'a Tenant, language: &str) -> &'a str {
    display_name(&tenant.settings.display_name, language).unwrap_or(&tenant.name)
}

/// The name for `language`: the exact tag, else the same language in another region
/// (`en` for `en-US`, `zh-CN` for `zh`).
fn display_name<'a>(names: &'a BTreeMap<String, String>, language: &str) -> Option<&'a str> {
    let primary = |tag: &str| {
        tag.split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    names
        .iter()
        .find(|(tag, _)| tag.eq_ignore_ascii_case(language))
        .or_else(|| {
            let wanted = primary(language);
            names.iter().find(|(tag, _)| primary(tag) == wanted)
        })
        .map(|(_, name)| name.as_str())
        .filter(|name| !name.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::TenantSettings;

    #[test]
    fn the_tenant_name_follows_the_flow_language() {
        let tenant = Tenant {
            id: "ten_1".into(),
            name: "Shop".into(),
            slug: "shop".into(),
            settings: TenantSettings {
                display_name: [
                    ("zh-CN".to_owned(), "商城".to_owned()),
                    ("en".to_owned(), "The Shop".to_owned()),
                ]
                .into(),
                api_base_url: Some("https://api.example.com/".into()),
                ..TenantSettings::default()
            },
            created_at: 0,
            suspended_at: None,
        };
        let zh = tenant_map(&tenant, "zh-CN");
        assert_eq!(zh["name"], "商城");
        assert_eq!(zh["api"], "https://api.example.com");
        assert_eq!(tenant_map(&tenant, "en-US")["name"], "The Shop");
        assert_eq!(tenant_map(&tenant, "fr-FR")["name"], "Shop");
    }
}
