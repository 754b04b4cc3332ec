//! Generic sentences that belong to no intent: the "background" class every index trains
//! beside the flow's intents, so that a node with one or two intents can still say "none of
//! these" — a softmax over two classes alone would call anything one of them.
//!
//! Written for this purpose: chit-chat, other businesses and everyday statements, in Chinese
//! and English. Nothing a flow commonly uses as an intent (yes, no, thanks, goodbye, asking
//! for a person) is here, and it is separate from the out-of-scope sentences of the
//! evaluation data (`tests/data/nlu/`), which measure how well this works.

use std::sync::OnceLock;

use super::features::Utterance;

/// [`SENTENCES`] analysed, once per process: every index trains on them, and analysing them
/// anew for each listening node of each flow compiled would repeat the same work.
pub(super) fn utterances() -> &'static [Utterance] {
    static UTTERANCES: OnceLock<Vec<Utterance>> = OnceLock::new();
    UTTERANCES.get_or_init(|| SENTENCES.iter().map(|s| Utterance::new(s)).collect())
}

pub(crate) const SENTENCES: &[&str] = &[
    "今天天气怎么样",
    "明天会下雨吗",
    "外面好冷啊",
    "你吃饭了没有",
    "晚上吃什么好呢",
    "给我讲个笑话吧",
    "你会唱歌吗",
    "你是机器人吗",
    "你叫什么名字",
    "你多大了",
    "最近有什么好看的电影",
    "昨天的球赛谁赢了",
    "我想学开车",
    "附近有没有好吃的餐厅",
    "帮我订一张去上海的火车票",
    "我想预约挂号看医生",
    "信用卡账单怎么还",
    "银行卡密码忘了",
    "帮我叫一辆出租车",
    "我想订个酒店房间",
    "话费还剩多少",
    "宽带网速太慢了",
    "小孩子上学的事情",
    "我家猫不吃东西了",
    "股票今天涨了没有",
    "现在几点了",
    "今天星期几",
    "我在开车不方便",
    "我刚才在忙",
    "你那边声音有点小",
    "喂喂喂能听到吗",
    "等一下我找个笔",
    "我想问一下房子租金",
    "社保怎么交",
    "公积金能取出来吗",
    "考试成绩什么时候出",
    "帮我放一首歌",
    "这个周末去哪里玩",
    "我在外面有点吵",
    "随便问问",
    "今天心情不太好",
    "我要减肥",
    "手机屏幕碎了去哪修",
    "怎么做红烧肉",
    "北京到广州多远",
    "what's the weather like today",
    "is it going to rain tomorrow",
    "tell me a joke",
    "can you sing a song",
    "are you a robot",
    "what is your name",
    "who won the game last night",
    "recommend a good movie",
    "book me a flight to london",
    "i need a doctor's appointment",
    "my credit card bill is due",
    "call me a taxi",
    "reserve a table for two tonight",
    "how much data is left on my phone plan",
    "my internet connection is slow",
    "what time is it now",
    "what day is it today",
    "i'm driving right now",
    "sorry i was busy",
    "can you hear me",
    "hold on let me find a pen",
    "how do i pay my rent",
    "play some music",
    "where should i go this weekend",
    "i'm in a noisy place",
    "just asking",
    "how do i cook pasta",
    "how far is paris from berlin",
    "my cat is sick",
    "i'm learning to drive",
];
