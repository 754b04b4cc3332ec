// The texts of end nodes.

export const zh = {
  "node.end.name": "结束通话",
  "node.end.help": "挂断并记录通话结果",
  "end.outcome": "通话结果",
  "outcomeHelp.resolved": "机器人解决了问题，或来电者做了明确决定。",
  "outcomeHelp.handoff": "已经接通人工客服。",
  "outcomeHelp.abandoned": "来电者挂断、不说话或没有给出可用的回答。",
  "outcomeHelp.failed": "想转人工但没转成，或者流程本身出错。",
};

export const en: Record<keyof typeof zh, string> = {
  "node.end.name": "End call",
  "node.end.help": "Hangs up and records how the call ended",
  "end.outcome": "Outcome",
  "outcomeHelp.resolved": "The robot answered, or the caller made a clear decision.",
  "outcomeHelp.handoff": "Connected to an agent.",
  "outcomeHelp.abandoned": "The caller hung up, stayed silent or gave no usable answer.",
  "outcomeHelp.failed": "The caller wanted an agent but the transfer failed, or the flow itself failed.",
};
