// Automatic layout: the call's main path left to right, branches below, with dagre.

import dagre from "@dagrejs/dagre";

import type { FlowDocument, Position } from "../flow/types";
import { nodePorts } from "../nodes/registry";

export interface Size {
  width: number;
  height: number;
}

/** A node's size before the canvas has measured it: a header, a summary and one row per port. */
export function estimatedSize(portCount: number): Size {
  return { width: 240, height: 72 + Math.max(1, portCount) * 24 };
}

/**
 * The document with every node placed by the layout (top-left corners, whole pixels).
 * `sizes` are the measured sizes by node id, where known.
 */
export function layoutDocument(doc: FlowDocument, sizes: ReadonlyMap<string, Size> = new Map()): FlowDocument {
  if (doc.nodes.length === 0) return doc;
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90, edgesep: 20, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));

  const ids = new Set<string>();
  for (const node of doc.nodes) {
    if (ids.has(node.id)) continue;
    ids.add(node.id);
    const size = sizes.get(node.id) ?? estimatedSize(nodePorts(node).length);
    graph.setNode(node.id, { width: size.width, height: size.height });
  }
  for (const node of doc.nodes) {
    nodePorts(node).forEach((port, order) => {
      if (port.target && ids.has(port.target) && port.target !== node.id) {
        // Earlier ports (intents, the happy path) weigh more, so they stay on the main line.
        graph.setEdge(node.id, port.target, { weight: order === 0 ? 3 : 1, minlen: 1 }, `${node.id}:${port.id}`);
      }
    });
  }
  dagre.layout(graph);

  const placed = new Map<string, Position>();
  for (const id of ids) {
    const box = graph.node(id) as { x: number; y: number; width: number; height: number } | undefined;
    if (box) placed.set(id, { x: Math.round(box.x - box.width / 2), y: Math.round(box.y - box.height / 2) });
  }
  // The start node at the origin, so the flow opens where it begins.
  const origin = placed.get(doc.start) ?? { x: 0, y: 0 };
  return {
    ...doc,
    nodes: doc.nodes.map((node) => {
      const position = placed.get(node.id);
      return position ? { ...node, position: { x: position.x - origin.x, y: position.y - origin.y } } : node;
    }),
  };
}

/** Whether no node of the document has a position (an imported or hand-written flow). */
export function lacksPositions(doc: FlowDocument): boolean {
  return doc.nodes.length > 0 && doc.nodes.every((node) => !node.position);
}

/**
 * Places the nodes that have no position below the others, in a row, leaving the placed ones
 * where they are.
 */
export function placeMissing(doc: FlowDocument): FlowDocument {
  const placed = doc.nodes.filter((node) => node.position);
  if (placed.length === doc.nodes.length) return doc;
  const bottom = placed.reduce((max, node) => Math.max(max, node.position!.y), 0) + 240;
  const left = placed.reduce((min, node) => Math.min(min, node.position!.x), Infinity);
  let column = 0;
  return {
    ...doc,
    nodes: doc.nodes.map((node) =>
      node.position ? node : { ...node, position: { x: (Number.isFinite(left) ? left : 0) + 280 * column++, y: bottom } },
    ),
  };
}
