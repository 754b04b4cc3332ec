// The texts of set nodes.

export const zh = {
  "node.set.name": "设置变量",
  "node.set.help": "不用写代码，给变量赋值",
  "set.help": "按顺序给变量赋值。文字里可以用 {{ }} 占位符。",
  "set.assignment": "赋值 {n}",
  "set.var": "变量名",
  "set.value": "值",
  "set.add": "添加赋值",
  "set.remove": "删除赋值",
};

export const en: Record<keyof typeof zh, string> = {
  "node.set.name": "Set variables",
  "node.set.help": "Gives variables values, no code needed",
  "set.help": "Assigns variables in order. Text may use {{ }} placeholders.",
  "set.assignment": "Assignment {n}",
  "set.var": "Variable",
  "set.value": "Value",
  "set.add": "Add assignment",
  "set.remove": "Remove assignment",
};
