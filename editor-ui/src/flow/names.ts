// What people call the parts of a flow. Flows, nodes and intents each have a stable key (a
// flow's `name`, a node's `id`, an intent's `name`) that references, call records and analytics
// hold, and a display name (`title`, `label`, `label`) that people read and change. Keys are
// generated here and never asked for; everything a person sees goes through these functions,
// so that no screen falls back to a key.

import type { Translate } from "../i18n";
import { typeName } from "../nodes/registry";
import type { FlowDocument, FlowNode, Intent } from "./types";

function shown(text: unknown): string | null {
  return typeof text === "string" && text.trim() !== "" ? text.trim() : null;
}

/** A flow's display name: its title, else its key. */
export function flowTitle(flow: { name?: string | null; title?: string | null }): string {
  return shown(flow.title) ?? flow.name ?? "";
}

/** An intent's display name: its label, else its key. */
export function intentTitle(intent: Pick<Intent, "name"> & { label?: string | null }): string {
  return shown(intent.label) ?? intent.name;
}

/** An intent's port name on the canvas, from a document node that may be unfinished. */
export function intentPortName(intent: { name?: unknown; label?: unknown }): string {
  return shown(intent.label) ?? String(intent.name ?? "");
}

/** Lower-case ASCII words of `text` joined by `separator`, or "" when it has none (Chinese). */
function asciiSlug(text: string, separator: string): string {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .join(separator)
    .slice(0, 48)
    .replace(/[-_]+$/, "");
}

/** The first of `base`, `base-2`, `base-3`… (with `separator`) not in `taken`. */
function firstFree(base: string, separator: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base}${separator}${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/**
 * A key for a new flow titled `title`: its English words (`order-status`), or `flow` for a
 * title without any, numbered past the tenant's keys in `taken`. `base` (a template's key) wins
 * over the title, so that a flow made from 订单查询 is `order-status`.
 */
export function newFlowKey(title: string, taken: Iterable<string>, base?: string): string {
  const stem = (base && asciiSlug(base, "-")) || asciiSlug(title, "-") || "flow";
  return firstFree(stem, "-", taken);
}

/** A key for a new intent labelled `label`, unique among `intents`: `track_order`, `intent_3`. */
export function newIntentKey(label: string, intents: readonly Pick<Intent, "name">[]): string {
  const taken = intents.map((intent) => intent.name);
  const slug = asciiSlug(label, "_");
  if (slug && /^[a-z]/.test(slug)) return firstFree(slug, "_", taken);
  for (let n = intents.length + 1; ; n += 1) if (!taken.includes(`intent_${n}`)) return `intent_${n}`;
}

/**
 * What each node is called: its label, else its kind's name; names given twice get a number
 * (询问 1, 询问 2), so that no list falls back to ids.
 */
export function nodeNames(t: Translate, nodes: readonly FlowNode[]): Map<string, string> {
  const plain = nodes.map((node) => shown(node.label) ?? typeName(t, node.type));
  const total = new Map<string, number>();
  for (const name of plain) total.set(name, (total.get(name) ?? 0) + 1);
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  nodes.forEach((node, index) => {
    const name = plain[index];
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (!names.has(node.id)) names.set(node.id, (total.get(name) ?? 0) > 1 ? `${name} ${n}` : name);
  });
  return names;
}

/** One node's name as [`nodeNames`] gives it, or `fallback` for a node the flow does not have. */
export function nodeName(t: Translate, doc: Pick<FlowDocument, "nodes">, id: string, fallback?: string): string {
  return nodeNames(t, doc.nodes).get(id) ?? fallback ?? id;
}

/** The label a new node of kind `type` gets: the kind's name and the first number no node's
 * label has yet (询问 1, 询问 2…). */
export function newNodeLabel(t: Translate, type: string, nodes: readonly FlowNode[]): string {
  const kind = typeName(t, type);
  const labels = new Set(nodes.map((node) => shown(node.label)).filter((label): label is string => label !== null));
  for (let n = 1; ; n += 1) if (!labels.has(`${kind} ${n}`)) return `${kind} ${n}`;
}

/**
 * The display name of the intent whose key is `key`, as a recognition reports it: the flow's
 * global intents first (they are tried first), then the nodes' own; the key itself when no
 * intent has it (a menu choice's key, an intent since removed).
 */
export function intentNameOf(doc: Pick<FlowDocument, "nodes" | "global_intents">, key: string): string {
  const lists: unknown[] = [doc.global_intents ?? [], ...doc.nodes.map((node) => (node as { intents?: unknown }).intents)];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    const found = list.find((intent) => intent && typeof intent === "object" && (intent as { name?: unknown }).name === key);
    if (found) return intentPortName(found as { name?: unknown; label?: unknown });
  }
  return key;
}

/** Whether `text` is written in the script of `lang`: Chinese characters for zh-CN, else none. */
function inScriptOf(lang: string, text: string): boolean {
  const han = /[\u4e00-\u9fff]/.test(text);
  return lang === "zh-CN" ? han : !han;
}

/**
 * Flows in the order a picker offers them: those titled in the page's language first (in a
 * Chinese shop they are the shop's own; the English examples are copies), then by title. A
 * flow's list entry does not carry the draft's language, so its title's script stands for it.
 */
export function flowsForPicking<F extends { name?: string | null; title?: string | null }>(flows: readonly F[], lang: string): F[] {
  return [...flows].sort((a, b) => {
    const mine = Number(inScriptOf(lang, flowTitle(b))) - Number(inScriptOf(lang, flowTitle(a)));
    return mine !== 0 ? mine : flowTitle(a).localeCompare(flowTitle(b), lang);
  });
}

/** The title of the flow whose id is `id` among `flows`, or null for one that is gone. */
export function flowTitleById(flows: readonly { id: string; name?: string | null; title?: string | null }[], id: string): string | null {
  const flow = flows.find((candidate) => candidate.id === id);
  return flow ? flowTitle(flow) : null;
}
