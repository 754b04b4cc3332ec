import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { describe, expect, it } from "vitest";

import { flowVariables } from "../editor/variables";
import type { FlowDocument, FlowNode, NodeType } from "../flow/types";
import { newNode } from "../graph/ops";
import { translate, type MessageKey, type Translate } from "../i18n";
import { connectablePorts, iconOf, NODE_TYPES, nodePorts, portLabel, summaryOf, typeHelp, typeName } from "./registry";

const empty: FlowDocument = { schema: 1, name: "f", language: "zh-CN", start: "", nodes: [] };
const t = (key: MessageKey, params?: Record<string, string | number>) => translate("en", key, params);

describe("the palette", () => {
  it("offers every node kind of the schema, in the schema's order", () => {
    const schema = JSON.parse(readFileSync(resolve(process.cwd(), "../schema/flow-v1.schema.json"), "utf8"));
    const kinds = schema.$defs.Node.oneOf.map((node: { properties: { type: { const: string } } }) => node.properties.type.const);
    expect(NODE_TYPES).toEqual(kinds);
  });

  it("adds nodes with their starting values, a fresh id and a whole-pixel position", () => {
    const at = { x: 10.4, y: 20.6 };
    for (const type of NODE_TYPES) expect(newNode(empty, type, at)).toMatchObject({ id: `${type}_1`, position: { x: 10, y: 21 }, type });
    const common = { position: { x: 10, y: 21 } };
    const retry = { prompts: [], max: 2, next: "" };
    const starting = {
      say: { text: "", next: "" },
      ask: { prompt: "", no_match: retry, no_input: retry },
      menu: { prompt: "", choices: [{ key: "1", label: "", next: "" }], no_match: retry, no_input: retry },
      branch: { cases: [{ when: "", next: "" }], else: "" },
      set: { assign: [{ var: "", value: "" }], next: "" },
      script: { code: "", next: "", error: "" },
      http: { method: "GET", url: "", timeout_ms: 3000, next: "", error: "" },
      handoff: { queue: "", error: "" },
      subflow: { flow: "", next: "" },
      end: { outcome: "resolved" },
    } as const;
    for (const [type, fields] of Object.entries(starting)) {
      expect(newNode(empty, type as NodeType, at)).toEqual({ id: `${type}_1`, ...common, type, ...fields });
    }
    const withSay = { ...empty, nodes: [newNode(empty, "say", at)] };
    expect(newNode(withSay, "say", at).id).toBe("say_2");
  });

  it("names and explains each kind, and shows an unknown kind as it is", () => {
    expect([iconOf("http"), typeName(t, "http"), typeHelp(t, "http")]).toEqual(["🌐", "Call an API", "Calls the shop's own API, e.g. to look up an order"]);
    expect([iconOf("no_such_kind"), typeName(t, "no_such_kind"), typeHelp(t, "no_such_kind")]).toEqual(["▫️", "no_such_kind", ""]);
    expect(iconOf("constructor")).toBe("▫️");
  });
});

describe("a node on the canvas", () => {
  it("shows one line about what it does", () => {
    const nodes: FlowNode[] = [
      { id: "a", type: "say", text: "您好", next: "" },
      { id: "b", type: "ask", prompt: "请问？", no_match: { next: "" }, no_input: { next: "" } },
      { id: "c", type: "set", assign: [{ var: "x", value: 1 }, { var: "y", value: "" }], next: "" },
      { id: "d", type: "script", code: "// tidy\n\nvars.eta = 2;\nvars.x = 1;", next: "", error: "" },
      { id: "e", type: "http", url: "https://shop/orders", next: "", error: "" },
      { id: "f", type: "handoff", phone: "+8613800138000", error: "" },
      { id: "g", type: "subflow", flow: "退货", next: "" },
      { id: "h", type: "end", outcome: "abandoned" },
      { id: "i", type: "branch", cases: [], else: "" },
      { id: "j", type: "no_such_kind", text: "kept" },
    ];
    const zh: Translate = (key, params) => translate("zh-CN", key, params);
    const en: Translate = (key, params) => translate("en", key, params);
    expect(nodes.map((node) => summaryOf(zh, node))).toEqual(["您好", "请问？", "x = y =", "vars.eta = 2;", "GET https://shop/orders", "+8613800138000", "退货", "中途放弃", "", ""]);
    // The outcome is a name in the editor's language, never the stored value.
    expect(summaryOf(en, nodes[7])).toBe("Abandoned");
  });

  it("summarises a node whose fields do not follow the schema", () => {
    expect(summaryOf(t, { id: "s", type: "set", assign: "x", next: "" } as unknown as FlowNode)).toBe("");
    expect(summaryOf(t, { id: "s", type: "say", text: 3, next: "" } as unknown as FlowNode)).toBe("");
  });

  it("names ports after the kind where the general name does not fit", () => {
    const names = (node: FlowNode) => nodePorts(node).map((port) => portLabel(t, node.type, port));
    expect(names({ id: "h", type: "handoff", error: "" })).toEqual(["After the transfer", "No answer", "Busy", "Transfer failed"]);
    expect(names({ id: "s", type: "script", code: "", next: "", error: "" })).toEqual(["Done", "On error"]);
    expect(names({ id: "a", type: "ask", prompt: "", no_match: { next: "" }, no_input: { next: "" } })).toEqual(["Answered", "Not understood", "No response"]);
  });

  it("an ask node's next port is drawn only when used, and can always be connected", () => {
    const ask: FlowNode = { id: "a", type: "ask", prompt: "", intents: [{ name: "x", next: "" }], no_match: { next: "" }, no_input: { next: "" } };
    expect(nodePorts(ask).map((port) => port.id)).toEqual(["intent-0", "no_match", "no_input"]);
    expect(connectablePorts(ask).map((port) => port.id)).toEqual(["intent-0", "no_match", "no_input", "next"]);
    expect(connectablePorts({ id: "x", type: "no_such_kind", next: "y" })).toEqual([]);
  });
});

describe("flow variables", () => {
  it("are those declared and those the nodes set, each kind saying which", () => {
    const doc: FlowDocument = {
      ...empty,
      variables: { order_id: "", zeta: 1 },
      nodes: [
        { id: "a", type: "ask", prompt: "", slot: { var: "phone", type: "phone_number" }, save_as: "reason", no_match: { next: "" }, no_input: { next: "" } },
        { id: "s", type: "set", assign: [{ var: "count", value: 0 }, { var: "", value: 1 }], next: "" },
        { id: "h", type: "http", url: "", save: { status: "body.status" }, next: "", error: "" },
        { id: "c", type: "subflow", flow: "child", outputs: { refund: "amount" }, next: "" },
        { id: "m", type: "menu", prompt: "", choices: [], save_as: "ignored", no_match: { next: "" }, no_input: { next: "" } } as unknown as FlowNode,
        { id: "x", type: "no_such_kind", save_as: "unknown_kind" },
      ],
    };
    expect(flowVariables(doc)).toEqual(["count", "order_id", "phone", "reason", "refund", "status", "zeta"]);
  });
});
