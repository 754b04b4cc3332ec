import { createContext, useContext } from "react";

import type { LocatedDiagnostic } from "../../flow/diagnostics";
import type { FlowDocument } from "../../flow/types";
import type { FlowChoice, KnowledgeBaseChoice, QueueChoice } from "../../nodes/lookup";

export interface FormContextValue {
  doc: FlowDocument;
  readOnly: boolean;
  /** Diagnostics of the node (or the flow) being edited; paths are relative to it. */
  diagnostics: readonly LocatedDiagnostic[];
  /** The flow's variables (editor/variables.ts), for "insert variable". */
  variables: readonly string[];
  /** The tenant's other flows, for subflow nodes. */
  flowNames: readonly FlowChoice[];
  /** The flow being edited, for tools that ask the server about its draft. */
  flowId?: string;
  /** Saves the draft now; true when the server has what is on screen. */
  flushDraft?: () => Promise<boolean>;
  /** The tenant's knowledge bases, for answer nodes; `null` while loading or unavailable. */
  knowledgeBases: readonly KnowledgeBaseChoice[] | null;
  /** The tenant's agent queues, for handoff nodes; `null` while loading or unavailable. */
  queues?: readonly QueueChoice[] | null;
}

export const FormContext = createContext<FormContextValue | null>(null);

export function useForm(): FormContextValue {
  const value = useContext(FormContext);
  if (!value) throw new Error("form fields need a FormContext");
  return value;
}

/** The diagnostics of one field (exactly), or of everything below it. */
export function useIssues(path: string | undefined, below = false): LocatedDiagnostic[] {
  const { diagnostics } = useForm();
  if (path === undefined) return [];
  return diagnostics.filter((d) => d.path === path || (below && d.path.startsWith(path + "/")));
}
