//! Data-subject requests: everything the shop holds about one caller (a phone number) or one
//! chat visitor (the widget's `visitor:<hash>` or a signed-in customer's id): found, exported
//! as one document, or erased. Exports and erasures are audited; the audit entry names the
//! person only masked, so that the log of an erasure does not keep what was erased.

use serde_json::json;

use crate::analytics::tally::normalized_said;
use crate::error::FieldError;
use crate::language::Language;
use crate::state::AppState;
use crate::store::{Actor, Call, CallEvent, Erased, HandoffRow, Store, StoreError, SubjectMatch};

/// Conversations per erasing transaction.
const BATCH: usize = 100;

pub const EXPORTED: &str = "privacy.exported";
pub const ERASED: &str = "privacy.erased";

/// Whom a request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A phone number as typed, with the forms it may be stored in.
    Phone { typed: String, forms: Vec<String> },
    /// A chat-widget visitor: the 16 hex digits call records show after `visitor:`.
    Visitor(String),
    /// The shop's own id of a signed-in customer.
    Customer(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request names nobody, or more than one, or in a form that cannot be; each error
    /// names its field (in the asker's language).
    #[error("the request names no valid data subject")]
    Invalid(Vec<FieldError>),
}

fn invalid(field: &str, code: &str, message: &str) -> SubjectError {
    SubjectError::Invalid(vec![FieldError {
        field: field.to_owned(),
        code: code.to_owned(),
        message: message.to_owned(),
        node: None,
    }])
}

impl Subject {
    /// The subject of a request that gives exactly one of `phone`, `visitor` or `customer`.
    pub fn parse(
        phone: Option<&str>,
        visitor: Option<&str>,
        customer: Option<&str>,
        language: Language,
    ) -> Result<Subject, SubjectError> {
        fn given(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|value| !value.is_empty())
        }
        match (given(phone), given(visitor), given(customer)) {
            (Some(phone), None, None) => {
                let forms = phone_forms(phone).ok_or_else(|| {
                    invalid(
                        "/phone",
                        "invalid_phone",
                        language.pick(
                            "电话号码应为 5 到 20 位数字，可带 + 和国家代码。",
                            "a phone number is 5 to 20 digits, with + and the country code if it has one",
                        ),
                    )
                })?;
                Ok(Subject::Phone {
                    typed: phone.to_owned(),
                    forms,
                })
            }
            (None, Some(visitor), None) => {
                let hash = visitor.strip_prefix("visitor:").unwrap_or(visitor);
                let hash = hash.to_ascii_lowercase();
                if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(Subject::Visitor(hash))
                } else {
                    Err(invalid(
                        "/visitor",
                        "invalid_visitor",
                        language.pick(
                            "访客编号形如 visitor:0123456789abcdef（对话记录中“来自”一栏）。",
                            "a visitor id looks like visitor:0123456789abcdef (a chat record's “from”)",
                        ),
                    ))
                }
            }
            (None, None, Some(customer)) if customer.chars().count() <= 200 => {
                Ok(Subject::Customer(customer.to_owned()))
            }
            (None, None, Some(_)) => Err(invalid(
                "/customer",
                "invalid_customer",
                language.pick(
                    "客户编号最长 200 个字符。",
                    "a customer id is at most 200 characters",
                ),
            )),
            _ => Err(invalid(
                "/phone",
                "one_subject",
                language.pick(
                    "请只填写一项：电话号码、访客编号或客户编号。",
                    "give exactly one of a phone number, a visitor id or a customer id",
                ),
            )),
        }
    }

    /// `phone`, `visitor` or `customer`.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::Phone { .. } => "phone",
            Subject::Visitor(_) => "visitor",
            Subject::Customer(_) => "customer",
        }
    }

    /// As typed, for the person's own export.
    pub fn value(&self) -> String {
        match self {
            Subject::Phone { typed, .. } => typed.clone(),
            Subject::Visitor(hash) => format!("visitor:{hash}"),
            Subject::Customer(id) => id.clone(),
        }
    }

    /// Enough for staff to tell requests apart in the audit log, not enough to call anyone:
    /// `+86138******00`, `visitor:0123…`, `C1***1`.
    pub fn masked(&self) -> String {
        fn middle_hidden(text: &str, head: usize, tail: usize) -> String {
            let chars: Vec<char> = text.chars().collect();
            if chars.len() <= head + tail {
                return "*".repeat(chars.len());
            }
            let hidden = chars.len() - head - tail;
            let mut masked: String = chars[..head].iter().collect();
            masked.push_str(&"*".repeat(hidden));
            masked.extend(&chars[chars.len() - tail..]);
            masked
        }
        match self {
            Subject::Phone { forms, .. } => middle_hidden(&forms[0], 4, 2),
            Subject::Visitor(hash) => format!("visitor:{}…", &hash[..4]),
            Subject::Customer(id) => middle_hidden(id, 1, 1),
        }
    }

    fn matcher(&self) -> SubjectMatch {
        match self {
            Subject::Phone { forms, .. } => SubjectMatch::Numbers(forms.clone()),
            Subject::Visitor(hash) => SubjectMatch::Numbers(vec![format!("visitor:{hash}")]),
            Subject::Customer(id) => SubjectMatch::Customer(id.clone()),
        }
    }
}

/// The forms a number may be stored in: carriers report E.164 (`+8613800138000`), a flow or
/// an API caller may give it local (`13800138000`, `010…`) or with the international prefix
/// (`0086…`). Chinese numbers (+86) get their local forms; others are matched with and
/// without `+`. The E.164 form comes first. `None` for what is no number.
pub fn phone_forms(typed: &str) -> Option<Vec<String>> {
    let kept: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let (international, digits) = match kept.strip_prefix('+') {
        Some(digits) => (true, digits.to_owned()),
        None => match kept.strip_prefix("00") {
            Some(digits) => (true, digits.to_owned()),
            None => (false, kept.clone()),
        },
    };
    if !(5..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let china_local = if international {
        digits.strip_prefix("86").map(|national| {
            if national.starts_with('1') {
                national.to_owned()
            } else {
                format!("0{national}")
            }
        })
    } else if digits.len() == 11 && digits.starts_with('1') {
        Some(digits.clone())
    } else if digits.starts_with('0') {
        // A Chinese landline dialled at home: 010…, 0571….
        Some(digits.clone())
    } else {
        None
    };
    let mut forms = Vec::new();
    match &china_local {
        Some(local) => {
            let national = local.strip_prefix('0').unwrap_or(local);
            forms.push(format!("+86{national}"));
            forms.push(format!("86{national}"));
            forms.push(format!("0086{national}"));
            forms.push(local.clone());
        }
        None => {
            forms.push(format!("+{digits}"));
            forms.push(format!("00{digits}"));
        }
    }
    forms.push(digits);
    let mut unique = Vec::with_capacity(forms.len());
    for form in forms {
        if !unique.contains(&form) {
            unique.push(form);
        }
    }
    Some(unique)
}

/// The subject's conversations, oldest first, without their events.
pub async fn find(
    store: &Store,
    tenant_id: &str,
    subject: &Subject,
) -> Result<Vec<Call>, StoreError> {
    store
        .subject_conversations(tenant_id, &subject.matcher())
        .await
}

/// One conversation of the subject with all it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectConversation {
    pub call: Call,
    pub events: Vec<CallEvent>,
    pub handoffs: Vec<HandoffRow>,
}

/// Everything held about the subject, for the export; audited (with the masked subject).
pub async fn export(
    store: &Store,
    actor: &Actor,
    subject: &Subject,
    now_ms: i64,
) -> Result<Vec<SubjectConversation>, StoreError> {
    let tenant_id = &actor.tenant_id;
    let mut found = Vec::new();
    for call in find(store, tenant_id, subject).await? {
        let Some(with_events) = store.get_call(tenant_id, &call.id).await? else {
            continue;
        };
        let handoffs = store.handoffs_of_call(tenant_id, &call.id).await?;
        found.push(SubjectConversation {
            call: with_events.call,
            events: with_events.events,
            handoffs,
        });
    }
    let detail = json!({
        "subject": subject.masked(),
        "kind": subject.kind(),
        "conversations": found.len(),
        "events": found.iter().map(|c| c.events.len()).sum::<usize>(),
    });
    let mut transaction = store.transaction().await?;
    transaction
        .record_audit(actor, EXPORTED, &subject.masked(), &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(found)
}

/// Deletes everything held about the subject: their conversations with what hangs off them
/// (a batch per transaction), the phrasings of theirs that were not understood, a visitor's
/// rate-limit counts, a caller's contacts in the contact lists (not their do-not-call entry). The last transaction records the audit entry with the counts.
pub async fn erase(
    state: &AppState,
    actor: &Actor,
    subject: &Subject,
    now_ms: i64,
) -> Result<Erased, StoreError> {
    let store = &state.store;
    let tenant_id = &actor.tenant_id;
    if let Subject::Visitor(_) = subject {
        // The visitor's last second of requests, still counted only here, would be written
        // after the erasure: written now, they are erased below.
        state.widget_rates.send_all(store, now_ms).await?;
    }
    // Chats' counts waiting for the roll-up name their conversations and hold their words:
    // counted now, they are in the sum tables, where the words are found below.
    crate::analytics::rollup::catch_up(store).await?;
    let calls = find(store, tenant_id, subject).await?;
    let mut unheard = Vec::new();
    for call in &calls {
        let Some(with_events) = store.get_call(tenant_id, &call.id).await? else {
            continue;
        };
        for event in &with_events.events {
            if !matches!(event.kind.as_str(), "no_match" | "kb_missed") {
                continue;
            }
            let Some(said) = event.data.get("text").and_then(|text| text.as_str()) else {
                continue;
            };
            let key = (
                call.flow_id.clone(),
                event.node.clone().unwrap_or_default(),
                event.kind.clone(),
                normalized_said(said),
            );
            if !key.3.is_empty() && !unheard.contains(&key) {
                unheard.push(key);
            }
        }
    }
    let ids: Vec<String> = calls.into_iter().map(|call| call.id).collect();
    let mut total = Erased::default();
    for batch in ids.chunks(BATCH) {
        let mut transaction = store.transaction().await?;
        total += transaction.erase_conversations(tenant_id, batch).await?;
        transaction.commit().await?;
    }
    let mut transaction = store.transaction().await?;
    total.unheard_texts = transaction
        .forget_unheard_texts(tenant_id, &unheard)
        .await?;
    if let Subject::Visitor(hash) = subject {
        transaction.forget_visitor_rate_windows(hash).await?;
    }
    if let Subject::Phone { forms, .. } = subject {
        // Their do-not-call entry stays: the law asks the shop to keep honouring a refusal,
        // and erasing it would let the next import of an old list call them again.
        total.contacts = transaction.erase_contacts(tenant_id, forms).await?;
    }
    let mut detail = json!(total);
    detail["subject"] = json!(subject.masked());
    detail["kind"] = json!(subject.kind());
    transaction
        .record_audit(actor, ERASED, &subject.masked(), &detail, now_ms)
        .await?;
    transaction.commit().await?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers_are_found_in_every_form_they_are_stored_in() {
        let forms = phone_forms("+86 138-0013-8000").expect("a number");
        assert_eq!(forms[0], "+8613800138000");
        for form in ["8613800138000", "008613800138000", "13800138000"] {
            assert!(forms.contains(&form.to_owned()), "{form} in {forms:?}");
        }
        assert_eq!(phone_forms("13800138000"), Some(forms.clone()));
        assert_eq!(phone_forms("008613800138000"), Some(forms));
        let landline = phone_forms("010 6552 9988").expect("a landline");
        assert_eq!(landline[0], "+861065529988");
        assert!(landline.contains(&"01065529988".to_owned()));
    }

    #[test]
    fn other_numbers_are_matched_with_and_without_plus() {
        let forms = phone_forms("+1 (415) 555-0100").expect("a number");
        assert_eq!(forms, vec!["+14155550100", "0014155550100", "14155550100"]);
        assert_eq!(phone_forms("12ab34"), None);
        assert_eq!(phone_forms("123"), None);
    }

    #[test]
    fn a_request_names_exactly_one_subject_and_the_audit_sees_it_masked() {
        let phone =
            Subject::parse(Some("13800138000"), None, None, Language::English).expect("a phone");
        assert_eq!(phone.masked(), "+861********00");
        let visitor = Subject::parse(
            None,
            Some("visitor:0123456789ABCDEF"),
            None,
            Language::English,
        )
        .expect("a visitor");
        assert_eq!(visitor.value(), "visitor:0123456789abcdef");
        assert_eq!(visitor.masked(), "visitor:0123…");
        let both = Subject::parse(Some("13800138000"), Some("x"), None, Language::Chinese);
        match both {
            Err(SubjectError::Invalid(errors)) => {
                assert_eq!(errors[0].code, "one_subject");
                assert!(errors[0].message.contains("只填写一项"));
            }
            other => panic!("two subjects must be refused: {other:?}"),
        }
        assert!(matches!(
            Subject::parse(None, Some("visitor:xyz"), None, Language::English),
            Err(SubjectError::Invalid(errors)) if errors[0].field == "/visitor"
        ));
    }
}
