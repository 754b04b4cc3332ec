//! Every word the dashboard pages show, in Chinese and in English, and the language a visitor
//! reads them in: the editor's choice (the `callflow_lang` cookie its switch sets), else the
//! browser's `Accept-Language`, else Chinese.

use axum::http::HeaderMap;

use crate::auth::cookie;
use crate::language::Language;

/// The cookie the editor's language switch and the dashboard's both set: `zh-CN` or `en`.
pub const LANGUAGE_COOKIE: &str = "callflow_lang";

/// The visitor's language.
pub fn language(headers: &HeaderMap) -> Language {
    match cookie(headers, LANGUAGE_COOKIE) {
        Some("en") => Language::English,
        Some("zh-CN") => Language::Chinese,
        _ => Language::from_headers(headers),
    }
}

/// The words of one language, for templates: `{{ t.w("calls") }}`.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    pub language: Language,
}

impl Words {
    pub fn new(language: Language) -> Words {
        Words { language }
    }

    /// The word for `key`. A key missing from the dictionary fails debug builds (every test
    /// that renders it) and shows as itself in release builds.
    /// The word for `key`, when the dictionary has one (keys made from data, e.g. a node kind).
    pub fn word(&self, key: &str) -> Option<&'static str> {
        DICTIONARY
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, zh, en)| self.language.pick(zh, en))
    }

    pub fn w<'a>(&self, key: &'a str) -> &'a str {
        match DICTIONARY.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => self.language.pick(zh, en),
            None => {
                debug_assert!(false, "the dashboard has no word for {key}");
                key
            }
        }
    }

    /// `zh-CN` or `en`, for the page's `lang` attribute.
    pub fn tag(&self) -> &'static str {
        self.language.pick("zh-CN", "en")
    }

    /// The other language's tag and its name, for the switch.
    pub fn other_tag(&self) -> &'static str {
        self.language.pick("en", "zh-CN")
    }

    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.language.pick(zh, en)
    }
}

/// Key, Chinese, English.
const DICTIONARY: &[(&str, &str, &str)] = &[
    ("dashboard", "数据看板", "Dashboard"),
    ("brand", "Callflow 数据看板", "Callflow dashboard"),
    ("switch_to", "English", "中文"),
    ("switch_label", "Switch to English", "切换到中文"),
    ("nav_label", "数据看板导航", "Dashboard navigation"),
    ("overview", "概览", "Overview"),
    ("calls", "通话", "Calls"),
    ("unheard", "没听懂的话", "Not understood"),
    ("knowledge", "知识库回答", "Knowledge answers"),
    ("flows", "通话流程", "Flows"),
    ("filters", "筛选", "Filters"),
    ("from", "开始日期", "From"),
    ("to", "结束日期", "To"),
    ("flow", "流程", "Flow"),
    ("all_flows", "全部流程", "All flows"),
    ("version", "版本", "Version"),
    ("any_version", "全部", "Any"),
    ("channel", "渠道", "Channel"),
    ("any_channel", "全部渠道", "All channels"),
    ("outcome", "结果", "Outcome"),
    ("any_outcome", "全部结果", "All outcomes"),
    (
        "include_simulated",
        "包括“试一试”的对话",
        "Include Try it conversations",
    ),
    ("apply", "查看", "Apply"),
    ("reset", "重置", "Reset"),
    ("range", "时间范围", "Period"),
    ("bad_filter", "筛选条件有误", "A filter is wrong"),
    (
        "empty",
        "这段时间没有符合条件的通话。",
        "No calls match these filters in this period.",
    ),
    (
        "empty_hint",
        "换一个时间范围或流程试试；“试一试”的对话要勾选后才计入。",
        "Try another period or flow; Try it conversations count only when included.",
    ),
    ("containment", "机器人独立解决", "Containment"),
    (
        "containment_note",
        "未转人工就解决的通话",
        "resolved without a person",
    ),
    ("handoff_rate", "转人工率", "Handoff rate"),
    ("abandonment", "放弃率", "Abandonment"),
    ("failure", "失败率", "Failure rate"),
    ("unreached", "未接通", "Unreached"),
    (
        "unreached_note",
        "外呼无人接听",
        "outbound calls nobody answered",
    ),
    ("average_handle", "平均通话时长", "Average handle time"),
    ("p90_handle", "90% 的通话不超过", "90% of calls within"),
    ("turns_per_call", "每通对话轮次", "Turns per call"),
    ("no_match_rate", "没听懂率", "No-match rate"),
    ("no_input_rate", "无应答率", "No-input rate"),
    ("kb_answered", "知识库已回答", "Knowledge answered"),
    ("kb_missed", "知识库未找到答案", "Knowledge missed"),
    ("reason_asked", "来电者要求", "caller asked"),
    (
        "reason_not_understood",
        "没听懂或无应答",
        "not understood or silent",
    ),
    ("reason_error", "接口或脚本出错", "request or script error"),
    ("reason_by_flow", "流程设定", "by the flow"),
    ("reason_angry", "来电者生气", "caller was angry"),
    ("of_calls", "通", "calls"),
    ("one_call", "1 通", "1 call"),
    ("per_day", "每天的通话", "Calls per day"),
    ("per_hour_of_range", "每小时的通话", "Calls per hour"),
    (
        "by_hour",
        "一天中各时段的通话（高峰时段）",
        "Calls by hour of day (peak hours)",
    ),
    ("legend_contained", "独立解决", "Contained"),
    ("legend_handoff", "转人工", "Handed off"),
    ("legend_abandoned", "放弃", "Abandoned"),
    ("legend_other", "其他", "Other"),
    ("top_intents", "最常见的意图", "Top intents"),
    ("intent", "意图", "Intent"),
    ("heard", "识别次数", "Times heard"),
    ("in_calls", "涉及通话", "In calls"),
    (
        "no_intents",
        "没有识别到意图。",
        "No intents were recognised.",
    ),
    ("versions", "各版本对比", "Versions compared"),
    ("draft", "草稿", "Draft"),
    ("deleted_flow", "（已删除的流程）", "(deleted flow)"),
    // Node kinds, as the editor names them: a node without a label is its kind and a number.
    ("kind_say", "播报", "Say"),
    ("kind_ask", "提问", "Ask a question"),
    ("kind_menu", "按键菜单", "Key menu"),
    ("kind_branch", "条件分支", "Branch"),
    ("kind_set", "设置变量", "Set variables"),
    ("kind_script", "脚本", "Script"),
    ("kind_http", "调用接口", "Call an API"),
    ("kind_handoff", "转人工", "Hand off to an agent"),
    ("kind_subflow", "子流程", "Subflow"),
    ("kind_answer", "知识库回答", "Knowledge answer"),
    ("kind_end", "结束通话", "End call"),
    ("started", "开始时间", "Started"),
    ("duration", "时长", "Duration"),
    ("customer_number", "客户号码", "Customer"),
    ("transcript", "通话记录", "Transcript"),
    ("open", "查看", "Open"),
    ("next_page", "下一页", "Next page"),
    ("first_page", "第一页", "First page"),
    ("no_calls", "没有符合条件的通话。", "No calls match."),
    ("running", "进行中", "In progress"),
    ("resolved", "已解决", "Resolved"),
    ("handoff", "转人工", "Handed off"),
    ("abandoned", "放弃", "Abandoned"),
    ("failed", "失败", "Failed"),
    ("chat", "网页聊天", "Web chat"),
    ("phone", "电话", "Phone"),
    ("inbound", "呼入", "Inbound"),
    ("outbound", "外呼", "Outbound"),
    ("simulated", "试一试", "Try it"),
    ("direction", "方向", "Direction"),
    ("at", "时间", "At"),
    ("who", "谁", "Who"),
    ("what", "内容", "What"),
    ("node", "节点", "Node"),
    ("bot", "机器人", "Bot"),
    ("caller", "来电者", "Caller"),
    ("system", "系统", "System"),
    ("agent", "坐席", "Agent"),
    ("heard_as", "识别为", "Heard as"),
    ("no_intent", "未识别出意图", "no intent"),
    ("taken_as_answer", "作为回答记下", "taken as the answer"),
    ("confidence", "语音置信度", "speech confidence"),
    ("score", "匹配度", "match"),
    ("pressed", "按键", "Pressed"),
    ("slot_filled", "记下", "Noted"),
    ("no_match", "没听懂", "Not understood"),
    ("no_input", "没有听到回答", "Heard nothing"),
    ("time_n", "第 {n} 次", "time {n}"),
    ("http_requested", "请求接口", "Web request"),
    ("http_result", "接口结果", "Web request result"),
    ("http_failed", "请求失败", "request failed"),
    ("status", "状态码", "status"),
    ("error_path", "走出错分支", "took the error path"),
    ("transfer", "转人工", "Handoff"),
    ("transfer_summary", "交接摘要", "Summary for the agent"),
    ("routed_by_rule", "按第 {n} 条转接规则", "Routed by rule {n}"),
    ("route_reason", "转接依据", "Routing"),
    ("queue", "队列", "queue"),
    ("handoff_result", "转接结果", "Handoff result"),
    ("queue_settings", "队列设置", "Queue settings"),
    ("queue_name_zh", "中文名称", "Chinese name"),
    ("queue_name_en", "英文名称", "English name"),
    ("queue_languages", "坐席会说的语言", "Languages its agents speak"),
    ("language_zh_cn", "中文", "Chinese"),
    ("language_en", "英语", "English"),
    ("queue_hours_limited", "只在营业时间接待", "Open only during set hours"),
    ("queue_days", "营业日", "Open on"),
    ("queue_open", "开始", "Opens"),
    ("queue_close", "结束", "Closes"),
    ("queue_hours", "营业时间", "Hours"),
    ("queue_overflow", "下班或无人在线时转到", "When closed or nobody is available, send to"),
    ("no_overflow", "不转（等待或走“无人接听”）", "Nowhere (wait, or take the no-answer path)"),
    ("always_open", "全天", "Always open"),
    ("day_mon", "周一", "Mon"),
    ("day_tue", "周二", "Tue"),
    ("day_wed", "周三", "Wed"),
    ("day_thu", "周四", "Thu"),
    ("day_fri", "周五", "Fri"),
    ("day_sat", "周六", "Sat"),
    ("day_sun", "周日", "Sun"),
    ("new_queue", "新建队列", "New queue"),
    ("edit_queue", "修改队列", "Edit queue"),
    ("save_queue", "保存队列", "Save queue"),
    ("edit", "修改", "Edit"),
    ("delete", "删除", "Delete"),
    ("no_queues", "还没有队列。", "No queues yet."),
    ("agents_heading", "坐席", "Agents"),
    ("agent_queues", "负责的队列", "Queues served"),
    ("agent_presence", "状态", "Status"),
    ("no_agents", "还没有坐席：在账号管理里添加“坐席”角色的用户。", "No agents yet: add users with the agent role."),
    ("queue_error_invalid_key", "队列标识只能用 1 到 64 个小写字母、数字和 -。", "A key is 1 to 64 lower-case letters, digits and -."),
    ("queue_error_required", "请填写中文名称。", "Give the queue a Chinese name."),
    ("queue_error_too_long", "名称最多 80 个字。", "A name is at most 80 characters."),
    ("queue_error_unknown_language", "只能选择中文或英语。", "Choose Chinese or English."),
    ("queue_error_invalid_hours", "营业时间有误：至少选一天，时间写成 09:00 这样，开始和结束不能相同。", "The hours are wrong: choose a day, write times as 09:00, and do not close when you open."),
    ("queue_error_invalid_overflow", "队列不能转到它自己。", "A queue cannot send to itself."),
    ("queue_error_unknown_queue", "没有这个队列。", "There is no such queue."),
    ("queue_error_other", "这一项有误。", "Something here is wrong."),
    ("queue_notice_saved", "队列已保存。", "The queue was saved."),
    ("queue_notice_deleted", "队列已删除。", "The queue was deleted."),
    ("queue_notice_agent_saved", "坐席负责的队列已保存。", "The agent's queues were saved."),
    ("console", "坐席工作台", "Agent console"),
    ("console_conversation", "接待对话", "Conversation"),
    ("back_to_console", "返回坐席工作台", "Back to the console"),
    ("presence", "我的状态", "My status"),
    ("presence_available", "在线，可接待", "Available"),
    ("presence_busy", "忙碌", "Busy"),
    ("presence_away", "离开", "Away"),
    ("save", "保存", "Save"),
    ("console_waiting", "排队中", "Waiting"),
    ("console_nobody_waiting", "没有排队的客户。", "Nobody is waiting."),
    ("console_mine", "我接待的对话", "My conversations"),
    ("console_none_mine", "您还没有接待中的对话。", "You have no conversations open."),
    ("console_others", "其他坐席接待中", "With other agents"),
    ("queue_column", "队列", "Queue"),
    ("customer", "客户", "Customer"),
    ("anonymous", "匿名访客", "Anonymous visitor"),
    ("waited", "等待时长", "Waited"),
    ("accept", "接待", "Accept"),
    ("queue_stats", "队列情况", "Queues"),
    ("waiting_now", "排队中", "Waiting now"),
    ("with_agents", "接待中", "With agents"),
    ("longest_wait", "最长等待", "Longest wait"),
    ("offered_24h", "24 小时内转入", "Offered (24 h)"),
    ("answered_in_20s", "20 秒内接起", "Answered within 20 s"),
    ("standing_waiting", "客户正在排队等待人工。", "The customer is waiting for an agent."),
    ("standing_mine", "您正在接待这位客户，机器人不会回复。", "You are answering this customer; the bot stays silent."),
    ("standing_other", "{agent} 正在接待这位客户。", "{agent} is answering this customer."),
    ("standing_done", "这次人工接待已结束。", "This conversation is no longer with an agent."),
    ("context_card", "客户信息", "Context"),
    ("intents_heard", "识别到的意图", "Intents heard"),
    ("emotion_trend", "情绪变化（越高越生气）", "Emotion (higher is angrier)"),
    ("collected", "机器人已收集的信息", "What the bot collected"),
    ("customer_profile", "客户资料", "Customer profile"),
    ("customer_lookup", "客户查询", "Customer lookup"),
    ("lookup_found", "找到", "found"),
    ("lookup_not_found", "商城没有这位客户", "the shop does not know this customer"),
    ("lookup_skipped", "没有号码或访客，未查询", "no number or visitor to look up"),
    ("lookup_failed", "未能查询（{reason}），对话照常进行", "failed ({reason}); the conversation went on without it"),
    ("lookup_timeout", "超时", "timed out"),
    ("lookup_blocked", "地址被安全规则拦截", "the address was refused"),
    ("lookup_unreachable", "连不上商城", "the shop was unreachable"),
    ("lookup_invalid_request", "网址或请求头无效", "invalid URL or header"),
    ("lookup_status", "状态码", "status"),
    ("lookup_invalid_response", "回答不是 JSON 对象", "the answer is not a JSON object"),
    ("lookup_too_large", "回答太大", "the answer is too large"),
    ("lookup_secret_unavailable", "密钥无法解开", "the secret does not open"),
    ("lookup_failed_other", "出错", "an error"),
    ("customer_unknown", "商城没有查到这位客户。", "The shop does not know this customer."),
    ("customer_name", "姓名", "Name"),
    ("vip_level", "会员等级", "VIP level"),
    ("recent_orders", "最近订单", "Recent orders"),
    ("no_recent_orders", "没有最近订单", "No recent orders"),
    ("order_status_processing", "备货中", "processing"),
    ("order_status_shipped", "已发货", "shipped"),
    ("order_status_delivered", "已签收", "delivered"),
    ("order_status_cancelled", "已取消", "cancelled"),
    ("previous_conversations", "以往对话", "Previous conversations"),
    ("no_previous", "没有以往对话。", "No earlier conversations."),
    ("reply", "回复客户", "Reply to the customer"),
    ("send", "发送", "Send"),
    ("disposition", "处理结果", "Outcome"),
    ("end_conversation", "结束接待", "End"),
    ("hand_back_at", "交还机器人，从这一步继续", "Hand back to the bot at"),
    ("hand_back", "交还机器人", "Hand back"),
    ("console_notice_taken", "您已接待这位客户。", "You took this conversation."),
    ("console_notice_not_waiting", "这位客户已被其他坐席接待，或已离开。", "Another agent took this conversation, or the customer left."),
    ("console_notice_not_yours", "您没有接待这个对话。", "This conversation is not yours."),
    ("console_notice_ended", "对话已结束。", "The conversation has ended."),
    ("console_notice_handed_back", "已交还机器人。", "Handed back to the bot."),
    ("console_notice_presence", "状态已更新。", "Your status was saved."),
    ("console_phone", "这是一通电话：客户在队列里等候，坐席接起队列的电话即可与他通话；上面是机器人已了解的信息。", "This is a phone call: the caller waits in the queue, and whoever answers the queue's calls talks to them; above is what the bot learned."),
    ("console_notice_not_chat", "电话请在电话上接听。", "Phone calls are answered on the phone."),
    ("console_notice_unknown_node", "流程里没有这一步。", "The flow has no such step."),
    ("console_notice_sent", "已发送。", "Sent."),
    ("console_notice_empty", "请输入 1 到 2000 个字。", "Write 1 to 2,000 characters."),
    ("handoff_waiting", "排队等待人工", "Waiting for an agent in"),
    ("agent_joined", "{agent} 接入了对话", "{agent} joined the conversation"),
    ("agent_left", "{agent} 结束了接待", "{agent} finished"),
    ("handed_back", "交还机器人，从这里继续", "Handed back to the bot at"),
    ("disposition_resolved", "已解决", "resolved"),
    ("disposition_follow_up", "需跟进", "needs follow-up"),
    ("disposition_not_resolved", "未解决", "not resolved"),
    ("disposition_handed_back", "交还机器人", "handed back to the bot"),
    ("disposition_abandoned", "客户已离开", "the customer left"),
    ("handoff_connected", "已接通", "connected"),
    ("handoff_no_answer", "无人接听", "no answer"),
    ("handoff_busy", "占线", "busy"),
    ("kb_answer", "知识库回答", "Knowledge answer"),
    ("kb_feedback", "来电者评价", "Caller's verdict"),
    ("helpful", "有帮助", "helpful"),
    ("not_helpful", "没帮助", "not helpful"),
    ("kb_no_answer", "知识库没有答案", "No knowledge answer"),
    ("step_limit", "步数超限", "Step limit reached"),
    ("barge_in", "来电者打断了播报", "The caller interrupted"),
    ("emotion_angry", "生气", "angry"),
    ("emotion_negative", "不满", "unhappy"),
    ("emotion_triggered", "来电者生气，转到", "Angry caller, sent to"),
    ("anger", "生气程度", "anger"),
    ("ended", "通话结束", "Call ended"),
    ("other_event", "其他事件", "Other event"),
    ("handle_time", "通话时长", "Handle time"),
    ("seconds_from_start", "距开始（秒）", "Seconds from start"),
    ("back_to_calls", "返回通话列表", "Back to calls"),
    ("not_found", "找不到这通电话。", "There is no such call."),
    ("not_found_title", "找不到", "Not found"),
    (
        "internal_error",
        "出了点问题，请稍后再试。",
        "Something went wrong; try again later.",
    ),
    ("error_title", "出错了", "Error"),
    (
        "forbidden",
        "您的角色不能查看通话数据。",
        "Your role may not see call data.",
    ),
    (
        "bad_cursor",
        "分页参数无效，请从第一页开始。",
        "The page link is not valid; start from the first page.",
    ),
    ("phrasings", "说法", "Phrasings"),
    // The "not understood" list's forms.
    ("teach_actions", "处理", "Fix"),
    ("teach_which", "哪句：", "Which: "),
    ("teach_to", "加到：", "Add to: "),
    ("teach_choose", "请选择意图或知识条目…", "Choose an intent or an entry…"),
    ("teach_intents", "意图的示例（流程草稿）", "Examples of an intent (flow draft)"),
    ("teach_entries", "知识条目的问法：", "Questions of an entry: "),
    ("teach_add", "添加", "Add"),
    ("teach_dismiss", "忽略", "Dismiss"),
    (
        "notice_example",
        "已加为意图的示例，存在流程草稿里。发布新版本后，新来电就能听懂这句话。",
        "Added as an example of the intent, in the flow's draft. Publish a new version and new calls will understand it.",
    ),
    (
        "notice_alternative",
        "已加为知识条目的问法，新来电立即生效。",
        "Added as a question of the entry; new calls find it at once.",
    ),
    ("notice_dismissed", "已忽略，这句话不再列出。", "Dismissed; the list no longer shows it."),
    ("go_publish", "去编辑器发布", "Publish it in the editor"),
    ("teach_failed_title", "没有保存", "Not saved"),
    ("bad_form", "表单内容不完整，请回到列表重试。", "The form was incomplete; go back to the list and try again."),
    (
        "form_expired",
        "页面已过期（可能重新登录过），请刷新列表后重试。",
        "The page has expired (you may have signed in again); reload the list and try again.",
    ),
    ("choose_target", "请先选择要加到哪个意图或知识条目。", "Choose an intent or an entry to add it to first."),
    (
        "draft_changed",
        "流程草稿在你打开列表后被修改过，请刷新列表后重试。",
        "The flow's draft was changed after you opened the list; reload the list and try again.",
    ),
    ("flow_gone", "这个流程已被删除。", "The flow has been deleted."),
    (
        "intent_gone",
        "流程草稿里已经没有这个意图了，请刷新列表后重新选择。",
        "The flow's draft no longer has that intent; reload the list and choose again.",
    ),
    ("bad_example", "这句话不能作为示例（要有 1 到 200 个字）。", "This phrasing cannot be an example (it needs 1 to 200 characters)."),
    ("entry_gone", "这个知识条目已被删除。", "The knowledge entry has been deleted."),
    (
        "knowledge_changed",
        "知识库刚被修改过，请刷新列表后重试。",
        "The knowledge base was changed meanwhile; reload the list and try again.",
    ),
    (
        "bad_alternative",
        "不能再加这个问法：条目的问法已满（最多 50 个）或这句话太长。",
        "This question cannot be added: the entry has its 50 questions or the phrasing is too long.",
    ),
    ("times_said", "次数", "Times said"),
    ("kind", "类型", "Kind"),
    ("example_call", "示例通话", "Example call"),
    ("kind_no_match", "没匹配到意图", "matched no intent"),
    ("kind_kb_missed", "知识库没有答案", "no knowledge answer"),
    (
        "no_unheard",
        "这段时间没有没听懂的话。",
        "Nothing went unheard in this period.",
    ),
    ("knowledge_base", "知识库", "Knowledge base"),
    ("entry", "条目", "Entry"),
    ("answered", "回答次数", "Answered"),
    ("helpful_rate", "有帮助的比例", "Helpful"),
    (
        "no_knowledge",
        "这段时间知识库没有回答过问题。",
        "No knowledge answers in this period.",
    ),
    ("download_csv", "下载 CSV", "Download CSV"),
    ("results", "调查结果", "Results"),
    (
        "no_results",
        "这段时间没有带结果的通话。",
        "No calls with results in this period.",
    ),
    (
        "no_results_hint",
        "在编辑器的流程设置里把满意度评分等变量标为结果变量，通话结束时就会统计它们。",
        "Mark variables such as a satisfaction score as results in the flow settings of the editor; they are counted when calls end.",
    ),
    ("result_var", "结果变量", "Result variable"),
    ("campaigns", "外呼活动", "Campaigns"),
    ("no_campaigns", "还没有外呼活动。", "No campaigns yet."),
    (
        "no_campaigns_hint",
        "在编辑器的“外呼活动”页用联系人名单和已发布的流程建一个活动，例如生日关怀或满意度回访。",
        "Create one on the editor's Campaigns page from a contact list and a published flow, such as a birthday call or a satisfaction survey.",
    ),
    ("campaign_draft", "草稿", "Draft"),
    ("campaign_running", "进行中", "Running"),
    ("campaign_paused", "已暂停", "Paused"),
    ("campaign_stopped", "已停止", "Stopped"),
    ("campaign_completed", "已完成", "Completed"),
    ("campaign_flow", "流程", "Flow"),
    ("campaign_list", "联系人名单", "Contact list"),
    ("campaign_open", "在编辑器中打开", "Open in the editor"),
    ("campaign_contacts", "联系人", "Contacts"),
    ("campaign_dialed", "已拨打", "Dialled"),
    ("campaign_answered", "已接通", "Answered"),
    ("campaign_completed_count", "已完成", "Completed"),
    ("campaign_opted_out", "拒绝再来电", "Opted out"),
    ("campaign_remaining", "待拨打", "Remaining"),
    ("campaign_final", "结果", "Result"),
    (
        "campaign_reasons",
        "回答归类（意思相同的归为一类）",
        "Answers grouped (those that mean the same are one group)",
    ),
    ("campaign_reason", "回答", "Answer"),
    ("campaign_wordings", "说法", "Put as"),
    ("result_kind", "类型", "Kind"),
    ("result_score", "评分", "Score"),
    ("result_number", "数值", "Number"),
    ("result_choice", "选项", "Choice"),
    ("result_text", "文本", "Text"),
    ("result_value", "取值", "Value"),
    ("result_count", "通话数", "Calls"),
    ("result_mean", "平均值", "Mean"),
    ("result_nps", "净推荐值", "Net Promoter Score"),
    (
        "result_nps_note",
        "9–10 分为推荐者，0–6 分为贬损者",
        "Promoters score 9–10, detractors 0–6",
    ),
    ("result_distribution", "取值分布", "Distribution"),
    ("periods", "常用时间段", "Common periods"),
    ("period_today", "今天", "Today"),
    ("period_yesterday", "昨天", "Yesterday"),
    ("period_7_days", "最近 7 天", "Last 7 days"),
    ("period_30_days", "最近 30 天", "Last 30 days"),
    ("result_other", "其他", "Other"),
    (
        "result_text_note",
        "自由回答只计数，原话在每通电话的通话记录里。",
        "Free answers are only counted; each call's transcript has the caller's own words.",
    ),
    ("result_text_calls", "查看通话", "See the calls"),
    ("result_recorded", "记录结果", "Result"),
    ("opted_out_added", "已登记不再来电", "Added to the do-not-call list"),
    (
        "opted_out_already",
        "已登记不再来电（号码原已在名单中）",
        "Added to the do-not-call list (the number was already on it)",
    ),
    (
        "opted_out_no_number",
        "对方要求不再来电（没有电话号码，未登记）",
        "Asked not to be called again (no phone number, so nothing was listed)",
    ),
    ("outbound_answered", "外呼接通", "Outbound answered"),
    ("answer_rate", "外呼接通率", "Outbound answer rate"),
    ("outbound_placed", "通外呼", "placed"),
    ("minutes_short", "分", "min"),
    ("seconds_short", "秒", "s"),
    ("yes", "是", "yes"),
    ("no", "否", "no"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_the_templates_use_is_in_both_languages() {
        let templates = [
            include_str!("../../templates/dashboard/base.html"),
            include_str!("../../templates/dashboard/filters.html"),
            include_str!("../../templates/dashboard/overview.html"),
            include_str!("../../templates/dashboard/calls.html"),
            include_str!("../../templates/dashboard/transcript.html"),
            include_str!("../../templates/dashboard/unheard.html"),
            include_str!("../../templates/dashboard/knowledge.html"),
            include_str!("../../templates/dashboard/results.html"),
            include_str!("../../templates/dashboard/campaigns.html"),
            include_str!("../../templates/dashboard/message.html"),
        ];
        for template in templates {
            for piece in template.split("t.w(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                assert!(
                    DICTIONARY.iter().any(|(k, _, _)| *k == key),
                    "the word {key} is missing"
                );
            }
        }
        for (key, zh, en) in DICTIONARY {
            assert!(!zh.is_empty() && !en.is_empty(), "{key}");
            assert_eq!(
                DICTIONARY.iter().filter(|(k, _, _)| k == key).count(),
                1,
                "{key} twice"
            );
        }
    }

    #[test]
    fn the_editors_choice_wins_over_the_browsers() {
        let mut headers = HeaderMap::new();
        headers.insert("accept-language", "en-US,en;q=0.9".parse().expect("header"));
        assert_eq!(language(&headers), Language::English);
        headers.insert("cookie", "callflow_lang=zh-CN".parse().expect("header"));
        assert_eq!(language(&headers), Language::Chinese);
    }
}
