// The flow document, schema version 1. The types of its parts are generated from the engine's
// schema (generated.ts); this module adds what a document being edited may hold beyond them:
// nodes of kinds this editor does not know, and fields the schema does not know. Both are kept
// as they are.

import type { FlowDocument as SchemaDocument, Node, Position } from "./generated";

export type * from "./generated";

/** A node of a kind the schema defines. */
export type KnownNode = Node;

export type NodeType = KnownNode["type"];

export type NodeOfType<T extends NodeType> = Extract<KnownNode, { type: T }>;

/** A node of a kind this editor does not know (from a newer engine, or mistyped). */
export interface OtherNode {
  id: string;
  type: string;
  label?: string | null;
  position?: Position | null;
  [extra: string]: unknown;
}

/** A node as found in a document: a known kind, or anything else a document may hold. */
export type FlowNode = KnownNode | OtherNode;

export type FlowDocument = Omit<SchemaDocument, "nodes"> & {
  nodes: FlowNode[];
  [extra: string]: unknown;
};
