import { describe, expect, it } from "vitest";

import { FLOW_NODE_ID } from "../flow/ports";
import type { FlowDocument } from "../flow/types";
import { copyNodes, deleteNodes, moveNodes, pasteNodes, renameNode, setPort, uniqueId } from "./ops";

const doc: FlowDocument = {
  schema: 1,
  name: "ops",
  language: "zh-CN",
  start: "greet",
  global_intents: [{ name: "agent", examples: ["转人工"], next: "agent" }],
  nodes: [
    { id: "greet", type: "say", text: "hi", next: "menu", position: { x: 0, y: 0 } },
    {
      id: "menu",
      type: "menu",
      prompt: "按1",
      choices: [{ key: "1", label: "订单", next: "agent" }],
      no_match: { prompts: ["?"], max: 2, next: "bye" },
      no_input: { max: 2, next: "bye" },
      position: { x: 280, y: 0 },
    },
    { id: "lookup", type: "http", url: "u", on_status: { "404": "bye" }, next: "bye", error: "agent", position: { x: 0, y: 160 } },
    { id: "agent", type: "handoff", queue: "q", next: "bye", error: "bye", position: { x: 560, y: 0 } },
    { id: "bye", type: "end", outcome: "resolved", position: { x: 840, y: 0 } },
  ],
};

describe("setPort", () => {
  it("connects a menu key", () => {
    const next = setPort(doc, "menu", "choice-0", "lookup");
    expect(next.nodes[1]).toMatchObject({ choices: [{ key: "1", label: "订单", next: "lookup" }] });
    expect(doc.nodes[1]).toMatchObject({ choices: [{ next: "agent" }] });
  });

  it("connects and disconnects an on_status entry", () => {
    const connected = setPort(doc, "lookup", "status-404", "agent");
    expect(connected.nodes[2]).toMatchObject({ on_status: { "404": "agent" } });
    const disconnected = setPort(connected, "lookup", "status-404", null);
    expect(disconnected.nodes[2]).toMatchObject({ on_status: { "404": "" } });
  });

  it("disconnecting an optional port removes it; a required one becomes empty", () => {
    const next = setPort(setPort(doc, "agent", "next", null), "agent", "error", null);
    expect(next.nodes[3]).not.toHaveProperty("next");
    expect(next.nodes[3]).toMatchObject({ error: "" });
  });

  it("connects the retry ports", () => {
    const next = setPort(doc, "menu", "no_input", "agent");
    expect(next.nodes[1]).toMatchObject({ no_input: { max: 2, next: "agent" }, no_match: { next: "bye" } });
  });

  it("sets the start and global intents through the flow node", () => {
    expect(setPort(doc, FLOW_NODE_ID, "start", "menu").start).toBe("menu");
    expect(setPort(doc, FLOW_NODE_ID, "global-0", "bye").global_intents?.[0]).toEqual({
      name: "agent",
      examples: ["转人工"],
      next: "bye",
    });
    expect(setPort(doc, FLOW_NODE_ID, "start", null).start).toBe("");
  });

  it("can connect an ask node's next even when the port is not shown", () => {
    const withAsk: FlowDocument = {
      ...doc,
      nodes: [
        ...doc.nodes,
        {
          id: "q",
          type: "ask",
          prompt: "?",
          intents: [{ name: "x", next: "bye" }],
          no_match: { next: "" },
          no_input: { next: "" },
        },
      ],
    };
    expect(setPort(withAsk, "q", "next", "bye").nodes[5]).toMatchObject({ next: "bye" });
  });

  it("ignores unknown ports and nodes", () => {
    expect(setPort(doc, "greet", "nope", "bye")).toBe(doc);
    expect(setPort(doc, "ghost", "next", "bye")).toBe(doc);
  });
});

describe("deleteNodes", () => {
  it("removes the nodes and clears every link to them", () => {
    const next = deleteNodes(doc, ["agent"]);
    expect(next.nodes.map((n) => n.id)).toEqual(["greet", "menu", "lookup", "bye"]);
    expect(next.nodes[1]).toMatchObject({ choices: [{ next: "" }] });
    expect(next.nodes[2]).toMatchObject({ error: "" });
    expect(next.global_intents?.[0].next).toBe("");
  });

  it("leaves the angry-caller trigger unconnected when its node goes, and off stays off", () => {
    const angry = { ...doc, angry_caller: { next: "agent", threshold: 0.6 } };
    expect(deleteNodes(angry, ["agent"]).angry_caller).toEqual({ next: "", threshold: 0.6 });
    expect(deleteNodes(angry, ["bye"]).angry_caller).toEqual({ next: "agent", threshold: 0.6 });
    expect(deleteNodes(doc, ["agent"]).angry_caller).toBeUndefined();
  });

  it("clears the start when the start node goes", () => {
    expect(deleteNodes(doc, ["greet"]).start).toBe("");
  });

  it("never deletes the flow node", () => {
    expect(deleteNodes(doc, [FLOW_NODE_ID])).toBe(doc);
  });
});

describe("renameNode", () => {
  it("renames the node and every link to it", () => {
    const next = renameNode(doc, "bye", "goodbye");
    expect(next.nodes[4].id).toBe("goodbye");
    expect(next.nodes[0]).toMatchObject({ next: "menu" });
    expect(next.nodes[1]).toMatchObject({ no_match: { next: "goodbye" }, no_input: { next: "goodbye" } });
    expect(next.nodes[2]).toMatchObject({ on_status: { "404": "goodbye" }, next: "goodbye" });
    expect(renameNode(doc, "greet", "hello").start).toBe("hello");
    const angry = { ...doc, angry_caller: { next: "agent" } };
    expect(renameNode(angry, "agent", "complaints").angry_caller).toEqual({ next: "complaints" });
  });
});

describe("copy and paste", () => {
  it("pastes copies with new ids; links between them follow, links out stay", () => {
    const clip = copyNodes(doc, ["agent", "bye"]);
    const { doc: next, ids } = pasteNodes(doc, clip, { x: 40, y: 40 });
    expect(ids).toEqual(["agent_2", "bye_2"]);
    expect(next.nodes[5]).toEqual({
      id: "agent_2",
      type: "handoff",
      queue: "q",
      next: "bye_2",
      error: "bye_2",
      position: { x: 600, y: 40 },
    });
    const { doc: other } = pasteNodes(doc, copyNodes(doc, ["greet"]), { x: 0, y: 0 });
    expect(other.nodes[5]).toMatchObject({ id: "greet_2", next: "menu" });
  });

  it("clears links to nodes the document does not have", () => {
    const clip = copyNodes(doc, ["agent"]);
    const empty: FlowDocument = { ...doc, nodes: [] };
    const { doc: next } = pasteNodes(empty, clip, { x: 0, y: 0 });
    expect(next.nodes[0]).toMatchObject({ id: "agent", error: "" });
    expect(next.nodes[0]).not.toHaveProperty("next");
  });
});

describe("moveNodes and uniqueId", () => {
  it("moves only the named nodes, rounding to whole pixels", () => {
    const next = moveNodes(doc, new Map([["greet", { x: 10.4, y: 20.6 }]]));
    expect(next.nodes[0].position).toEqual({ x: 10, y: 21 });
    expect(next.nodes[1]).toBe(doc.nodes[1]);
  });

  it("finds a free id", () => {
    expect(uniqueId(doc, "say_1")).toBe("say_1");
    expect(uniqueId(doc, "greet")).toBe("greet_2");
  });
});
