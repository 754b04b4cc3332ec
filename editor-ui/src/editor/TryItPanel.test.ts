import { describe, expect, it } from "vitest";

import type { KnowledgeStep } from "../api";
import type { FlowDocument } from "../flow/types";
import { translate, type Lang, type MessageKey, type Params } from "../i18n";
import { emotionNote, knowledgeLine, optOutEntries, scriptErrorEntries, transferTargetName, transferTypeName, typedVars } from "./TryItPanel";

describe("typedVars", () => {
  const doc: FlowDocument = {
    schema: 1,
    name: "t",
    language: "zh-CN",
    start: "",
    nodes: [],
    variables: { customer_name: "尊敬的会员", coupon_amount: 20, vip: false },
  };

  it("gives typed values the flow's types and leaves empty ones out", () => {
    expect(typedVars({ customer_name: "王女士", coupon_amount: "30", vip: "true", other: "" }, doc)).toEqual({
      customer_name: "王女士",
      coupon_amount: 30,
      vip: true,
    });
  });

  it("keeps text that does not read as the declared type", () => {
    expect(typedVars({ coupon_amount: "thirty" }, doc)).toEqual({ coupon_amount: "thirty" });
  });
});

describe("knowledgeLine", () => {
  const t = (lang: Lang) => (key: MessageKey, params?: Params) => translate(lang, key, params);
  const answered: KnowledgeStep = {
    type: "kb_answered",
    knowledge_base: "shop-faq",
    entry: "kbe_01hx7",
    question: "多久发货",
    score: 0.873,
  };

  it("names the answered entry by its question with its score, never its id or base key", () => {
    const zh = knowledgeLine(t("zh-CN"), answered);
    const en = knowledgeLine(t("en"), answered);
    expect(zh).toBe("知识库回答了“多久发货”（匹配度 87%）");
    expect(en).toBe("Answered from the knowledge base: “多久发货” (match 87%)");
    for (const line of [zh, en]) {
      expect(line).not.toContain("kbe_01hx7");
      expect(line).not.toContain("shop-faq");
    }
  });

  it("says whether the answer helped, in both languages", () => {
    const feedback = (helpful: boolean): KnowledgeStep => ({
      type: "kb_feedback",
      knowledge_base: "shop-faq",
      entry: "kbe_1",
      question: "能开发票吗",
      helpful,
    });
    expect(knowledgeLine(t("zh-CN"), feedback(true))).toBe("来电者觉得“能开发票吗”的回答有帮助");
    expect(knowledgeLine(t("zh-CN"), feedback(false))).toBe("来电者觉得“能开发票吗”的回答没有帮助");
    expect(knowledgeLine(t("en"), feedback(false))).toBe("The caller found the answer to “能开发票吗” not helpful");
  });

  it("quotes what the caller said when the base has no answer", () => {
    const missed: KnowledgeStep = { type: "kb_missed", knowledge_base: "shop-faq", text: "你们老板是谁" };
    expect(knowledgeLine(t("zh-CN"), missed)).toBe("知识库里没有找到答案：“你们老板是谁”");
    expect(knowledgeLine(t("en"), missed)).toBe("No answer in the knowledge base for “你们老板是谁”");
  });

  it("never shows an id when the entry's question is unknown", () => {
    const line = knowledgeLine(t("en"), { ...answered, question: "" });
    expect(line).toContain("an entry");
    expect(line).not.toContain("kbe_01hx7");
  });
});

describe("emotionNote", () => {
  const t = (lang: Lang) => (key: MessageKey, params?: Params) => translate(lang, key, params);

  it("notes an angry or unhappy caller with the anger, in both languages", () => {
    const angry = { anger: 0.8, label: "angry" as const, trend: 0.86 };
    expect(emotionNote(t("zh-CN"), angry)).toBe("来电者生气 0.80");
    expect(emotionNote(t("en"), angry)).toBe("caller angry 0.80");
    expect(emotionNote(t("en"), { anger: 0.21, label: "negative", trend: 0.21 })).toBe("caller unhappy 0.21");
  });

  it("says nothing of calm or pleased callers, nor of turns without speech", () => {
    expect(emotionNote(t("en"), { anger: 0, label: "neutral", trend: 0 })).toBeNull();
    expect(emotionNote(t("en"), { anger: 0, label: "positive", trend: 0 })).toBeNull();
    expect(emotionNote(t("en"), null)).toBeNull();
    expect(emotionNote(t("en"), undefined)).toBeNull();
  });
});

describe("transfer lines", () => {
  const queues = [{ key: "after-sales", name: "售后", name_en: "After-sales" }];
  const zh = (key: MessageKey, params?: Params) => translate("zh-CN" as Lang, key, params);
  const en = (key: MessageKey, params?: Params) => translate("en" as Lang, key, params);

  it("names a queue by its name in the editor's language, other targets as they are", () => {
    expect(transferTargetName("queue", "after-sales", queues, "zh-CN")).toBe("售后");
    expect(transferTargetName("queue", "after-sales", queues, "en")).toBe("After-sales");
    expect(transferTargetName("queue", "vip", queues, "zh-CN")).toBe("vip");
    expect(transferTargetName("phone", "+8613800138000", queues, "zh-CN")).toBe("+8613800138000");
    expect(transferTargetName("queue", "after-sales", null, "zh-CN")).toBe("after-sales");
  });

  it("says the kind of target in words", () => {
    expect(transferTypeName(zh, "queue")).toBe("队列");
    expect(transferTypeName(en, "queue")).toBe("queue");
    expect(zh("tryit.transfer", { type: transferTypeName(zh, "queue"), target: "售后", summary: "要退货" })).toBe(
      "转接到队列“售后”。给客服的摘要：要退货",
    );
  });
});

describe("scriptErrorEntries", () => {
  it("shows each failed script as a system line, worded as the server sent it", () => {
    const view = {
      script_errors: [
        { node: "n_7f3a", text: "脚本出错（查询订单）：脚本因出错而停止：缺少订单号" },
        { node: "n_9c1d", text: "脚本出错（计算优惠）：除数为零" },
      ],
    };
    expect(scriptErrorEntries(view)).toEqual([
      { who: "system", text: "脚本出错（查询订单）：脚本因出错而停止：缺少订单号" },
      { who: "system", text: "脚本出错（计算优惠）：除数为零" },
    ]);
  });

  it("shows nothing when no script failed or the server does not say", () => {
    expect(scriptErrorEntries({ script_errors: [] })).toEqual([]);
    expect(scriptErrorEntries({})).toEqual([]);
  });
});

describe("optOutEntries", () => {
  const zh = (key: MessageKey, params?: Params) => translate("zh-CN", key, params);
  const en = (key: MessageKey, params?: Params) => translate("en", key, params);

  it("says the number was listed when the turn passed an opt_out node, in the editor's language", () => {
    expect(optOutEntries(zh, { opted_out: true })).toEqual([{ who: "system", text: "已登记不再来电" }]);
    expect(optOutEntries(en, { opted_out: true })).toEqual([{ who: "system", text: "Added to the do-not-call list" }]);
  });

  it("says nothing for other turns", () => {
    expect(optOutEntries(zh, { opted_out: false })).toEqual([]);
    expect(optOutEntries(zh, {})).toEqual([]);
  });
});
