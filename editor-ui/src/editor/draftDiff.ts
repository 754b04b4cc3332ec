// What publishing the draft would change: the draft against the live version, node by node
// (by id), and the flow's own fields. Where a node sits on the canvas changes no call, so a
// move alone is not a change.

import type { FlowDocument, FlowNode } from "../flow/types";

export interface NodeChange {
  id: string;
  type: string;
  label?: string;
  /** What people call the node (editor/flow/names.ts), when the caller gave names. */
  name?: string;
}

/** Names of a document's nodes by id. */
export type NodeNamer = (doc: FlowDocument) => ReadonlyMap<string, string>;

export interface DraftDiff {
  added: NodeChange[];
  removed: NodeChange[];
  changed: NodeChange[];
  /** The flow's own fields that differ (`name`, `variables`, `global_intents`, `settings`…), sorted. */
  fields: string[];
}

/** JSON with object keys sorted, so that two equal values always read the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonical(member)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function withoutPosition(node: FlowNode): unknown {
  const { position: _position, ...rest } = node as FlowNode & { position?: unknown };
  return rest;
}

function described(node: FlowNode, names?: ReadonlyMap<string, string>): NodeChange {
  const label = (node as { label?: unknown }).label;
  const name = names?.get(node.id);
  return {
    id: node.id,
    type: node.type,
    ...(typeof label === "string" && label.trim() ? { label } : {}),
    ...(name ? { name } : {}),
  };
}

/** `namer` names the nodes as people know them: removed ones as the live version called them. */
export function diffFlows(live: FlowDocument, draft: FlowDocument, namer?: NodeNamer): DraftDiff {
  const liveNames = namer?.(live);
  const draftNames = namer?.(draft);
  const before = new Map(live.nodes.map((node) => [node.id, node]));
  const after = new Map(draft.nodes.map((node) => [node.id, node]));
  const added = draft.nodes.filter((node) => !before.has(node.id)).map((node) => described(node, draftNames));
  const removed = live.nodes.filter((node) => !after.has(node.id)).map((node) => described(node, liveNames));
  const changed = draft.nodes
    .filter((node) => {
      const old = before.get(node.id);
      return old !== undefined && canonical(withoutPosition(old)) !== canonical(withoutPosition(node));
    })
    .map((node) => described(node, draftNames));
  const keys = new Set([...Object.keys(live), ...Object.keys(draft)]);
  keys.delete("nodes");
  const fields = [...keys]
    .filter((key) => canonical((live as Record<string, unknown>)[key]) !== canonical((draft as Record<string, unknown>)[key]))
    .sort();
  return { added, removed, changed, fields };
}

export function hasChanges(diff: DraftDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length + diff.fields.length > 0;
}
