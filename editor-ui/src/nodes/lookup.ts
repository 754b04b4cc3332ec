// What node summaries and forms need from outside the flow document: the tenant's knowledge
// bases, so that a node shows a base's name rather than its key.

import { createContext, useContext } from "react";

/** A knowledge base as the editor offers it: `GET /knowledge-bases` items. */
export interface KnowledgeBaseChoice {
  key: string;
  name: string;
  language: string;
}

/** An agent queue as the editor offers it: `GET /queues` items. */
export interface QueueChoice {
  key: string;
  name: string;
  name_en: string;
}

/** The queue's name in the editor's language (the Chinese one when it has no English one). */
export function queueLabel(queue: QueueChoice, lang: string): string {
  return (lang === "en" && queue.name_en.trim()) || queue.name || queue.key;
}

/** Another flow of the tenant, for subflow nodes: its key and display name. */
export interface FlowChoice {
  name: string;
  title?: string | null;
}

export interface SummaryLookup {
  /** The flow's display name; its key while the list is loading or when it is unknown. */
  flowName(key: string): string;
  /** The knowledge base's name; its key while the list is loading or when it is unknown. */
  knowledgeBaseName(key: string): string;
  /** The agent queue's name; its key while the list is loading or when it is unknown. */
  queueName(key: string): string;
}

export function lookupOf(
  bases: readonly KnowledgeBaseChoice[],
  queues: readonly QueueChoice[] = [],
  lang = "zh-CN",
  flows: readonly FlowChoice[] = [],
): SummaryLookup {
  const flowTitles = new Map(flows.map((f) => [f.name, (f.title ?? "").trim() || f.name] as const));
  const names = new Map(bases.map((b) => [b.key, b.name] as const));
  const queueNames = new Map(queues.map((q) => [q.key, queueLabel(q, lang)] as const));
  return {
    flowName: (key) => flowTitles.get(key) || key,
    knowledgeBaseName: (key) => names.get(key) || key,
    queueName: (key) => queueNames.get(key) || key,
  };
}

export const SummaryLookupContext = createContext<SummaryLookup>(lookupOf([]));

export function useSummaryLookup(): SummaryLookup {
  return useContext(SummaryLookupContext);
}
