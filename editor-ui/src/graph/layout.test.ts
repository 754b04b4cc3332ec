import { describe, expect, it } from "vitest";

import type { FlowDocument } from "../flow/types";
import { exampleFlows } from "../test/flows";
import { lacksPositions, layoutDocument, placeMissing } from "./layout";

const strip = (doc: FlowDocument): FlowDocument => ({
  ...doc,
  nodes: doc.nodes.map(({ position: _position, ...node }) => node) as FlowDocument["nodes"],
});

describe("layoutDocument", () => {
  it("places every node of an example flow without positions, without overlaps, start at the origin", () => {
    const original = exampleFlows().find((e) => e.file === "order-status.json")!.doc;
    const bare = strip(original);
    expect(lacksPositions(bare)).toBe(true);
    const laid = layoutDocument(bare);
    expect(lacksPositions(laid)).toBe(false);
    const start = laid.nodes.find((n) => n.id === laid.start)!;
    expect(start.position).toEqual({ x: 0, y: 0 });
    const boxes = laid.nodes.map((n) => n.position!);
    for (let i = 0; i < boxes.length; i += 1) {
      for (let j = i + 1; j < boxes.length; j += 1) {
        const overlap = Math.abs(boxes[i].x - boxes[j].x) < 240 && Math.abs(boxes[i].y - boxes[j].y) < 60;
        expect(overlap, `${laid.nodes[i].id} / ${laid.nodes[j].id}`).toBe(false);
      }
    }
    // Only positions change.
    expect(strip(laid)).toEqual(bare);
  });

  it("puts a node after the one that leads to it", () => {
    const doc: FlowDocument = {
      schema: 1,
      name: "chain",
      language: "en-US",
      start: "a",
      nodes: [
        { id: "c", type: "end", outcome: "resolved" },
        { id: "b", type: "say", text: "", next: "c" },
        { id: "a", type: "say", text: "", next: "b" },
      ],
    };
    const laid = layoutDocument(doc);
    const x = (id: string) => laid.nodes.find((n) => n.id === id)!.position!.x;
    expect(x("a")).toBeLessThan(x("b"));
    expect(x("b")).toBeLessThan(x("c"));
  });

  it("placeMissing keeps placed nodes and puts the others below", () => {
    const doc: FlowDocument = {
      schema: 1,
      name: "mixed",
      language: "en-US",
      start: "a",
      nodes: [
        { id: "a", type: "say", text: "", next: "b", position: { x: 10, y: 20 } },
        { id: "b", type: "end", outcome: "resolved" },
      ],
    };
    const placed = placeMissing(doc);
    expect(placed.nodes[0]).toBe(doc.nodes[0]);
    expect(placed.nodes[1].position).toEqual({ x: 10, y: 260 });
  });
});
