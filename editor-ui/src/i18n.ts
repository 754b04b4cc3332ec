// The editor's texts in Chinese (zh-CN, the default) and English; each node kind's own texts are
// in its folder (src/nodes/<kind>/messages.ts). The language is chosen in the header and
// remembered in localStorage and in the `callflow_lang` cookie, which the dashboard pages (rendered
// on the server) read, and set when switched there.

import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { ApiError, setRequestLanguage } from "./api";
import * as analyticsTexts from "./analytics/messages";
import * as knowledgeTexts from "./knowledge/messages";
import * as nodeTexts from "./nodes/messages";
import * as widgetTexts from "./widget/messages";

export type Lang = "zh-CN" | "en";
const STORAGE_KEY = "callflow.lang";
/** The cookie the server-rendered dashboard reads the language from, and sets when switched. */
const LANG_COOKIE = "callflow_lang";

function cookieLang(): Lang | null {
  const found = document.cookie
    .split(";")
    .map((pair) => pair.trim().split("="))
    .find(([name]) => name === LANG_COOKIE);
  const value = found?.[1];
  return value === "en" || value === "zh-CN" ? value : null;
}

function rememberLang(lang: Lang): void {
  document.cookie = `${LANG_COOKIE}=${lang}; path=/; max-age=31536000; samesite=lax`;
}

const zh = {
  "app.title": "Callflow 流程编辑器",
  "app.apiDocs": "API 文档",
  "app.signOut": "退出登录",
  "app.switchTo": "English",
  "app.switchToLabel": "Switch to English",

  "common.cancel": "取消",
  "common.close": "关闭",
  "common.dismiss": "知道了",
  "common.loading": "正在加载…",
  "common.remove": "删除",
  "common.retry": "重试",
  "common.moveUpItem": "上移 {item}",
  "common.moveDownItem": "下移 {item}",

  "login.title": "登录",
  "login.subtitle": "登录后即可绘制和测试电话机器人的通话流程。",
  "login.email": "邮箱",
  "login.password": "密码",
  "login.submit": "登录",
  "login.signingIn": "正在登录…",
  "login.expired": "登录已过期，请重新登录。",
  "login.signInAgain": "为了安全，请在这个标签页里重新登录后再编辑。",
  "login.expiredTitle": "请重新登录",
  "login.keepWork": "登录已过期。重新登录后可以接着编辑，没保存的修改不会丢失。",

  "list.title": "通话流程",
  "list.search": "搜索流程",
  "list.searchPlaceholder": "按名称搜索…",
  "list.create": "新建流程",
  "list.import": "导入",
  "list.importing": "正在导入…",
  "list.importFiles": "选择要导入的流程文件（JSON，可多选）",
  "list.dropHint": "也可以把一个或多个流程 JSON 文件拖到这里导入。",
  "list.dropNow": "松开鼠标即可导入这些文件",
  "list.importResults": "导入结果",
  "list.importCounts": "{errors} 个错误，{warnings} 个提醒",
  "list.open": "打开",
  "list.empty": "还没有流程。点击“新建流程”，从空白或示例开始。",
  "list.noMatch": "没有名称匹配的流程。",
  "list.name": "名称",
  "list.published": "线上版本",
  "list.updated": "最后修改",
  "list.actions": "操作",
  "list.version": "版本 {n}",
  "list.draftOnly": "未发布",
  "list.edit": "编辑",
  "list.actionOn": "{action}：{name}",
  "list.duplicate": "复制",
  "list.copyName": "{name}（副本）",
  "list.copyNameN": "{name}（副本 {n}）",
  "list.export": "导出",
  "list.delete": "删除",
  "list.deleteTitle": "删除流程？",
  "list.deleteMessage": "确定要删除“{name}”吗？草稿会被删除；已发布的版本仍保留在通话记录中。",
  "list.deleteConfirm": "删除",

  "import.created": "已导入为草稿",
  "import.published": "已导入并发布",
  "import.invalid": "有错误，未导入",
  "import.conflict": "同名流程已存在，未导入",
  "import.rejected": "不是有效的流程文件",
  "import.skipped": "已跳过",
  "import.unreadable": "无法读取（不是 JSON）",
  "import.failed": "导入失败",

  "create.title": "新建流程",
  "create.name": "流程名称",
  "create.startFrom": "从哪里开始",
  "create.blank": "空白流程",
  "create.blankHelp": "只有一句欢迎语和结束，自己搭建。",
  "create.noTemplates": "服务器暂未提供示例流程，可以先从空白流程开始。",
  "create.language": "流程语言",
  "create.submit": "创建并打开",

  "editor.backToList": "全部流程",
  "editor.untitled": "未命名流程",
  "editor.live": "线上：版本 {n}",
  "editor.toolbar": "编辑工具",
  "editor.undo": "撤销",
  "editor.redo": "重做",
  "editor.fit": "适合窗口",
  "editor.layout": "自动排列",
  "editor.sidebar": "详细设置",
  "editor.tab.properties": "属性",
  "editor.tab.versions": "版本",
  "editor.tab.tryit": "试一试",
  "editor.copied": "已复制 {n} 个节点，按 Ctrl+V 粘贴",
  "editor.saveBeforePublish": "草稿还没有保存成功，请稍后再发布。",
  "editor.saveBeforeRestore": "草稿还没有保存成功，请稍后再恢复。",
  "editor.viewerOnly": "你的角色（{role}）只能查看流程，不能修改。",

  "save.saved": "✓ 已保存",
  "save.pending": "有未保存的修改",
  "save.saving": "正在保存…",
  "save.error": "⚠ 保存失败",
  "save.conflict": "⚠ 别人也修改了这个流程",

  "palette.title": "节点",
  "palette.help": "拖到画布上，或点击添加。",

  "node.flowEntry": "来电开始",
  "node.flowEntryHelp": "起点和全局意图",
  "node.noId": "（没有编号）",
  "node.issues": "{errors} 个错误，{warnings} 个提醒",

  "port.in": "进入",
  "port.next": "下一步",
  "port.error": "出错时",
  "port.else": "否则",
  "port.no_match": "没听懂",
  "port.no_input": "没回应",
  "port.no_answer": "无人接听",
  "port.answered": "已回答",
  "port.unresolved": "没有解决",
  "port.busy": "忙线",
  "port.intent": "💬 {name}",
  "port.choice": "按 {key}",
  "port.case": "如果 {when}",
  "port.status": "状态 {code}",
  "port.start": "开始",
  "port.global": "全局 · {name}",
  "port.angry_caller": "来电者生气",
  "port.optionalMark": "（可选）",
  "port.notConnected": "— 未连接 —",
  "port.missingNode": "{id}（不存在的节点）",

  "canvas.a11yNodes": "用 Tab 选择节点，回车选中，方向键移动。",
  "canvas.minimap": "缩略图",
  "canvas.controls": "缩放",

  "panel.flowTitle": "流程设置",
  "panel.flowHelp": "名称、起点、变量和全局意图。点击画布上的节点可编辑节点。",
  "panel.manySelected": "已选择 {n} 个节点。可以一起拖动、复制（Ctrl+C）或删除。",
  "panel.deleteSelected": "删除这 {n} 个节点",
  "panel.missingNode": "这个节点不存在了。",
  "panel.readOnly": "只读：这里不能修改。",
  "panel.deleteNode": "删除节点",
  "panel.id": "节点编号",
  "panel.idHelp": "编号用于连接和通话记录：字母、数字、_ 和 -；改编号会同时更新所有连线。",
  "panel.idInvalid": "编号只能包含字母、数字、_ 和 -，最多 64 个字符。",
  "panel.idTaken": "已经有编号为 {id} 的节点了。",
  "panel.label": "显示名称",

  "form.advanced": "高级设置",
  "form.voice": "音色",
  "form.voiceHelp": "只对这个节点生效；留空使用流程的音色。",
  "form.bargeIn": "允许来电者打断",
  "form.bargeInHelp": "来电者开口时停止播放。",
  "form.timeout": "等待时间（毫秒）",
  "form.timeoutHelp": "来电者多久不说话算“没回应”；留空使用流程默认值。",
  "form.globalIntents": "在这里识别全局意图",
  "form.globalIntentsHelp": "例如在任何地方说“转人工”。",
  "form.unknownType": "这个编辑器还不认识节点类型“{type}”，它会原样保留。",

  "field.insertVariable": "插入变量",
  "field.varsGroup": "流程变量",
  "field.callGroup": "来电信息",
  "field.inputGroup": "来电者刚才的回答",
  "field.tenantGroup": "商户设置",
  "field.customerGroup": "客户资料（店铺的客户查询）",
  "field.noVariables": "（还没有变量）",
  "field.removeItem": "删除 {item}",
  "field.duplicateKey": "“{key}”重复了，只有第一个生效。",

  "intent.title": "意图 {n}",
  "intent.name": "意图名称",
  "intent.nameHelp": "英文小写加下划线，会出现在通话统计里，例如 track_order。",
  "intent.examples": "例句",
  "intent.examplesHelp": "来电者可能怎么说，越多越准。",
  "intent.addExample": "添加例句",
  "intent.example": "例句 {n}",
  "intent.examplePlaceholder": "例如：我的快递到哪了",
  "intent.keywords": "关键词",
  "intent.keywordsHelp": "回答里出现这些词就算匹配。",
  "intent.addKeyword": "添加关键词",
  "intent.keyword": "关键词 {n}",
  "intent.dtmf": "对应按键",
  "intent.noKey": "无",
  "intent.next": "识别后去哪里",
  "intent.add": "添加意图",
  "intent.remove": "删除意图",

  "retry.noMatchTitle": "没听懂时",
  "retry.noMatchHelp": "回答和任何意图都对不上时，先换个说法再问，然后走连线。",
  "retry.noInputTitle": "没回应时",
  "retry.noInputHelp": "来电者不说话时，先提醒，然后走连线。",
  "retry.prompts": "重新提问的话（依次使用）",
  "retry.addPrompt": "添加一句",
  "retry.prompt": "第 {n} 次",
  "retry.max": "最多重问几次",
  "retry.maxHelp": "0 表示立刻走连线。",
  "retry.then": "之后去哪里",

  "value.kind": "{label}的类型",
  "value.text": "文字",
  "value.number": "数字",
  "value.boolean": "是/否",
  "value.json": "JSON",
  "value.true": "是 (true)",
  "value.false": "否 (false)",
  "value.badJson": "不是有效的 JSON：{error}",

  "outcome.resolved": "已解决",
  "outcome.handoff": "已转人工",
  "outcome.abandoned": "中途放弃",
  "outcome.failed": "失败",

  "flow.name": "流程名称",
  "flow.nameHelp": "在流程列表和通话记录里显示；子流程用它来调用。",
  "flow.description": "说明",
  "flow.language": "语言",
  "flow.languageHelp": "提示语和语音识别使用的语言。",
  "flow.start": "从哪个节点开始",
  "flow.startHelp": "每通电话都从这里开始。",
  "flow.variables": "变量",
  "flow.variablesHelp": "流程用到的变量和初始值；外呼时可以由名单覆盖。",
  "flow.variableName": "变量名",
  "flow.variableValue": "初始值",
  "flow.addVariable": "添加变量",
  "flow.removeVariable": "删除变量",
  "flow.globalIntents": "全局意图",
  "flow.globalIntentsHelp": "在任何提问节点都能识别，例如“转人工”。",
  "flow.angryCaller": "来电者生气时",
  "flow.angryCallerHelp": "在任何提问节点，来电者越说越生气（例如“太失望了，我要投诉！”）时，直接转到这里，通常是转人工。每通电话只转一次，来电者平静下来后再生气才会再转。",
  "flow.angryCallerNext": "转到",
  "flow.angryCallerOff": "不转（关闭）",
  "flow.angryCallerHandoffs": "转人工节点",
  "flow.angryCallerOthers": "其他节点",
  "flow.angryCallerThreshold": "生气程度",
  "flow.angryCallerThresholdHelp": "0 到 1 之间，默认 0.5；数值越高，来电者要越生气才转。",
  "flow.results": "结果变量",
  "flow.resultsHelp": "通话结束时要统计的变量，例如满意度评分；数据看板的“调查结果”页按变量显示分布、平均值和净推荐值。",
  "flow.resultVar": "变量名",
  "flow.resultKind": "类型",
  "flow.resultKind.score": "评分（0–10，计算净推荐值）",
  "flow.resultKind.number": "数值",
  "flow.resultKind.choice": "选项",
  "flow.resultKind.text": "文本（只计数）",
  "flow.addResult": "添加结果变量",
  "flow.removeResult": "删除结果变量",
  "flow.settings": "流程默认设置",
  "flow.voiceHelp": "语音合成使用的音色名称。",
  "flow.noInputTimeout": "默认等待时间（毫秒）",
  "flow.noInputTimeoutHelp": "多久不说话算“没回应”，默认 5000。",
  "flow.intentThreshold": "默认意图识别门槛（0–1）",
  "flow.intentThresholdHelp": "默认 0.5。",
  "flow.errorMessage": "出错时说的话",
  "flow.errorMessageHelp": "流程出错挂断前说的话。",
  "language.zh-CN": "中文 (zh-CN)",
  "language.en-US": "英语 (en-US)",

  "problems.title": "问题",
  "problems.checking": "正在检查…",
  "problems.none": "没有发现问题。",
  "problems.flow": "流程设置",
  "problems.validateFailed": "暂时无法检查流程，显示的是上一次的结果。",
  "severity.error": "错误",
  "severity.warning": "提醒",

  "publish.button": "发布",
  "publish.title": "发布新版本",
  "publish.help": "发布后，新的来电将使用这个版本。已发布的版本不会再改变，随时可以恢复。",
  "publish.note": "这次改了什么",
  "publish.notePlaceholder": "例如：增加了退货运费的回答",
  "publish.confirm": "发布",
  "publish.publishing": "正在发布…",
  "publish.blocked": "流程还有 {n} 个错误，修复后才能发布（见下方“问题”）。",
  "publish.done": "已发布版本 {n}",

  "versions.help": "每次发布都会生成一个版本。可以查看旧版本，或把它恢复到草稿。",
  "versions.none": "还没有发布过。",
  "versions.label": "版本 {n}",
  "versions.live": "线上",
  "versions.noNote": "（没有说明）",
  "versions.by": "发布者：{who}",
  "versions.view": "查看",
  "versions.restore": "恢复到草稿",
  "versions.viewing": "正在查看版本 {n}（只读）：{note}",
  "versions.back": "返回草稿",

  "restore.title": "恢复版本 {n}？",
  "restore.message": "草稿会被替换成版本 {n} 的内容（可以用“撤销”找回）。线上版本不受影响，直到你再次发布。",
  "restore.confirm": "恢复",
  "restore.done": "已把版本 {n} 恢复到草稿",

  "conflict.title": "别人也修改了这个流程",
  "conflict.message": "在你编辑的同时，有人保存了这个流程的新内容。为了不覆盖任何人的修改，自动保存已暂停。请选择：",
  "conflict.reload": "加载服务器上的版本",
  "conflict.reloadHelp": "放弃我在这里的修改，看别人保存的内容。",
  "conflict.keepCopy": "保留我的修改",
  "conflict.keepCopyHelp": "把我的修改另存为新流程“{name}”。",
  "conflict.reloaded": "已加载服务器上的最新内容",

  "tryit.start": "开始对话",
  "tryit.restart": "重新开始",
  "tryit.hangup": "挂断",
  "tryit.hungUp": "（挂断）",
  "tryit.help": "像来电者一样和草稿对话：打字代表说话，也可以按键或保持沉默。会先自动保存草稿。",
  "tryit.stale": "草稿在对话开始后又改过了，点“重新开始”使用最新内容。",
  "tryit.saveFirst": "草稿还没有保存成功，无法开始对话。",
  "tryit.inputLabel": "来电者说的话",
  "tryit.placeholder": "输入来电者说的话…",
  "tryit.placeholderIdle": "先点“开始对话”",
  "tryit.send": "发送",
  "tryit.keypad": "拨号键盘",
  "tryit.key": "按键 {key}",
  "tryit.pressed": "按键：{keys}",
  "tryit.typed": "已按：{keys}",
  "tryit.finishHint": "按 {key} 结束输入",
  "tryit.sendKeys": "发送按键",
  "tryit.silence": "沉默",
  "tryit.silent": "（没有说话）",
  "tryit.ended": "通话结束：{outcome}",
  "tryit.transfer": "转接到 {type} {target}。给客服的摘要：{summary}",
  "tryit.statusEnded": "通话已结束。",
  "tryit.statusListening": "在“{node}”等待回答（{modes}）",
  "tryit.statusWaiting": "等待中…",
  "tryit.mode.speech": "说话",
  "tryit.mode.dtmf": "按键",
  "tryit.intent": "识别到意图 {intent}",
  "tryit.emotion.angry": "来电者生气 {anger}",
  "tryit.emotion.negative": "来电者不满 {anger}",
  "tryit.kb.answered": "知识库回答了“{question}”（匹配度 {score}%）",
  "tryit.kb.helpful": "来电者觉得“{question}”的回答有帮助",
  "tryit.kb.notHelpful": "来电者觉得“{question}”的回答没有帮助",
  "tryit.kb.missed": "知识库里没有找到答案：“{text}”",
  "tryit.kb.someEntry": "某个条目",
  "tryit.vars": "变量",
  "tryit.callSetup": "来电信息（可选）",
  "tryit.callSetupHelp": "模拟来电号码和名单里的变量，例如外呼时的客户姓名；留空使用流程的初始值。",
  "tryit.from": "主叫号码 (call.from)",
  "tryit.to": "被叫号码 (call.to)",
  "tryit.showNode": "在画布上显示这个节点",
  "tryit.notAllowed": "你的角色不能运行对话测试。",

  "error.code": "错误代码：{code}",
  "problem.network": "连不上服务器，请检查网络后重试。",
  "problem.invalid_credentials": "邮箱或密码不正确。",
  "problem.unauthorized": "请先登录。",
  "problem.forbidden": "你没有权限做这件事。",
  "problem.csrf_token_mismatch": "登录状态需要刷新，请重新登录。",
  "problem.not_found": "没有找到，可能已被删除。",
  "problem.revision_conflict": "别人已经保存了新的内容。",
  "problem.flow_name_taken": "已经有同名的流程了，请换一个名称。",
  "problem.invalid_body": "内容不完整或格式不对。",
  "problem.flow_invalid": "流程还有错误，修复后才能发布或试用（见“问题”列表）。",
  "problem.precondition_required": "保存时缺少版本信息，请刷新页面。",
  "problem.too_many_flows": "一次最多导入 100 个流程。",
  "problem.import_failed": "导入失败。",
  "problem.request_timeout": "服务器处理超时，请稍后重试。",
  "problem.blocked": "出于安全原因，服务器拒绝访问这个地址。",
  "problem.body_too_large": "内容太大了。",
  "problem.malformed_json": "内容不是有效的 JSON。",
  "problem.session_ended": "这次对话已经结束，请重新开始。",
  "problem.turn_conflict": "上一条消息还在处理中，请稍后再发。",
  "problem.flow_changed": "流程已经改变，请重新开始对话。",
  "problem.not_published": "这个流程还没有发布。",
  "problem.invalid_digits": "按键只能是 0–9、* 和 #。",
  "problem.database_unavailable": "服务器的数据库暂时不可用，请稍后重试。",
  "problem.internal": "服务器出错了，请稍后重试。",
  "problem.unknown": "出错了（HTTP {status}）。",

  "diag.dangling_port": "连到了不存在的节点",
  "diag.missing_port": "连线未连接",
  "diag.duplicate_id": "节点编号重复",
  "diag.duplicate_field": "字段重复",
  "diag.duplicate_intent": "意图重复",
  "diag.duplicate_key": "按键重复",
  "diag.empty_condition": "条件为空",
  "diag.empty_menu": "菜单没有选项",
  "diag.empty_value": "内容为空",
  "diag.empty_text": "没有要说的话",
  "diag.empty_flow": "流程没有节点",
  "diag.endless_loop": "死循环",
  "diag.loop_without_input": "循环中没有等待回答",
  "diag.expression_syntax": "条件写法有误",
  "diag.script_syntax": "脚本写法有误",
  "diag.template_syntax": "占位符 {{ }} 写法有误",
  "diag.json_syntax": "JSON 写法有误",
  "diag.handoff_target": "转人工目标有误",
  "diag.intent_without_examples": "意图没有例句",
  "diag.intent_name_conflict": "意图名称冲突",
  "diag.intents_alike": "两个意图的例句太相似",
  "diag.invalid_header": "请求头有误",
  "diag.invalid_id": "节点编号不合规",
  "diag.invalid_key": "按键不合规",
  "diag.invalid_path": "返回字段路径有误",
  "diag.invalid_pattern": "格式（正则）有误",
  "diag.invalid_range": "范围有误",
  "diag.invalid_sip": "SIP 地址有误",
  "diag.invalid_url": "网址有误",
  "diag.invalid_variable": "变量名不合规",
  "diag.invalid_status": "状态码有误",
  "diag.invalid_value": "取值有误",
  "diag.invalid_language": "语言代码有误",
  "diag.invalid_phone": "电话号码格式可疑",
  "diag.missing_pattern": "缺少格式",
  "diag.missing_field": "缺少必填项",
  "diag.missing_start": "没有起点",
  "diag.no_input_modes": "没有接受的回答方式",
  "diag.out_of_range": "超出范围",
  "diag.too_large": "内容太长",
  "diag.unknown_subflow": "找不到子流程",
  "diag.unknown_knowledge_base": "找不到知识库",
  "diag.unknown_queue": "找不到坐席队列",
  "diag.unknown_field": "不认识的字段",
  "diag.unknown_node_type": "不认识的节点类型",
  "diag.unsupported_schema": "不支持的格式版本",
  "diag.wrong_type": "类型不对",
  "diag.answer_not_saved": "回答没有被保存",
  "diag.ignored_field": "设置不会生效",
  "diag.shadowed_key": "按键被遮挡",
  "diag.unreachable_route": "转接规则用不到",
  "diag.unreachable": "走不到的节点",
  "diag.unknown_result": "没有节点给这个结果变量赋值",
  "diag.duplicate_result": "结果变量重复",

  ...nodeTexts.zh,
  ...knowledgeTexts.zh,
  ...analyticsTexts.zh,
  ...widgetTexts.zh,
};

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  "app.title": "Callflow flow editor",
  "app.apiDocs": "API docs",
  "app.signOut": "Sign out",
  "app.switchTo": "中文",
  "app.switchToLabel": "切换到中文",

  "common.cancel": "Cancel",
  "common.close": "Close",
  "common.dismiss": "Dismiss",
  "common.loading": "Loading…",
  "common.remove": "Remove",
  "common.retry": "Retry",
  "common.moveUpItem": "Move {item} up",
  "common.moveDownItem": "Move {item} down",

  "login.title": "Sign in",
  "login.subtitle": "Sign in to draw and test your phone robot's call flows.",
  "login.email": "Email",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.signingIn": "Signing in…",
  "login.expired": "Your session has expired. Please sign in again.",
  "login.signInAgain": "For your safety, please sign in again in this tab before editing.",
  "login.expiredTitle": "Please sign in again",
  "login.keepWork": "Your session has expired. Sign in again to carry on; unsaved changes are kept.",

  "list.title": "Call flows",
  "list.search": "Search flows",
  "list.searchPlaceholder": "Search by name…",
  "list.create": "New flow",
  "list.import": "Import",
  "list.importing": "Importing…",
  "list.importFiles": "Choose flow files to import (JSON, one or more)",
  "list.dropHint": "You can also drop one or more flow JSON files here to import them.",
  "list.dropNow": "Release to import these files",
  "list.importResults": "Import results",
  "list.importCounts": "{errors} errors, {warnings} warnings",
  "list.open": "Open",
  "list.empty": "No flows yet. Click “New flow” to start from scratch or from an example.",
  "list.noMatch": "No flow has a matching name.",
  "list.name": "Name",
  "list.published": "Live version",
  "list.updated": "Last changed",
  "list.actions": "Actions",
  "list.version": "Version {n}",
  "list.draftOnly": "Not published",
  "list.edit": "Edit",
  "list.actionOn": "{action}: {name}",
  "list.duplicate": "Duplicate",
  "list.copyName": "{name} (copy)",
  "list.copyNameN": "{name} (copy {n})",
  "list.export": "Export",
  "list.delete": "Delete",
  "list.deleteTitle": "Delete this flow?",
  "list.deleteMessage": "Delete “{name}”? The draft is deleted; published versions stay for the call records.",
  "list.deleteConfirm": "Delete",

  "import.created": "Imported as a draft",
  "import.published": "Imported and published",
  "import.invalid": "Has errors, not imported",
  "import.conflict": "A flow with this name exists, not imported",
  "import.rejected": "Not a valid flow file",
  "import.skipped": "Skipped",
  "import.unreadable": "Cannot be read (not JSON)",
  "import.failed": "Import failed",

  "create.title": "New flow",
  "create.name": "Flow name",
  "create.startFrom": "Start from",
  "create.blank": "Blank flow",
  "create.blankHelp": "Just a greeting and an end; build the rest yourself.",
  "create.noTemplates": "The server offers no example flows yet; start from a blank flow.",
  "create.language": "Flow language",
  "create.submit": "Create and open",

  "editor.backToList": "All flows",
  "editor.untitled": "Untitled flow",
  "editor.live": "Live: version {n}",
  "editor.toolbar": "Editing tools",
  "editor.undo": "Undo",
  "editor.redo": "Redo",
  "editor.fit": "Fit to screen",
  "editor.layout": "Auto layout",
  "editor.sidebar": "Details",
  "editor.tab.properties": "Properties",
  "editor.tab.versions": "Versions",
  "editor.tab.tryit": "Try it",
  "editor.copied": "Copied {n} node(s); press Ctrl+V to paste",
  "editor.saveBeforePublish": "The draft has not been saved yet; publish again in a moment.",
  "editor.saveBeforeRestore": "The draft has not been saved yet; restore again in a moment.",
  "editor.viewerOnly": "Your role ({role}) can view flows but not change them.",

  "save.saved": "✓ Saved",
  "save.pending": "Unsaved changes",
  "save.saving": "Saving…",
  "save.error": "⚠ Not saved",
  "save.conflict": "⚠ Someone else changed this flow",

  "palette.title": "Nodes",
  "palette.help": "Drag onto the canvas, or click to add.",

  "node.flowEntry": "Call starts",
  "node.flowEntryHelp": "Start and global intents",
  "node.noId": "(no id)",
  "node.issues": "{errors} errors, {warnings} warnings",

  "port.in": "In",
  "port.next": "Next",
  "port.error": "On error",
  "port.else": "Otherwise",
  "port.no_match": "Not understood",
  "port.no_input": "No response",
  "port.no_answer": "No answer",
  "port.answered": "Answered",
  "port.unresolved": "Not resolved",
  "port.busy": "Busy",
  "port.intent": "💬 {name}",
  "port.choice": "Key {key}",
  "port.case": "If {when}",
  "port.status": "Status {code}",
  "port.start": "Start",
  "port.global": "Global · {name}",
  "port.angry_caller": "Angry caller",
  "port.optionalMark": "(optional)",
  "port.notConnected": "— not connected —",
  "port.missingNode": "{id} (no such node)",

  "canvas.a11yNodes": "Press Tab to reach nodes, Enter to select, arrow keys to move.",
  "canvas.minimap": "Mini map",
  "canvas.controls": "Zoom",

  "panel.flowTitle": "Flow settings",
  "panel.flowHelp": "Name, start, variables and global intents. Click a node on the canvas to edit it.",
  "panel.manySelected": "{n} nodes selected. Move, copy (Ctrl+C) or delete them together.",
  "panel.deleteSelected": "Delete these {n} nodes",
  "panel.missingNode": "This node no longer exists.",
  "panel.readOnly": "Read-only: nothing can be changed here.",
  "panel.deleteNode": "Delete node",
  "panel.id": "Node id",
  "panel.idHelp": "The id is used by connections and call records: letters, digits, _ and -. Renaming updates every connection.",
  "panel.idInvalid": "Use only letters, digits, _ and -, at most 64 characters.",
  "panel.idTaken": "There is already a node with the id {id}.",
  "panel.label": "Display name",

  "form.advanced": "Advanced",
  "form.voice": "Voice",
  "form.voiceHelp": "For this node only; empty uses the flow's voice.",
  "form.bargeIn": "Caller may interrupt",
  "form.bargeInHelp": "Stops playing when the caller starts speaking.",
  "form.timeout": "Wait time (ms)",
  "form.timeoutHelp": "Silence that counts as “no response”; empty uses the flow's default.",
  "form.globalIntents": "Recognise global intents here",
  "form.globalIntentsHelp": "For example saying “agent” anywhere.",
  "form.unknownType": "This editor does not know the node type “{type}”; it is kept as it is.",

  "field.insertVariable": "Insert variable",
  "field.varsGroup": "Flow variables",
  "field.callGroup": "The call",
  "field.inputGroup": "The caller's last answer",
  "field.tenantGroup": "Shop settings",
  "field.customerGroup": "The customer (the shop's customer lookup)",
  "field.noVariables": "(no variables yet)",
  "field.removeItem": "Remove {item}",
  "field.duplicateKey": "“{key}” appears twice; only the first counts.",

  "intent.title": "Intent {n}",
  "intent.name": "Intent name",
  "intent.nameHelp": "Lower case with underscores, shown in call statistics, e.g. track_order.",
  "intent.examples": "Example phrases",
  "intent.examplesHelp": "How a caller might say it; more examples, better matches.",
  "intent.addExample": "Add example",
  "intent.example": "Example {n}",
  "intent.examplePlaceholder": "e.g. where is my package",
  "intent.keywords": "Keywords",
  "intent.keywordsHelp": "An answer containing one of these words matches.",
  "intent.addKeyword": "Add keyword",
  "intent.keyword": "Keyword {n}",
  "intent.dtmf": "Key",
  "intent.noKey": "None",
  "intent.next": "Then go to",
  "intent.add": "Add intent",
  "intent.remove": "Remove intent",

  "retry.noMatchTitle": "When not understood",
  "retry.noMatchHelp": "When the answer matches nothing, ask again in other words, then follow the connection.",
  "retry.noInputTitle": "When there is no response",
  "retry.noInputHelp": "When the caller says nothing, remind them, then follow the connection.",
  "retry.prompts": "Reprompts (used in order)",
  "retry.addPrompt": "Add reprompt",
  "retry.prompt": "Try {n}",
  "retry.max": "Ask again at most",
  "retry.maxHelp": "0 follows the connection at once.",
  "retry.then": "Then go to",

  "value.kind": "Kind of {label}",
  "value.text": "Text",
  "value.number": "Number",
  "value.boolean": "Yes/no",
  "value.json": "JSON",
  "value.true": "Yes (true)",
  "value.false": "No (false)",
  "value.badJson": "Not valid JSON: {error}",

  "outcome.resolved": "Resolved",
  "outcome.handoff": "Handed off",
  "outcome.abandoned": "Abandoned",
  "outcome.failed": "Failed",

  "flow.name": "Flow name",
  "flow.nameHelp": "Shown in the flow list and call records; subflows call the flow by it.",
  "flow.description": "Description",
  "flow.language": "Language",
  "flow.languageHelp": "The language of the prompts and of speech recognition.",
  "flow.start": "Start at",
  "flow.startHelp": "Every call begins here.",
  "flow.variables": "Variables",
  "flow.variablesHelp": "The flow's variables and starting values; outbound campaigns may override them.",
  "flow.variableName": "Name",
  "flow.variableValue": "Starting value",
  "flow.addVariable": "Add variable",
  "flow.removeVariable": "Remove variable",
  "flow.globalIntents": "Global intents",
  "flow.globalIntentsHelp": "Recognised at every question, e.g. “agent”.",
  "flow.angryCaller": "When a caller is angry",
  "flow.angryCallerHelp": "At any question, a caller who gets angry (e.g. “This is ridiculous, I want to complain!”) goes straight here, usually to an agent. Once per call; again only after the caller calmed down.",
  "flow.angryCallerNext": "Go to",
  "flow.angryCallerOff": "Nowhere (off)",
  "flow.angryCallerHandoffs": "Handoff nodes",
  "flow.angryCallerOthers": "Other nodes",
  "flow.angryCallerThreshold": "How angry",
  "flow.angryCallerThresholdHelp": "Between 0 and 1, 0.5 by default; the higher, the angrier a caller must be.",
  "flow.results": "Results",
  "flow.resultsHelp": "Variables counted when a call ends, such as a satisfaction score; the dashboard's Results page shows each one's distribution, mean and Net Promoter Score.",
  "flow.resultVar": "Variable",
  "flow.resultKind": "Kind",
  "flow.resultKind.score": "Score (0–10, with a Net Promoter Score)",
  "flow.resultKind.number": "Number",
  "flow.resultKind.choice": "Choice",
  "flow.resultKind.text": "Text (counted only)",
  "flow.addResult": "Add result",
  "flow.removeResult": "Remove result",
  "flow.settings": "Flow defaults",
  "flow.voiceHelp": "The voice used for speech synthesis.",
  "flow.noInputTimeout": "Default wait time (ms)",
  "flow.noInputTimeoutHelp": "Silence that counts as “no response”; default 5000.",
  "flow.intentThreshold": "Default intent threshold (0–1)",
  "flow.intentThresholdHelp": "Default 0.5.",
  "flow.errorMessage": "Said when the flow fails",
  "flow.errorMessageHelp": "Said before hanging up when the flow fails.",
  "language.zh-CN": "Chinese (zh-CN)",
  "language.en-US": "English (en-US)",

  "problems.title": "Problems",
  "problems.checking": "Checking…",
  "problems.none": "No problems found.",
  "problems.flow": "Flow settings",
  "problems.validateFailed": "The flow cannot be checked right now; these are the last results.",
  "severity.error": "Error",
  "severity.warning": "Warning",

  "publish.button": "Publish",
  "publish.title": "Publish a new version",
  "publish.help": "New calls will use this version. Published versions never change and can be restored at any time.",
  "publish.note": "What changed",
  "publish.notePlaceholder": "e.g. Added the return shipping answer",
  "publish.confirm": "Publish",
  "publish.publishing": "Publishing…",
  "publish.blocked": "The flow has {n} error(s); fix them before publishing (see “Problems” below).",
  "publish.done": "Published version {n}",

  "versions.help": "Every publish makes a version. Open an old one, or restore it into the draft.",
  "versions.none": "Not published yet.",
  "versions.label": "Version {n}",
  "versions.live": "Live",
  "versions.noNote": "(no note)",
  "versions.by": "Published by {who}",
  "versions.view": "View",
  "versions.restore": "Restore into draft",
  "versions.viewing": "Viewing version {n} (read-only): {note}",
  "versions.back": "Back to draft",

  "restore.title": "Restore version {n}?",
  "restore.message": "The draft is replaced by version {n} (Undo brings it back). The live version does not change until you publish again.",
  "restore.confirm": "Restore",
  "restore.done": "Version {n} restored into the draft",

  "conflict.title": "Someone else changed this flow",
  "conflict.message": "While you were editing, someone saved new content for this flow. Autosave has stopped so that nobody's changes are overwritten. Choose:",
  "conflict.reload": "Load the server's version",
  "conflict.reloadHelp": "Discard my changes here and see what was saved.",
  "conflict.keepCopy": "Keep my changes",
  "conflict.keepCopyHelp": "Save my changes as a new flow, “{name}”.",
  "conflict.reloaded": "Loaded the latest content from the server",

  "tryit.start": "Start conversation",
  "tryit.restart": "Start again",
  "tryit.hangup": "Hang up",
  "tryit.hungUp": "(hung up)",
  "tryit.help": "Talk to the draft as a caller would: typing is speaking; you can also press keys or stay silent. The draft is saved first.",
  "tryit.stale": "The draft changed after this conversation started; click “Start again” to use the latest content.",
  "tryit.saveFirst": "The draft could not be saved, so the conversation cannot start.",
  "tryit.inputLabel": "What the caller says",
  "tryit.placeholder": "Type what the caller says…",
  "tryit.placeholderIdle": "Click “Start conversation” first",
  "tryit.send": "Send",
  "tryit.keypad": "Keypad",
  "tryit.key": "Key {key}",
  "tryit.pressed": "Pressed: {keys}",
  "tryit.typed": "Keys: {keys}",
  "tryit.finishHint": "Press {key} to finish",
  "tryit.sendKeys": "Send keys",
  "tryit.silence": "Silence",
  "tryit.silent": "(says nothing)",
  "tryit.ended": "Call ended: {outcome}",
  "tryit.transfer": "Transferred to {type} {target}. Summary for the agent: {summary}",
  "tryit.statusEnded": "The call has ended.",
  "tryit.statusListening": "Waiting for an answer at “{node}” ({modes})",
  "tryit.statusWaiting": "Waiting…",
  "tryit.mode.speech": "speech",
  "tryit.mode.dtmf": "keys",
  "tryit.intent": "recognised intent {intent}",
  "tryit.emotion.angry": "caller angry {anger}",
  "tryit.emotion.negative": "caller unhappy {anger}",
  "tryit.kb.answered": "Answered from the knowledge base: “{question}” (match {score}%)",
  "tryit.kb.helpful": "The caller found the answer to “{question}” helpful",
  "tryit.kb.notHelpful": "The caller found the answer to “{question}” not helpful",
  "tryit.kb.missed": "No answer in the knowledge base for “{text}”",
  "tryit.kb.someEntry": "an entry",
  "tryit.vars": "Variables",
  "tryit.callSetup": "Call details (optional)",
  "tryit.callSetupHelp": "Pretend caller numbers and campaign variables, e.g. the customer's name for an outbound call; empty keeps the flow's initial value.",
  "tryit.from": "Caller (call.from)",
  "tryit.to": "Called number (call.to)",
  "tryit.showNode": "Show this node on the canvas",
  "tryit.notAllowed": "Your role cannot run test conversations.",

  "error.code": "Error code: {code}",
  "problem.network": "The server cannot be reached. Check the connection and try again.",
  "problem.invalid_credentials": "The email or the password is wrong.",
  "problem.unauthorized": "Please sign in.",
  "problem.forbidden": "You are not allowed to do this.",
  "problem.csrf_token_mismatch": "Your sign-in needs refreshing; please sign in again.",
  "problem.not_found": "Not found; it may have been deleted.",
  "problem.revision_conflict": "Someone else has saved newer content.",
  "problem.flow_name_taken": "A flow with this name already exists; choose another name.",
  "problem.invalid_body": "The content is incomplete or malformed.",
  "problem.flow_invalid": "The flow still has errors; fix them before publishing or trying it (see “Problems”).",
  "problem.precondition_required": "The save lacked its revision; reload the page.",
  "problem.too_many_flows": "At most 100 flows can be imported at once.",
  "problem.import_failed": "The import failed.",
  "problem.request_timeout": "The server took too long; try again later.",
  "problem.blocked": "For safety, the server refuses to contact this address.",
  "problem.body_too_large": "The content is too large.",
  "problem.malformed_json": "The content is not valid JSON.",
  "problem.session_ended": "This conversation has ended; start again.",
  "problem.turn_conflict": "The previous message is still being handled; send again in a moment.",
  "problem.flow_changed": "The flow has changed; start the conversation again.",
  "problem.not_published": "This flow has not been published yet.",
  "problem.invalid_digits": "Keys may only be 0–9, * and #.",
  "problem.database_unavailable": "The server's database is unavailable; try again later.",
  "problem.internal": "The server had a problem; try again later.",
  "problem.unknown": "Something went wrong (HTTP {status}).",

  "diag.dangling_port": "Leads to a missing node",
  "diag.missing_port": "Connection not made",
  "diag.duplicate_id": "Duplicate node id",
  "diag.duplicate_field": "Duplicate field",
  "diag.duplicate_intent": "Duplicate intent",
  "diag.duplicate_key": "Duplicate key",
  "diag.empty_condition": "Empty condition",
  "diag.empty_menu": "Menu without choices",
  "diag.empty_value": "Empty value",
  "diag.empty_text": "Nothing to say",
  "diag.empty_flow": "Flow without nodes",
  "diag.endless_loop": "Endless loop",
  "diag.loop_without_input": "Loop that never waits for the caller",
  "diag.expression_syntax": "Condition has a mistake",
  "diag.script_syntax": "Script has a mistake",
  "diag.template_syntax": "Placeholder {{ }} has a mistake",
  "diag.json_syntax": "JSON has a mistake",
  "diag.handoff_target": "Transfer target problem",
  "diag.intent_without_examples": "Intent without examples",
  "diag.intent_name_conflict": "Intent name conflict",
  "diag.intents_alike": "Intents too alike to tell apart",
  "diag.invalid_header": "Invalid header",
  "diag.invalid_id": "Invalid node id",
  "diag.invalid_key": "Invalid key",
  "diag.invalid_path": "Invalid answer field path",
  "diag.invalid_pattern": "Invalid format (regex)",
  "diag.invalid_range": "Invalid range",
  "diag.invalid_sip": "Invalid SIP address",
  "diag.invalid_url": "Invalid URL",
  "diag.invalid_variable": "Invalid variable name",
  "diag.invalid_status": "Invalid status code",
  "diag.invalid_value": "Invalid value",
  "diag.invalid_language": "Invalid language tag",
  "diag.invalid_phone": "Doubtful phone number",
  "diag.missing_pattern": "Format missing",
  "diag.missing_field": "Required field missing",
  "diag.missing_start": "No start",
  "diag.no_input_modes": "No accepted answers",
  "diag.out_of_range": "Out of range",
  "diag.too_large": "Too long",
  "diag.unknown_subflow": "Subflow not found",
  "diag.unknown_knowledge_base": "Knowledge base not found",
  "diag.unknown_queue": "Agent queue not found",
  "diag.unknown_field": "Unknown field",
  "diag.unknown_node_type": "Unknown node type",
  "diag.unsupported_schema": "Unsupported format version",
  "diag.wrong_type": "Wrong type",
  "diag.answer_not_saved": "Answer not saved",
  "diag.ignored_field": "Setting has no effect",
  "diag.shadowed_key": "Key hidden by another",
  "diag.unreachable_route": "Routing rule never used",
  "diag.unreachable": "Unreachable node",
  "diag.unknown_result": "No node sets this result variable",
  "diag.duplicate_result": "Result variable listed twice",

  ...nodeTexts.en,
  ...knowledgeTexts.en,
  ...analyticsTexts.en,
  ...widgetTexts.en,
};

export const dictionaries: Record<Lang, Record<MessageKey, string>> = { "zh-CN": zh, en };

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const text = dictionaries[lang][key] ?? dictionaries["zh-CN"][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

function hasKey(key: string): key is MessageKey {
  return key in zh;
}

/** The text of `key` when the dictionaries have it: for codes that come from the server. */
export function textFor(t: Translate, key: string, params?: Params): string | null {
  return hasKey(key) ? t(key, params) : null;
}

/** How a call ended, in words: `resolved` → "Resolved". */
export function outcomeName(t: Translate, outcome: string | null | undefined): string {
  const key = `outcome.${outcome ?? ""}`;
  return hasKey(key) ? t(key) : (outcome ?? "—");
}

/** A short name for a validation code, e.g. `missing_port` → "Connection not made". */
export function diagnosticTitle(t: Translate, code: string): string {
  const key = `diag.${code}`;
  return hasKey(key) ? t(key) : code;
}

/** The headline of an error: known problem codes in the user's language, else the server's words. */
export function problemMessage(t: Translate, error: unknown): string {
  if (error instanceof ApiError) {
    const key = `problem.${error.code}`;
    if (hasKey(key)) return t(key);
    return error.detail || error.title || t("problem.unknown", { status: error.status });
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A time from the server, epoch milliseconds or an RFC 3339 text, in the user's language. */
export function formatTime(lang: Lang, when: number | string): string {
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return String(when);
  return new Intl.DateTimeFormat(lang === "zh-CN" ? "zh-CN" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  }).format(date);
}

interface I18nValue {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
}

const I18nContext = createContext<I18nValue | null>(null);

function storedLang(): Lang {
  // The dashboard's switch sets only the cookie: it is the latest choice when present.
  const fromCookie = cookieLang();
  if (fromCookie) return fromCookie;
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === "en" || stored === "zh-CN") return stored;
  } catch {
    // No storage: the default language.
  }
  return "zh-CN";
}

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => initial ?? storedLang());
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    rememberLang(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Remembered for this page only.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang === "zh-CN" ? "zh-CN" : "en";
  }, [lang]);
  // Set while rendering, not in an effect, so that the very first requests carry it too.
  setRequestLanguage(lang === "zh-CN" ? "zh-CN" : "en");
  const t = useCallback<Translate>((key, params) => translate(lang, key, params), [lang]);
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return createElement(I18nContext.Provider, { value }, children);
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n needs an I18nProvider");
  return value;
}

/** The header's language switch: one button that changes to the other language. */
export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  const other: Lang = lang === "zh-CN" ? "en" : "zh-CN";
  return createElement(
    "button",
    {
      type: "button",
      className: "lang-switch",
      "data-testid": "lang-switch",
      "data-lang": lang,
      lang: other === "zh-CN" ? "zh-CN" : "en",
      "aria-label": t("app.switchToLabel"),
      onClick: () => setLang(other),
    },
    `🌐 ${t("app.switchTo")}`,
  );
}
