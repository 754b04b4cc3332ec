import { describe, expect, it } from "vitest";

import { translate, type Translate } from "../i18n";
import { flowsForPicking, flowTitle, flowTitleById, intentNameOf, newFlowKey, newIntentKey, newNodeLabel, nodeNames } from "./names";
import type { FlowDocument, FlowNode } from "./types";

const zh: Translate = (key, params) => translate("zh-CN", key, params);
const en: Translate = (key, params) => translate("en", key, params);

const nodes = [
  { id: "ask_1", type: "ask", prompt: "" },
  { id: "ask_2", type: "ask", prompt: "" },
  { id: "say_1", type: "say", label: "欢迎", text: "" },
  { id: "end_1", type: "end", label: "  " },
] as unknown as FlowNode[];

describe("names people see", () => {
  it("names a node by its label, else by its kind and a number, never by its id", () => {
    const names = nodeNames(zh, nodes);
    expect([...names.values()]).toEqual(["提问 1", "提问 2", "欢迎", "结束通话"]);
    expect([...nodeNames(en, nodes).values()].join(" ")).not.toMatch(/ask_|say_|end_/);
  });

  it("labels a new node with its kind and the first free number", () => {
    expect(newNodeLabel(zh, "ask", nodes)).toBe("提问 1");
    const labelled = [...nodes, { id: "x", type: "ask", label: "提问 1" }] as unknown as FlowNode[];
    expect(newNodeLabel(zh, "ask", labelled)).toBe("提问 2");
  });

  it("shows a flow's title, else its key", () => {
    expect(flowTitle({ name: "order-status", title: "订单查询" })).toBe("订单查询");
    expect(flowTitle({ name: "order-status", title: " " })).toBe("order-status");
    expect(flowTitle({ name: "order-status" })).toBe("order-status");
  });

  it("offers the flows titled in the page's language first, by their titles", () => {
    const flows = [
      { id: "1", name: "order-status-en", title: "Order status" },
      { id: "2", name: "order-status", title: "订单查询" },
      { id: "3", name: "complaints", title: "投诉处理" },
      { id: "4", name: "untitled" },
    ];
    const chinese = flowsForPicking(flows, "zh-CN").map((flow) => flow.id);
    // How Chinese titles sort among themselves is the collation's to say.
    expect(chinese.slice(0, 2).sort()).toEqual(["2", "3"]);
    expect(chinese.slice(2)).toEqual(["1", "4"]);
    expect(flowsForPicking(flows, "en").map((flow) => flow.id).slice(0, 2)).toEqual(["1", "4"]);
    expect(flows.map((flow) => flow.id)).toEqual(["1", "2", "3", "4"]);
  });

  it("names a flow by its id with its title, or nothing for a flow that is gone", () => {
    const flows = [{ id: "flw_1", name: "order-status", title: "订单查询" }];
    expect(flowTitleById(flows, "flw_1")).toBe("订单查询");
    expect(flowTitleById(flows, "flw_2")).toBeNull();
  });

  it("makes a flow's key from a template's key or English words, numbered past the keys taken", () => {
    expect(newFlowKey("订单查询", ["order-status"], "order-status")).toBe("order-status-2");
    expect(newFlowKey("Order status", [])).toBe("order-status");
    expect(newFlowKey("售后回访", ["flow"])).toBe("flow-2");
  });

  it("makes an intent's key that no intent of the node has", () => {
    expect(newIntentKey("", [{ name: "intent_2" }, { name: "track" }])).toBe("intent_3");
    expect(newIntentKey("Track order", [{ name: "track_order" }])).toBe("track_order_2");
  });

  it("names a recognised intent by its label", () => {
    const doc = {
      nodes: [{ id: "a", type: "ask", intents: [{ name: "track_order", label: "查订单", next: "" }] }],
      global_intents: [{ name: "agent", next: "" }],
    } as unknown as FlowDocument;
    expect(intentNameOf(doc, "track_order")).toBe("查订单");
    expect(intentNameOf(doc, "agent")).toBe("agent");
    expect(intentNameOf(doc, "gone")).toBe("gone");
  });
});
