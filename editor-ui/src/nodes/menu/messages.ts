// The texts of menu nodes.

export const zh = {
  "node.menu.name": "按键菜单",
  "node.menu.help": "“查订单请按1……”，按键选择",
  "menu.prompt": "菜单提示",
  "menu.promptHelp": "例如“查订单请按1，退换货请按2”。",
  "menu.choices": "按键选项",
  "menu.choice": "按键 {key}",
  "menu.key": "按键",
  "menu.label": "选项名称",
  "menu.labelHelp": "来电者也可以直接说出这个名称。",
  "menu.next": "按下后去哪里",
  "menu.add": "添加选项",
  "menu.remove": "删除选项",
};

export const en: Record<keyof typeof zh, string> = {
  "node.menu.name": "Key menu",
  "node.menu.help": "“Press 1 for orders…”: choices by key",
  "menu.prompt": "Menu prompt",
  "menu.promptHelp": "E.g. “For orders press 1, for returns press 2.”",
  "menu.choices": "Key choices",
  "menu.choice": "Key {key}",
  "menu.key": "Key",
  "menu.label": "Choice name",
  "menu.labelHelp": "Callers may also say this name.",
  "menu.next": "Then go to",
  "menu.add": "Add choice",
  "menu.remove": "Remove choice",
};
