// The texts of branch nodes.

export const zh = {
  "node.branch.name": "条件分支",
  "node.branch.help": "按条件走不同的路",
  "branch.help": "从上到下检查条件，第一个成立的生效；都不成立时走“否则”。",
  "branch.case": "条件 {n}",
  "branch.when": "条件",
  "branch.whenHelp": "例如 vars.status == \"shipped\" 或 vars.score >= 7。",
  "branch.then": "成立时去哪里",
  "branch.add": "添加条件",
  "branch.remove": "删除条件",
  "branch.elseHelp": "所有条件都不成立时。",
};

export const en: Record<keyof typeof zh, string> = {
  "node.branch.name": "Branch",
  "node.branch.help": "Takes a different path depending on conditions",
  "branch.help": "Conditions are checked top to bottom; the first that holds wins; otherwise “Otherwise”.",
  "branch.case": "Condition {n}",
  "branch.when": "Condition",
  "branch.whenHelp": "E.g. vars.status == \"shipped\" or vars.score >= 7.",
  "branch.then": "When it holds, go to",
  "branch.add": "Add condition",
  "branch.remove": "Remove condition",
  "branch.elseHelp": "When no condition holds.",
};
