//! A tenant's profile: its name in Chinese and in English (what the editor's header, the
//! dashboard and `{{tenant.name}}` in flows show), the time zone its calls are dated in, and
//! the region its shop and phone numbers are in. Owners change it; the change and its audit
//! entry are written together.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::conversation::local_time::{self, parse_time_zone};
use crate::conversation::tenant_name;
use crate::error::FieldProblem;
use crate::store::{Actor, Store, StoreError, Tenant};

/// The regions a shop can choose (ISO 3166-1 alpha-2): where Callflow's shops sell.
pub const REGIONS: &[&str] = &[
    "CN", "HK", "MO", "TW", "SG", "MY", "JP", "KR", "TH", "VN", "ID", "PH", "AU", "NZ", "US", "CA",
    "GB", "DE", "FR", "ES", "IT", "NL",
];

/// The longest name a shop can give itself, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// The tenant's name in each language of the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisplayNames {
    #[serde(rename = "zh-CN")]
    #[schema(
        example = "演示商城",
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub zh: String,
    #[schema(
        example = "Demo Shop",
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub en: String,
}

/// The longest outbound notice, in characters.
pub const NOTICE_MAX_CHARS: usize = 300;

/// What every outbound call says before its flow: the AI-disclosure or recording notice the
/// law or the shop requires, in each language a flow may speak. Both empty: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutboundNotice {
    #[serde(rename = "zh-CN")]
    #[schema(
        example = "您好，这是演示商城的智能客服来电，通话可能会被录音。",
        max_length = 300
    )]
    pub zh: String,
    #[schema(
        example = "Hello, this is Demo Shop's automated assistant; this call may be recorded.",
        max_length = 300
    )]
    pub en: String,
}

/// The profile as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    pub display_name: DisplayNames,
    /// IANA time zone calls are dated in (the server's default, `Asia/Shanghai`, until one is
    /// chosen).
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    /// ISO 3166-1 alpha-2, one of `regions`; `null` until one is chosen.
    #[schema(example = "CN")]
    pub region: Option<String>,
    /// The regions that can be chosen.
    pub regions: Vec<String>,
    /// Said first on every outbound call (campaigns' too), in the flow's language; `null`:
    /// nothing.
    pub outbound_notice: Option<OutboundNotice>,
}

/// A new profile; every field is replaced.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    pub display_name: DisplayNames,
    #[schema(example = "Asia/Shanghai")]
    pub time_zone: String,
    #[serde(default)]
    #[schema(example = "CN")]
    pub region: Option<String>,
    /// Left out or `null`: no notice.
    #[serde(default)]
    pub outbound_notice: Option<OutboundNotice>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("the profile has wrong fields")]
    Invalid(Vec<FieldProblem>),
    #[error("the tenant was not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant's profile.
pub async fn get(store: &Store, tenant_id: &str) -> Result<Profile, ProfileError> {
    let tenant = store
        .get_tenant(tenant_id)
        .await?
        .ok_or(ProfileError::NotFound)?;
    Ok(profile(&tenant))
}

fn profile(tenant: &Tenant) -> Profile {
    Profile {
        display_name: DisplayNames {
            zh: tenant_name(tenant, "zh-CN").to_owned(),
            en: tenant_name(tenant, "en").to_owned(),
        },
        time_zone: local_time::time_zone(tenant).name().to_owned(),
        region: tenant.settings.region.clone(),
        regions: REGIONS.iter().map(|region| (*region).to_owned()).collect(),
        outbound_notice: match (
            tenant.settings.outbound_notice.get("zh-CN"),
            tenant.settings.outbound_notice.get("en"),
        ) {
            (None, None) => None,
            (zh, en) => Some(OutboundNotice {
                zh: zh.cloned().unwrap_or_default(),
                en: en.cloned().unwrap_or_default(),
            }),
        },
    }
}

/// Checks an update: every wrong field, each named.
fn check(update: &ProfileUpdate) -> Vec<FieldProblem> {
    let mut wrong = Vec::new();
    for (field, name) in [
        ("/display_name/zh-CN", &update.display_name.zh),
        ("/display_name/en", &update.display_name.en),
    ] {
        let length = name.trim().chars().count();
        if length == 0 {
            wrong.push(FieldProblem::new(
                field,
                "required",
                "请填写店铺名称",
                "enter the shop's name",
            ));
        } else if length > NAME_MAX_CHARS || name.chars().any(char::is_control) {
            wrong.push(FieldProblem::new(
                field,
                "invalid_value",
                format!("名称最多 {NAME_MAX_CHARS} 个字，不能含换行等控制字符"),
                format!(
                    "at most {NAME_MAX_CHARS} characters, without line breaks or other control characters"
                ),
            ));
        }
    }
    if parse_time_zone(update.time_zone.trim()).is_none() {
        wrong.push(FieldProblem::new(
            "/time_zone",
            "invalid_value",
            "不是有效的时区，请从列表中选择（例如 Asia/Shanghai）",
            "not a time zone; choose one from the list (e.g. Asia/Shanghai)",
        ));
    }
    if let Some(notice) = &update.outbound_notice {
        let both_empty = notice.zh.trim().is_empty() && notice.en.trim().is_empty();
        for (field, text) in [
            ("/outbound_notice/zh-CN", &notice.zh),
            ("/outbound_notice/en", &notice.en),
        ] {
            if text.trim().is_empty() && !both_empty {
                wrong.push(FieldProblem::new(
                    field,
                    "required",
                    "中英文都要填写：外呼流程可能用任一种语言",
                    "write it in both languages: an outbound flow may speak either",
                ));
            } else if text.chars().count() > NOTICE_MAX_CHARS || text.chars().any(char::is_control)
            {
                wrong.push(FieldProblem::new(
                    field,
                    "invalid_value",
                    format!("最多 {NOTICE_MAX_CHARS} 个字，不能含换行等控制字符"),
                    format!(
                        "at most {NOTICE_MAX_CHARS} characters, without line breaks or other control characters"
                    ),
                ));
            }
        }
    }
    if let Some(region) = &update.region {
        if !REGIONS.contains(&region.trim()) {
            wrong.push(FieldProblem::new(
                "/region",
                "invalid_value",
                "不支持这个国家或地区，请从列表中选择",
                "not a region Callflow serves; choose one from the list",
            ));
        }
    }
    wrong
}

/// Checks and saves the profile, with its audit entry. Names in other regional variants of
/// Chinese or English (`en-US`) are replaced by the two the editor shows.
pub async fn update(
    store: &Store,
    actor: &Actor,
    update: ProfileUpdate,
    now_ms: i64,
) -> Result<Profile, ProfileError> {
    let wrong = check(&update);
    if !wrong.is_empty() {
        return Err(ProfileError::Invalid(wrong));
    }
    let tenant = store
        .get_tenant(&actor.tenant_id)
        .await?
        .ok_or(ProfileError::NotFound)?;
    let mut settings = tenant.settings.clone();
    settings.display_name.retain(|tag, _| {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        !primary.eq_ignore_ascii_case("zh") && !primary.eq_ignore_ascii_case("en")
    });
    let zh = update.display_name.zh.trim().to_owned();
    let en = update.display_name.en.trim().to_owned();
    settings.display_name.insert("zh-CN".to_owned(), zh.clone());
    settings.display_name.insert("en".to_owned(), en.clone());
    settings.time_zone = Some(update.time_zone.trim().to_owned());
    settings.region = update.region.map(|region| region.trim().to_owned());
    settings.outbound_notice = update
        .outbound_notice
        .iter()
        .flat_map(|notice| [("zh-CN", &notice.zh), ("en", &notice.en)])
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(language, text)| (language.to_owned(), text.trim().to_owned()))
        .collect();
    let mut transaction = store.transaction().await?;
    let saved = transaction
        .update_tenant(&tenant.id, &tenant.name, &settings)
        .await?
        .ok_or(ProfileError::NotFound)?;
    let detail = json!({
        "display_name": { "zh-CN": zh, "en": en },
        "time_zone": settings.time_zone,
        "region": settings.region,
        "outbound_notice": settings.outbound_notice,
    });
    transaction
        .record_audit(actor, "tenant.profile.update", &tenant.id, &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(profile(&saved))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(zh: &str, en: &str, zone: &str, region: Option<&str>) -> ProfileUpdate {
        ProfileUpdate {
            display_name: DisplayNames {
                zh: zh.into(),
                en: en.into(),
            },
            time_zone: zone.into(),
            region: region.map(str::to_owned),
            outbound_notice: None,
        }
    }

    #[test]
    fn every_wrong_field_is_named() {
        let fields = |u: &ProfileUpdate| check(u).into_iter().map(|w| w.field).collect::<Vec<_>>();
        assert!(fields(&update(
            "演示商城",
            "Demo Shop",
            "Asia/Shanghai",
            Some("CN")
        ))
        .is_empty());
        assert_eq!(
            fields(&update(" ", "Demo Shop", "Mars/Olympus", Some("XX"))),
            ["/display_name/zh-CN", "/time_zone", "/region"]
        );
        assert_eq!(
            fields(&update("店", &"x".repeat(101), "Europe/Berlin", None)),
            ["/display_name/en"]
        );
        assert_eq!(
            fields(&update("店\n名", "Shop", "Europe/Berlin", None)),
            ["/display_name/zh-CN"]
        );
    }

    #[test]
    fn a_notice_is_in_both_languages_or_none() {
        let with_notice = |zh: &str, en: &str| ProfileUpdate {
            outbound_notice: Some(OutboundNotice {
                zh: zh.into(),
                en: en.into(),
            }),
            ..update("店", "Shop", "Asia/Shanghai", None)
        };
        let fields = |u: &ProfileUpdate| check(u).into_iter().map(|w| w.field).collect::<Vec<_>>();
        assert!(fields(&with_notice(
            "本次通话由智能客服拨打。",
            "This is an automated call."
        ))
        .is_empty());
        assert!(
            fields(&with_notice(" ", "")).is_empty(),
            "both empty: no notice"
        );
        assert_eq!(
            fields(&with_notice("本次通话由智能客服拨打。", "")),
            ["/outbound_notice/en"]
        );
        assert_eq!(
            fields(&with_notice(&"长".repeat(301), "ok")),
            ["/outbound_notice/zh-CN"]
        );
    }
}
