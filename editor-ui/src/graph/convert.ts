// Flow document ⇄ canvas graph. The document is the truth; the graph is a view of it that
// React Flow can draw. `graphToDocument(documentToGraph(doc), doc)` gives back `doc` exactly:
// positions, unconnected and dangling ports and unknown fields included.

import type { Edge, Node } from "@xyflow/react";

import { FLOW_NODE_ID, flowPorts, type Port } from "../flow/ports";
import { getAt, removeAt, setAt, type PathKey } from "../flow/pointer";
import type { FlowDocument, FlowNode, Position } from "../flow/types";
import { nodePorts } from "../nodes/registry";

export const GRID_X = 280;
export const GRID_Y = 200;

export type StepNodeData = {
  kind: "step";
  /** The document node as it is, position included. */
  node: FlowNode;
  /** Its index in `doc.nodes`. */
  index: number;
  ports: Port[];
  /** Drawn at a stand-in position because the document gives none. */
  autoPlaced: boolean;
};

export type FlowEntryData = {
  kind: "flow";
  ports: Port[];
};

export type StepGraphNode = Node<StepNodeData, "step">;
export type FlowGraphNode = Node<FlowEntryData, "flow">;
export type GraphNode = StepGraphNode | FlowGraphNode;
export type GraphEdge = Edge<{ port: Port }>;

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface ToGraphOptions {
  /** Where to draw the flow's entry; by default left of the start node. */
  flowNodePosition?: Position;
}

/** Where a node without a position is drawn: a grid in document order. */
export function standInPosition(index: number): Position {
  return { x: (index % 6) * GRID_X, y: Math.floor(index / 6) * GRID_Y + GRID_Y };
}

/**
 * Canvas ids for the document's nodes, by index. A node's id is its canvas id unless it is
 * empty or taken by an earlier node (a mistake validation reports): those get `<id>#<index>`.
 */
export function canvasIds(doc: FlowDocument): string[] {
  const seen = new Set<string>([FLOW_NODE_ID]);
  return nodesOf(doc).map((node, index) => {
    const id = typeof node.id === "string" ? node.id : "";
    const canvasId = id !== "" && !seen.has(id) ? id : `${id}#${index}`;
    seen.add(canvasId);
    return canvasId;
  });
}

function nodesOf(doc: FlowDocument): FlowNode[] {
  return Array.isArray(doc.nodes) ? doc.nodes : [];
}

function isPosition(value: unknown): value is Position {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as Position).x === "number" &&
    typeof (value as Position).y === "number"
  );
}

export function documentToGraph(doc: FlowDocument, options: ToGraphOptions = {}): Graph {
  const nodes = nodesOf(doc);
  const ids = canvasIds(doc);
  const byDocumentId = new Map<string, string>();
  nodes.forEach((node, index) => {
    if (typeof node.id === "string" && !byDocumentId.has(node.id)) byDocumentId.set(node.id, ids[index]);
  });

  const graphNodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const addEdges = (source: string, ports: Port[]) => {
    for (const port of ports) {
      const target = port.target ? byDocumentId.get(port.target) : undefined;
      if (target === undefined) continue;
      edges.push({
        id: `${source}->${port.id}`,
        source,
        sourceHandle: port.id,
        target,
        targetHandle: "in",
        data: { port },
      });
    }
  };

  const entryPorts = flowPorts(doc);
  const startIndex = nodes.findIndex((node) => node.id === doc.start);
  const startPosition =
    startIndex >= 0
      ? isPosition(nodes[startIndex].position)
        ? nodes[startIndex].position
        : standInPosition(startIndex)
      : { x: 0, y: 0 };
  graphNodes.push({
    id: FLOW_NODE_ID,
    type: "flow",
    position: options.flowNodePosition ?? { x: (startPosition?.x ?? 0) - GRID_X, y: startPosition?.y ?? 0 },
    data: { kind: "flow", ports: entryPorts },
    deletable: false,
  });
  addEdges(FLOW_NODE_ID, entryPorts);

  nodes.forEach((node, index) => {
    const ports = nodePorts(node);
    const placed = isPosition(node.position);
    graphNodes.push({
      id: ids[index],
      type: "step",
      position: placed ? { x: node.position!.x, y: node.position!.y } : standInPosition(index),
      data: { kind: "step", node, index, ports, autoPlaced: !placed },
    });
    addEdges(ids[index], ports);
  });
  return { nodes: graphNodes, edges };
}

/**
 * The port's field after the graph's edges: an edge sets it; a connection whose edge was
 * removed is cleared (`""`, or removed when the port is optional); anything else, such as a
 * link to a node that does not exist, stays as it was.
 */
function applyPort<T>(
  owner: T,
  port: Port,
  edge: GraphEdge | undefined,
  documentIdOf: Map<string, string>,
  path: PathKey[] = port.path,
): T {
  if (edge) {
    const target = documentIdOf.get(edge.target) ?? edge.target;
    return getAt(owner, path) === target ? owner : setAt(owner, path, target);
  }
  const current = port.target;
  const wasConnected = current !== undefined && current !== "" && [...documentIdOf.values()].includes(current);
  if (!wasConnected) return owner;
  return port.optional ? removeAt(owner, path) : setAt(owner, path, "");
}

export function graphToDocument(graph: Graph, baseDoc: FlowDocument): FlowDocument {
  const documentIdOf = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.data.kind === "step") documentIdOf.set(node.id, node.data.node.id);
  }
  const edgeOf = new Map<string, GraphEdge>();
  for (const edge of graph.edges) edgeOf.set(`${edge.source}\u0000${edge.sourceHandle ?? ""}`, edge);

  let doc: FlowDocument = { ...baseDoc };
  const steps: FlowNode[] = [];
  for (const graphNode of graph.nodes) {
    if (graphNode.data.kind === "flow") {
      for (const port of graphNode.data.ports) {
        doc = applyPort(doc, port, edgeOf.get(`${graphNode.id}\u0000${port.id}`), documentIdOf);
      }
      continue;
    }
    const data = graphNode.data;
    let node: FlowNode = data.node;
    if (!data.autoPlaced) {
      const { x, y } = graphNode.position;
      const old = node.position;
      if (!isPosition(old) || old.x !== x || old.y !== y) node = { ...node, position: { ...(isPosition(old) ? old : {}), x, y } };
    }
    for (const port of nodePorts(node)) {
      node = applyPort(node, port, edgeOf.get(`${graphNode.id}\u0000${port.id}`), documentIdOf);
    }
    steps.push(node);
  }
  doc.nodes = steps;
  return doc;
}
