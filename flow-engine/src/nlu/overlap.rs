//! Intents whose examples are too alike to tell apart: a classifier cannot learn a difference
//! its examples do not show, so validation names such pairs.

use super::features::{similarity, Utterance};
use super::index::IntentSpec;

/// Pairs scoring at least this are reported. An example repeated in both intents scores 1;
/// 我要退款 / 我要退货-style pairs, which differ in their key word, stay well below.
pub const CONFUSABLE: f32 = 0.8;

/// Pairs of intents (indexes, first < second) whose examples overlap, with their overlap from
/// 0 to 1: for each example, its best similarity to the other intent's examples, averaged over
/// both intents' examples. Keywords are not compared; a shared keyword is caught by its own
/// rule elsewhere.
pub fn confusable_pairs(intents: &[IntentSpec<'_>]) -> Vec<(usize, usize, f32)> {
    let analysed: Vec<Vec<Utterance>> = intents
        .iter()
        .map(|i| {
            i.examples
                .iter()
                .map(|e| Utterance::new(e))
                .filter(|u| !u.is_empty())
                .collect()
        })
        .collect();
    let mut pairs = Vec::new();
    for a in 0..analysed.len() {
        for b in a + 1..analysed.len() {
            let (ea, eb) = (&analysed[a], &analysed[b]);
            if ea.is_empty() || eb.is_empty() {
                continue;
            }
            let closest = |from: &[Utterance], to: &[Utterance]| -> f32 {
                from.iter()
                    .map(|x| to.iter().map(|y| similarity(x, y)).fold(0.0, f32::max))
                    .sum::<f32>()
            };
            let overlap = (closest(ea, eb) + closest(eb, ea)) / (ea.len() + eb.len()) as f32;
            if overlap >= CONFUSABLE {
                pairs.push((a, b, overlap));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_intents_with_the_same_examples() {
        let refund = strings(&["我要退款", "申请退款", "退款怎么弄"]);
        let refund_again = strings(&["我要退款", "申请退款", "退款怎么弄啊"]);
        let goods = strings(&["我要退货", "申请退货", "东西怎么退回去"]);
        let track = strings(&["查物流", "我的快递到哪了"]);
        let spec = |e| IntentSpec {
            examples: e,
            keywords: &[],
        };
        let pairs = confusable_pairs(&[
            spec(&refund),
            spec(&goods),
            spec(&track),
            spec(&refund_again),
        ]);
        assert_eq!(
            pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
            [(0, 3)]
        );
        assert!(pairs[0].2 >= CONFUSABLE && pairs[0].2 <= 1.0);
    }
}
