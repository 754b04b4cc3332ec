//! What a campaign is told to do, as the API and its page write it: whom to call (a list, a
//! filter on it, or those whose date is today), when ([`Schedule`]), how fast, how often to
//! try again, how often any one person may be called, and what to do when a machine answers.
//! [`Settings::check`] names every wrong field; the defaults are the compliant ones.

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dates::Trigger;
use super::schedule::{Schedule, Weekdays, Window, DAY_MINUTES};
use crate::error::FieldProblem;

/// A campaign's settings, stored as its `settings` JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Only the list's contacts every condition keeps (none: all of them).
    pub filter: Vec<Condition>,
    pub schedule: ScheduleSettings,
    pub pacing: Pacing,
    pub retries: Retries,
    pub cap: Cap,
    pub machine: MachineSettings,
    /// Set: a date-triggered campaign, which every day calls the contacts whose date is today.
    pub trigger: Option<DateTrigger>,
    /// The shop's number to call from (E.164); none: the number bound to the flow, else any.
    pub from: Option<String>,
}

/// A condition on a contact's field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// `name`, or a custom field (`vip`, `city`).
    pub field: String,
    pub op: ConditionOp,
    /// Compared as text, ignoring case and surrounding spaces; unused by `present`/`absent`.
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    Equals,
    NotEquals,
    Contains,
    Present,
    Absent,
}

impl Condition {
    /// Whether a contact with `name` and `fields` meets the condition.
    pub fn keeps(&self, name: &str, fields: &serde_json::Map<String, serde_json::Value>) -> bool {
        let value = match self.field.as_str() {
            "name" => Some(name.to_owned()).filter(|name| !name.is_empty()),
            field => fields.get(field).and_then(|value| match value {
                serde_json::Value::String(text) if text.trim().is_empty() => None,
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }),
        };
        let normal = |text: &str| text.trim().to_lowercase();
        let wanted = normal(&self.value);
        match (self.op, value) {
            (ConditionOp::Present, value) => value.is_some(),
            (ConditionOp::Absent, value) => value.is_none(),
            (ConditionOp::Equals, Some(value)) => normal(&value) == wanted,
            (ConditionOp::NotEquals, Some(value)) => normal(&value) != wanted,
            (ConditionOp::NotEquals, None) => true,
            (ConditionOp::Contains, Some(value)) => normal(&value).contains(&wanted),
            (ConditionOp::Equals | ConditionOp::Contains, None) => false,
        }
    }
}

/// When calls may be made, in the form the API takes: times as `HH:MM`, weekdays 1 (Monday)
/// to 7 (Sunday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSettings {
    /// First local date to call on, `YYYY-MM-DD`; none: from the start.
    #[schema(value_type = Option<String>, example = "2026-12-08")]
    pub start_date: Option<NaiveDate>,
    /// Last local date to call on, inclusive.
    #[schema(value_type = Option<String>, example = "2026-12-31")]
    pub end_date: Option<NaiveDate>,
    /// Daily calling windows (default 09:00–20:00).
    pub windows: Vec<WindowSettings>,
    /// ISO weekdays, 1 = Monday … 7 = Sunday (default every day).
    pub weekdays: Vec<u8>,
    /// Skip public holidays of the shop's region (and its own days off); make-up workdays
    /// count as workdays.
    pub skip_holidays: bool,
    /// IANA time zone; empty: the shop's.
    pub time_zone: String,
    /// Call each contact in the time zone its number says, where it says one.
    pub contact_time_zone: bool,
    /// New dials stop this many minutes before a window closes (default 1).
    pub stop_margin_minutes: u32,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            start_date: None,
            end_date: None,
            windows: vec![WindowSettings {
                start: "09:00".into(),
                end: "20:00".into(),
            }],
            weekdays: (1..=7).collect(),
            skip_holidays: true,
            time_zone: String::new(),
            contact_time_zone: false,
            stop_margin_minutes: 1,
        }
    }
}

/// A daily window, `HH:MM` to `HH:MM` (the end may be `24:00`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowSettings {
    #[schema(example = "09:00")]
    pub start: String,
    #[schema(example = "20:00")]
    pub end: String,
}

/// How fast a campaign dials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Pacing {
    /// Calls of this campaign in progress at once, at most (1–100).
    pub max_concurrent: u32,
    /// New calls per second, at most (0.01–50), over every server.
    pub calls_per_second: f64,
    /// The carrier account's own limit of new calls per second (Twilio's default is 1),
    /// shared by every campaign of the shop (0.01–50).
    pub carrier_calls_per_second: f64,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            max_concurrent: 5,
            calls_per_second: 1.0,
            carrier_calls_per_second: 1.0,
        }
    }
}

/// Tries after a result: how many more at most, and the wait before the first of them (each
/// later one waits `backoff` times longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// More tries after this result, at most (0–10).
    pub max: u32,
    /// Minutes before the first of them (1–10080).
    pub delay_minutes: u32,
}

/// Retries per result of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Retries {
    pub busy: Retry,
    pub no_answer: Retry,
    pub failed: Retry,
    pub voicemail: Retry,
    /// Each later retry waits this many times longer than the one before (1–10).
    pub backoff: f64,
    /// Attempts per contact at most, whatever the results (1–20).
    pub max_attempts: u32,
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            busy: Retry {
                max: 2,
                delay_minutes: 30,
            },
            no_answer: Retry {
                max: 2,
                delay_minutes: 120,
            },
            failed: Retry {
                max: 1,
                delay_minutes: 10,
            },
            voicemail: Retry {
                max: 1,
                delay_minutes: 240,
            },
            backoff: 2.0,
            max_attempts: 4,
        }
    }
}

/// How often one number may be called by any of the shop's campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Cap {
    /// Calls at most (1–100)…
    pub calls: u32,
    /// …in any this many days (1–365).
    pub days: u32,
}

impl Default for Cap {
    fn default() -> Self {
        Cap { calls: 2, days: 7 }
    }
}

/// What to do when an answering machine picks up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MachineSettings {
    pub action: MachineAction,
    /// `leave_message`: what to say to the machine, in the flow's language.
    pub message: String,
}

impl Default for MachineSettings {
    fn default() -> Self {
        MachineSettings {
            action: MachineAction::HangUp,
            message: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MachineAction {
    /// Hang up at once; the attempt counts as `voicemail` (retried as its rule says).
    HangUp,
    /// Say `message`, then hang up.
    LeaveMessage,
    /// Run the flow as if a person had answered.
    RunFlow,
}

/// Whom a date-triggered campaign calls each day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateTrigger {
    /// The contact field holding the date (`birthday`, `first_order`).
    pub field: String,
    pub kind: TriggerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// A solar birth date, called on its month and day.
    Birthday,
    /// A lunar date (农历三月初五, L03-05), called on it each lunar year.
    LunarBirthday,
    /// A first order's date, called on its anniversary.
    Anniversary,
}

impl TriggerKind {
    pub fn trigger(self) -> Trigger {
        match self {
            TriggerKind::Birthday => Trigger::Birthday,
            TriggerKind::LunarBirthday => Trigger::LunarBirthday,
            TriggerKind::Anniversary => Trigger::Anniversary,
        }
    }
}

/// `HH:MM` (or `24:00`) as minutes after midnight.
fn minutes(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= DAY_MINUTES).then_some(total)
}

fn weekday(iso: u8) -> Option<Weekday> {
    match iso {
        1 => Some(Weekday::Mon),
        2 => Some(Weekday::Tue),
        3 => Some(Weekday::Wed),
        4 => Some(Weekday::Thu),
        5 => Some(Weekday::Fri),
        6 => Some(Weekday::Sat),
        7 => Some(Weekday::Sun),
        _ => None,
    }
}

impl Settings {
    /// A stored campaign's settings.
    pub fn of(row: &crate::store::CampaignRow) -> Result<Settings, crate::store::StoreError> {
        serde_json::from_value(row.settings.clone())
            .map_err(|error| crate::store::StoreError::corrupt("campaigns", "settings", error))
    }

    /// The schedule to decide with, in `tenant_zone` unless the settings name another.
    pub fn schedule(&self, tenant_zone: &str) -> Schedule {
        let settings = &self.schedule;
        Schedule {
            start_date: settings.start_date,
            end_date: settings.end_date,
            windows: settings
                .windows
                .iter()
                .filter_map(|window| {
                    Some(Window {
                        start: minutes(&window.start)?,
                        end: minutes(&window.end)?,
                    })
                })
                .collect(),
            weekdays: Weekdays::of(
                &settings
                    .weekdays
                    .iter()
                    .filter_map(|day| weekday(*day))
                    .collect::<Vec<_>>(),
            ),
            skip_holidays: settings.skip_holidays,
            time_zone: match settings.time_zone.trim() {
                "" => tenant_zone.to_owned(),
                zone => zone.to_owned(),
            },
            contact_time_zone: settings.contact_time_zone,
            stop_margin_minutes: settings.stop_margin_minutes,
        }
    }

    /// Every wrong field, each named by its JSON pointer under `/settings`.
    pub fn check(&self, tenant_zone: &str) -> Vec<FieldProblem> {
        let mut wrong = Vec::new();
        for (index, window) in self.schedule.windows.iter().enumerate() {
            for (part, text) in [("start", &window.start), ("end", &window.end)] {
                if minutes(text).is_none() {
                    wrong.push(FieldProblem::new(
                        format!("/settings/schedule/windows/{index}/{part}"),
                        "invalid_value",
                        format!("“{text}”不是时间，请写成 09:00 这样的“时:分”"),
                        format!("\"{text}\" is not a time; write it as HH:MM, such as 09:00"),
                    ));
                }
            }
        }
        for (index, day) in self.schedule.weekdays.iter().enumerate() {
            if weekday(*day).is_none() {
                wrong.push(FieldProblem::new(
                    format!("/settings/schedule/weekdays/{index}"),
                    "invalid_value",
                    "星期须是 1（星期一）到 7（星期日）",
                    "a weekday is 1 (Monday) to 7 (Sunday)",
                ));
            }
        }
        if self.schedule.stop_margin_minutes > 120 {
            wrong.push(range("/settings/schedule/stop_margin_minutes", 0.0, 120.0));
        }
        wrong.extend(
            self.schedule(tenant_zone)
                .check()
                .into_iter()
                .filter(|problem| {
                    // Windows already named above read as unparsed, not as empty.
                    problem.field != "/windows" || self.schedule.windows.is_empty()
                })
                .map(|mut problem| {
                    problem.field = format!("/settings/schedule{}", problem.field);
                    problem
                }),
        );
        let pacing = &self.pacing;
        if !(1..=100).contains(&pacing.max_concurrent) {
            wrong.push(range("/settings/pacing/max_concurrent", 1.0, 100.0));
        }
        for (field, value) in [
            ("calls_per_second", pacing.calls_per_second),
            ("carrier_calls_per_second", pacing.carrier_calls_per_second),
        ] {
            if !(0.01..=50.0).contains(&value) {
                wrong.push(range(&format!("/settings/pacing/{field}"), 0.01, 50.0));
            }
        }
        let retries = &self.retries;
        for (field, retry) in [
            ("busy", retries.busy),
            ("no_answer", retries.no_answer),
            ("failed", retries.failed),
            ("voicemail", retries.voicemail),
        ] {
            if retry.max > 10 {
                wrong.push(range(&format!("/settings/retries/{field}/max"), 0.0, 10.0));
            }
            if !(1..=10_080).contains(&retry.delay_minutes) {
                wrong.push(range(
                    &format!("/settings/retries/{field}/delay_minutes"),
                    1.0,
                    10_080.0,
                ));
            }
        }
        if !(1.0..=10.0).contains(&retries.backoff) {
            wrong.push(range("/settings/retries/backoff", 1.0, 10.0));
        }
        if !(1..=20).contains(&retries.max_attempts) {
            wrong.push(range("/settings/retries/max_attempts", 1.0, 20.0));
        }
        if !(1..=100).contains(&self.cap.calls) {
            wrong.push(range("/settings/cap/calls", 1.0, 100.0));
        }
        if !(1..=365).contains(&self.cap.days) {
            wrong.push(range("/settings/cap/days", 1.0, 365.0));
        }
        if self.machine.action == MachineAction::LeaveMessage
            && self.machine.message.trim().is_empty()
        {
            wrong.push(FieldProblem::new(
                "/settings/machine/message",
                "required",
                "选择“留言”时，请写下要对答录机说的话",
                "write what to say to the machine when leaving a message",
            ));
        }
        if self.machine.message.chars().count() > 500 {
            wrong.push(FieldProblem::new(
                "/settings/machine/message",
                "too_long",
                "留言最多 500 个字",
                "the message is 500 characters at most",
            ));
        }
        for (index, condition) in self.filter.iter().enumerate() {
            if condition.field != "name" && !crate::contacts::is_field_name(&condition.field) {
                wrong.push(crate::contacts::field_name_problem(
                    &format!("/settings/filter/{index}/field"),
                    &condition.field,
                ));
            }
        }
        if let Some(trigger) = &self.trigger {
            if !crate::contacts::is_field_name(&trigger.field) {
                wrong.push(crate::contacts::field_name_problem(
                    "/settings/trigger/field",
                    &trigger.field,
                ));
            }
        }
        if let Some(from) = &self.from {
            if !crate::telephony::is_phone_number(from) {
                wrong.push(FieldProblem::new(
                    "/settings/from",
                    "invalid_phone",
                    "须是 E.164 格式的号码，例如 +8613800000000",
                    "must be an E.164 number such as +8613800000000",
                ));
            }
        }
        wrong
    }

    /// Whether a contact is one the campaign calls (its filter; the trigger is by date).
    pub fn keeps(&self, name: &str, fields: &serde_json::Map<String, serde_json::Value>) -> bool {
        self.filter
            .iter()
            .all(|condition| condition.keeps(name, fields))
    }
}

fn range(field: &str, low: f64, high: f64) -> FieldProblem {
    FieldProblem::new(
        field.to_owned(),
        "out_of_range",
        format!("须在 {low} 到 {high} 之间"),
        format!("must be between {low} and {high}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_defaults_are_valid_and_call_from_nine_to_eight_every_day() {
        let settings = Settings::default();
        assert!(settings.check("Asia/Shanghai").is_empty());
        let schedule = settings.schedule("Asia/Shanghai");
        assert_eq!(schedule.windows, vec![Window::hm(9, 0, 20, 0)]);
        assert_eq!(schedule.weekdays, Weekdays::EVERY_DAY);
        assert_eq!(schedule.time_zone, "Asia/Shanghai");
        assert!(schedule.skip_holidays);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let settings: Settings = serde_json::from_value(json!({
            "schedule": { "windows": [{ "start": "9点", "end": "20:00" }], "weekdays": [0, 3],
                          "time_zone": "Mars/Olympus" },
            "pacing": { "max_concurrent": 0, "calls_per_second": 100.0 },
            "retries": { "busy": { "max": 11, "delay_minutes": 0 } },
            "cap": { "calls": 0, "days": 7 },
            "machine": { "action": "leave_message" },
            "filter": [{ "field": "1bad", "op": "equals", "value": "x" }],
            "trigger": { "field": "birthday", "kind": "lunar_birthday" },
            "from": "12345"
        }))
        .expect("parses");
        let fields: Vec<String> = settings
            .check("Asia/Shanghai")
            .into_iter()
            .map(|problem| problem.field)
            .collect();
        for expected in [
            "/settings/schedule/windows/0/start",
            "/settings/schedule/weekdays/0",
            "/settings/schedule/time_zone",
            "/settings/pacing/max_concurrent",
            "/settings/pacing/calls_per_second",
            "/settings/retries/busy/max",
            "/settings/retries/busy/delay_minutes",
            "/settings/cap/calls",
            "/settings/machine/message",
            "/settings/filter/0/field",
            "/settings/from",
        ] {
            assert!(
                fields.iter().any(|field| field == expected),
                "{expected}: {fields:?}"
            );
        }
        assert!(!fields
            .iter()
            .any(|field| field == "/settings/schedule/windows"));
    }

    #[test]
    fn conditions_compare_text_ignoring_case_and_spaces() {
        let fields = json!({ "vip": " Gold ", "city": "上海", "orders": 3 });
        let fields = fields.as_object().expect("object");
        let condition = |field: &str, op, value: &str| Condition {
            field: field.into(),
            op,
            value: value.into(),
        };
        assert!(condition("vip", ConditionOp::Equals, "gold").keeps("", fields));
        assert!(condition("orders", ConditionOp::Equals, "3").keeps("", fields));
        assert!(condition("city", ConditionOp::Contains, "海").keeps("", fields));
        assert!(!condition("city", ConditionOp::NotEquals, "上海").keeps("", fields));
        assert!(condition("birthday", ConditionOp::Absent, "").keeps("", fields));
        assert!(!condition("birthday", ConditionOp::Equals, "").keeps("", fields));
        assert!(condition("name", ConditionOp::Present, "").keeps("陈女士", fields));
        assert!(condition("name", ConditionOp::Absent, "").keeps("", fields));
    }
}
