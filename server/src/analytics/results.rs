//! The results of calls: the variables flows mark as results (survey scores, choices, free
//! answers), read from the sums the roll-up keeps — how many calls gave one, how often each
//! value, the mean of numbers and the Net Promoter Score of scores.

use std::collections::BTreeMap;

use flow_engine::model::ResultKind;
use serde::Serialize;
use utoipa::ToSchema;

use super::tally::OTHER_RESULT_VALUE;
use crate::store::{AnalyticsFilter, Part, Store, StoreError, Table};

/// How often one value was given.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ValueCount {
    /// The number (`9`, `7.5`) or the answer (`满意`).
    pub value: String,
    /// Calls that ended with it.
    pub count: i64,
}

/// One result variable over the calls a filter selects.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ResultSummary {
    /// The variable's name.
    pub var: String,
    /// What the flow calls the result: its label, else the variable's name. Over calls of
    /// several versions, the newest that marks the variable names it.
    pub label: Option<String>,
    /// `score`, `number`, `choice` or `text`.
    pub kind: String,
    /// Calls that ended with a value.
    pub count: i64,
    /// How often each value was given: numbers from the smallest, answers the most given
    /// first. Empty for text results, which are only counted.
    pub distribution: Vec<ValueCount>,
    /// Calls whose value is not in `distribution`: text results, and values beyond the limit
    /// of distinct values kept per variable (5,000).
    pub other: i64,
    /// The mean of the values in `distribution`, for scores and numbers.
    pub mean: Option<f64>,
    /// For scores: the Net Promoter Score, from -100 to 100 — the percentage of promoters (9
    /// or 10) minus that of detractors (0 to 6), of the scores from 0 to 10.
    pub nps: Option<f64>,
}

/// The results of the calls `filter` selects, by variable name (and kind, should a flow have
/// changed it).
pub async fn results(
    store: &Store,
    filter: &AnalyticsFilter,
) -> Result<Vec<ResultSummary>, StoreError> {
    let sums = store
        .analytics_sums(Table::Results, filter, &["var", "kind", "value"])
        .await?;
    let mut by_var: BTreeMap<(String, String), Vec<(String, i64)>> = BTreeMap::new();
    for (key, counts) in sums {
        let [Part::Text(var), Part::Text(kind), Part::Text(value)] = key.as_slice() else {
            continue;
        };
        let count = counts.sums.first().copied().unwrap_or(0);
        if count > 0 {
            by_var
                .entry((var.to_string(), kind.to_string()))
                .or_default()
                .push((value.to_string(), count));
        }
    }
    Ok(by_var
        .into_iter()
        .map(|((var, kind), values)| summary(var, kind, values))
        .collect())
}

/// One variable's figures from its values and their counts.
pub(crate) fn summary(var: String, kind: String, values: Vec<(String, i64)>) -> ResultSummary {
    let parsed = ResultKind::parse(&kind);
    let numeric = parsed.is_some_and(ResultKind::is_numeric);
    let mut other = 0;
    let mut distribution = Vec::new();
    let mut numbers: Vec<(f64, i64)> = Vec::new();
    for (value, count) in values {
        if value == OTHER_RESULT_VALUE || parsed == Some(ResultKind::Text) {
            other += count;
            continue;
        }
        if numeric {
            match value.parse::<f64>() {
                Ok(number) => numbers.push((number, count)),
                Err(_) => other += count,
            }
        } else {
            distribution.push(ValueCount { value, count });
        }
    }
    let (mut mean, mut nps) = (None, None);
    if numeric {
        numbers.sort_by(|a, b| a.0.total_cmp(&b.0));
        let counted: i64 = numbers.iter().map(|(_, n)| n).sum();
        if counted > 0 {
            let total: f64 = numbers.iter().map(|(v, n)| v * *n as f64).sum();
            mean = Some(total / counted as f64);
        }
        if parsed == Some(ResultKind::Score) {
            nps = net_promoter_score(&numbers);
        }
        distribution = numbers
            .iter()
            .map(|(value, count)| ValueCount {
                value: super::tally::result_value(ResultKind::Number, &(*value).into())
                    .unwrap_or_default(),
                count: *count,
            })
            .collect();
    } else {
        distribution.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
    }
    let count = other + distribution.iter().map(|v| v.count).sum::<i64>();
    ResultSummary {
        var,
        label: None,
        kind,
        count,
        distribution,
        other,
        mean,
        nps,
    }
}

/// Promoters (9–10) minus detractors (0–6), in percent of the scores from 0 to 10; `None`
/// when there are none.
pub fn net_promoter_score(scores: &[(f64, i64)]) -> Option<f64> {
    let (mut promoters, mut detractors, mut all) = (0, 0, 0);
    for &(score, n) in scores {
        if !(0.0..=10.0).contains(&score) {
            continue;
        }
        all += n;
        if score >= 9.0 {
            promoters += n;
        } else if score <= 6.0 {
            detractors += n;
        }
    }
    (all > 0).then(|| (promoters - detractors) as f64 * 100.0 / all as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_have_a_mean_and_a_net_promoter_score() {
        let values = vec![
            ("10".to_owned(), 3),
            ("9".to_owned(), 1),
            ("7".to_owned(), 2),
            ("3".to_owned(), 2),
            ("".to_owned(), 5),
        ];
        let s = summary("score".into(), "score".into(), values);
        assert_eq!(s.count, 13);
        assert_eq!(s.other, 5);
        let order: Vec<&str> = s.distribution.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(order, ["3", "7", "9", "10"], "numbers from the smallest");
        let mean = s.mean.expect("a mean");
        assert!((mean - (30.0 + 9.0 + 14.0 + 6.0) / 8.0).abs() < 1e-9);
        // 4 promoters, 2 detractors of 8.
        assert_eq!(s.nps, Some(25.0));
    }

    #[test]
    fn choices_are_most_given_first_and_texts_only_counted() {
        let s = summary(
            "plan".into(),
            "choice".into(),
            vec![("a".to_owned(), 1), ("b".to_owned(), 4)],
        );
        assert_eq!(s.distribution[0].value, "b");
        assert_eq!((s.mean, s.nps, s.count), (None, None, 5));
        let t = summary("note".into(), "text".into(), vec![("".to_owned(), 6)]);
        assert!(t.distribution.is_empty());
        assert_eq!((t.count, t.other), (6, 6));
        assert_eq!(net_promoter_score(&[(11.0, 2)]), None);
    }
}
