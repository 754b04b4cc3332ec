// What node summaries and forms need from outside the flow document: the tenant's knowledge
// bases, so that a node shows a base's name rather than its key.

import { createContext, useContext } from "react";

/** A knowledge base as the editor offers it: `GET /knowledge-bases` items. */
export interface KnowledgeBaseChoice {
  key: string;
  name: string;
  language: string;
}

export interface SummaryLookup {
  /** The knowledge base's name; its key while the list is loading or when it is unknown. */
  knowledgeBaseName(key: string): string;
}

export function lookupOf(bases: readonly KnowledgeBaseChoice[]): SummaryLookup {
  const names = new Map(bases.map((b) => [b.key, b.name] as const));
  return { knowledgeBaseName: (key) => names.get(key) || key };
}

export const SummaryLookupContext = createContext<SummaryLookup>(lookupOf([]));

export function useSummaryLookup(): SummaryLookup {
  return useContext(SummaryLookupContext);
}
