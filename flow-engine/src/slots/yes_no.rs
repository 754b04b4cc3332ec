//! Yes or no answers.

use super::{fold, segments, Phrases, Segment};

/// Yes or no: 是/对/好的/可以/嗯 … → true; 不是/不用/不要/不对 … → false.
///
/// Negation wins: when the text holds any negative word, the answer is no, so "是的，不用了"
/// and "no, that's not right" are false even though they hold a positive word. The longest
/// word is matched first, so 不是 is a negative rather than 不 + 是, a few negated phrases are
/// positive (没问题, 没错, 不错, "no problem"), and words that merely contain an answer
/// character are neutral (你好, 银行, 但是, 特别, 不好意思, "yesterday"). Doubt (不知道, 不确定,
/// "not sure", "maybe") outweighs a yes ("嗯……不清楚" is `None`) but not a no. A keypad answer
/// "1" means yes and "2" means no, the usual IVR convention. `None` when unclear.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    let chars = fold(text);
    let trimmed: String = chars.iter().filter(|c| !c.is_whitespace()).collect();
    match trimmed.as_str() {
        "1" => return Some(true),
        "2" => return Some(false),
        _ => {}
    }
    // A question mark means the caller is asking, not answering.
    let asks = chars.iter().any(|c| matches!(c, '?' | '？'));
    let (mut yes, mut no, mut unsure) = (false, false, asks);
    let mut note = |answer: Answer| match answer {
        Answer::Yes => yes = true,
        Answer::No => no = true,
        Answer::Unsure => unsure = true,
        Answer::Neutral => {}
    };
    for segment in segments(&chars) {
        match segment {
            Segment::Cjk(run) => {
                let mut i = 0;
                while i < run.len() {
                    match CN_YES_NO.longest(&run[i..]) {
                        Some((len, polarity)) => {
                            note(polarity);
                            i += len;
                        }
                        None => i += 1,
                    }
                }
            }
            Segment::Words(words) => {
                let mut i = 0;
                while i < words.len() {
                    match EN_YES_NO.longest_words(&words[i..]) {
                        Some((len, polarity)) => {
                            note(polarity);
                            i += len;
                        }
                        None => i += 1,
                    }
                }
            }
        }
    }
    if no {
        Some(false)
    } else if yes && !unsure {
        Some(true)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    /// Doubt outweighs a yes ("嗯……不清楚") but not a no.
    Unsure,
    /// Words that only look like answers (你好, 银行).
    Neutral,
}

/// Chinese answer words.
static CN_YES_NO: Phrases<Answer> = Phrases::new(&[
    ("是", Answer::Yes),
    ("对", Answer::Yes),
    ("好", Answer::Yes),
    ("行", Answer::Yes),
    ("嗯", Answer::Yes),
    ("恩", Answer::Yes),
    ("要", Answer::Yes),
    ("可以", Answer::Yes),
    ("需要", Answer::Yes),
    ("想要", Answer::Yes),
    ("没问题", Answer::Yes),
    ("没有问题", Answer::Yes),
    ("当然", Answer::Yes),
    ("确定", Answer::Yes),
    ("确认", Answer::Yes),
    ("没错", Answer::Yes),
    ("正确", Answer::Yes),
    ("同意", Answer::Yes),
    ("愿意", Answer::Yes),
    ("肯定", Answer::Yes),
    ("不错", Answer::Yes),
    ("继续", Answer::Yes),
    ("不", Answer::No),
    ("没", Answer::No),
    ("否", Answer::No),
    ("别", Answer::No),
    ("甭", Answer::No),
    ("算了", Answer::No),
    ("拒绝", Answer::No),
    ("取消", Answer::No),
    ("错了", Answer::No),
    ("没有", Answer::No),
    ("没必要", Answer::No),
    // Neutral look-alikes.
    ("你好", Answer::Neutral),
    ("您好", Answer::Neutral),
    ("好像", Answer::Neutral),
    ("好多", Answer::Neutral),
    ("好几", Answer::Neutral),
    ("好久", Answer::Neutral),
    ("最好", Answer::Neutral),
    ("银行", Answer::Neutral),
    ("行李", Answer::Neutral),
    ("进行", Answer::Neutral),
    ("执行", Answer::Neutral),
    ("旅行", Answer::Neutral),
    ("行程", Answer::Neutral),
    ("对不起", Answer::Neutral),
    ("对方", Answer::Neutral),
    ("对面", Answer::Neutral),
    ("对于", Answer::Neutral),
    ("核对", Answer::Neutral),
    ("重要", Answer::Neutral),
    ("主要", Answer::Neutral),
    ("要求", Answer::Neutral),
    ("只要", Answer::Neutral),
    ("要是", Answer::Neutral),
    ("要不", Answer::Neutral),
    ("要不要", Answer::Neutral),
    ("是否", Answer::Neutral),
    ("是不是", Answer::Neutral),
    ("但是", Answer::Neutral),
    ("还是", Answer::Neutral),
    ("可是", Answer::Neutral),
    ("只是", Answer::Neutral),
    ("于是", Answer::Neutral),
    ("总是", Answer::Neutral),
    ("否则", Answer::Neutral),
    ("别的", Answer::Neutral),
    ("别人", Answer::Neutral),
    ("特别", Answer::Neutral),
    ("区别", Answer::Neutral),
    ("分别", Answer::Neutral),
    ("识别", Answer::Neutral),
    ("级别", Answer::Neutral),
    ("类别", Answer::Neutral),
    ("差别", Answer::Neutral),
    ("性别", Answer::Neutral),
    ("不好意思", Answer::Neutral),
    ("不知道", Answer::Unsure),
    ("不清楚", Answer::Unsure),
    ("不确定", Answer::Unsure),
    ("不一定", Answer::Unsure),
    ("不客气", Answer::Neutral),
    ("不过", Answer::Neutral),
    ("不管", Answer::Neutral),
    ("不仅", Answer::Neutral),
    ("不同", Answer::Neutral),
    ("不少", Answer::Neutral),
    ("差不多", Answer::Neutral),
    ("好不好", Answer::Neutral),
    ("行不行", Answer::Neutral),
    ("对不对", Answer::Neutral),
    ("可不可以", Answer::Neutral),
    ("要不然", Answer::Neutral),
    ("没关系", Answer::Neutral),
    // "你是谁", "这是哪里": 是 as a verb, not an answer.
    ("你是", Answer::Neutral),
    ("您是", Answer::Neutral),
    ("我是", Answer::Neutral),
    ("这是", Answer::Neutral),
    ("那是", Answer::Neutral),
    ("他是", Answer::Neutral),
    ("她是", Answer::Neutral),
    ("就是", Answer::Neutral),
    // A caller who asks back has not answered yet.
    ("谁", Answer::Unsure),
    ("什么", Answer::Unsure),
    ("哪", Answer::Unsure),
    ("为什么", Answer::Unsure),
    ("为啥", Answer::Unsure),
    ("怎么", Answer::Unsure),
    ("多少", Answer::Unsure),
    ("吗", Answer::Unsure),
]);

/// English answer words, apostrophes removed.
static EN_YES_NO: Phrases<Answer> = Phrases::new(&[
    ("yes", Answer::Yes),
    ("yeah", Answer::Yes),
    ("yea", Answer::Yes),
    ("yep", Answer::Yes),
    ("yup", Answer::Yes),
    ("ya", Answer::Yes),
    ("sure", Answer::Yes),
    ("ok", Answer::Yes),
    ("okay", Answer::Yes),
    ("okey", Answer::Yes),
    ("alright", Answer::Yes),
    ("correct", Answer::Yes),
    ("right", Answer::Yes),
    ("absolutely", Answer::Yes),
    ("definitely", Answer::Yes),
    ("certainly", Answer::Yes),
    ("affirmative", Answer::Yes),
    ("indeed", Answer::Yes),
    ("fine", Answer::Yes),
    ("please", Answer::Yes),
    ("please do", Answer::Yes),
    ("of course", Answer::Yes),
    ("go ahead", Answer::Yes),
    ("sounds good", Answer::Yes),
    ("i do", Answer::Yes),
    ("no problem", Answer::Yes),
    ("not a problem", Answer::Yes),
    ("no worries", Answer::Yes),
    ("not bad", Answer::Yes),
    ("why not", Answer::Yes),
    ("no", Answer::No),
    ("nope", Answer::No),
    ("nah", Answer::No),
    ("not", Answer::No),
    ("never", Answer::No),
    ("negative", Answer::No),
    ("incorrect", Answer::No),
    ("wrong", Answer::No),
    ("cancel", Answer::No),
    ("dont", Answer::No),
    ("doesnt", Answer::No),
    ("didnt", Answer::No),
    ("isnt", Answer::No),
    ("arent", Answer::No),
    ("wasnt", Answer::No),
    ("wont", Answer::No),
    ("cant", Answer::No),
    ("cannot", Answer::No),
    ("no thanks", Answer::No),
    ("no thank you", Answer::No),
    ("never mind", Answer::No),
    ("nevermind", Answer::No),
    // Unsure, or not an answer.
    ("not sure", Answer::Unsure),
    ("im not sure", Answer::Unsure),
    ("no idea", Answer::Unsure),
    ("dont know", Answer::Unsure),
    ("i dont know", Answer::Unsure),
    ("dunno", Answer::Unsure),
    ("maybe", Answer::Unsure),
    ("perhaps", Answer::Unsure),
    ("right now", Answer::Neutral),
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_chinese() {
        for text in [
            "是",
            "是的",
            "对",
            "对的",
            "好",
            "好的",
            "可以",
            "行",
            "嗯",
            "嗯嗯",
            "要",
            "需要",
            "没问题",
            "当然",
            "确定",
            "没错",
            "好的，谢谢",
            "你好，是的",
            "是的，但是要快点",
            "没有问题",
            "对对对",
            "行吧",
        ] {
            assert_eq!(parse_yes_no(text), Some(true), "{text}");
        }
        for text in [
            "不是",
            "不对",
            "不用",
            "不要",
            "不需要",
            "不行",
            "没有",
            "否",
            "算了",
            "别",
            "不用了谢谢",
            "不用了，谢谢",
            "是的，不用了",
            "好的不要了",
            "不",
            "不太需要",
            "别了",
            "当然不",
            "不可以",
        ] {
            assert_eq!(parse_yes_no(text), Some(false), "{text}");
        }
        for text in [
            "",
            "你好",
            "不知道",
            "我不确定",
            "银行卡",
            "不好意思",
            "嗯……不清楚",
            "转人工",
            "是不是",
            "你是谁啊",
            "这是哪里",
            "你是哪个公司的",
            "是什么优惠券",
            "你是机器人吗",
            "是吗",
            "可以吗？",
            "我是张伟",
        ] {
            assert_eq!(parse_yes_no(text), None, "{text}");
        }
    }

    #[test]
    fn yes_no_english() {
        for text in [
            "yes",
            "Yeah",
            "yep",
            "sure",
            "OK",
            "okay",
            "correct",
            "right",
            "please do",
            "Yes, please.",
            "of course",
            "no problem",
            "that's right",
            "ＹＥＳ",
        ] {
            assert_eq!(parse_yes_no(text), Some(true), "{text}");
        }
        for text in [
            "no",
            "nope",
            "not",
            "don't",
            "no thanks",
            "never",
            "no, that's not right",
            "No thank you.",
            "I don't want it",
            "that is not correct",
            "yes no",
        ] {
            assert_eq!(parse_yes_no(text), Some(false), "{text}");
        }
        for text in [
            "",
            "hello",
            "I don't know",
            "not sure",
            "maybe",
            "yesterday",
            "know",
        ] {
            assert_eq!(parse_yes_no(text), None, "{text}");
        }
    }

    #[test]
    fn yes_no_keys() {
        assert_eq!(parse_yes_no("1"), Some(true));
        assert_eq!(parse_yes_no(" 2 "), Some(false));
        assert_eq!(parse_yes_no("１"), Some(true));
        assert_eq!(parse_yes_no("3"), None);
        assert_eq!(parse_yes_no("12"), None);
    }
}
