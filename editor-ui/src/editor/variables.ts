// The flow's variables: those it declares, and those its nodes set (each kind says which).

import type { FlowDocument } from "../flow/types";
import { nodeVariables } from "../nodes/registry";

/** Every `vars.<name>` the flow declares or assigns, sorted. */
export function flowVariables(doc: FlowDocument): string[] {
  const names = new Set<string>(Object.keys(doc.variables ?? {}));
  for (const node of doc.nodes) for (const name of nodeVariables(node)) names.add(name);
  names.delete("");
  return [...names].sort();
}
