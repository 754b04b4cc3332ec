import { describe, expect, it } from "vitest";

import type { FlowDocument } from "../flow/types";
import { diffFlows, hasChanges } from "./draftDiff";

const live = {
  schema: 1,
  name: "订单查询",
  language: "zh-CN",
  start: "hello",
  variables: { plan: "basic" },
  nodes: [
    { id: "hello", type: "say", label: "欢迎", text: "您好", next: "ask", position: { x: 0, y: 0 } },
    { id: "ask", type: "ask", prompt: "请问有什么可以帮您？", intents: [], next: "bye", position: { x: 0, y: 100 } },
    { id: "bye", type: "end", outcome: "resolved", position: { x: 0, y: 200 } },
  ],
} as unknown as FlowDocument;

const copy = (): FlowDocument => JSON.parse(JSON.stringify(live)) as FlowDocument;

describe("the draft against the live version", () => {
  it("is unchanged when only nodes moved or keys were reordered", () => {
    const draft = copy();
    draft.nodes[0] = { position: { x: 300, y: 40 }, next: "ask", text: "您好", label: "欢迎", type: "say", id: "hello" } as never;
    const diff = diffFlows(live, draft);
    expect(hasChanges(diff)).toBe(false);
  });

  it("names the nodes added, removed and changed, and the flow fields changed", () => {
    const draft = copy();
    (draft.nodes[0] as { text: string }).text = "您好，欢迎致电";
    draft.nodes = draft.nodes.filter((node) => node.id !== "bye");
    draft.nodes.push({ id: "agent", type: "handoff", label: "转人工", queue: "after-sales" } as never);
    draft.variables = { plan: "gold" };
    const diff = diffFlows(live, draft);
    expect(diff.added).toEqual([{ id: "agent", type: "handoff", label: "转人工" }]);
    expect(diff.removed).toEqual([{ id: "bye", type: "end" }]);
    expect(diff.changed).toEqual([{ id: "hello", type: "say", label: "欢迎" }]);
    expect(diff.fields).toEqual(["variables"]);
    expect(hasChanges(diff)).toBe(true);
  });
});
