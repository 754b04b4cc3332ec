//! What a campaign has come to: its progress as it runs (dialled, answered, completed, opted
//! out, remaining, and when it should be done), each contact's attempts and results, the survey
//! report over the variables its flow marks as results (score distribution, NPS, reasons
//! grouped), and all of it as a CSV or Excel file. Results are shown by what the campaign's
//! flow version calls them (their labels), never by their variables alone.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::analytics::results::{summary, ResultSummary};
use crate::analytics::tally::result_value;
use crate::flows::names::DeclaredResults;
use crate::knowledge::sheet::{self, Format};
use crate::language::Language;
use crate::store::{AttemptRow, JobRow, Store, StoreError};
use flow_engine::model::ResultKind;

/// A campaign's progress.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Progress {
    /// Contacts queued in all (for a date-triggered campaign: so far).
    pub contacts: i64,
    /// Calls placed.
    pub dialed: i64,
    /// Calls a person answered.
    pub answered: i64,
    /// Contacts whose call ran the flow to its end.
    pub completed: i64,
    /// Contacts who asked not to be called again during their call.
    pub opted_out: i64,
    /// Contacts not yet done: waiting for their turn, a window or a retry, or on a call.
    pub remaining: i64,
    /// Calls in progress.
    pub in_progress: i64,
    /// Done contacts by final status (`completed`, `busy`, `no_answer`, `failed`,
    /// `voicemail`, `opted_out`, `do_not_call`, `schedule_ended`, `stopped`, …).
    pub by_status: BTreeMap<String, i64>,
    /// Calls placed in the last ten minutes, per minute.
    pub calls_per_minute: f64,
    /// When the remaining contacts should all have been called at the recent rate (not
    /// counting closed hours); none when nothing was dialled lately.
    pub eta_ms: Option<i64>,
}

/// One contact's part in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContactResult {
    pub contact_id: String,
    pub phone: String,
    pub name: String,
    /// For a date-triggered campaign, the date it was called for (`YYYY-MM-DD`).
    pub occurrence: String,
    /// `queued`, `dialing` or `done`.
    pub state: String,
    /// How it ended, once done.
    pub final_status: Option<String>,
    /// Why it waits, while queued (`outside_hours`, `holiday`, `capped`, `busy`…).
    pub note: String,
    /// The last call's outcome (`resolved`, `handoff`, …).
    pub outcome: Option<String>,
    /// The flow's results, by variable.
    #[schema(value_type = Object)]
    pub results: Map<String, Value>,
    pub attempts: Vec<AttemptView>,
    pub updated_at: i64,
}

/// One dial.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: i64,
    pub call_id: String,
    pub started_at: i64,
    /// `completed`, `busy`, `no_answer`, `failed`, `voicemail`, `not_dialed`,
    /// `interrupted`; none while the call is in progress.
    pub result: Option<String>,
    /// The consent the contact had when dialled.
    pub consent_source: String,
    pub consent_at: Option<i64>,
}

/// A page of contacts' results.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ContactResultPage {
    pub contacts: Vec<ContactResult>,
    pub total: i64,
    /// The results the page's contacts have, in the order the flow marks them: the table's
    /// result columns, each with its heading.
    pub columns: Vec<ResultColumn>,
}

/// A result column: the variable contacts' `results` hold it by, and what people are shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResultColumn {
    pub var: String,
    /// The result's label in the campaign's flow version, else the variable's name.
    pub label: String,
}

/// The columns of these variables, in the flow's order.
fn columns(
    declared: &DeclaredResults,
    vars: impl IntoIterator<Item = String>,
) -> Vec<ResultColumn> {
    declared
        .order(vars)
        .into_iter()
        .map(|var| ResultColumn {
            label: declared.label(&var),
            var,
        })
        .collect()
}

/// The results the campaign's flow version marks; none for a campaign or version gone.
async fn declared(
    store: &Store,
    tenant_id: &str,
    campaign_id: &str,
) -> Result<DeclaredResults, StoreError> {
    let Some(campaign) = store.get_campaign(tenant_id, campaign_id).await? else {
        return Ok(DeclaredResults::default());
    };
    let version = store
        .get_flow_version(tenant_id, &campaign.flow_id, campaign.flow_version)
        .await?;
    Ok(version.map_or_else(DeclaredResults::default, |version| {
        DeclaredResults::of(&version.document)
    }))
}

/// The survey report: each result variable over the campaign's contacts.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    pub results: Vec<VariableReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VariableReport {
    #[serde(flatten)]
    pub summary: ResultSummary,
    /// For text results (reasons): the answers grouped (case, spaces and punctuation aside),
    /// the most given first, at most 50.
    pub groups: Vec<ReasonGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReasonGroup {
    /// The group's most given wording.
    pub text: String,
    /// Answers in the group, in all its wordings.
    pub count: i64,
    /// Each way the group's answer was put, the most given first (case, spaces and
    /// punctuation aside; each as first given).
    pub wordings: Vec<ReasonWording>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReasonWording {
    pub text: String,
    pub count: i64,
}

pub async fn progress(
    store: &Store,
    tenant_id: &str,
    campaign_id: &str,
    now_ms: i64,
) -> Result<Progress, StoreError> {
    let counts = store
        .campaign_counts(
            tenant_id,
            campaign_id,
            now_ms - (RATE_MINUTES * 60_000.0) as i64,
        )
        .await?;
    let result = |name: &str| {
        counts
            .results
            .iter()
            .filter(|(result, _)| result == name)
            .map(|(_, n)| *n)
            .sum::<i64>()
    };
    let by_status: BTreeMap<String, i64> = counts.finals.iter().cloned().collect();
    let dialed = counts
        .results
        .iter()
        .filter(|(result, _)| result != "not_dialed")
        .map(|(_, n)| *n)
        .sum();
    let remaining = counts.queued + counts.dialing;
    let calls_per_minute = dial_rate(counts.recent_dials, counts.first_recent_dial_ms, now_ms);
    let eta_ms = eta(remaining, calls_per_minute, counts.last_due_ms, now_ms);
    Ok(Progress {
        contacts: counts.jobs,
        dialed,
        answered: result("completed"),
        completed: by_status.get("completed").copied().unwrap_or(0),
        opted_out: by_status.get("opted_out").copied().unwrap_or(0),
        remaining: if remaining > 0 || counts.jobs > 0 {
            remaining
        } else {
            0
        },
        in_progress: result("in_progress"),
        by_status,
        calls_per_minute,
        eta_ms,
    })
}

/// The window the dial rate is measured over, in minutes.
const RATE_MINUTES: f64 = 10.0;

/// Dials a minute over the last ten minutes, or over the time since the first of them when
/// the campaign began dialing more recently (at least a minute): five dials in the first
/// minute are five a minute, not half a dial.
fn dial_rate(recent_dials: i64, first_recent_ms: Option<i64>, now_ms: i64) -> f64 {
    let Some(first) = first_recent_ms else {
        return 0.0;
    };
    let minutes = ((now_ms - first) as f64 / 60_000.0).clamp(1.0, RATE_MINUTES);
    recent_dials as f64 / minutes
}

/// When the remaining contacts should be done: at the current rate, and never before the
/// latest retry waiting for its delay is due.
fn eta(remaining: i64, per_minute: f64, last_due_ms: Option<i64>, now_ms: i64) -> Option<i64> {
    if remaining <= 0 || per_minute <= 0.0 {
        return None;
    }
    let at_rate = now_ms + (remaining as f64 / per_minute * 60_000.0) as i64;
    Some(last_due_ms.map_or(at_rate, |due| at_rate.max(due)))
}

fn view(job: JobRow, attempts: Vec<AttemptRow>) -> ContactResult {
    ContactResult {
        contact_id: job.contact_id,
        phone: job.phone,
        name: job.name,
        occurrence: job.occurrence,
        state: job.state,
        final_status: job.final_status,
        note: job.note,
        outcome: job.outcome,
        results: values(&job.results),
        attempts: attempts
            .into_iter()
            .map(|attempt| AttemptView {
                attempt: attempt.attempt,
                call_id: attempt.call_id,
                started_at: attempt.started_at,
                result: attempt.result,
                consent_source: attempt.consent_source,
                consent_at: attempt.consent_at,
            })
            .collect(),
        updated_at: job.updated_at,
    }
}

/// A job's results as variable → value (they are stored with their kind).
fn values(results: &Map<String, Value>) -> Map<String, Value> {
    results
        .iter()
        .map(|(var, stored)| {
            let value = stored.get("value").cloned().unwrap_or(Value::Null);
            (var.clone(), value)
        })
        .collect()
}

pub async fn contacts(
    store: &Store,
    tenant_id: &str,
    campaign_id: &str,
    status: Option<&str>,
    offset: u32,
    limit: u32,
) -> Result<ContactResultPage, StoreError> {
    let (jobs, total) = store
        .campaign_jobs(tenant_id, campaign_id, status, offset, limit.clamp(1, 500))
        .await?;
    let mut contacts = Vec::with_capacity(jobs.len());
    for job in jobs {
        let attempts = store.job_attempts(&job.id).await?;
        contacts.push(view(job, attempts));
    }
    let declared = declared(store, tenant_id, campaign_id).await?;
    let vars = contacts
        .iter()
        .flat_map(|contact| contact.results.keys().cloned());
    Ok(ContactResultPage {
        columns: columns(&declared, vars),
        contacts,
        total,
    })
}

pub async fn report(
    store: &Store,
    tenant_id: &str,
    campaign_id: &str,
) -> Result<Report, StoreError> {
    let jobs = store.all_campaign_jobs(tenant_id, campaign_id).await?;
    let declared = declared(store, tenant_id, campaign_id).await?;
    Ok(report_of(&jobs, &declared))
}

/// The report over jobs' stored results, each result named and in the order the flow marks
/// them.
fn report_of(jobs: &[JobRow], declared: &DeclaredResults) -> Report {
    // (var, kind) → value → count; texts also by their grouping key.
    let mut counted: BTreeMap<(String, String), BTreeMap<String, i64>> = BTreeMap::new();
    let mut texts: BTreeMap<String, BTreeMap<String, (String, i64)>> = BTreeMap::new();
    for job in jobs {
        for (var, stored) in &job.results {
            let kind_name = stored.get("kind").and_then(Value::as_str).unwrap_or("text");
            let Some(kind) = ResultKind::parse(kind_name) else {
                continue;
            };
            let value = stored.get("value").unwrap_or(&Value::Null);
            let key = (var.clone(), kind_name.to_owned());
            if kind == ResultKind::Text {
                let Some(text) = value.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
                    continue;
                };
                *counted
                    .entry(key)
                    .or_default()
                    .entry(String::new())
                    .or_default() += 1;
                let group = texts
                    .entry(var.clone())
                    .or_default()
                    .entry(grouping_key(text))
                    .or_insert_with(|| (text.to_owned(), 0));
                group.1 += 1;
            } else if let Some(value) = result_value(kind, value) {
                *counted.entry(key).or_default().entry(value).or_default() += 1;
            }
        }
    }
    let mut results: Vec<VariableReport> = counted
        .into_iter()
        .map(|((var, kind), values)| {
            let groups = reason_groups(texts.remove(&var).unwrap_or_default().into_values());
            let label = declared.label(&var);
            let mut summary = summary(var, kind, values.into_iter().collect());
            summary.label = Some(label);
            VariableReport { summary, groups }
        })
        .collect();
    let order = declared.order(results.iter().map(|result| result.summary.var.clone()));
    // Stable: a variable counted under two kinds keeps them in the kinds' order.
    results.sort_by_key(|result| order.iter().position(|var| *var == result.summary.var));
    Report { results }
}

/// The most wordings grouped by meaning; past them, answers each said so seldom that they
/// could not change the groups shown, and grouping stays quick on a big campaign's report.
const MAX_WORDINGS: usize = 5_000;
/// Groups a report shows.
const MAX_GROUPS: usize = 50;

/// Reasons grouped by meaning (`nlu::grouping`, which also groups what callers said that a
/// flow did not understand): 物流很快 and 快递送得很快 are one reason, given twice. Wordings
/// come most given first, so that the most given leads its group.
fn reason_groups(wordings: impl Iterator<Item = (String, i64)>) -> Vec<ReasonGroup> {
    let mut wordings: Vec<(String, i64)> = wordings.collect();
    wordings.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    wordings.truncate(MAX_WORDINGS);
    let texts: Vec<&str> = wordings.iter().map(|(text, _)| text.as_str()).collect();
    let grouped = flow_engine::nlu::grouping::group(&texts);
    let mut groups: Vec<ReasonGroup> = Vec::new();
    for (index, (text, count)) in grouped.into_iter().zip(wordings) {
        if index == groups.len() {
            groups.push(ReasonGroup {
                text: text.clone(),
                count: 0,
                wordings: Vec::new(),
            });
        }
        let Some(group) = groups.get_mut(index) else {
            continue;
        };
        group.count += count;
        group.wordings.push(ReasonWording { text, count });
    }
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
    groups.truncate(MAX_GROUPS);
    groups
}

/// Answers that differ only in case, spaces and punctuation are one wording.
fn grouping_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every contact's result as a file, headed in `language`.
pub async fn export(
    store: &Store,
    tenant_id: &str,
    campaign_id: &str,
    format: Format,
    language: Language,
) -> Result<Vec<u8>, StoreError> {
    let jobs = store.all_campaign_jobs(tenant_id, campaign_id).await?;
    let declared = declared(store, tenant_id, campaign_id).await?;
    let variables = columns(
        &declared,
        jobs.iter().flat_map(|job| job.results.keys().cloned()),
    );
    let words = |zh: &'static str, en: &'static str| language.pick(zh, en);
    let mut header = vec![
        words("电话", "Phone"),
        words("姓名", "Name"),
        words("日期", "Date"),
        words("状态", "Status"),
        words("拨打次数", "Attempts"),
        words("通话结果", "Outcome"),
        words("同意来源", "Consent source"),
        words("同意时间", "Consent time"),
    ];
    header.extend(variables.iter().map(|column| column.label.as_str()));
    let mut rows = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let attempts = store.job_attempts(&job.id).await?;
        let dialed = attempts
            .iter()
            .filter(|attempt| attempt.result.as_deref() != Some("not_dialed"))
            .count();
        let consent = attempts.last();
        let mut row = vec![
            job.phone.clone(),
            job.name.clone(),
            job.occurrence.clone(),
            status_label(
                job.final_status.as_deref().unwrap_or(job.state.as_str()),
                language,
            )
            .to_owned(),
            dialed.to_string(),
            job.outcome
                .as_deref()
                .map(|outcome| outcome_label(outcome, language).to_owned())
                .unwrap_or_default(),
            consent
                .map(|attempt| attempt.consent_source.clone())
                .unwrap_or_default(),
            consent
                .and_then(|attempt| attempt.consent_at)
                .and_then(chrono::DateTime::from_timestamp_millis)
                .map(|at| at.to_rfc3339())
                .unwrap_or_default(),
        ];
        let stored = values(&job.results);
        row.extend(
            variables
                .iter()
                .map(|column| match stored.get(&column.var) {
                    Some(Value::String(text)) => text.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                }),
        );
        rows.push(row);
    }
    let widths = [16.0, 14.0, 12.0, 14.0, 10.0, 12.0, 16.0, 24.0];
    sheet::table(format, &header, &widths, &rows)
        .map_err(|error| StoreError::corrupt("campaign_jobs", "results", error))
}

/// A contact's status in words.
pub fn status_label(status: &str, language: Language) -> &'static str {
    let (zh, en) = match status {
        "queued" => ("等待拨打", "Waiting"),
        "dialing" => ("通话中", "On a call"),
        "completed" => ("已完成", "Completed"),
        "busy" => ("忙线", "Busy"),
        "no_answer" => ("无人接听", "No answer"),
        "failed" => ("失败", "Failed"),
        "voicemail" => ("语音信箱", "Voicemail"),
        "opted_out" => ("要求不再来电", "Asked not to be called"),
        "do_not_call" => ("在免打扰名单上", "On the do-not-call list"),
        "schedule_ended" => ("活动时间已过", "Schedule ended"),
        "not_reached" => ("未拨打", "Not reached"),
        "stopped" => ("活动已停止", "Campaign stopped"),
        "removed" => ("联系人已删除", "Contact removed"),
        "interrupted" => ("拨打中断", "Interrupted"),
        _ => ("其他", "Other"),
    };
    language.pick(zh, en)
}

fn outcome_label(outcome: &str, language: Language) -> &'static str {
    let (zh, en) = match outcome {
        "resolved" => ("已解决", "Resolved"),
        "handoff" => ("转人工", "Handed off"),
        "abandoned" => ("放弃", "Abandoned"),
        "failed" => ("失败", "Failed"),
        "unreached" => ("未接通", "Unreached"),
        _ => ("其他", "Other"),
    };
    language.pick(zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(results: Value) -> JobRow {
        JobRow {
            id: "cjb_1".into(),
            campaign_id: "cmp_1".into(),
            contact_id: "ctc_1".into(),
            phone: "+8613800138000".into(),
            name: String::new(),
            occurrence: String::new(),
            state: "done".into(),
            due_at: 0,
            attempts: 1,
            final_status: Some("completed".into()),
            outcome: Some("resolved".into()),
            results: results.as_object().cloned().unwrap_or_default(),
            note: String::new(),
            lease_until: None,
            updated_at: 0,
        }
    }

    #[test]
    fn the_dial_rate_is_over_the_time_since_dialing_began_within_ten_minutes() {
        let now = 100 * 60_000;
        // Five dials in the first twenty seconds: five a minute (a minute at least).
        assert_eq!(dial_rate(5, Some(now - 20_000), now), 5.0);
        // Twenty dials over the last four minutes: five a minute.
        assert_eq!(dial_rate(20, Some(now - 4 * 60_000), now), 5.0);
        // Over the whole window, the window.
        assert_eq!(dial_rate(30, Some(now - 10 * 60_000), now), 3.0);
        assert_eq!(dial_rate(0, None, now), 0.0);
    }

    #[test]
    fn the_eta_waits_for_the_last_retry() {
        let now = 1_000_000;
        // Two left at two a minute: a minute from now.
        assert_eq!(eta(2, 2.0, None, now), Some(now + 60_000));
        // A retry due in two hours: not before it.
        assert_eq!(
            eta(2, 2.0, Some(now + 7_200_000), now),
            Some(now + 7_200_000)
        );
        // A retry due already: the rate decides.
        assert_eq!(eta(2, 2.0, Some(now - 1), now), Some(now + 60_000));
        assert_eq!(eta(0, 2.0, None, now), None);
        assert_eq!(eta(3, 0.0, Some(now), now), None);
    }

    #[test]
    fn the_report_counts_scores_with_their_nps_and_groups_reasons() {
        let score = |n: i64, why: &str| {
            job(json!({ "score": { "kind": "score", "value": n },
                        "reason": { "kind": "text", "value": why } }))
        };
        let jobs = vec![
            score(10, "物流很快"),
            score(9, "物流很快！"),
            score(6, "客服态度差"),
            score(10, " 物流 很快 "),
            score(9, "快递送得很快"),
            score(3, "包装破损了"),
            score(2, "包装破了"),
        ];
        // The flow names its score; the reason it leaves unnamed.
        let declared = DeclaredResults::of(&json!({ "settings": { "results": [
            { "var": "score", "label": "满意度评分", "kind": "score" },
            { "var": "reason", "kind": "text" }
        ] } }));
        let report = report_of(&jobs, &declared);
        let shown: Vec<(&str, Option<&str>)> = report
            .results
            .iter()
            .map(|result| (result.summary.var.as_str(), result.summary.label.as_deref()))
            .collect();
        assert_eq!(
            shown,
            [("score", Some("满意度评分")), ("reason", Some("reason"))],
            "named, in the order the flow marks them"
        );
        let score = report
            .results
            .iter()
            .find(|result| result.summary.var == "score")
            .expect("score");
        assert_eq!(score.summary.count, 7);
        // 4 promoters, 3 detractors of 7.
        assert_eq!(score.summary.nps, Some(100.0 / 7.0));
        let reason = report
            .results
            .iter()
            .find(|result| result.summary.var == "reason")
            .expect("reason");
        assert_eq!(reason.summary.count, 7);
        let groups: Vec<(&str, i64, Vec<&str>)> = reason
            .groups
            .iter()
            .map(|group| {
                let wordings = group.wordings.iter().map(|w| w.text.as_str()).collect();
                (group.text.as_str(), group.count, wordings)
            })
            .collect();
        assert_eq!(
            groups,
            vec![
                ("物流很快", 4, vec!["物流很快", "快递送得很快"]),
                ("包装破了", 2, vec!["包装破了", "包装破损了"]),
                ("客服态度差", 1, vec!["客服态度差"]),
            ]
        );
    }

    #[test]
    fn every_status_has_words_in_both_languages() {
        for status in [
            "queued",
            "dialing",
            "completed",
            "busy",
            "no_answer",
            "failed",
            "voicemail",
            "opted_out",
            "do_not_call",
            "schedule_ended",
            "not_reached",
            "stopped",
            "removed",
            "interrupted",
        ] {
            assert_ne!(status_label(status, Language::Chinese), "其他", "{status}");
            assert_ne!(status_label(status, Language::English), "Other", "{status}");
        }
    }
}
