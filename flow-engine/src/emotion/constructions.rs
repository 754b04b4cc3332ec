//! Kinds of anger that no word list catches: constructions with a slot, matched on a clause's
//! normalised text (`text::normalize`: lower case, no punctuation, "don't" → "dont").
//!
//! The lexicon knows words; a caller who is angry without an angry word says it through how
//! the sentence is built — an accusing question aimed at the shop (你们就是这么做生意的吗, "do you
//! people even read what I write"), blame put on the shop (都是你们的问题, "your mistake, not
//! mine"), a burden put back on the caller (还要我…, 又让我…, "I shouldn't have to…"), dismissing
//! the agent (不用跟我解释了, "forget it"), a threat with no escalation word in it (别怪我…, 让更多
//! 人知道, "you'll be hearing from my…", "I'm posting this online"), a deadline given as an order
//! (今天之内必须…, "you have until 5pm"), and sarcasm (行行行你们厉害, "lovely, another…"). Each
//! rule below is one such construction with its slots left open (a verb, a noun, a time), so
//! that it holds for the sentences nobody listed; each is paired, in the probe sets and the unit
//! tests, with calm sentences that share its words (你们能不能明天之前发货, "could you send it by
//! Friday please", 我不是故意的, "never mind, I found it").
//!
//! What a construction adds (see `Found`): the angry kinds add anger, some alone past `ANGRY`
//! (a threat, an accusing question), some only with another piece of evidence (blame, a burden,
//! a deadline); sarcasm is resolved like the lexicon's sarcastic praise (anger only when the
//! utterance also complains); a complaint (a service that did not happen: 没人理, 还没到账) is
//! unhappy but calm, and is what lets sarcasm and the milder kinds tell a complaint from praise.
//!
//! Matched with one `RegexSet` per language, built once per process: the regex crate's
//! automata run in time linear in the clause, so the cost stays a few microseconds.

use std::sync::OnceLock;

use regex::RegexSet;

/// What kind of anger (or calm unhappiness) a construction shows, and so how it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A question that accuses rather than asks: 有你们这样做事的吗, "are you even listening".
    Accusation,
    /// The fault put on the shop: 都是你们的问题, "this is your mistake".
    Blame,
    /// Work put back on the caller: 还让我自己去, "I shouldn't have to chase you".
    Burden,
    /// The agent dismissed: 不用跟我解释了, 说不通, "forget it", "I'm done with you".
    Dismissal,
    /// A threat without an escalation word: 别怪我, 发到网上, "you'll hear from my solicitor".
    Threat,
    /// An order with a deadline: 今天之内必须给我答复, "you have until 5pm". Not when asked
    /// politely (see `POLITE_ZH`, `POLITE_EN`).
    Demand,
    /// Irony: praise or assent that means the opposite when the caller also complains.
    Sarcasm,
    /// Assent said over and over (行行行, 好好好, 对对对): giving up on the agent when the caller
    /// also complains, a plain yes when not; unlike sarcasm it is never praise.
    Concession,
    /// What shows that praise said before it was ironic: "lovely, another automated answer",
    /// "wonderful, so the refund just vanished". With praise in the utterance it is anger and
    /// turns the praise into anger; alone it is mild exasperation.
    Irony,
    /// A service that did not happen (没人理, 还没到账, "nobody got back to me"): unhappy, calm.
    Complaint,
}

struct Rule {
    kind: Kind,
    weight: f32,
    pattern: &'static str,
}

const fn rule(kind: Kind, weight: f32, pattern: &'static str) -> Rule {
    Rule {
        kind,
        weight,
        pattern,
    }
}

use Kind::*;

/// Chinese constructions. Weights: about 0.7 and up is anger alone (past `ANGRY` with the
/// squash, 1 − e^−0.7 = 0.50); 0.4–0.6 needs one more piece of evidence. Threats that are
/// anger alone weigh 0.9, so that a mild positive word in the same breath (把这个修好, "fix
/// this") does not take them back under `ANGRY`.
const ZH: &[Rule] = &[
    // Accusing and rhetorical questions aimed at the shop.
    // 有你们这样(做事|服务|对待客户)的吗: "is there anyone who does it like you?"
    rule(Accusation, 0.8, r"有你们?这(样|么|种)"),
    // 你们就是这么做生意的吗, 你们都这样处理问题的？ — "is this how you …": a manner
    // demonstrative on the shop's doing, asked.
    rule(
        Accusation,
        0.75,
        r"你们?(就|都|一直|每次都|平时)(是)?(这么|这样)\p{Han}{1,8}(的吗|的|吗)$",
    ),
    // 你们怎么能这样, 你怎么好意思: "how can you".
    rule(Accusation, 0.75, r"你们?怎么(能|可以|好意思|敢)"),
    rule(Accusation, 0.7, r"怎么(能|可以)(这样|这么|如此)"),
    // 这样对待顾客, 这么对我: the shop's treatment of the caller, named as such.
    rule(
        Accusation,
        0.6,
        r"(这样|这么|如此)(对待?|糊弄|敷衍|欺负)(我|顾客|客户|消费者|老顾客|用户)",
    ),
    // 一个破快递你们都搞不定吗, 这点小事都办不好: "you can't even do this much".
    rule(
        Accusation,
        0.75,
        r"(这点|这么点|这么简单|一个|连)\p{Han}{0,8}都\p{Han}{0,3}(不|没)(好|定|了|到|会|明白|清楚|对)",
    ),
    rule(
        Accusation,
        0.7,
        r"都(搞|办|做|弄|处理|管|送|说)不(好|定|明白|清楚)",
    ),
    // 还开什么店, 还做什么生意, 还想不想做了: "why are you even in business".
    rule(
        Accusation,
        0.8,
        r"还(开|做|干|卖|当|叫|算)什么|还想不想(做|干|开)|还有理了|还有脸",
    ),
    // 处理什么了, 解决什么了: the shop's word thrown back as a question.
    rule(Accusation, 0.5, r"\p{Han}什么了$"),
    // 我倒要看看你们能拖到什么时候: a challenge.
    rule(
        Threat,
        0.9,
        r"倒要看看|倒想看看|看你们能\p{Han}{0,4}(到什么时候|多久)",
    ),
    // 抱歉有什么用, 催了有啥用: "what good is …" said of the shop's answers or the caller's
    // efforts (not 这个按钮有什么用, which asks).
    rule(
        Accusation,
        0.8,
        r"(说|道歉|抱歉|对不起|等|催|打电话|投诉|反映|解释|记录|登记)\p{Han}{0,3}有(什么|啥|何)用",
    ),
    // 谁还敢在你们家买: "who would still …".
    rule(Accusation, 0.8, r"谁还(敢|愿意|会|想|要|信)"),
    rule(Accusation, 0.4, r"你们?(这样|这么)(搞|做|弄|干|办事)"),
    // 你们公司没人了吗: "is there nobody at your company".
    rule(Accusation, 0.7, r"(没人了|没有人了|没人管了)(吗|是吧|啊)"),
    // 你们什么态度, 这叫什么服务: the shop's service named as unworthy of the name.
    rule(
        Accusation,
        0.8,
        r"什么态度|(这|这是|这叫|你们这)什么(服务|态度|玩意|破|公司|店|质量|售后|客服)",
    ),
    // 从来没见过这么差的: "never seen anything like it".
    rule(Accusation, 0.75, r"没见过(这么|这样|如此|你们这)"),
    // 你让我怎么办, 叫我怎么相信: the caller left with no way.
    rule(Accusation, 0.6, r"(你们?|这)(让|叫)我怎么"),
    // 专业点行不行, 上点心好不好: a reproach with a tag.
    rule(
        Accusation,
        0.6,
        r"(靠谱|专业|认真|用心|上心|负责|快|靠点谱)(一)?点(行不行|好不好|可以吗|行吗|啊)",
    ),
    rule(Accusation, 0.8, r"负点责|长点心|上点心|用点心|靠点谱"),
    // 有没有人管, 有人管吗: asking whether anyone is in charge is saying nobody is.
    rule(
        Accusation,
        0.75,
        r"(有没有|有|还有没有)人(管|理|负责|在乎|当回事)",
    ),
    // 你是不是根本没在听, 你们是不是故意的: 是不是 + an accusation, not a fact (是不是发货了).
    rule(
        Accusation,
        0.75,
        r"你们?是不是(根本|故意|压根|存心|不想|听不懂|觉得|以为|当我|把我当|有病|瞎)",
    ),
    // 你们自己不会看吗, 你就不能快点吗, 难道不会…吗: "can't you even …".
    rule(
        Accusation,
        0.7,
        r"(自己|就|难道)(不会|不能|不知道|不懂|没)\p{Han}{0,6}(吗|呢)$",
    ),
    // 系统问题就不用负责了吗: "so that means you needn't …?"
    rule(
        Accusation,
        0.65,
        r"就(不用|不必|可以不|能不|没)\p{Han}{0,6}了?吗$",
    ),
    // 什么叫系统问题: quoting the shop's excuse back at it.
    rule(Accusation, 0.35, r"^什么叫"),
    // 这就是你们说的24小时处理？ 你们所谓的售后: holding a promise against the shop.
    rule(
        Accusation,
        0.7,
        r"这就是你们?(说的|所谓的|承诺的|保证的|讲的)",
    ),
    rule(Sarcasm, 0.5, r"所谓的"),
    // 要我说几遍你们才明白, 我说了几次了: "how many times", without the number.
    rule(
        Accusation,
        0.7,
        r"(说|讲|问|打|重复|解释|强调|提醒|告诉你们?)了?(几|多少|好多)(遍|次|回)",
    ),
    rule(Accusation, 0.5, r"才(明白|懂|听得懂|听明白|能明白|肯)"),
    // 听不懂人话: an insult built on 听不懂.
    rule(
        Accusation,
        0.9,
        r"听不懂(人话|中国话|中文)|你们?(听不懂|听不明白)",
    ),
    // 你们是机器人吗, 你是复读机吗: calling the agent a machine, asked.
    // (Not 你是机器人吗: asking whether it is a robot is a plain question.)
    rule(Accusation, 0.7, r"你们?(是|就是)(复读机|木头|摆设|聋子)"),
    // 长点脑子: an insult built on 脑子.
    rule(
        Accusation,
        0.9,
        r"长点?脑子|带点?脑子|有没有脑子|脑子(进水|有问题)",
    ),
    // 耐心被你们磨光了: the caller's patience used up.
    rule(
        Accusation,
        0.9,
        r"耐心\p{Han}{0,6}(磨光|用完|耗尽|耗光|没了|到头|有限)",
    ),
    // 退就这么难, 比登天还难: a simple thing made hard, said as a wonder.
    rule(
        Accusation,
        0.7,
        r"(就|咋|怎么|有)这么难|比登天还难|难于登天|难如登天",
    ),
    // 钱倒是扣得挺快: a concession that praises the shop only where it takes.
    rule(Sarcasm, 0.6, r"倒是\p{Han}{0,6}(挺|很|真|蛮)"),
    // 还让不让人过了, 还讲不讲理: rhetorical A-not-A with 还.
    rule(Accusation, 0.8, r"还(让不让|讲不讲|管不管|想不想|要不要脸)"),
    // 说好的三天，现在都十天了: the promise held against what happened.
    rule(
        Accusation,
        0.5,
        r"说好的\p{Han}{0,8}(现在|结果|到现在|都|呢)",
    ),
    // 一个回复都没有: not even one answer.
    rule(
        Accusation,
        0.6,
        r"一(个|次|条|句|通)(回复|电话|消息|答复|解释|人|说法)\p{Han}{0,2}都(没|不)",
    ),
    rule(
        Dismissal,
        0.7,
        r"(不想|懒得|没必要)(再)?(跟|和|同)你们?(多)?(说|讲|聊|废话)",
    ),
    // 这辈子都不会再买: leaving for good.
    rule(
        Threat,
        0.9,
        r"(这辈子|永远|以后|再也)(都|也)?(不会|不)再?(买|来|用|光顾|找你们)",
    ),
    // 我去找别人说: taking it to someone else.
    rule(
        Threat,
        0.6,
        r"(去|找)(别人|别的人|其他人|外人)(说|评理|理论|讲)",
    ),
    // 有本事你们别接电话: a taunt.
    rule(Accusation, 0.8, r"有本事"),
    // 就你们这效率: the shop's quality held up with contempt.
    rule(
        Accusation,
        0.8,
        r"就你们?这(效率|服务|态度|水平|速度|质量|售后)",
    ),
    // 卖的是什么东西: the goods named unworthy.
    rule(Accusation, 0.7, r"(卖|做|发|寄|送)的是?什么(东西|玩意|破)"),
    // 你们可不是这么说的, 当初答应得好好的: the shop's word held against it.
    rule(
        Accusation,
        0.7,
        r"(可|并|当初|之前|明明)不是这(么|样)说的|当初(说|答应|承诺)得?好好的",
    ),
    // 同一套说辞, 推给快递: stock answers and shifted blame.
    rule(
        Blame,
        0.6,
        r"(同一套|一样的|老一套|千篇一律|一套)(说辞|话术|回答|答复|借口)|说辞|话术|套话",
    ),
    rule(Blame, 0.7, r"(别|不要)再?(推给|甩给|踢给)|推卸|甩锅"),
    // 无语到极点: a feeling pushed to its limit.
    rule(
        Accusation,
        0.6,
        r"(无语|失望|生气|恶心|烦|郁闷)(到极点|到了极点|透了|透顶|至极|到家)",
    ),
    // 老子不买了: coarse self-reference, said only in anger.
    rule(Dismissal, 0.9, r"老子|本大爷|老娘"),
    rule(Dismissal, 0.5, r"(行了吧|可以了吧|满意了吧)$"),
    // 要么退钱要么换，别的免谈: an ultimatum of two choices.
    rule(Demand, 0.7, r"要么\p{Han}{1,8}要么|免谈|没得商量|没商量"),
    // 一碰就碎: fell apart at once.
    rule(
        Complaint,
        0.5,
        r"一(碰|用|洗|摔|拆|穿|开)就(碎|坏|烂|断|裂|掉)",
    ),
    // Blame.
    rule(
        Blame,
        0.6,
        r"(都是|全是|明明是|就是|本来就是|分明是|这是)你们?(自己)?的?(问题|错|责任|失误|原因)",
    ),
    rule(Blame, 0.5, r"不是我的(错|问题|责任)"),
    // 这是你们的责任, 关我什么事: whose job it is.
    rule(
        Blame,
        0.6,
        r"(这是|这本来就是|本来就是)你们?的?(事|工作|责任|义务|本分)|关我什么事|关我啥事",
    ),
    // 你们是故意的, 故意拖着不退: intent ascribed to the shop (but not 我不是故意的).
    rule(Blame, 0.7, r"你们?(就是|是|分明是|明明是)?故意"),
    rule(Blame, 0.6, r"故意(拖|刁难|为难|卡|不|找茬|扣)"),
    // 反正你们也不在乎, 你们根本不管: the shop does not care.
    rule(
        Blame,
        0.7,
        r"(反正|根本|压根|从来)\p{Han}{0,3}(不|没)\p{Han}{0,2}(在乎|当回事|管|理|关心|负责|听)",
    ),
    rule(
        Blame,
        0.5,
        r"(不把|没把)\p{Han}{0,4}当回事|你们?(不在乎|不管不顾|推来推去)",
    ),
    // Burden: 还让我自己去找快递, 又要我重新提交, 凭什么让我出运费.
    rule(
        Burden,
        0.5,
        r"(还|又|反而|却|居然|竟然|还得)在?(让|要|叫|问)我",
    ),
    rule(Burden, 0.4, r"凭什么(让|要|叫)我|让我(自己|白)"),
    // Dismissal.
    rule(
        Dismissal,
        0.75,
        r"(不用|别|不要|少)(再)?(跟|和|给|对|同)我(解释|说|扯|讲|废话|来这套|打官腔|道歉|啰嗦|绕)",
    ),
    rule(
        Dismissal,
        0.7,
        r"说不通|讲不通|白说|没法沟通|沟通不了|浪费(我的?)?时间|懒得(跟|和|说|理)|对牛弹琴",
    ),
    rule(
        Dismissal,
        0.6,
        r"我?(只|就)(要|想要)(一?个)?(结果|答复|说法|交代)",
    ),
    rule(Dismissal, 0.6, r"不想(听|再听)|听够了"),
    rule(Dismissal, 0.6, r"指望不上|靠不住|没指望|不指望"),
    // 我不管你们什么规定, 你跟我说没用: the shop's rules and answers brushed aside.
    rule(
        Dismissal,
        0.6,
        r"我不管你们?|(跟|和|对)我说(了)?(也)?没用|说(了)?也没用",
    ),
    // 我算是看透你们了: the caller has given up on the shop.
    rule(
        Dismissal,
        0.75,
        r"(算是|总算|早就|终于)?(看透|看清)(你们|了)",
    ),
    // 说话啊, 回答我: pressing an agent who does not answer.
    rule(Dismissal, 0.5, r"说话(啊|呀)|回答我|吭声"),
    // 我没时间跟你们耗, 懒得跟你们磨: time with the shop is time wasted.
    rule(
        Dismissal,
        0.75,
        r"(跟|和|陪)你们?(耗|磨|扯|闹|废话|浪费|绕)",
    ),
    // 换个会说话的来: another agent demanded.
    rule(Dismissal, 0.6, r"换(个|一个)(人|会|能|懂|管事|明白)"),
    // 别让机器人跟我说: the robot refused.
    rule(
        Dismissal,
        0.6,
        r"(别|不要|不想|不用)\p{Han}{0,3}(机器人|机器|智能客服|自动回复)",
    ),
    // 让能做主的人来: a person with authority, demanded.
    rule(Demand, 0.5, r"(能做主|能管事|管事|说了算|能拍板)的人?"),
    // 继续拖吧, 接着糊弄: an invitation to go on failing is a taunt (not 我继续等吧).
    rule(
        Dismissal,
        0.75,
        r"(继续|接着|就)(拖|糊弄|敷衍|装|骗|推|踢皮球)",
    ),
    // Threats with no escalation word.
    rule(Threat, 0.9, r"(别|不要)怪我"),
    rule(Threat, 0.9, r"(就|会|要|别怪我|可就)不客气|对你们?不客气"),
    // Exposure: 去网上说说, 发到朋友圈, 让更多人知道, 把录音公开.
    rule(
        Threat,
        0.9,
        r"(去|到|上|发|发到|发在|挂|挂到|晒|晒到|放到|写到)(网上|朋友圈|微博|抖音|小红书|群里|论坛|大众点评|点评|知乎|贴吧)",
    ),
    rule(
        Threat,
        0.9,
        r"让(更多的?人|大家|所有人|别人|全网|朋友们?|身边的人|周围的人)(都)?(知道|看看|评评理|来评理)",
    ),
    rule(
        Threat,
        0.9,
        r"(录音|聊天记录|截图|视频)\p{Han}{0,3}(发出去|公开|公布|发到|曝|传到|放出来)",
    ),
    // 我去你们公司门口等着, 到你们店里讨说法 (not 去你们门店取货).
    rule(
        Threat,
        0.9,
        r"(去|到|上)你们?(公司|门店|总部|办公室|店里|门口|仓库)\p{Han}{0,4}(等|找你们|闹|堵|要说法|讨说法|理论|讨个说法)",
    ),
    // 这事没完, 跟你们没完: "this isn't over".
    rule(Threat, 0.9, r"(事|跟你们?|和你们?)没完"),
    // 你再说一句稍等试试: a dare.
    rule(Threat, 0.9, r"你们?(再|还|敢)\p{Han}{0,8}试试"),
    // An ultimatum: 不给我退款我就…, 再不处理我就…, 还不…就别怪…
    rule(
        Threat,
        0.6,
        r"(不给我|不给个|不给一个|再不|还不|要是不给|如果再)\p{Han}{0,10}(我就|就别|我会|我要|我马上)",
    ),
    // 今天不解决我就一直打: a deadline, a negated demand, and what the caller will do.
    rule(
        Threat,
        0.5,
        r"(今天|明天|今晚|马上|现在|这周)\p{Han}{0,3}(不|没)\p{Han}{1,6}(我就|就别|我会|我马上)",
    ),
    // Demands with a deadline: 今天之内必须给我答复, 马上给我退, 三点前给我回电话.
    rule(
        Demand,
        0.6,
        r"(今天|明天|今晚|马上|立刻|立即|现在|点|小时|分钟)(之内|之前|以内|前|内)?\p{Han}{0,4}(必须|一定要|务必|给我)",
    ),
    rule(Demand, 0.4, r"必须(给我|马上|立刻|今天|现在)"),
    // 赶紧给我解决, 马上给我退回来: an order, hurried.
    rule(Demand, 0.6, r"(赶紧|马上|立刻|立即|快点|赶快)给我"),
    // Sarcasm: assent said over and over (行行行, 好好好: see `Concession`) or praise of the shop (你们厉害)
    // is ironic when the caller complains; 呵呵 and 见识到了 are scorn.
    rule(
        Concession,
        0.6,
        r"^(行行行|好好好|是是是|对对对|好好好好|行行行行|好啊好啊|行啊行啊|行了行了)",
    ),
    rule(
        Sarcasm,
        0.7,
        r"你们?(真|可真|太|好|是真|也太|可太)?(厉害|牛|能耐|有本事|了不起|能干|可以啊|行啊|棒)",
    ),
    rule(Sarcasm, 0.7, r"(算是|总算|真是|可算|今天)见识(到|了)"),
    rule(Sarcasm, 0.6, r"^好家伙|^好嘛|^真棒"),
    // 合着我花钱还得受气是吧, 不退款是吧: "so that's how it is, is it".
    rule(Sarcasm, 0.6, r"^合着|^敢情"),
    rule(Accusation, 0.4, r"是吧$"),
    rule(Dismissal, 0.5, r"^呵呵"),
    // Exaggerated delay: 退款退到下个月去了, 等到猴年马月.
    rule(
        Complaint,
        0.6,
        r"(到|等到|拖到|退到|送到|排到)(下个?月|明年|下辈子|猴年马月|过年|天荒地老)",
    ),
];

/// English constructions, on normalised text (lower case, "don't" → "dont").
const EN: &[Rule] = &[
    // Accusing questions: "do you people even read", "are you even listening", "is anyone
    // there actually doing their job".
    rule(
        Accusation,
        0.8,
        r"\b(do|did|does|are|can|is|have|has|will|would|was)( you| your \w+| you people| you guys| anyone| anybody| someone| nobody)( \w+)?( \w+)? (even|actually|ever|really)\b",
    ),
    // "why do you keep …", "why does your courier always …", "why is it that every time".
    rule(
        Accusation,
        0.75,
        r"\b(why|how come)\b.*\b(you|your|they)\b.*\b(keep|keeps|always|never|still|again)\b",
    ),
    rule(Accusation, 0.75, r"\bwhy\b.*\bevery (time|single)\b"),
    rule(
        Accusation,
        0.8,
        r"\bhow (hard|difficult) (can|could|is|would) it\b",
    ),
    rule(
        Accusation,
        0.65,
        r"\bhow (is|can|could|does|do) (this|it|that|my \w+)( \w+)? (still|possibly)\b",
    ),
    rule(Accusation, 0.9, r"\bwhat part of\b"),
    rule(
        Accusation,
        0.8,
        r"\bwhat (exactly )?(am i|are we|do i|did i) (paying|pay|paid) (you )?for\b",
    ),
    rule(Accusation, 0.4, r"\bwhat exactly\b"),
    rule(
        Accusation,
        0.6,
        r"\b(is|are) there (actually|even|really|ever)\b",
    ),
    rule(
        Accusation,
        0.8,
        r"\btoo much to (ask|expect|want|hope)\b|\bis it (too much|so hard|so difficult|really that hard|that hard)\b",
    ),
    rule(
        Accusation,
        0.7,
        r"\bhow am i (supposed|meant|expected) to\b",
    ),
    rule(
        Accusation,
        0.7,
        r"\b(never|not once) (seen|experienced|dealt with|had) (such|anything like|this)\b|\bi have never (seen|experienced|dealt with)\b|\bive never (seen|experienced|dealt with)\b",
    ),
    rule(
        Accusation,
        0.8,
        r"\b(is this|this is|are you|youre|what a|is that)\b.*\bjoke\b",
    ),
    // "why won't anyone give me a straight answer", "why can't you just …".
    rule(
        Accusation,
        0.7,
        r"\bwhy (wont|cant|doesnt|dont|will not|cannot|didnt|hasnt|havent|isnt) (anyone|anybody|someone|nobody|any of you)\b",
    ),
    rule(
        Accusation,
        0.5,
        r"\bwhy (wont|cant|dont|will not|cannot|didnt|havent) you\b",
    ),
    rule(
        Accusation,
        0.8,
        r"\byou (clearly |obviously |really )?(have|got|ve got) no (idea|clue)\b|\byou (clearly|obviously|evidently)\b",
    ),
    rule(
        Accusation,
        0.6,
        r"\bhow you (treat|handle|deal with|speak to|talk to) (your )?(customers|people|me|us|clients)\b",
    ),
    rule(
        Accusation,
        0.7,
        r"^so (youre|you are) (telling|saying)\b|\bare you (seriously )?(telling|saying) me\b",
    ),
    // Sent round and round: "I've explained this to four different people".
    rule(
        Burden,
        0.7,
        r"\b(explained|told|spoken|talked|repeated|asked|called|emailed|written)\b.*\b(different|several|multiple|two|three|four|five|six|seven|\d+) (people|agents|persons|departments|reps|representatives|staff)\b",
    ),
    rule(
        Accusation,
        0.75,
        r"\bwhat (kind|sort) of (a )?(company|business|service|shop|store|operation|people|place)\b",
    ),
    rule(
        Accusation,
        0.75,
        r"\bwhat is wrong with (you|your)|\bwhats wrong with (you|your)",
    ),
    rule(
        Accusation,
        0.6,
        r"\bdo you (even )?(realise|realize|understand|know|have any idea) (how|what|that)\b",
    ),
    // A tag question on a charge: "you never answer, do you", "you lost it, didnt you".
    rule(
        Accusation,
        0.6,
        r"\byou( people| guys| lot)? (never|always|just|didnt|dont|cant|wont|lost|broke)\b.* (do|did|didnt|can|will|are|have|dont|wont|cant) you$",
    ),
    // Blame.
    rule(
        Blame,
        0.6,
        r"\b(your|youre|its your|this is your|thats your) (own )?(fault|mistake|problem|error|screw up|mess|responsibility)\b",
    ),
    rule(Blame, 0.4, r"\bnot (mine|my fault|my problem|my mistake)\b"),
    rule(Blame, 0.7, r"\bblaming me\b|\b(youre|you are) blaming\b"),
    rule(
        Blame,
        0.45,
        r"\byou (lost|broke|ruined|messed up|screwed up)\b",
    ),
    rule(Blame, 0.35, r"\byou people\b|\byou lot\b"),
    rule(
        Blame,
        0.6,
        r"\byou (ignored|ignore|didnt listen|never listen|dont listen|wasted)\b|\b(youve|you have) wasted\b",
    ),
    rule(Blame, 0.5, r"\bblame (the|it on|someone|everyone)\b"),
    // "that's your job", "you're supposed to deliver it".
    rule(
        Blame,
        0.6,
        r"\b(thats|that is|its|it is) (literally )?your job\b|\b(youre|you are) supposed to\b",
    ),
    rule(
        Dismissal,
        0.6,
        r"\bget your act together\b|\bsort (it|this|yourselves) out\b",
    ),
    // "not this stupid bot", "a real person": the robot refused.
    rule(
        Dismissal,
        0.6,
        r"\b(not|no more|stop|enough of|sick of) (this|a|the|your) (stupid |useless |automated )?(bot|robot|machine|computer|recording|menu)\b",
    ),
    rule(
        Burden,
        0.6,
        r"\bi (specifically|clearly|explicitly|distinctly|already) (asked|said|told|requested|paid|explained)\b",
    ),
    // Sent round and round.
    rule(
        Burden,
        0.8,
        r"\bpassed (around|from|between|back and forth)\b|\brunaround\b|\btransferred (around|back and forth)\b",
    ),
    // Burden: "I shouldn't have to chase you", "now I have to wait", "making me pay for it".
    rule(
        Burden,
        0.6,
        r"\bi (shouldnt|should not|shouldn t) (have to|need to|be)\b",
    ),
    rule(Burden, 0.5, r"\bnow (i|ive) (have|got|need) to\b"),
    rule(
        Burden,
        0.5,
        r"\b(making|make|made|expect|expecting|want) me (to )?(pay|chase|wait|call|do|explain|repeat|jump|run|fill)\b",
    ),
    rule(Burden, 0.35, r"\bmy own (money|time)\b"),
    // Dismissal.
    rule(Dismissal, 0.5, r"^(forget it|whatever)\b"),
    rule(
        Dismissal,
        0.65,
        r"\b(going|getting|go|get) nowhere\b|\bwaste of (my )?time\b|\bpointless\b|\bno point\b",
    ),
    rule(
        Dismissal,
        0.8,
        r"\b(im|i am|were|we are) (so )?(done|finished|through) with\b",
    ),
    rule(Dismissal, 0.55, r"\b(im|i am) (so )?done\b"),
    rule(
        Dismissal,
        0.8,
        r"\b(had|have had|ive had) (more than )?enough\b|\benough of (this|your|you)\b",
    ),
    rule(Dismissal, 0.6, r"\bdont (give|tell) me\b|\bspare me\b"),
    rule(Dismissal, 0.5, r"\bexcuses\b"),
    // "save your apologies", "sorry doesn't cut it": the shop's apology refused.
    rule(
        Dismissal,
        0.85,
        r"\b(save|spare|keep) (me )?(the |your )?(apologies|apology|excuses|sorry|breath|script)\b|\b(apologies|sorry|apologising|apologizing) (dont|doesnt|wont|isnt|is not|does not) (help|fix|cut it|change|enough)\b",
    ),
    // "I will not hold", "I refuse to wait": the agent's request refused.
    rule(
        Dismissal,
        0.8,
        r"\bi (will not|wont|refuse to|am not going to|m not going to|im not going to|am not|m not|im not) (hold|holding|wait|waiting|calm down|be patient|accept|accepting|pay|paying|be put on hold)\b",
    ),
    rule(Dismissal, 0.85, r"\bhow (very )?convenient\b"),
    // "i want it today": a demand said twice over.
    rule(
        Demand,
        0.7,
        r"\bi want it (today|now|back|immediately|sorted|fixed|done)\b",
    ),
    // "stop reading me the script", "just listen": the agent told to stop.
    rule(Dismissal, 0.55, r"^(stop|quit) \w+ing\b"),
    rule(
        Dismissal,
        0.55,
        r"\b(just|and|now) listen\b|\blisten to me\b",
    ),
    rule(Dismissal, 0.5, r"\bthe script\b|\bscripted\b"),
    rule(
        Accusation,
        0.6,
        r"\b(im|i am) (supposed|meant|expected) to (just )?(wait|accept|sit|be happy|believe|trust|put up)\b",
    ),
    rule(
        Accusation,
        0.9,
        r"\b(some|a lot of|the) nerve\b|\bhow dare you\b|\bwould it kill (you|them|someone|anyone)\b",
    ),
    rule(
        Accusation,
        0.6,
        r"\b(do|does|did|have|has|can|is|are) (you|your \w+|anyone|they)\b.*\bat all$",
    ),
    // "my patience has run out".
    rule(
        Accusation,
        0.9,
        r"\bmy patience\b.*\b(run|running|gone|worn|out|thin)\b|\blost my patience\b",
    ),
    // The fourth excuse, the third agent: counting the shop's failures.
    rule(
        Burden,
        0.6,
        r"\bthe (second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(nd|rd|th)) (excuse|call|email|agent|person|delay|promise|attempt|message|transfer|apology|different)\b",
    ),
    rule(
        Burden,
        0.5,
        r"\b(been going on|dragging on|dragged on|drags on)\b",
    ),
    // "enough with the apologies", "I don't want another apology".
    rule(
        Dismissal,
        0.85,
        r"\b(dont want|enough with|no more|stop with|i dont need) (\w+ )?(apology|apologies|excuses|sorry|sorries)\b|^enough with\b",
    ),
    rule(
        Demand,
        0.5,
        r"\bwhoever is in charge\b|\bsomeone (in charge|with authority|who can actually)\b",
    ),
    rule(Accusation, 0.9, r"\bsick (to death |and tired )?of\b"),
    rule(Accusation, 0.8, r"\bone good reason\b"),
    rule(
        Accusation,
        0.6,
        r"\bwho (exactly )?is responsible\b|\bthis mess\b",
    ),
    // "you said that last week and the week before".
    rule(Burden, 0.5, r"\byou said (that|the same|this)\b"),
    rule(Burden, 0.6, r"\band the (week|day|time|month|one) before\b"),
    // "I've been more than patient": the caller's patience as a reproach.
    rule(
        Accusation,
        0.8,
        r"\bi(ve| have) been (more than |very |extremely |incredibly |really )?patient\b",
    ),
    rule(Accusation, 0.7, r"\bexplain to me (why|how)\b"),
    rule(Accusation, 0.7, r"\bnot good enough\b"),
    rule(
        Accusation,
        0.8,
        r"\bsomeone (competent|who knows|who actually|with a brain|who can actually)\b",
    ),
    rule(
        Accusation,
        0.9,
        r"\b(should|ought to) be ashamed\b|\bshame on\b",
    ),
    rule(
        Accusation,
        0.8,
        r"\bwhat is so (hard|difficult|complicated)\b|\bwhats so (hard|difficult|complicated)\b",
    ),
    rule(
        Accusation,
        0.8,
        r"\bfor (gods|christs|heavens|petes|goodness) sake\b",
    ),
    rule(Demand, 0.6, r"\bi demand\b"),
    // Threats without an escalation word.
    rule(
        Threat,
        0.9,
        r"\b(everyone|everybody|the world|all my friends|people) (hears|knows|finds out|will hear|will know)\b",
    ),
    rule(
        Threat,
        0.9,
        r"\bdont you dare\b|\byou (will|ll) regret\b|\byoull regret\b",
    ),
    rule(Threat, 0.9, r"\b(hearing|hear) from my\b"),
    rule(
        Threat,
        0.9,
        r"\b(tell|tells|telling|warn|warns|warning|let) (everyone|everybody|all my|my friends|people|others|the world)\b",
    ),
    rule(
        Threat,
        0.9,
        r"\b(post|posting|share|sharing|put|putting|write|writing)\b.*\b(online|on (facebook|twitter|instagram|reddit|tiktok|youtube|x)|everywhere|public)\b",
    ),
    rule(Threat, 0.9, r"\bgo(ing)? public\b"),
    rule(Threat, 0.7, r"\b(not|never) to (shop|buy|order)\b"),
    rule(Threat, 0.9, r"\bthis (isnt|is not) over\b"),
    rule(
        Threat,
        0.9,
        r"\b(take|taking) my (money|business|custom) (somewhere|elsewhere)\b",
    ),
    // "I never want to deal with your company again": leaving for good.
    rule(
        Threat,
        0.9,
        r"\bnever (want|going|buying|ordering|shopping|using|use|buy|order|shop|deal|come|coming|recommend|recommending)\b.*\bagain\b|\bnever again\b",
    ),
    rule(
        Threat,
        0.7,
        r"\byoull be (getting|hearing|receiving)\b|\byou will be (getting|hearing|receiving)\b",
    ),
    rule(
        Threat,
        0.5,
        r"\bunless\b.*\b(ill|youll|i will|you will|im going)\b",
    ),
    rule(
        Threat,
        0.9,
        r"\b(today|now|tomorrow|tonight|immediately|asap|this week)\b.*\bor (else|ill|im|i will|i am)\b",
    ),
    // An ultimatum: "you have until 5pm", "by friday or I'll …".
    rule(
        Threat,
        0.9,
        r"\byou (have|got|ve got|have got) (until|till|\w+ (hours|days|minutes))\b",
    ),
    rule(
        Threat,
        0.6,
        r"\b(by|before|until) .*\bor (else|ill|im going|i will|i am going|im)\b",
    ),
    // Sarcasm: what follows a lone praise word shows it is ironic ("lovely, another automated
    // answer", "wonderful, so the refund just vanished"); see `Sums::add_clause`.
    rule(
        Irony,
        0.6,
        r"^(yet )?another\b|^so\b.*\bjust\b|^just what i (needed|wanted)\b",
    ),
    // Thanks that thank for nothing are no praise on any reading.
    rule(
        Dismissal,
        0.9,
        r"\bthanks? (you )?for (\w+ )?(nothing|wasting|the runaround|ruining|lying)\b",
    ),
    // "the third wrong item in a row", "yet again": repetition as a sign of irony.
    rule(Irony, 0.6, r"\bin a row\b|\byet again\b"),
];

/// Polite requests are not demands: 麻烦三点前送到, "could you send it by Friday please".
const POLITE_ZH: &str = r"麻烦|请|能不能|可不可以|可以吗|行吗|好吗|谢谢|辛苦|吧$";
const POLITE_EN: &str = r"\b(please|could you|can you|would you|if possible|thanks|thank you)\b";

struct Compiled {
    zh: RegexSet,
    en: RegexSet,
    polite_zh: regex::Regex,
    polite_en: regex::Regex,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| Compiled {
        zh: RegexSet::new(ZH.iter().map(|r| r.pattern)).expect("the Chinese constructions"),
        en: RegexSet::new(EN.iter().map(|r| r.pattern)).expect("the English constructions"),
        polite_zh: regex::Regex::new(POLITE_ZH).expect("POLITE_ZH"),
        polite_en: regex::Regex::new(POLITE_EN).expect("POLITE_EN"),
    })
}

/// What the constructions found in one clause. A kind counts its strongest match and half of
/// the rest, up to [`KIND_MAX`]: two ways of saying one dismissal ("stop reading me the script
/// and listen") are more than one, but not twice as much.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Found {
    /// Anger from accusation, blame, burden, dismissal, threat and demand.
    pub anger: f32,
    /// Irony, resolved over the utterance like the lexicon's sarcastic praise.
    pub sarcasm: f32,
    /// Calm unhappiness: a service that did not happen.
    pub complaint: f32,
    /// A sign that earlier praise was ironic.
    pub irony: f32,
    /// Assent over and over, anger only with a complaint.
    pub concession: f32,
    /// Whether the clause has a kind that makes a question rhetorical (accusation, burden).
    pub rhetorical: bool,
}

const KIND_MAX: f32 = 1.0;

const KINDS: [Kind; 10] = [
    Accusation, Blame, Burden, Dismissal, Threat, Demand, Sarcasm, Concession, Irony, Complaint,
];

/// The constructions in one clause's normalised text.
pub(super) fn find(normalized: &str) -> Found {
    let compiled = compiled();
    let mut best = [0f32; KINDS.len()];
    let mut total = [0f32; KINDS.len()];
    let mut take = |rules: &[Rule], set: &RegexSet, polite: &regex::Regex| {
        // Most clauses match no construction: asking whether any does is cheaper than
        // asking which ones.
        if !set.is_match(normalized) {
            return;
        }
        let mut polite_checked: Option<bool> = None;
        for i in set.matches(normalized).iter() {
            let rule = &rules[i];
            if rule.kind == Demand
                && *polite_checked.get_or_insert_with(|| polite.is_match(normalized))
            {
                continue;
            }
            let slot = KINDS.iter().position(|k| *k == rule.kind).unwrap_or(0);
            total[slot] += rule.weight;
            best[slot] = best[slot].max(rule.weight);
        }
    };
    if normalized.chars().any(crate::text::is_cjk) {
        take(ZH, &compiled.zh, &compiled.polite_zh);
    }
    if normalized.bytes().any(|b| b.is_ascii_alphabetic()) {
        take(EN, &compiled.en, &compiled.polite_en);
    }
    let of = |kind: Kind| {
        let slot = KINDS.iter().position(|k| *k == kind).unwrap_or(0);
        let rest = total[slot] - best[slot];
        (best[slot] + rest / 2.0).min(KIND_MAX.max(best[slot]))
    };
    Found {
        anger: of(Accusation) + of(Blame) + of(Burden) + of(Dismissal) + of(Threat) + of(Demand),
        sarcasm: of(Sarcasm),
        complaint: of(Complaint).max(service_failure(normalized)),
        irony: of(Irony),
        concession: of(Concession),
        rhetorical: of(Accusation) > 0.0 || of(Burden) > 0.0,
    }
}

/// A service that did not happen, in Chinese: a negator before a verb of the shop's service
/// (没人理, 还没到账, 一直没发货, 快递员没打电话): a report of a fault, unhappy but calm — and
/// the complaint that tells sarcasm (行行行你们厉害，钱收了东西不发) from praise. Not in a
/// question (是不是还没发货？ asks) nor in the A-not-A form (发不发, 到没到, 有没有), which asks.
fn service_failure(normalized: &str) -> f32 {
    static FAILURE: OnceLock<regex::Regex> = OnceLock::new();
    let failure = FAILURE.get_or_init(|| {
        regex::Regex::new(
            r"(没有?|不|还没|一直没|都没|也没|从来没|迟迟不|迟迟没)人?(理|管|回复|回电话|回我|回消息|联系|处理|解决|发货|发|到账|到|退款|退|送|更新|动|打电话|收到|上门|来取|受理|审核)",
        )
        .expect("the service failure pattern")
    });
    // Every negator of the pattern has 不 or 没: most clauses have neither.
    if normalized.ends_with('吗')
        || normalized.ends_with('呢')
        || !normalized.contains(['不', '没'])
    {
        return 0.0;
    }
    let asks = |start: usize| {
        // A-not-A: the character before the negator is the one after it (发不发).
        let before = normalized[..start].chars().next_back();
        let after = normalized[start..]
            .chars()
            .find(|c| !matches!(c, '不' | '没' | '有'));
        before.is_some() && before == after
    };
    if failure.find_iter(normalized).any(|m| !asks(m.start())) {
        0.5
    } else {
        0.0
    }
}

/// Praise said as an exclamation on its own ("brilliant.", "oh great"): after a complaint it
/// is ironic ("so nobody can help? brilliant."), so `Sums::add_clause` treats it as sarcasm
/// when it is not the utterance's first clause. Not thanks (…，谢谢, "…, thanks"): callers
/// close calm complaints politely.
pub(super) fn is_praise_exclamation(normalized: &str) -> bool {
    const WORDS: &[&str] = &[
        "brilliant",
        "great",
        "wonderful",
        "perfect",
        "fantastic",
        "lovely",
        "marvellous",
        "marvelous",
        "super",
        "terrific",
        "excellent",
        "awesome",
        "amazing",
        "splendid",
        "fabulous",
        "superb",
        "nice",
        "fine",
    ];
    // Every word above is English: a clause without a Latin letter is none of them.
    if !normalized.bytes().any(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let rest = normalized
        .trim()
        .trim_start_matches("oh ")
        .trim_start_matches("just ")
        .trim_start_matches("well ")
        .trim_start_matches("really ")
        .trim_start_matches("how ")
        .trim_start_matches("just ");
    WORDS.contains(&rest)
}

/// Whether every rule compiles (for the tests; at run time a failure would panic once).
#[cfg(test)]
pub(super) fn rules_compile() -> bool {
    let c = compiled();
    c.zh.len() == ZH.len() && c.en.len() == EN.len()
}
