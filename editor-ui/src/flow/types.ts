// The flow document, schema version 1 (see schema/flow-v1.schema.json at the repository root).
// Every object may carry fields the editor does not know; they are kept as they are.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Position {
  x: number;
  y: number;
}

export interface Intent {
  name: string;
  examples?: string[];
  keywords?: string[];
  dtmf?: string | null;
  next: string;
  [extra: string]: unknown;
}

export interface Retry {
  prompts?: string[];
  max?: number;
  next: string;
  [extra: string]: unknown;
}

export type SlotType = "digits" | "number" | "order_number" | "phone_number" | "yes_no";

export interface Slot {
  var: string;
  type: SlotType;
  pattern?: string | null;
  min?: number | null;
  max?: number | null;
  [extra: string]: unknown;
}

export interface DtmfRules {
  max_digits?: number | null;
  finish_on_key?: string | null;
  [extra: string]: unknown;
}

export interface MenuChoice {
  key: string;
  label?: string | null;
  next: string;
  [extra: string]: unknown;
}

export interface BranchCase {
  when: string;
  next: string;
  [extra: string]: unknown;
}

export interface Assignment {
  var: string;
  value: JsonValue;
  [extra: string]: unknown;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Outcome = "resolved" | "handoff" | "abandoned" | "failed";
export type InputMode = "speech" | "dtmf";

interface NodeCommon {
  id: string;
  label?: string | null;
  position?: Position | null;
  [extra: string]: unknown;
}

export interface SayNode extends NodeCommon {
  type: "say";
  text: string;
  audio?: string | null;
  voice?: string | null;
  barge_in?: boolean;
  next: string;
}

export interface AskNode extends NodeCommon {
  type: "ask";
  prompt: string;
  input?: InputMode[];
  intents?: Intent[];
  slot?: Slot | null;
  save_as?: string | null;
  next?: string | null;
  no_match: Retry;
  no_input: Retry;
  timeout_ms?: number | null;
  hints?: string[];
  dtmf?: DtmfRules | null;
  threshold?: number | null;
  global_intents?: boolean;
  barge_in?: boolean;
  voice?: string | null;
}

export interface MenuNode extends NodeCommon {
  type: "menu";
  prompt: string;
  choices: MenuChoice[];
  no_match: Retry;
  no_input: Retry;
  timeout_ms?: number | null;
  global_intents?: boolean;
  barge_in?: boolean;
  voice?: string | null;
}

export interface BranchNode extends NodeCommon {
  type: "branch";
  cases: BranchCase[];
  else: string;
}

export interface SetNode extends NodeCommon {
  type: "set";
  assign: Assignment[];
  next: string;
}

export interface ScriptNode extends NodeCommon {
  type: "script";
  code: string;
  next: string;
  error: string;
}

export interface HttpNode extends NodeCommon {
  type: "http";
  method?: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string | null;
  timeout_ms?: number | null;
  save?: Record<string, string>;
  on_status?: Record<string, string>;
  next: string;
  error: string;
}

export interface HandoffNode extends NodeCommon {
  type: "handoff";
  queue?: string | null;
  phone?: string | null;
  sip?: string | null;
  message?: string | null;
  summary?: string | null;
  next?: string | null;
  no_answer?: string | null;
  busy?: string | null;
  error: string;
}

export interface SubflowNode extends NodeCommon {
  type: "subflow";
  flow: string;
  inputs?: Record<string, string>;
  outputs?: Record<string, string>;
  next: string;
  error?: string | null;
}

export interface EndNode extends NodeCommon {
  type: "end";
  outcome: Outcome;
}

export type KnownNode =
  | SayNode
  | AskNode
  | MenuNode
  | BranchNode
  | SetNode
  | ScriptNode
  | HttpNode
  | HandoffNode
  | SubflowNode
  | EndNode;

export type NodeType = KnownNode["type"];

export const NODE_TYPES: readonly NodeType[] = [
  "say",
  "ask",
  "menu",
  "branch",
  "set",
  "script",
  "http",
  "handoff",
  "subflow",
  "end",
];

/** A node as found in a document: a known kind, or anything else a document may hold. */
export type FlowNode = KnownNode | (NodeCommon & { type: string });

export interface FlowSettings {
  voice?: string | null;
  no_input_timeout_ms?: number | null;
  intent_threshold?: number | null;
  error_message?: string | null;
  [extra: string]: unknown;
}

export interface FlowDocument {
  schema: number;
  name: string;
  description?: string | null;
  language: string;
  start: string;
  variables?: Record<string, JsonValue>;
  nodes: FlowNode[];
  global_intents?: Intent[];
  settings?: FlowSettings;
  [extra: string]: unknown;
}
