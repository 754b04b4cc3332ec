import { describe, expect, it } from "vitest";

import { FLOW_NODE_ID } from "../flow/ports";
import type { FlowDocument } from "../flow/types";
import { exampleFlows } from "../test/flows";
import { documentToGraph, graphToDocument, standInPosition, type Graph, type StepGraphNode } from "./convert";

const roundTrip = (doc: FlowDocument) => graphToDocument(documentToGraph(doc), doc);

describe("documentToGraph / graphToDocument", () => {
  const examples = exampleFlows();

  it("finds the example flows", () => {
    expect(examples.map((e) => e.file)).toEqual([
      "birthday-care.json",
      "complaints-en.json",
      "complaints.json",
      "order-status-en.json",
      "order-status.json",
      "returns-refunds.json",
      "satisfaction-survey.json",
      "shop-faq.json",
    ]);
  });

  for (const { file, doc } of examples) {
    it(`round-trips ${file} exactly`, () => {
      const frozen = structuredClone(doc);
      const back = roundTrip(doc);
      expect(back).toEqual(frozen);
      expect(doc).toEqual(frozen); // the input is not changed
    });

    it(`draws every connection of ${file} as an edge`, () => {
      const graph = documentToGraph(doc);
      expect(graph.nodes).toHaveLength(doc.nodes.length + 1);
      const ids = new Set(doc.nodes.map((n) => n.id));
      for (const edge of graph.edges) {
        expect(ids.has(edge.target)).toBe(true);
        expect(edge.targetHandle).toBe("in");
      }
      const startEdge = graph.edges.find((e) => e.source === FLOW_NODE_ID && e.sourceHandle === "start");
      expect(startEdge?.target).toBe(doc.start);
      const globals = graph.edges.filter((e) => e.source === FLOW_NODE_ID && e.sourceHandle?.startsWith("global-"));
      expect(globals).toHaveLength(doc.global_intents?.length ?? 0);
    });
  }

  it("keeps unknown fields, dangling and empty links, and nodes of unknown types", () => {
    const doc = {
      schema: 1,
      name: "odd",
      language: "zh-CN",
      start: "missing_start",
      x_top_level: { keep: [1, 2, 3] },
      nodes: [
        { id: "a", type: "say", text: "hi", next: "nowhere", x_extra: true, position: { x: 5, y: 6 } },
        { id: "b", type: "script", code: "", next: "", error: "a" },
        { id: "c", type: "future_kind", whatever: { next: "a" } },
        { id: "a", type: "end", outcome: "resolved" },
        { id: "", type: "end", outcome: "failed" },
      ],
    } as unknown as FlowDocument;
    expect(roundTrip(doc)).toEqual(doc);
  });

  it("leaves nodes without a position without one, but draws them on a grid", () => {
    const doc: FlowDocument = {
      schema: 1,
      name: "no positions",
      language: "en-US",
      start: "a",
      nodes: [
        { id: "a", type: "say", text: "hi", next: "b" },
        { id: "b", type: "end", outcome: "resolved" },
      ],
    };
    const graph = documentToGraph(doc);
    const b = graph.nodes.find((n) => n.id === "b") as StepGraphNode;
    expect(b.position).toEqual(standInPosition(1));
    expect(b.data.autoPlaced).toBe(true);
    expect(roundTrip(doc)).toEqual(doc);
  });

  it("gives duplicate ids distinct canvas ids and links to the first node of an id", () => {
    const doc = {
      schema: 1,
      name: "dup",
      language: "zh-CN",
      start: "x",
      nodes: [
        { id: "x", type: "say", text: "1", next: "x" },
        { id: "x", type: "say", text: "2", next: "x" },
      ],
    } as FlowDocument;
    const graph = documentToGraph(doc);
    expect(graph.nodes.map((n) => n.id)).toEqual([FLOW_NODE_ID, "x", "x#1"]);
    expect(graph.edges.filter((e) => e.target === "x")).toHaveLength(3);
    expect(roundTrip(doc)).toEqual(doc);
  });
});

describe("editing through the graph", () => {
  const base: FlowDocument = {
    schema: 1,
    name: "edit",
    language: "zh-CN",
    start: "ask",
    nodes: [
      {
        id: "ask",
        type: "ask",
        prompt: "?",
        intents: [{ name: "track", examples: ["查物流"], next: "say" }],
        no_match: { prompts: [], max: 2, next: "bye" },
        no_input: { max: 1, next: "bye" },
        position: { x: 0, y: 0 },
      },
      { id: "say", type: "say", text: "ok", next: "bye", position: { x: 280, y: 0 } },
      { id: "agent", type: "handoff", queue: "q", next: "bye", busy: "bye", error: "bye", position: { x: 280, y: 160 } },
      { id: "bye", type: "end", outcome: "resolved", position: { x: 560, y: 0 } },
    ],
  };

  const withEdges = (graph: Graph, edit: (edges: Graph["edges"]) => Graph["edges"]): Graph => ({
    nodes: graph.nodes,
    edges: edit(graph.edges),
  });

  it("a new edge sets the port's field", () => {
    const graph = documentToGraph(base);
    const edited = withEdges(graph, (edges) => [
      ...edges.filter((e) => e.id !== "ask->no_input"),
      { id: "new", source: "ask", sourceHandle: "no_input", target: "agent", targetHandle: "in" },
    ]);
    const doc = graphToDocument(edited, base);
    expect(doc.nodes[0]).toMatchObject({ no_input: { max: 1, next: "agent" } });
    expect(doc.nodes.slice(1)).toEqual(base.nodes.slice(1));
  });

  it("an edge from an intent sets that intent's next", () => {
    const graph = documentToGraph(base);
    const edited = withEdges(graph, (edges) =>
      edges.map((e) => (e.id === "ask->intent-0" ? { ...e, target: "agent" } : e)),
    );
    const doc = graphToDocument(edited, base);
    expect((doc.nodes[0] as { intents: { next: string }[] }).intents[0].next).toBe("agent");
  });

  it("removing the edge of a required port leaves it empty", () => {
    const graph = documentToGraph(base);
    const doc = graphToDocument(withEdges(graph, (edges) => edges.filter((e) => e.id !== "say->next")), base);
    expect(doc.nodes[1]).toEqual({ ...base.nodes[1], next: "" });
  });

  it("removing the edge of an optional port removes the field", () => {
    const graph = documentToGraph(base);
    const doc = graphToDocument(withEdges(graph, (edges) => edges.filter((e) => e.id !== "agent->busy")), base);
    expect(doc.nodes[2]).not.toHaveProperty("busy");
    expect(doc.nodes[2]).toMatchObject({ next: "bye", error: "bye" });
  });

  it("the flow's start and global intents are edges of the flow node", () => {
    const doc0: FlowDocument = { ...base, global_intents: [{ name: "agent", examples: ["转人工"], next: "agent" }] };
    const graph = documentToGraph(doc0);
    const edited = withEdges(graph, (edges) =>
      edges.map((e) =>
        e.id === `${FLOW_NODE_ID}->start` ? { ...e, target: "say" } : e.id === `${FLOW_NODE_ID}->global-0` ? { ...e, target: "bye" } : e,
      ),
    );
    const doc = graphToDocument(edited, doc0);
    expect(doc.start).toBe("say");
    expect(doc.global_intents?.[0].next).toBe("bye");
  });

  it("moving a node updates its position", () => {
    const graph = documentToGraph(base);
    const nodes = graph.nodes.map((n) => (n.id === "say" ? { ...n, position: { x: 300, y: 20 } } : n));
    const doc = graphToDocument({ nodes, edges: graph.edges } as Graph, base);
    expect(doc.nodes[1].position).toEqual({ x: 300, y: 20 });
    expect(doc.nodes[0]).toBe(base.nodes[0]);
  });

  it("removing a node from the graph removes it from the document", () => {
    const graph = documentToGraph(base);
    const doc = graphToDocument(
      { nodes: graph.nodes.filter((n) => n.id !== "agent"), edges: graph.edges.filter((e) => e.source !== "agent") },
      base,
    );
    expect(doc.nodes.map((n) => n.id)).toEqual(["ask", "say", "bye"]);
  });
});
