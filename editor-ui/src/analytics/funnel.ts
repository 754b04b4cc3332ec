// What the analytics overlay draws from a funnel: a badge per node, a weight per edge, and the
// node where most callers hung up.

import { FLOW_NODE_ID } from "../flow/ports";
import type { Funnel } from "./api";

/** The numbers of one node's badge strip; `hangupShare` is of `reached`, 0 to 1. */
export interface NodeStats {
  reached: number;
  hungUp: number;
  hangupShare: number;
  noMatch: number;
  noInput: number;
  /** The node where most callers hung up (one node, and only when someone did). */
  mostHangups: boolean;
}

/** The overlay as the canvas needs it: by node id, and by canvas edge id. */
export interface FunnelOverlay {
  nodes: ReadonlyMap<string, NodeStats>;
  /** Calls that took each edge, by edge id; edges nobody took are absent. */
  edges: ReadonlyMap<string, number>;
  /** The most calls any edge carried, for the thickness scale. */
  maxEdgeCalls: number;
}

/** The edges of the canvas as the mapping needs them (the document's node ids). */
export interface EdgeRef {
  id: string;
  /** Document id of the node the edge leaves. */
  source: string;
  /** Document id of the node it enters. */
  target: string;
}

/**
 * Calls per canvas edge: a step `from → to` is the edge whose source node is `from` and target
 * is `to`. When a node has several ports to the same target, the step's calls go to the first
 * one (the server counts steps between nodes, not ports). A step from a node of this graph
 * with no such edge was a global intent (the caller said 转人工 anywhere): it goes to the flow
 * node's global-intent edge into `to`, which would otherwise look as if nobody took it.
 */
export function edgeCalls(steps: Funnel["steps"], edges: readonly EdgeRef[]): Map<string, number> {
  const calls = new Map<string, number>();
  const globalPrefix = `${FLOW_NODE_ID}->global-`;
  for (const step of steps) {
    if (!(step.calls > 0)) continue;
    const edge =
      edges.find((e) => e.source === step.from && e.target === step.to) ??
      (edges.some((e) => e.source === step.from)
        ? edges.find((e) => e.id.startsWith(globalPrefix) && e.target === step.to)
        : undefined);
    if (edge) calls.set(edge.id, (calls.get(edge.id) ?? 0) + step.calls);
  }
  return calls;
}

/** The badge numbers of every node the funnel names. */
export function nodeStats(funnel: Funnel): Map<string, NodeStats> {
  const stats = new Map<string, NodeStats>();
  let top: string | null = null;
  let topCount = 0;
  for (const n of funnel.nodes) {
    const reached = Math.max(0, n.reached ?? 0);
    const hungUp = Math.max(0, n.abandoned ?? 0);
    stats.set(n.node, {
      reached,
      hungUp,
      hangupShare: reached > 0 ? Math.min(1, hungUp / reached) : 0,
      noMatch: Math.max(0, n.no_match ?? 0),
      noInput: Math.max(0, n.no_input ?? 0),
      mostHangups: false,
    });
    if (hungUp > topCount) {
      top = n.node;
      topCount = hungUp;
    }
  }
  if (top !== null) stats.set(top, { ...stats.get(top)!, mostHangups: true });
  return stats;
}

export function overlayOf(funnel: Funnel, edges: readonly EdgeRef[]): FunnelOverlay {
  const calls = edgeCalls(funnel.steps, edges);
  return { nodes: nodeStats(funnel), edges: calls, maxEdgeCalls: Math.max(0, ...calls.values()) };
}

export const MIN_EDGE_WIDTH = 1.5;
export const MAX_EDGE_WIDTH = 8;

/** An edge's stroke width: proportional to its calls, between the thinnest and thickest. */
export function edgeWidth(calls: number, maxCalls: number): number {
  if (!(calls > 0) || !(maxCalls > 0)) return MIN_EDGE_WIDTH;
  return MIN_EDGE_WIDTH + ((MAX_EDGE_WIDTH - MIN_EDGE_WIDTH) * calls) / maxCalls;
}

/** `YYYY-MM-DD` of a local day. */
export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The last seven days, today included, as the server's default. */
export function lastSevenDays(today: Date = new Date()): { from: string; to: string } {
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 6);
  return { from: localDay(first), to: localDay(today) };
}
