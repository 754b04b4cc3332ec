// The texts of script nodes.

export const zh = {
  "node.script.name": "脚本",
  "node.script.help": "运行一段 Rhai 脚本，计算或整理数据",
  "port.script.next": "完成后",
  "script.code": "脚本（Rhai）",
  "script.codeHelp": "可以读写 vars，读取 call、input 和 tenant。出错时改动不会保留。",
  "script.errorHelp": "脚本出错或运行太久时。",
};

export const en: Record<keyof typeof zh, string> = {
  "node.script.name": "Script",
  "node.script.help": "Runs a Rhai script to compute or tidy data",
  "port.script.next": "Done",
  "script.code": "Script (Rhai)",
  "script.codeHelp": "Reads and changes vars; reads call, input and tenant. On error its changes are dropped.",
  "script.errorHelp": "When the script fails or runs too long.",
};
