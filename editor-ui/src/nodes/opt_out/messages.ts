// The texts of opt_out ("do not call again") nodes.

export const zh = {
  "node.opt_out.name": "不再来电",
  "node.opt_out.help": "对方要求不要再打电话：把对方号码登记到不再来电名单，然后继续",
  "opt_out.summary": "登记到不再来电名单",
  "opt_out.explain":
    "电话里经过这个节点时，对方的号码（外呼时是被叫，呼入时是主叫）会登记到本租户的不再来电名单，以后的外呼任务不会再拨打。网页聊天没有电话号码，只记录对方的要求。",
  "opt_out.prompt": "确认语（可选）",
  "opt_out.promptHelp": "例如：好的，以后不会再给您打电话了。不填则什么也不说，直接继续。",
};

export const en: Record<keyof typeof zh, string> = {
  "node.opt_out.name": "Do not call again",
  "node.opt_out.help": "The other party asked not to be called again: adds their number to the do-not-call list, then continues",
  "opt_out.summary": "Adds the number to the do-not-call list",
  "opt_out.explain":
    "When a phone call passes this node, the other party's number (the callee of an outbound call, the caller of an inbound one) goes on this tenant's do-not-call list, and no campaign dials it again. A chat has no phone number, so only the request is recorded.",
  "opt_out.prompt": "Confirmation (optional)",
  "opt_out.promptHelp": "For example: Of course, we won't call you again. Leave it empty to say nothing and go on.",
};
