//! Personal data in text, found and replaced before anything is kept: mainland mobile and
//! landline numbers, resident ID numbers (with their check character), bank cards (with the
//! Luhn check), e-mail addresses, written or spoken ("幺三八…", "one three eight…"), and the
//! values of variables a flow marks (addresses, sensitive variables), wherever they appear.
//!
//! A found value becomes its kind in brackets, `[手机号]` / `[phone]`, not a partial mask such
//! as 138****5678: the digits a mask leaves (a carrier prefix and the last four) still narrow
//! a person down and link their calls to each other, which PIPL counts as personal data too,
//! while a bracketed kind still tells a reader what the caller gave ("我的电话是[手机号]").

mod checks;
mod numbers;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A kind of personal data.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Mobile,
    Landline,
    IdNumber,
    BankCard,
    Email,
    /// Only where a flow marks the variable that holds one (see [`Redactor::address`]):
    /// addresses have no shape to find them by.
    Address,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Mobile,
        Kind::Landline,
        Kind::IdNumber,
        Kind::BankCard,
        Kind::Email,
        Kind::Address,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mobile => "mobile",
            Kind::Landline => "landline",
            Kind::IdNumber => "id_number",
            Kind::BankCard => "bank_card",
            Kind::Email => "email",
            Kind::Address => "address",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// What replaces a value of this kind, in the conversation's language (`zh…` or other).
    pub fn placeholder(self, language: &str) -> &'static str {
        let zh = language.starts_with("zh");
        match (self, zh) {
            (Kind::Mobile, true) => "[手机号]",
            (Kind::Mobile, false) => "[phone]",
            (Kind::Landline, true) => "[固定电话]",
            (Kind::Landline, false) => "[landline]",
            (Kind::IdNumber, true) => "[身份证号]",
            (Kind::IdNumber, false) => "[ID number]",
            (Kind::BankCard, true) => "[银行卡号]",
            (Kind::BankCard, false) => "[card number]",
            (Kind::Email, true) => "[邮箱]",
            (Kind::Email, false) => "[email]",
            (Kind::Address, true) => "[地址]",
            (Kind::Address, false) => "[address]",
        }
    }

    /// Long numbers that only a check digit tells apart from an order's or a parcel's.
    fn may_be_an_order_number(self) -> bool {
        matches!(self, Kind::IdNumber | Kind::BankCard | Kind::Landline)
    }
}

/// Which kinds of personal data are redacted: a list of kind names, every kind unless a
/// tenant says otherwise (privacy by default); an empty list turns redaction off. Names this
/// version does not know are ignored, so a setting a newer server wrote still reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Policy(BTreeSet<Kind>);

impl Default for Policy {
    fn default() -> Self {
        Policy(Kind::ALL.into_iter().collect())
    }
}

impl Policy {
    /// Nothing redacted.
    pub fn off() -> Self {
        Policy(BTreeSet::new())
    }

    pub fn only(kinds: impl IntoIterator<Item = Kind>) -> Self {
        Policy(kinds.into_iter().collect())
    }

    pub fn contains(&self, kind: Kind) -> bool {
        self.0.contains(&kind)
    }

    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.0.iter().copied()
    }

    /// A policy written as kind names separated by commas (`mobile,email`), `all` or `none`;
    /// an unknown name is refused with its name.
    pub fn parse(list: &str) -> Result<Policy, String> {
        match list.trim() {
            "all" => return Ok(Policy::default()),
            "none" | "" => return Ok(Policy::off()),
            _ => {}
        }
        list.split(',')
            .map(|name| Kind::parse(name.trim()).ok_or_else(|| name.trim().to_owned()))
            .collect::<Result<_, _>>()
            .map(Policy)
    }
}

impl From<Vec<String>> for Policy {
    fn from(names: Vec<String>) -> Self {
        Policy(names.iter().filter_map(|name| Kind::parse(name)).collect())
    }
}

impl From<Policy> for Vec<String> {
    fn from(policy: Policy) -> Self {
        policy
            .kinds()
            .map(|kind| kind.as_str().to_owned())
            .collect()
    }
}

/// Where a value lies in a text (byte offsets) and what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

/// The personal data of the kinds `policy` lists that `text` holds by its shape (every kind
/// but addresses), in text order, never overlapping.
pub fn find(text: &str, policy: &Policy) -> Vec<Span> {
    let emails = if policy.contains(Kind::Email) {
        emails(text)
    } else {
        Vec::new()
    };
    let mut spans = numbers::find(text, |kind| policy.contains(kind), &emails);
    spans.extend(emails);
    spans.sort_by_key(|span| span.start);
    spans
}

/// E-mail addresses, written (`zhang.san@qq.com`) or spoken as recognisers write them
/// ("zhangsan at qq dot com", "li dot na at qq dot com", "zhangsan艾特qq点com"). The address
/// ends at an ASCII word boundary: Chinese text written right after it ("…@163.com发票") is a
/// word character to Unicode, and would hide the end of the address.
fn emails(text: &str) -> Vec<Span> {
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    let email = EMAIL.get_or_init(|| {
        Regex::new(
            r"(?i)[a-z0-9][a-z0-9._%+-]*(?:(?:\s+dot\s+|\s+underscore\s+)[a-z0-9]+)*(?:@|\s*＠\s*|\s+at\s+|\s*艾特\s*)[a-z0-9-]+(?:(?:\.|\s+dot\s+|\s*点\s*)[a-z0-9-]+)*(?:\.|\s+dot\s+|\s*点\s*)(?:com|cn|net|org|edu|gov|io|cc|me|info|co|hk|tw|uk|de|jp)(?-u:\b)",
        )
        .expect("a valid pattern")
    });
    email
        .find_iter(text)
        .map(|found| Span {
            start: found.start(),
            end: found.end(),
            kind: Kind::Email,
        })
        .collect()
}

/// Replaces what `find` finds with its kind's placeholder.
pub fn redact<'a>(text: &'a str, policy: &Policy, language: &str) -> Cow<'a, str> {
    replace(text, &find(text, policy), language)
}

fn replace<'a>(text: &'a str, spans: &[Span], language: &str) -> Cow<'a, str> {
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        if span.start < at {
            continue;
        }
        out.push_str(&text[at..span.start]);
        out.push_str(span.kind.placeholder(language));
        at = span.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// What one conversation keeps out of its records: the kinds its tenant redacts, and the
/// values of the variables its flow marks (sensitive ones, masked `***`; addresses, when the
/// tenant redacts addresses).
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    policy: Policy,
    language: String,
    /// Values replaced wherever they appear, longest first, with what replaces them.
    values: Vec<(String, &'static str)>,
}

/// What replaces a sensitive variable's value.
pub const MASK: &str = "***";

/// Shorter values would blot out ordinary words and digits (a sensitive "1" is every 1).
const MIN_VALUE_CHARS: usize = 2;

impl Redactor {
    pub fn new(policy: Policy, language: &str) -> Self {
        Redactor {
            policy,
            language: language.to_owned(),
            values: Vec::new(),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Masks `value` (a sensitive variable's) wherever it appears.
    pub fn sensitive(&mut self, value: &str) {
        self.value(value, MASK);
    }

    /// Replaces `value` (an address a flow marks) with `[地址]`, when the policy redacts
    /// addresses.
    pub fn address(&mut self, value: &str) {
        if self.policy.contains(Kind::Address) {
            self.value(value, Kind::Address.placeholder(&self.language));
        }
    }

    fn value(&mut self, value: &str, replacement: &'static str) {
        let value = value.trim();
        if value.chars().count() < MIN_VALUE_CHARS || self.values.iter().any(|(v, _)| v == value) {
            return;
        }
        self.values.push((value.to_owned(), replacement));
        self.values.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    }

    /// `text` as it may be kept.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for (value, replacement) in &self.values {
            if text.contains(value.as_str()) {
                text = Cow::Owned(text.replace(value.as_str(), replacement));
            }
        }
        match redact(&text, &self.policy, &self.language) {
            Cow::Borrowed(_) => text,
            Cow::Owned(redacted) => Cow::Owned(redacted),
        }
    }

    /// Redacts every string inside `value` in place.
    pub fn json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => {
                if let Cow::Owned(redacted) = self.text(s) {
                    *s = redacted;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.json(v)),
            // A number a caller gave may be a phone number all the same.
            serde_json::Value::Number(n) => {
                let digits = n.to_string();
                if let Cow::Owned(redacted) = self.text(&digits) {
                    *value = serde_json::Value::String(redacted);
                }
            }
            serde_json::Value::Null | serde_json::Value::Bool(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(String, Kind)> {
        find(text, &Policy::default())
            .into_iter()
            .map(|s| (text[s.start..s.end].to_owned(), s.kind))
            .collect()
    }

    #[test]
    fn written_numbers() {
        assert_eq!(
            kinds("我的手机是13812345678，座机010-87654321"),
            [
                ("13812345678".to_owned(), Kind::Mobile),
                ("010-87654321".to_owned(), Kind::Landline)
            ]
        );
        assert_eq!(
            kinds("call me on +86 138 1234 5678 please"),
            [("+86 138 1234 5678".to_owned(), Kind::Mobile)]
        );
        assert_eq!(
            kinds("身份证11010519491231002X"),
            [("11010519491231002X".to_owned(), Kind::IdNumber)]
        );
        assert_eq!(
            kinds("卡号 6222 0212 3456 7890 128"),
            [("6222 0212 3456 7890 128".to_owned(), Kind::BankCard)]
        );
        assert_eq!(
            kinds("mail zhang.san@qq.com or 13812345678@163.com"),
            [
                ("zhang.san@qq.com".to_owned(), Kind::Email),
                ("13812345678@163.com".to_owned(), Kind::Email)
            ]
        );
    }

    #[test]
    fn spoken_numbers() {
        assert_eq!(
            kinds("幺三八，一二三四，五六七八"),
            [("幺三八，一二三四，五六七八".to_owned(), Kind::Mobile)]
        );
        assert_eq!(
            kinds("138幺二三四五六七八"),
            [("138幺二三四五六七八".to_owned(), Kind::Mobile)]
        );
        assert_eq!(
            kinds("it's one three eight double one two three four five six seven"),
            [(
                "one three eight double one two three four five six seven".to_owned(),
                Kind::Mobile
            )]
        );
        assert_eq!(
            kinds("zero one oh eight seven six five four three two one"),
            [(
                "zero one oh eight seven six five four three two one".to_owned(),
                Kind::Landline
            )]
        );
        assert_eq!(
            kinds("my email is zhangsan at qq dot com"),
            [("zhangsan at qq dot com".to_owned(), Kind::Email)]
        );
        // Chinese written right after an address, and dots spoken in its name.
        assert_eq!(
            kinds("我邮箱li.na@163.com发票发这里"),
            [("li.na@163.com".to_owned(), Kind::Email)]
        );
        assert_eq!(
            kinds("my email is li dot na at qq dot com"),
            [("li dot na at qq dot com".to_owned(), Kind::Email)]
        );
    }

    #[test]
    fn numbers_that_are_not_personal() {
        for text in [
            "订单号202406181234567890",
            "订单号 6222021234567890128",
            "一共13800元",
            "2024-06-18 10:30",
            "110105194912310021",
            "4111111111111112",
            "我要两个，一下就好",
            "oh, I see, one moment",
        ] {
            assert_eq!(kinds(text), [], "{text}");
        }
    }

    #[test]
    fn redaction_keeps_the_sentence() {
        assert_eq!(
            redact("我的电话是13812345678", &Policy::default(), "zh-CN"),
            "我的电话是[手机号]"
        );
        assert_eq!(
            redact("my number is 13812345678", &Policy::default(), "en"),
            "my number is [phone]"
        );
        assert_eq!(
            redact("我的电话是13812345678", &Policy::off(), "zh-CN"),
            "我的电话是13812345678"
        );
        let only_cards = Policy::only([Kind::BankCard]);
        assert_eq!(
            redact("13812345678 4111111111111111", &only_cards, "en"),
            "13812345678 [card number]"
        );
    }

    #[test]
    fn marked_values_are_replaced_wherever_they_appear() {
        let mut redactor = Redactor::new(Policy::default(), "zh-CN");
        redactor.address("上海市浦东新区世纪大道100号");
        redactor.sensitive("A1234567");
        redactor.sensitive("1");
        let kept = redactor.text("寄到上海市浦东新区世纪大道100号，护照A1234567，共1件");
        assert_eq!(kept, "寄到[地址]，护照***，共1件");
        let mut vars = serde_json::json!({ "phone": 13812345678u64, "n": 2, "list": ["x@y.com"] });
        redactor.json(&mut vars);
        assert_eq!(
            vars,
            serde_json::json!({ "phone": "[手机号]", "n": 2, "list": ["[邮箱]"] })
        );
    }

    #[test]
    fn policies_read_as_lists_and_ignore_unknown_kinds() {
        let policy: Policy =
            serde_json::from_value(serde_json::json!(["mobile", "retina"])).expect("a list");
        assert_eq!(policy, Policy::only([Kind::Mobile]));
        assert_eq!(
            Policy::parse("mobile, email"),
            Ok(Policy::only([Kind::Mobile, Kind::Email]))
        );
        assert_eq!(Policy::parse("none"), Ok(Policy::off()));
        assert_eq!(Policy::parse("all"), Ok(Policy::default()));
        assert_eq!(Policy::parse("mobile,retina"), Err("retina".to_owned()));
        assert_eq!(
            serde_json::to_value(Policy::default()).expect("serialises"),
            serde_json::json!([
                "mobile",
                "landline",
                "id_number",
                "bank_card",
                "email",
                "address"
            ])
        );
    }
}
