// Every node kind the editor knows, in the palette's order, and what the rest of the editor asks
// of a node through its kind: ports, icon, names, summary, the variables it sets.

import type { Port } from "../flow/ports";
import type { FlowNode, KnownNode, NodeOfType, NodeType, Position } from "../flow/types";
import type { Translate } from "../i18n";
import { answer } from "./answer";
import { ask } from "./ask";
import { branch } from "./branch";
import { end } from "./end";
import { handoff } from "./handoff";
import { http } from "./http";
import type { NodeKind } from "./kind";
import { lookupOf, type SummaryLookup } from "./lookup";
import { menu } from "./menu";
import { opt_out } from "./opt_out";
import { say } from "./say";
import { script } from "./script";
import { set } from "./set";
import { subflow } from "./subflow";

/** One kind per node type of the schema: the type checker refuses a missing or unknown one. */
const KINDS: { readonly [T in NodeType]: NodeKind<NodeOfType<T>> } = {
  say,
  ask,
  menu,
  branch,
  set,
  script,
  http,
  handoff,
  subflow,
  answer,
  opt_out,
  end,
};

/** The palette's node types, in its order. */
export const NODE_TYPES = Object.keys(KINDS) as NodeType[];

export function isNodeType(type: string): type is NodeType {
  return Object.hasOwn(KINDS, type);
}

/** The kind of a node found in a document, when the editor knows it. */
export function nodeKind(type: string): NodeKind<KnownNode> | undefined {
  // A node's `type` selects its kind, so the kind's functions get the node they expect.
  return isNodeType(type) ? (KINDS[type] as unknown as NodeKind<KnownNode>) : undefined;
}

/** A new node of `type`, as the palette adds it. */
export function createNode(type: NodeType, common: { id: string; position: Position }): KnownNode {
  return KINDS[type].create(common);
}

/** The node's output ports as the canvas draws them; none for a kind the editor does not know. */
export function nodePorts(node: FlowNode): Port[] {
  return nodeKind(node.type)?.ports(node as KnownNode) ?? [];
}

/** The ports that may be connected: those drawn, and those drawn only once connected. */
export function connectablePorts(node: FlowNode): Port[] {
  const kind = nodeKind(node.type);
  if (!kind) return [];
  return [...kind.ports(node as KnownNode), ...(kind.hiddenPorts?.(node as KnownNode) ?? [])];
}

export function iconOf(type: string): string {
  return nodeKind(type)?.icon ?? "▫️";
}

export function typeName(t: Translate, type: string): string {
  const kind = nodeKind(type);
  return kind ? t(kind.name) : type;
}

export function typeHelp(t: Translate, type: string): string {
  const kind = nodeKind(type);
  return kind ? t(kind.help) : "";
}

export function summaryOf(t: Translate, node: FlowNode, lookup: SummaryLookup = lookupOf([])): string {
  return nodeKind(node.type)?.summary(node as KnownNode, t, lookup) ?? "";
}

/** The flow variables a node sets. */
export function nodeVariables(node: FlowNode): string[] {
  return nodeKind(node.type)?.variables?.(node as KnownNode) ?? [];
}

/** What a port is called on the canvas, in plain words. */
export function portLabel(t: Translate, nodeType: string, port: Port): string {
  const own = nodeKind(nodeType)?.portNames?.[port.kind];
  if (own) return t(own);
  const short = (text: string, max = 28) => (text.length > max ? text.slice(0, max - 1) + "…" : text);
  switch (port.kind) {
    case "intent":
      return t("port.intent", { name: port.name || "?" }) + (port.key ? ` · ${t("port.choice", { key: port.key })}` : "");
    case "choice":
      return t("port.choice", { key: port.name || "?" });
    case "case":
      return t("port.case", { when: short(port.name || "…") });
    case "status":
      return t("port.status", { code: port.name ?? "" });
    case "global_intent":
      return t("port.global", { name: port.name || "?" }) + (port.key ? ` · ${t("port.choice", { key: port.key })}` : "");
    default:
      return t(`port.${port.kind}`);
  }
}
