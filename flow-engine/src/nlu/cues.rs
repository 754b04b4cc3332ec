//! The words callers use for shop requests, beyond the knowledge-base synonyms
//! (`knowledge::lexicon::SYNONYMS`): what intent recognition adds to those groups, and groups
//! of its own. Kept apart because query expansion in knowledge search reads every member as the
//! same word — these looser cues (活动 for a coupon, 搬家 for an address change) cost it right
//! answers (measured: 34% → 29% answered right on its test split), while they give an intent
//! classifier evidence a paraphrase shares with an example written in other words.

/// Members added to a knowledge synonym group: the group is the one holding the first word.
pub(super) const MORE: &[(&str, &[&str])] = &[
    // Shipping.
    ("到哪了", &["走到哪", "还没到", "没收到"]),
    ("地址", &["门牌号", "收件人", "收货人", "搬家"]),
    (
        "催",
        &["着急", "急用", "待发货", "还没发", "没发货", "发出去"],
    ),
    // Refunds, cancellations.
    ("退款", &["全额退款", "退的钱"]),
    (
        "取消",
        &["撤单", "撤了", "作废", "不买了", "拍错", "下错单"],
    ),
    // Payment and coupons.
    ("付款", &["付不了", "付款失败", "支付失败", "待付款"]),
    ("优惠券", &["打折", "促销", "活动", "领券"]),
    ("扣款", &["扣了", "钱扣了"]),
    ("积分", &["积分兑换", "抵扣", "兑换", "权益", "福利"]),
    // After-sales.
    (
        "坏了",
        &[
            "开不了机",
            "没声音",
            "没有声音",
            "不亮",
            "黑屏",
            "失灵",
            "不转",
            "出问题",
        ],
    ),
    (
        "保修",
        &["返修", "送修", "报修", "修好", "管修", "能修", "上门修"],
    ),
    (
        "人工",
        &[
            "工作人员",
            "客服人员",
            "人工服务",
            "活人",
            "机器人",
            "接线员",
        ],
    ),
    (
        "投诉",
        &[
            "失望",
            "坑人",
            "骗人",
            "太差",
            "态度差",
            "恶劣",
            "不负责任",
            "消协",
            "消费者协会",
            "12315",
            "生气",
        ],
    ),
    // English.
    ("refund", &["reimbursement", "rebate", "compensation"]),
    ("cancel", &["don't want"]),
    ("account", &["profile", "user"]),
    ("password", &["pass", "pwd", "pin"]),
];

/// Groups of their own.
pub(super) const GROUPS: &[&[&str]] = &[
    &[
        "材质",
        "面料",
        "纯棉",
        "材料",
        "成分",
        "参数",
        "规格",
        "配置",
        "容量",
        "功率",
        "保质期",
        "产地",
    ],
    &["颜色", "款式", "颜色款式", "其他颜色", "别的颜色"],
    &["合适", "适合", "穿多大", "多大码", "偏大", "偏小", "合身"],
    &["order", "purchase", "buy", "shop", "item", "product"],
    &["change", "modify", "edit", "update", "correct", "fix"],
    &["set up", "new", "enter", "add", "setting up"],
    &[
        "delete",
        "remove",
        "close",
        "terminate",
        "termination",
        "deactivate",
    ],
    &[
        "create",
        "open",
        "sign up",
        "register",
        "registration",
        "make an account",
    ],
    &[
        "recover",
        "retrieve",
        "reset",
        "forgot",
        "forgotten",
        "restore",
        "lost",
    ],
    &[
        "human",
        "agent",
        "person",
        "representative",
        "operator",
        "real person",
        "someone",
    ],
    &[
        "customer service",
        "customer support",
        "support team",
        "helpdesk",
        "call center",
    ],
    &[
        "complaint",
        "complain",
        "claim",
        "dissatisfied",
        "unhappy",
        "disappointed",
        "angry",
    ],
    &[
        "shipping method",
        "shipping option",
        "delivery option",
        "delivery method",
        "shipment method",
        "shipping",
    ],
    &[
        "payment method",
        "payment option",
        "pay with",
        "accept",
        "paypal",
        "credit card",
        "debit card",
    ],
    &["address", "shipping address", "delivery address"],
    &[
        "switch",
        "another account",
        "other account",
        "different account",
    ],
    &["see", "check", "view", "look at", "show", "consult"],
    &["get", "download", "receive", "obtain", "request", "send me"],
    &["policy", "terms", "conditions", "rules", "guarantee"],
    &[
        "problem", "issue", "error", "trouble", "fail", "failed", "wrong",
    ],
    &[
        "status",
        "progress",
        "update on",
        "where is",
        "what happened",
    ],
    &["fee", "cost", "penalty", "how much", "price"],
];
