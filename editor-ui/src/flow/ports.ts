// Output ports: a port is a field holding the id of the next node. Each node kind lists its own
// (src/nodes/<kind>/); the flow itself has the start, one port per global intent and, when set,
// where an angry caller goes.

import { arrayOf } from "./read";
import { getAt, type PathKey } from "./pointer";
import type { FlowDocument } from "./types";
import { intentPortName } from "./names";

export type PortKind =
  | "next"
  | "error"
  | "else"
  | "no_match"
  | "no_input"
  | "no_answer"
  | "answered"
  | "unresolved"
  | "busy"
  | "intent"
  | "choice"
  | "case"
  | "status"
  | "start"
  | "global_intent"
  | "angry_caller";

export interface Port {
  /** Stable id within the node, used as the canvas handle id: `next`, `intent-0`, `status-404`… */
  id: string;
  kind: PortKind;
  /** What the port is about: an intent name, a key, a condition, a status code. */
  name?: string;
  /** The keypad key that also selects an intent. */
  key?: string;
  /** Where the target id lives inside the node (or, for the flow's own ports, the document). */
  path: PathKey[];
  /** An optional port is absent from the node when it is not connected. */
  optional: boolean;
  /** The node it leads to; `""` or `undefined` when not connected. */
  target: string | undefined;
}

/** The pseudo-node standing for the flow itself: its start, global intents and angry-caller trigger. */
export const FLOW_NODE_ID = "$flow";

export interface PortOptions {
  optional?: boolean;
  name?: string;
  /** A keypad key; only a non-empty string counts. */
  key?: unknown;
}

/** The port whose target is at `path` inside `owner` (a node, or the document). */
export function portAt(owner: unknown, id: string, kind: PortKind, path: PathKey[], options: PortOptions = {}): Port {
  const target = getAt(owner, path);
  return {
    id,
    kind,
    path,
    optional: options.optional ?? false,
    target: typeof target === "string" ? target : undefined,
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(typeof options.key === "string" && options.key !== "" ? { key: options.key } : {}),
  };
}

/**
 * The flow's own ports: where calls start, each global intent, and where an angry caller goes
 * (only while the trigger is on, so that renaming or deleting its node follows it like any link).
 * Paths are from the document root.
 */
export function flowPorts(doc: FlowDocument): Port[] {
  return [
    portAt(doc, "start", "start", ["start"]),
    ...arrayOf(doc.global_intents).map((intent, i) =>
      portAt(doc, `global-${i}`, "global_intent", ["global_intents", i, "next"], { name: intentPortName(intent), key: intent.dtmf }),
    ),
    ...(doc.angry_caller ? [portAt(doc, "angry", "angry_caller", ["angry_caller", "next"])] : []),
  ];
}
