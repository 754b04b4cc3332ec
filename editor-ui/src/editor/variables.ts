// The names a template or script can use: the flow's variables (declared, or set by a node)
// and what the call, the last answer and the shop provide.

import type { FlowDocument } from "../flow/types";

export const BUILTIN_NAMES = {
  call: ["call.from", "call.to", "call.channel", "call.direction", "call.id"],
  input: ["input.text", "input.digits", "input.intent"],
  tenant: ["tenant.name", "tenant.api"],
} as const;

/** Every `vars.<name>` the flow declares or assigns, sorted. */
export function flowVariables(doc: FlowDocument): string[] {
  const names = new Set<string>(Object.keys(doc.variables ?? {}));
  for (const node of doc.nodes) {
    const record = node as Record<string, unknown>;
    const slot = record.slot as { var?: unknown } | null | undefined;
    if (slot && typeof slot.var === "string") names.add(slot.var);
    if (typeof record.save_as === "string") names.add(record.save_as);
    if (Array.isArray(record.assign)) {
      for (const assignment of record.assign as { var?: unknown }[]) if (typeof assignment?.var === "string") names.add(assignment.var);
    }
    if (node.type === "http" && record.save && typeof record.save === "object") {
      Object.keys(record.save as object).forEach((name) => names.add(name));
    }
    if (node.type === "subflow" && record.outputs && typeof record.outputs === "object") {
      Object.keys(record.outputs as object).forEach((name) => names.add(name));
    }
  }
  names.delete("");
  return [...names].sort();
}
