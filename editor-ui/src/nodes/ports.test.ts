import { describe, expect, it } from "vitest";

import { flowPorts } from "../flow/ports";
import type { FlowDocument, FlowNode } from "../flow/types";
import { exampleFlows } from "../test/flows";
import { nodePorts } from "./registry";

const summary = (node: FlowNode) => nodePorts(node).map((p) => [p.id, p.kind, p.name ?? null, p.target ?? null, p.optional]);

describe("nodePorts", () => {
  it("say, set: next", () => {
    expect(summary({ id: "s", type: "say", text: "", next: "b" })).toEqual([["next", "next", null, "b", false]]);
    expect(summary({ id: "s", type: "set", assign: [], next: "" })).toEqual([["next", "next", null, "", false]]);
  });

  it("ask: one port per intent, then next when used, no_match, no_input", () => {
    const ask: FlowNode = {
      id: "a",
      type: "ask",
      prompt: "?",
      intents: [
        { name: "track", next: "t" },
        { name: "refund", next: "r" },
      ],
      no_match: { next: "m" },
      no_input: { next: "i" },
    };
    expect(summary(ask)).toEqual([
      ["intent-0", "intent", "track", "t", false],
      ["intent-1", "intent", "refund", "r", false],
      ["no_match", "no_match", null, "m", false],
      ["no_input", "no_input", null, "i", false],
    ]);
    const keyed: FlowNode = { ...ask, intents: [{ name: "track", dtmf: "1", next: "t" }] };
    expect(nodePorts(keyed)[0]).toMatchObject({ id: "intent-0", name: "track", key: "1" });
    const withSlot = { ...ask, slot: { var: "order_id", type: "order_number" as const }, next: "n" };
    expect(summary(withSlot).map((p) => p[0])).toEqual(["intent-0", "intent-1", "next", "no_match", "no_input"]);
    const plain: FlowNode = { id: "a", type: "ask", prompt: "?", no_match: { next: "" }, no_input: { next: "" } };
    expect(summary(plain)).toEqual([
      ["next", "next", null, null, true],
      ["no_match", "no_match", null, "", false],
      ["no_input", "no_input", null, "", false],
    ]);
  });

  it("menu: one port per key", () => {
    const menu: FlowNode = {
      id: "m",
      type: "menu",
      prompt: "",
      choices: [
        { key: "1", label: "订单", next: "o" },
        { key: "#", next: "h" },
      ],
      no_match: { next: "x" },
      no_input: { next: "y" },
    };
    expect(summary(menu)).toEqual([
      ["choice-0", "choice", "1", "o", false],
      ["choice-1", "choice", "#", "h", false],
      ["no_match", "no_match", null, "x", false],
      ["no_input", "no_input", null, "y", false],
    ]);
  });

  it("branch: one port per condition, then else", () => {
    const branch: FlowNode = {
      id: "b",
      type: "branch",
      cases: [{ when: 'vars.status == "shipped"', next: "s" }],
      else: "e",
    };
    expect(summary(branch)).toEqual([
      ["case-0", "case", 'vars.status == "shipped"', "s", false],
      ["else", "else", null, "e", false],
    ]);
  });

  it("script: next and error", () => {
    expect(summary({ id: "c", type: "script", code: "", next: "n", error: "e" })).toEqual([
      ["next", "next", null, "n", false],
      ["error", "error", null, "e", false],
    ]);
  });

  it("http: each on_status entry, then next and error", () => {
    const http: FlowNode = {
      id: "h",
      type: "http",
      url: "",
      on_status: { "404": "nf", "5xx": "down", "a/b": "odd" },
      next: "ok",
      error: "err",
    };
    expect(summary(http)).toEqual([
      ["status-404", "status", "404", "nf", false],
      ["status-5xx", "status", "5xx", "down", false],
      ["status-a/b", "status", "a/b", "odd", false],
      ["next", "next", null, "ok", false],
      ["error", "error", null, "err", false],
    ]);
    expect(nodePorts(http)[2].path).toEqual(["on_status", "a/b"]);
  });

  it("handoff: next, no_answer and busy (optional), error", () => {
    expect(summary({ id: "h", type: "handoff", queue: "q", no_answer: "na", error: "e" })).toEqual([
      ["next", "next", null, null, true],
      ["no_answer", "no_answer", null, "na", true],
      ["busy", "busy", null, null, true],
      ["error", "error", null, "e", false],
    ]);
  });

  it("subflow: next, and error (optional)", () => {
    expect(summary({ id: "s", type: "subflow", flow: "child", next: "n" })).toEqual([
      ["next", "next", null, "n", false],
      ["error", "error", null, null, true],
    ]);
  });

  it("end and unknown types: none", () => {
    expect(summary({ id: "e", type: "end", outcome: "resolved" })).toEqual([]);
    expect(summary({ id: "x", type: "dance", next: "y" })).toEqual([]);
  });

  it("flow: start and each global intent", () => {
    const doc: FlowDocument = {
      schema: 1,
      name: "f",
      language: "zh-CN",
      start: "greet",
      nodes: [],
      global_intents: [{ name: "agent", next: "handoff" }],
    };
    expect(flowPorts(doc).map((p) => [p.id, p.path, p.target])).toEqual([
      ["start", ["start"], "greet"],
      ["global-0", ["global_intents", 0, "next"], "handoff"],
    ]);
  });

  it("every connection of the example flows is a port", () => {
    for (const { doc } of exampleFlows()) {
      const ids = new Set(doc.nodes.map((n) => n.id));
      for (const node of doc.nodes) {
        for (const port of nodePorts(node)) {
          if (port.target !== undefined) expect(ids.has(port.target), `${node.id}.${port.id}`).toBe(true);
        }
      }
    }
  });
});
