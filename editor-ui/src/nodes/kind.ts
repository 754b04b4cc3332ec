// What the editor knows about one kind of node. Each kind has a folder (src/nodes/<kind>/) whose
// index exports one `NodeKind`, and a line in registry.ts.

import type { ComponentType } from "react";

import type { Port, PortKind } from "../flow/ports";
import type { KnownNode, Position } from "../flow/types";
import type { MessageKey, Translate } from "../i18n";
import type { SummaryLookup } from "./lookup";

export interface NodeFormProps<N> {
  node: N;
  /** Changes the node; changes to the same `field` in quick succession are one undo step. */
  change: (patch: (node: N) => N, field?: string) => void;
}

export interface NodeKind<N extends KnownNode> {
  type: N["type"];
  /** Shown in the palette, on the canvas and in the property panel. */
  icon: string;
  /** The kind's name and a one-line help (palette, property panel). */
  name: MessageKey;
  help: MessageKey;
  /** A new node of this kind, as the palette adds it. */
  create(common: { id: string; position: Position }): N;
  /** The output ports, in the order of the engine's node kind (flow-engine/src/nodes/<kind>.rs). */
  ports(node: N): Port[];
  /** Ports not drawn on the canvas that may still be connected. */
  hiddenPorts?(node: N): Port[];
  /** Names for this kind's ports where the general ones ("Next", "On error") do not fit. */
  portNames?: Partial<Record<PortKind, MessageKey>>;
  /** One line on the canvas under the node's name, in the editor's language; `lookup` names
   *  what the node refers to outside the flow (a knowledge base). */
  summary(node: N, t: Translate, lookup: SummaryLookup): string;
  /** The flow variables the node sets. */
  variables?(node: N): string[];
  /** The property form. */
  Form: ComponentType<NodeFormProps<N>>;
}
