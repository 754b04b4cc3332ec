// Where each validation diagnostic belongs: a node (by id) and a field inside it, or the flow.

import type { Diagnostic } from "../api";
import { FLOW_NODE_ID } from "./ports";
import { parsePointer, toPointer } from "./pointer";
import type { FlowDocument } from "./types";

export interface LocatedDiagnostic extends Diagnostic {
  /** The node's id, or FLOW_NODE_ID for the flow's own fields. */
  owner: string;
  /** Pointer below the node (`/intents/0/next`), or from the root for the flow's fields. */
  path: string;
}

/**
 * Locates diagnostics computed for `validated`: a field under `/nodes/<i>` belongs to the node at
 * that index (its id as the diagnostic or that document says), the rest to the flow.
 */
export function locateDiagnostics(diagnostics: readonly Diagnostic[], validated: FlowDocument): LocatedDiagnostic[] {
  return diagnostics.map((diagnostic) => {
    const segments = parsePointer(diagnostic.field ?? "");
    if (segments[0] === "nodes" && segments.length >= 2 && /^\d+$/.test(segments[1])) {
      const index = Number(segments[1]);
      const owner = diagnostic.node ?? validated.nodes?.[index]?.id ?? FLOW_NODE_ID;
      return { ...diagnostic, owner, path: toPointer(segments.slice(2)) };
    }
    if (diagnostic.node) return { ...diagnostic, owner: diagnostic.node, path: "" };
    return { ...diagnostic, owner: FLOW_NODE_ID, path: diagnostic.field ?? "" };
  });
}

export interface IssueCount {
  errors: number;
  warnings: number;
}

export function countByOwner(diagnostics: readonly LocatedDiagnostic[]): Map<string, IssueCount> {
  const counts = new Map<string, IssueCount>();
  for (const diagnostic of diagnostics) {
    const count = counts.get(diagnostic.owner) ?? { errors: 0, warnings: 0 };
    if (diagnostic.severity === "error") count.errors += 1;
    else count.warnings += 1;
    counts.set(diagnostic.owner, count);
  }
  return counts;
}

/** Errors first, then in document order of their fields. */
export function sortDiagnostics<T extends Diagnostic>(diagnostics: readonly T[]): T[] {
  return [...diagnostics].sort((a, b) => {
    if (a.severity !== b.severity) return a.severity === "error" ? -1 : 1;
    return comparePointers(a.field, b.field);
  });
}

function comparePointers(a: string, b: string): number {
  const x = parsePointer(a);
  const y = parsePointer(b);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] === y[i]) continue;
    const nx = Number(x[i]);
    const ny = Number(y[i]);
    if (Number.isInteger(nx) && Number.isInteger(ny)) return nx - ny;
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}
