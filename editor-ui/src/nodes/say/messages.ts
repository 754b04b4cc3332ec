// The texts of say nodes.

export const zh = {
  "node.say.name": "播报",
  "node.say.help": "说一段话，然后继续",
  "say.text": "要说的话",
  "say.textHelp": "可以用 {{vars.customer_name}} 这样的占位符插入变量。",
  "say.audio": "音频文件网址",
  "say.audioHelp": "填写后播放这个音频，代替合成语音。",
};

export const en: Record<keyof typeof zh, string> = {
  "node.say.name": "Say",
  "node.say.help": "Says something, then continues",
  "say.text": "What to say",
  "say.textHelp": "Use placeholders like {{vars.customer_name}} to insert variables.",
  "say.audio": "Audio file URL",
  "say.audioHelp": "When set, this audio plays instead of synthesised speech.",
};
