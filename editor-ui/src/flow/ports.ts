// The output ports of every node type, in the order the flow engine lists them
// (flow-engine/src/model.rs, `Node::ports`). A port is a field of the node holding the id of
// the next node.

import { getAt, type PathKey } from "./pointer";
import type { FlowDocument, FlowNode } from "./types";

export type PortKind =
  | "next"
  | "error"
  | "else"
  | "no_match"
  | "no_input"
  | "no_answer"
  | "busy"
  | "intent"
  | "choice"
  | "case"
  | "status"
  | "start"
  | "global_intent";

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

/** The pseudo-node standing for the flow itself: its start and its global intents. */
export const FLOW_NODE_ID = "$flow";

function targetOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function arrayOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Whether an `ask` node uses its `next` port: with a slot, or with neither intents nor a slot. */
export function askUsesNext(node: FlowNode): boolean {
  const record = node as Record<string, unknown>;
  const intents = arrayOf(record.intents);
  const slot = record.slot;
  return (slot !== undefined && slot !== null) || intents.length === 0 || targetOf(record.next) !== undefined;
}

export function nodePorts(node: FlowNode): Port[] {
  const ports: Port[] = [];
  const add = (id: string, kind: PortKind, path: PathKey[], optional: boolean, name?: string, key?: unknown) => {
    const target = targetOf(getAt(node, path));
    ports.push({
      id,
      kind,
      path,
      optional,
      target,
      ...(name !== undefined ? { name } : {}),
      ...(typeof key === "string" && key !== "" ? { key } : {}),
    });
  };
  const retries = () => {
    add("no_match", "no_match", ["no_match", "next"], false);
    add("no_input", "no_input", ["no_input", "next"], false);
  };
  switch (node.type) {
    case "say":
    case "set":
      add("next", "next", ["next"], false);
      break;
    case "ask":
      arrayOf(node.intents).forEach((intent, i) =>
        add(`intent-${i}`, "intent", ["intents", i, "next"], false, String(intent.name ?? ""), intent.dtmf),
      );
      if (askUsesNext(node)) add("next", "next", ["next"], true);
      retries();
      break;
    case "menu":
      arrayOf(node.choices).forEach((choice, i) =>
        add(`choice-${i}`, "choice", ["choices", i, "next"], false, String(choice.key ?? "")),
      );
      retries();
      break;
    case "branch":
      arrayOf(node.cases).forEach((branchCase, i) =>
        add(`case-${i}`, "case", ["cases", i, "next"], false, String(branchCase.when ?? "")),
      );
      add("else", "else", ["else"], false);
      break;
    case "script":
      add("next", "next", ["next"], false);
      add("error", "error", ["error"], false);
      break;
    case "http":
      for (const status of Object.keys(objectOf(node.on_status))) {
        add(`status-${status}`, "status", ["on_status", status], false, status);
      }
      add("next", "next", ["next"], false);
      add("error", "error", ["error"], false);
      break;
    case "handoff":
      add("next", "next", ["next"], true);
      add("no_answer", "no_answer", ["no_answer"], true);
      add("busy", "busy", ["busy"], true);
      add("error", "error", ["error"], false);
      break;
    case "subflow":
      add("next", "next", ["next"], false);
      add("error", "error", ["error"], true);
      break;
    default:
      break;
  }
  return ports;
}

/** The flow's own ports: where calls start, and each global intent. Paths are from the document root. */
export function flowPorts(doc: FlowDocument): Port[] {
  const ports: Port[] = [
    { id: "start", kind: "start", path: ["start"], optional: false, target: targetOf(doc.start) },
  ];
  arrayOf(doc.global_intents).forEach((intent, i) =>
    ports.push({
      id: `global-${i}`,
      kind: "global_intent",
      name: String(intent.name ?? ""),
      ...(typeof intent.dtmf === "string" && intent.dtmf !== "" ? { key: intent.dtmf } : {}),
      path: ["global_intents", i, "next"],
      optional: false,
      target: targetOf(intent.next),
    }),
  );
  return ports;
}
