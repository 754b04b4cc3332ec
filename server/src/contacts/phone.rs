//! One way to turn what a person typed into an E.164 number (`+8613800138000`): contact lists,
//! the do-not-call list and campaigns all store and compare numbers in this form only. Numbers
//! typed without a country code are read in the tenant's region (China until the shop picks
//! one in its profile), as the people who typed them meant.

use phonenumber::country::Id;
use phonenumber::Mode;

use crate::language::Text;
use crate::store::Tenant;

/// The region numbers without a country code are read in when the tenant has chosen none.
pub const DEFAULT_REGION: &str = "CN";

/// The region of the tenant's profile, or [`DEFAULT_REGION`].
pub fn region_of(tenant: &Tenant) -> &str {
    tenant.settings.region.as_deref().unwrap_or(DEFAULT_REGION)
}

/// A value that is not a phone number of the region or of the country its `+` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPhone {
    pub typed: String,
}

impl InvalidPhone {
    pub fn message(&self) -> Text {
        let typed = &self.typed;
        Text::new(
            format!("“{typed}”不是有效的电话号码：请写完整的手机或座机号码，其他国家或地区的号码请以 + 和国家代码开头。"),
            format!("\"{typed}\" is not a valid phone number: write the whole mobile or landline number, with + and the country code for another country or region."),
        )
    }
}

/// The E.164 form of `typed`, read in `region` (ISO 3166-1 alpha-2) when it has no country code.
pub fn normalize(typed: &str, region: &str) -> Result<String, InvalidPhone> {
    let invalid = || InvalidPhone {
        typed: typed.to_owned(),
    };
    let trimmed = typed.trim();
    // The parser skips letters it does not know; a number with letters is a typing error.
    if trimmed.is_empty() || trimmed.chars().any(|c| c.is_alphabetic()) {
        return Err(invalid());
    }
    let country = region.parse::<Id>().ok();
    let number = phonenumber::parse(country, trimmed).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid());
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_mobiles_in_every_usual_form_become_one_number() {
        for typed in [
            "138 0013 8000",
            "13800138000",
            "+86 138-0013-8000",
            "008613800138000",
            "+8613800138000",
            " 138-0013-8000 ",
        ] {
            assert_eq!(
                normalize(typed, "CN").as_deref(),
                Ok("+8613800138000"),
                "{typed}"
            );
        }
        assert_eq!(
            normalize("010 6552 9988", "CN").as_deref(),
            Ok("+861065529988")
        );
    }

    #[test]
    fn the_region_reads_numbers_without_a_country_code() {
        assert_eq!(
            normalize("(415) 555-2671", "US").as_deref(),
            Ok("+14155552671")
        );
        // The same digits in China are a landline of Dandong (area code 0415).
        assert_eq!(
            normalize("(415) 555-2671", "CN").as_deref(),
            Ok("+864155552671")
        );
        // A Chinese mobile is no American number.
        assert!(normalize("138 0013 8000", "US").is_err());
        // A + names its own country whatever the region.
        assert_eq!(
            normalize("+1 415 555 2671", "CN").as_deref(),
            Ok("+14155552671")
        );
    }

    #[test]
    fn invalid_values_are_named_in_both_languages() {
        for typed in ["", "12345", "138001380001234", "abc", "138OO138000"] {
            let error = normalize(typed, "CN").expect_err(typed);
            assert_eq!(error.typed, typed);
            let message = error.message();
            assert!(message.zh.contains(&format!("“{typed}”")), "{}", message.zh);
            assert!(
                message.en.contains(&format!("\"{typed}\"")),
                "{}",
                message.en
            );
        }
    }
}
