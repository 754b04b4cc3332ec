// Editing operations on a flow document. Each takes a document and gives a new one; nothing is
// changed in place, so every version can be kept for undo.

import { FLOW_NODE_ID, flowPorts, type Port } from "../flow/ports";
import { removeAt, setAt } from "../flow/pointer";
import type { FlowDocument, FlowNode, NodeType, Position } from "../flow/types";
import { connectablePorts, createNode, nodePorts } from "../nodes/registry";

export function nodeIndex(doc: FlowDocument, id: string): number {
  return doc.nodes.findIndex((node) => node.id === id);
}

export function findNode(doc: FlowDocument, id: string): FlowNode | undefined {
  return doc.nodes.find((node) => node.id === id);
}

/** The ports of a node (or of the flow) that may be connected, drawn or not. */
function portsOf(doc: FlowDocument, source: string): Port[] {
  if (source === FLOW_NODE_ID) return flowPorts(doc);
  const node = findNode(doc, source);
  return node ? connectablePorts(node) : [];
}

/**
 * Connects a port to a node, or disconnects it when `target` is null: a required port becomes
 * `""` (validation then asks for a connection), an optional one is removed.
 */
export function setPort(doc: FlowDocument, source: string, portId: string, target: string | null): FlowDocument {
  const port = portsOf(doc, source).find((p) => p.id === portId);
  if (!port) return doc;
  if (source === FLOW_NODE_ID) {
    return target === null ? setAt(doc, port.path, "") : setAt(doc, port.path, target);
  }
  return updateNode(doc, source, (node) => {
    if (target !== null) return setAt(node, port.path, target);
    return port.optional ? removeAt(node, port.path) : setAt(node, port.path, "");
  });
}

export function updateNode(doc: FlowDocument, id: string, update: (node: FlowNode) => FlowNode): FlowDocument {
  const index = nodeIndex(doc, id);
  if (index < 0) return doc;
  const updated = update(doc.nodes[index]);
  if (updated === doc.nodes[index]) return doc;
  const nodes = doc.nodes.slice();
  nodes[index] = updated;
  return { ...doc, nodes };
}

/** Clears every port (and the start) that leads to one of `ids`. */
function clearLinksTo(doc: FlowDocument, ids: ReadonlySet<string>): FlowDocument {
  let result = doc;
  for (const port of flowPorts(result)) {
    if (port.target !== undefined && ids.has(port.target)) result = setAt(result, port.path, "");
  }
  const nodes = result.nodes.map((node) => {
    let updated = node;
    for (const port of nodePorts(node)) {
      if (port.target !== undefined && ids.has(port.target)) {
        updated = port.optional ? removeAt(updated, port.path) : setAt(updated, port.path, "");
      }
    }
    return updated;
  });
  return { ...result, nodes };
}

export function deleteNodes(doc: FlowDocument, ids: Iterable<string>): FlowDocument {
  const gone = new Set(ids);
  gone.delete(FLOW_NODE_ID);
  if (gone.size === 0) return doc;
  const kept = { ...doc, nodes: doc.nodes.filter((node) => !gone.has(node.id)) };
  return clearLinksTo(kept, gone);
}

export function moveNodes(doc: FlowDocument, positions: ReadonlyMap<string, Position>): FlowDocument {
  let changed = false;
  const nodes = doc.nodes.map((node) => {
    const position = positions.get(node.id);
    if (!position) return node;
    const x = Math.round(position.x);
    const y = Math.round(position.y);
    if (node.position && node.position.x === x && node.position.y === y) return node;
    changed = true;
    return { ...node, position: { ...(node.position ?? {}), x, y } };
  });
  return changed ? { ...doc, nodes } : doc;
}

/** A fresh id like `ask_3` (or `<base>_2` for a copy) that no node of the document has. */
export function uniqueId(doc: FlowDocument, base: string, taken: ReadonlySet<string> = new Set()): string {
  const used = new Set([...doc.nodes.map((node) => node.id), ...taken]);
  const stem = base.replace(/_\d+$/, "") || "node";
  if (!used.has(base) && base !== "") return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${stem}_${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** A new node of `type` at `position`, with an id no node of `doc` has and, when given, the
 * label people know it by (the id is never shown). */
export function newNode(doc: FlowDocument, type: NodeType, position: Position, label?: string): FlowNode {
  const common = { id: uniqueId(doc, `${type}_1`), position: { x: Math.round(position.x), y: Math.round(position.y) } };
  const node = createNode(type, common);
  return label ? { ...node, label } : node;
}

export function addNode(doc: FlowDocument, node: FlowNode): FlowDocument {
  const added = { ...doc, nodes: [...doc.nodes, node] };
  return doc.start === "" && doc.nodes.length === 0 ? { ...added, start: node.id } : added;
}

/** Renames a node and every link to it. */
export function renameNode(doc: FlowDocument, from: string, to: string): FlowDocument {
  if (from === to || nodeIndex(doc, from) < 0) return doc;
  let result = updateNode(doc, from, (node) => ({ ...node, id: to }));
  if (result.start === from) result = { ...result, start: to };
  for (const port of flowPorts(result)) {
    if (port.target === from) result = setAt(result, port.path, to);
  }
  const nodes = result.nodes.map((node) => {
    let updated = node;
    for (const port of nodePorts(node)) if (port.target === from) updated = setAt(updated, port.path, to);
    return updated;
  });
  return { ...result, nodes };
}

/** What Ctrl+C keeps: the chosen nodes as they are. */
export interface Clipboard {
  callflowNodes: FlowNode[];
}

export function copyNodes(doc: FlowDocument, ids: Iterable<string>): Clipboard {
  const chosen = new Set(ids);
  return { callflowNodes: doc.nodes.filter((node) => chosen.has(node.id)) };
}

export function isClipboard(value: unknown): value is Clipboard {
  return (
    value !== null &&
    typeof value === "object" &&
    Array.isArray((value as Clipboard).callflowNodes) &&
    (value as Clipboard).callflowNodes.every((node) => node && typeof node === "object" && typeof node.id === "string")
  );
}

/**
 * Pastes copied nodes with fresh ids, shifted by `offset`. Links between the pasted nodes follow
 * them; links to nodes of the document stay; other links are cleared. Returns the new ids.
 */
export function pasteNodes(
  doc: FlowDocument,
  clipboard: Clipboard,
  offset: Position,
): { doc: FlowDocument; ids: string[] } {
  const renamed = new Map<string, string>();
  const taken = new Set<string>();
  for (const node of clipboard.callflowNodes) {
    const id = uniqueId(doc, node.id, taken);
    taken.add(id);
    renamed.set(node.id, id);
  }
  const existing = new Set(doc.nodes.map((node) => node.id));
  const pasted = clipboard.callflowNodes.map((original) => {
    let node: FlowNode = { ...original, id: renamed.get(original.id)! };
    if (original.position) {
      node.position = { ...original.position, x: original.position.x + offset.x, y: original.position.y + offset.y };
    }
    for (const port of nodePorts(node)) {
      if (!port.target) continue;
      const target = renamed.get(port.target) ?? (existing.has(port.target) ? port.target : null);
      if (target === port.target) continue;
      node = target !== null ? setAt(node, port.path, target) : port.optional ? removeAt(node, port.path) : setAt(node, port.path, "");
    }
    return node;
  });
  return { doc: { ...doc, nodes: [...doc.nodes, ...pasted] }, ids: [...renamed.values()] };
}
