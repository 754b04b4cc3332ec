// The texts of subflow nodes.

export const zh = {
  "node.subflow.name": "子流程",
  "node.subflow.help": "运行另一个流程，结束后回来",
  "port.subflow.next": "子流程结束后",
  "port.subflow.error": "子流程失败",
  "subflow.flow": "要运行的流程",
  "subflow.flowHelp": "填写流程名称。",
  "subflow.inputs": "传入的值",
  "subflow.inputsHelp": "给子流程的变量赋值。",
  "subflow.outputs": "带回的值",
  "subflow.outputsHelp": "子流程结束后，把它的变量复制回来。",
  "subflow.childVar": "子流程变量",
  "subflow.parentVar": "本流程变量",
  "subflow.inputValue": "值",
  "subflow.addInput": "添加传入值",
  "subflow.addOutput": "添加带回值",
  "subflow.errorHelp": "子流程以“失败”结束时；不连接则走“结束后”。",
};

export const en: Record<keyof typeof zh, string> = {
  "node.subflow.name": "Subflow",
  "node.subflow.help": "Runs another flow, then comes back",
  "port.subflow.next": "After the subflow",
  "port.subflow.error": "Subflow failed",
  "subflow.flow": "Flow to run",
  "subflow.flowHelp": "The flow's name.",
  "subflow.inputs": "Values passed in",
  "subflow.inputsHelp": "Sets the subflow's variables.",
  "subflow.outputs": "Values brought back",
  "subflow.outputsHelp": "Copies the subflow's variables back when it ends.",
  "subflow.childVar": "Subflow variable",
  "subflow.parentVar": "This flow's variable",
  "subflow.inputValue": "Value",
  "subflow.addInput": "Add value",
  "subflow.addOutput": "Add value",
  "subflow.errorHelp": "When the subflow ends as failed; when not connected, “After the subflow” is taken.",
};
