import { describe, expect, it } from "vitest";

import { FLOW_NODE_ID } from "../flow/ports";
import { documentToGraph } from "../graph/convert";
import type { FlowDocument } from "../flow/types";
import type { Funnel } from "./api";
import { edgeCalls, edgeWidth, lastSevenDays, MAX_EDGE_WIDTH, MIN_EDGE_WIDTH, nodeStats, overlayOf } from "./funnel";

const doc = {
  name: "查订单",
  start: "ask_need",
  nodes: [
    {
      id: "ask_need",
      type: "ask",
      prompt: "请问您想办理什么？",
      intents: [
        { name: "track_order", examples: ["查订单"], next: "say_bye" },
        { name: "agent", examples: ["转人工"], next: "handoff_agent" },
      ],
      no_match: { prompts: ["抱歉"], max: 1, next: "handoff_agent" },
      no_input: { prompts: ["您好？"], max: 1, next: "say_bye" },
    },
    { id: "say_bye", type: "say", text: "再见", next: "end" },
    { id: "handoff_agent", type: "handoff", target: "queue:agents" },
    { id: "end", type: "end" },
  ],
} as unknown as FlowDocument;

const funnel: Funnel = {
  from: "2026-11-24",
  to: "2026-11-30",
  nodes: [
    { node: "ask_need", reached: 3, entered: 4, ended: 1, abandoned: 1, no_match: 2, no_input: 0 },
    { node: "handoff_agent", reached: 1, entered: 1, ended: 1, abandoned: 0, no_match: 0, no_input: 0 },
    { node: "say_bye", reached: 1, entered: 1, ended: 1, abandoned: 1, no_match: 0, no_input: 0 },
  ],
  steps: [
    { from: "ask_need", to: "handoff_agent", calls: 1 },
    { from: "ask_need", to: "say_bye", calls: 1 },
    { from: "say_bye", to: "end", calls: 0 },
    { from: "elsewhere", to: "ask_need", calls: 5 },
  ],
};

describe("the funnel on the canvas", () => {
  const edges = documentToGraph(doc).edges.map((e) => ({ id: e.id, source: e.source, target: e.target }));

  it("puts each step on the edge from its node to its target, the first port when several lead there", () => {
    const calls = edgeCalls(funnel.steps, edges);
    // ask_need reaches handoff_agent by an intent and by its no-match: the intent's port is first.
    expect(calls.get("ask_need->intent-1")).toBe(1);
    expect(calls.has("ask_need->no_match")).toBe(false);
    // track_order's port before no_input, both to say_bye.
    expect(calls.get("ask_need->intent-0")).toBe(1);
    // Steps with no calls, or between nodes without an edge (an older version's), draw nothing.
    expect(calls.has("say_bye->next")).toBe(false);
    expect([...calls.keys()].sort()).toEqual(["ask_need->intent-0", "ask_need->intent-1"]);
  });

  it("puts a global intent's jump on the flow node's edge for it", () => {
    const withGlobal = {
      ...doc,
      global_intents: [{ name: "complain", examples: ["我要投诉"], next: "handoff_agent" }],
    } as unknown as FlowDocument;
    const refs = documentToGraph(withGlobal).edges.map((e) => ({ id: e.id, source: e.source, target: e.target }));
    const jumps: Funnel["steps"] = [
      // say_bye has no edge to handoff_agent: the caller said the global intent there.
      { from: "say_bye", to: "handoff_agent", calls: 2 },
      // ask_need has its own edge there, which keeps its calls.
      { from: "ask_need", to: "handoff_agent", calls: 1 },
      // A node not on this graph (an older version's) still draws nothing.
      { from: "elsewhere", to: "handoff_agent", calls: 7 },
    ];
    const calls = edgeCalls(jumps, refs);
    expect(calls.get(`${FLOW_NODE_ID}->global-0`)).toBe(2);
    expect(calls.get("ask_need->intent-1")).toBe(1);
    expect([...calls.values()].reduce((a, b) => a + b, 0)).toBe(3);
  });

  it("gives each node its badge numbers and marks the one where most callers hung up", () => {
    const stats = nodeStats(funnel);
    expect(stats.get("ask_need")).toEqual({ reached: 3, hungUp: 1, hangupShare: 1 / 3, noMatch: 2, noInput: 0, mostHangups: true });
    // A tie goes to the node reached most (the server lists those first).
    expect(stats.get("say_bye")?.mostHangups).toBe(false);
    expect(stats.get("handoff_agent")).toMatchObject({ reached: 1, hungUp: 0, hangupShare: 0, mostHangups: false });
    expect(stats.has("end")).toBe(false);
    expect(nodeStats({ ...funnel, nodes: [{ ...funnel.nodes[1] }], steps: [] }).get("handoff_agent")?.mostHangups).toBe(false);
  });

  it("weighs edges in proportion to their calls", () => {
    const overlay = overlayOf(funnel, edges);
    expect(overlay.maxEdgeCalls).toBe(1);
    expect(edgeWidth(0, 10)).toBe(MIN_EDGE_WIDTH);
    expect(edgeWidth(10, 10)).toBe(MAX_EDGE_WIDTH);
    expect(edgeWidth(5, 10)).toBeCloseTo((MIN_EDGE_WIDTH + MAX_EDGE_WIDTH) / 2);
  });

  it("defaults to the last seven local days, today included", () => {
    expect(lastSevenDays(new Date(2026, 11, 3, 23, 30))).toEqual({ from: "2026-11-27", to: "2026-12-03" });
    expect(lastSevenDays(new Date(2026, 0, 2))).toEqual({ from: "2025-12-27", to: "2026-01-02" });
  });
});
