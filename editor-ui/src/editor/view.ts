// What the canvas draws beyond the document: selection, problems, the "Try it" trace.

import type { Node } from "@xyflow/react";

import type { FlowEntryData, StepNodeData } from "../graph/convert";
import type { NodeStats } from "../analytics/funnel";
import type { IssueCount } from "../flow/diagnostics";

export type TraceMark = "current" | "visited";

export type StepViewData = StepNodeData & {
  /** What the node is called (its label, else its kind's name and a number). */
  name: string;
  issues?: IssueCount;
  trace?: TraceMark;
  isStart?: boolean;
  readOnly: boolean;
  /** With the analytics overlay on: the node's numbers, or null when no call reached it. */
  analytics?: NodeStats | null;
};

export type FlowEntryViewData = FlowEntryData & {
  issues?: IssueCount;
  readOnly: boolean;
};

export type StepViewNode = Node<StepViewData, "step">;
export type FlowEntryGraphNode = Node<FlowEntryViewData, "flow">;
export type ViewNode = StepViewNode | FlowEntryGraphNode;

/** The nodes a "Try it" conversation went through, and where it waits now. */
export interface Trace {
  current: string | null;
  /** Every node entered, in order, over the whole conversation. */
  path: string[];
}
