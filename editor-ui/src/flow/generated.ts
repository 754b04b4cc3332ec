// Generated from schema/flow-v1.schema.json by `npm run generate` (json-schema-to-typescript).
// Do not edit: change the engine's model, regenerate the schema, then run `npm run generate`.

/**
 * Any JSON value.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | {[key: string]: JsonValue};
/**
 * One node of the graph. The `type` field selects the kind.
 */
export type Node =
  | SayNode
  | AskNode
  | MenuNode
  | BranchNode
  | SetNode
  | ScriptNode
  | HttpNode
  | HandoffNode
  | SubflowNode
  | AnswerNode
  | EndNode;
/**
 * `speech` or `dtmf`.
 */
export type InputMode = "speech" | "dtmf";
/**
 * Kinds of slot value.
 */
export type SlotType = "digits" | "number" | "order_number" | "phone_number" | "yes_no" | "date" | "amount";
/**
 * HTTP methods for `http` nodes.
 */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
/**
 * How a call ended.
 */
export type Outcome = "resolved" | "handoff" | "abandoned" | "failed";
/**
 * How a result's values are counted.
 */
export type ResultKind = "score" | "number" | "choice" | "text";

/**
 * A complete call flow.
 */
export interface FlowDocument {
  /**
   * Schema version of this document; must be 1.
   */
  schema: 1;
  /**
   * Human-readable name, shown in the editor and in call records.
   */
  name: string;
  /**
   * Optional longer description for the flow list.
   */
  description?: string | null;
  /**
   * BCP 47 language tag of the flow's prompts and of speech recognition, e.g. `zh-CN`, `en-US`.
   */
  language: string;
  /**
   * Id of the node where every call begins.
   */
  start: string;
  /**
   * Flow variables and their initial values; the caller's call variables override them.
   */
  variables?: {
    [k: string]: JsonValue;
  };
  /**
   * The nodes of the graph.
   */
  nodes: Node[];
  /**
   * Intents that are recognised at every listening node (`ask`, `menu`) before the node's own,
   * e.g. 转人工 to reach an agent from anywhere.
   */
  global_intents?: Intent[];
  /**
   * Where an angry caller goes from any listening node (`ask`, `menu`, `answer`), usually a
   * handoff to a person.
   */
  angry_caller?: AngryCaller | null;
  /**
   * Defaults that apply to the whole flow.
   */
  settings?: FlowSettings;
}
/**
 * Speaks a text (or plays audio) and continues.
 */
export interface SayNode {
  type: "say";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Text to speak; may contain `{{ expr }}` templates.
   */
  text: string;
  /**
   * URL of an audio file to play instead of synthesising `text` (template).
   */
  audio?: string | null;
  /**
   * Voice for this node only.
   */
  voice?: string | null;
  /**
   * Whether the caller may interrupt this prompt by speaking (default true).
   */
  barge_in?: boolean;
  /**
   * Next node.
   */
  next: string;
}
/**
 * Where the editor draws a node.
 */
export interface Position {
  x: number;
  y: number;
}
/**
 * Asks a question and listens: recognises intents, captures a slot, or takes any answer.
 */
export interface AskNode {
  type: "ask";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * The question (template).
   */
  prompt: string;
  /**
   * Input modes accepted (default both speech and DTMF).
   */
  input?: InputMode[];
  /**
   * Intents recognised here, each with its own port.
   */
  intents?: Intent[];
  /**
   * A value to capture from the answer, e.g. an order number.
   */
  slot?: Slot | null;
  /**
   * Variable that receives the caller's raw answer (text or digits).
   */
  save_as?: string | null;
  /**
   * Taken when the slot is captured, or on any answer when the node has neither intents nor
   * a slot. Required in those cases.
   */
  next?: string | null;
  /**
   * What happens when the answer matches nothing.
   */
  no_match: Retry;
  /**
   * What happens when the caller says nothing.
   */
  no_input: Retry;
  /**
   * Silence before a no-input, in milliseconds (flow default otherwise).
   */
  timeout_ms?: number | null;
  /**
   * Phrases that help speech recognition (e.g. product names).
   */
  hints?: string[];
  /**
   * DTMF collection rules.
   */
  dtmf?: DtmfRules | null;
  /**
   * Minimum intent score for this node (0–1; flow default otherwise).
   */
  threshold?: number | null;
  /**
   * Whether the flow's global intents are recognised here (default true).
   */
  global_intents?: boolean;
  /**
   * Whether the caller may interrupt the prompt (default true).
   */
  barge_in?: boolean;
  /**
   * Voice for this node only.
   */
  voice?: string | null;
}
/**
 * An intent: what the caller wants, recognised by example phrases, keywords or a key.
 */
export interface Intent {
  /**
   * Intent name, reported in analytics (e.g. `track_order`).
   */
  name: string;
  /**
   * Example phrases; similar answers match.
   */
  examples?: string[];
  /**
   * Words that match when they appear anywhere in the answer.
   */
  keywords?: string[];
  /**
   * A keypad key that selects this intent.
   */
  dtmf?: string | null;
  /**
   * Node taken when this intent is recognised.
   */
  next: string;
}
/**
 * A value captured from the caller's answer.
 */
export interface Slot {
  /**
   * Variable that receives the value.
   */
  var: string;
  /**
   * What kind of value.
   */
  type: SlotType;
  /**
   * For `order_number` (required) and `digits` (optional): a regular expression the digits or
   * text must match entirely, e.g. `\d{8,12}`.
   */
  pattern?: string | null;
  /**
   * For `number` and `amount`: smallest accepted value.
   */
  min?: number | null;
  /**
   * For `number` and `amount`: largest accepted value.
   */
  max?: number | null;
  /**
   * For `amount`: variable that receives the currency the caller named, as an ISO 4217 code
   * (`CNY` for 块/元/¥, `USD` for "dollars"/$, …), or an empty string when none was named.
   */
  currency_var?: string | null;
}
/**
 * Escalating reprompts, then a port.
 */
export interface Retry {
  /**
   * Reprompts in order (templates); the last one repeats if `max` is larger.
   */
  prompts?: string[];
  /**
   * How many reprompts before the port is taken (0 takes it at once).
   */
  max?: number;
  /**
   * Node taken after `max` reprompts.
   */
  next: string;
}
/**
 * DTMF collection rules for an `ask` node.
 */
export interface DtmfRules {
  /**
   * Most digits to collect.
   */
  max_digits?: number | null;
  /**
   * Key that ends the entry (default `#`).
   */
  finish_on_key?: string | null;
}
/**
 * A keypad menu: "press 1 for …". Spoken digits and choice labels work too.
 */
export interface MenuNode {
  type: "menu";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * The menu prompt (template).
   */
  prompt: string;
  /**
   * The choices, one key each.
   */
  choices: MenuChoice[];
  /**
   * What happens on a key or answer that is not a choice.
   */
  no_match: Retry;
  /**
   * What happens when the caller presses nothing.
   */
  no_input: Retry;
  /**
   * Silence before a no-input, in milliseconds.
   */
  timeout_ms?: number | null;
  /**
   * Whether the flow's global intents are recognised here (default true).
   */
  global_intents?: boolean;
  /**
   * Whether the caller may interrupt the prompt (default true).
   */
  barge_in?: boolean;
  /**
   * Voice for this node only.
   */
  voice?: string | null;
}
/**
 * One keypad choice of a menu.
 */
export interface MenuChoice {
  /**
   * The key: `0`–`9`, `*` or `#`.
   */
  key: string;
  /**
   * What the choice is called; a caller may also say it.
   */
  label?: string | null;
  /**
   * Node taken when chosen.
   */
  next: string;
}
/**
 * Chooses the next node by conditions, first true wins.
 */
export interface BranchNode {
  type: "branch";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Conditions checked in order.
   */
  cases: BranchCase[];
  /**
   * Taken when no condition holds.
   */
  else: string;
}
/**
 * One condition of a branch.
 */
export interface BranchCase {
  /**
   * Expression, e.g. `vars.status == "shipped"`.
   */
  when: string;
  /**
   * Node taken when it holds.
   */
  next: string;
}
/**
 * Assigns variables without code.
 */
export interface SetNode {
  type: "set";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Assignments, applied in order.
   */
  assign: Assignment[];
  /**
   * Next node.
   */
  next: string;
}
/**
 * `var = value`.
 */
export interface Assignment {
  /**
   * Variable name.
   */
  var: string;
  /**
   * A JSON value. A string is a template; a string that is one `{{ expr }}` keeps the
   * expression's type (number, boolean, …).
   */
  value: JsonValue;
}
/**
 * Runs a Rhai script that can read and change `vars`.
 */
export interface ScriptNode {
  type: "script";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Rhai source. Sees `vars`, `call`, `input` and `tenant`.
   */
  code: string;
  /**
   * Taken when the script finishes.
   */
  next: string;
  /**
   * Taken when the script fails or exceeds its limits; its changes are discarded.
   */
  error: string;
}
/**
 * Calls the merchant's HTTP API.
 */
export interface HttpNode {
  type: "http";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * HTTP method (default GET).
   */
  method?: HttpMethod & string;
  /**
   * URL template, e.g. `{{tenant.api}}/orders/{{vars.order_id}}`.
   */
  url: string;
  /**
   * Request headers (values are templates).
   */
  headers?: {
    [k: string]: string;
  };
  /**
   * Request body template (usually JSON).
   */
  body?: string | null;
  /**
   * Timeout in milliseconds (default 5000, at most 10000).
   */
  timeout_ms?: number | null;
  /**
   * Response fields saved into variables: variable name → path such as `body.status`,
   * `body.items.0.name`, `status` or `headers.content-type`.
   */
  save?: {
    [k: string]: string;
  };
  /**
   * Ports for particular status codes, checked first: `"404"` or a class like `"4xx"`.
   */
  on_status?: {
    [k: string]: string;
  };
  /**
   * Taken on a 2xx answer.
   */
  next: string;
  /**
   * Taken on a transport failure, a timeout or any other status.
   */
  error: string;
}
/**
 * Transfers the call to a human: a queue, a phone number or a SIP address.
 */
export interface HandoffNode {
  type: "handoff";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Agent queue name (template); with `routes`, the queue of callers no rule matches.
   */
  queue?: string | null;
  /**
   * Routing rules, checked in order: the first whose condition holds picks the queue.
   */
  routes?: HandoffRoute[];
  /**
   * Phone number in E.164 form (template).
   */
  phone?: string | null;
  /**
   * SIP address, `sip:agent@example.com` (template).
   */
  sip?: string | null;
  /**
   * What the bot says before transferring (template).
   */
  message?: string | null;
  /**
   * Summary shown to the agent (template).
   */
  summary?: string | null;
  /**
   * Taken after a connected transfer ends. When absent the call ends with outcome `handoff`.
   */
  next?: string | null;
  /**
   * Taken when nobody answers (defaults to `error`).
   */
  no_answer?: string | null;
  /**
   * Taken when the target is busy (defaults to `error`).
   */
  busy?: string | null;
  /**
   * Taken when the transfer fails.
   */
  error: string;
}
/**
 * A routing rule of a handoff: callers for whom `when` holds go to `queue`.
 */
export interface HandoffRoute {
  /**
   * Condition, as a branch's, e.g. `call.emotion == "angry"` or `call.intent == "refund"`.
   */
  when: string;
  /**
   * Agent queue name (template).
   */
  queue: string;
  /**
   * Why callers go there, in the flow author's words, shown to agents (e.g. 情绪激动).
   */
  label?: string | null;
}
/**
 * Runs another flow and comes back.
 */
export interface SubflowNode {
  type: "subflow";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Name of the flow to run.
   */
  flow: string;
  /**
   * Child variables set from templates evaluated here.
   */
  inputs?: {
    [k: string]: string;
  };
  /**
   * Variables copied back: this flow's variable → the child's variable.
   */
  outputs?: {
    [k: string]: string;
  };
  /**
   * Taken when the child flow ends.
   */
  next: string;
  /**
   * Taken when the child flow ends with outcome `failed` (defaults to `next`).
   */
  error?: string | null;
}
/**
 * Answers the caller's question from a knowledge base: says the best entry's answer, asks
 * which entry was meant when two or three are close, and may ask whether it helped.
 */
export interface AnswerNode {
  type: "answer";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * Key of the knowledge base to search, e.g. `shop-faq` (the editor shows its name).
   */
  knowledge_base: string;
  /**
   * A question to ask first (template), e.g. 请问您想了解什么？ Without it the node answers
   * what the caller last said (`input.text`), e.g. right after an `ask`'s no-match.
   */
  prompt?: string | null;
  /**
   * Whether to ask if the answer helped (是 / 不是 / 还是不明白, keys 1 / 2 / 3). "No"
   * offers the next best entry once, then takes `unresolved`; "still unclear" takes
   * `unresolved` at once. Default false.
   */
  confirm?: boolean;
  /**
   * The question asked after an answer when `confirm` is on (template); a default in
   * the flow's language otherwise.
   */
  confirm_prompt?: string | null;
  /**
   * Whether to ask which was meant when two or three entries match about equally well
   * (by speech — the caller repeats one — or by key 1, 2, 3). Default true; when off the
   * best entry is answered.
   */
  disambiguate?: boolean;
  /**
   * The words before the list of close questions (template), e.g. 您是想问; a default in
   * the flow's language otherwise.
   */
  disambiguate_prompt?: string | null;
  /**
   * Taken after an answer that helped, or that was not asked about.
   */
  answered: string;
  /**
   * Taken when the knowledge base has no answer (the question is recorded as missed).
   */
  no_answer: string;
  /**
   * Taken when the caller says the answers did not help (defaults to `no_answer`);
   * usually a handoff.
   */
  unresolved?: string | null;
  /**
   * What happens when the caller says nothing to the question or to the choice; without
   * it silence takes `no_answer`. Silence after an answer takes `answered`.
   */
  no_input?: Retry | null;
  /**
   * Silence before a no-input, in milliseconds (flow default otherwise).
   */
  timeout_ms?: number | null;
  /**
   * Phrases that help speech recognition (e.g. product names).
   */
  hints?: string[];
  /**
   * Whether the flow's global intents are recognised here (default true).
   */
  global_intents?: boolean;
  /**
   * Whether the caller may interrupt the bot (default true).
   */
  barge_in?: boolean;
  /**
   * Voice for this node only.
   */
  voice?: string | null;
}
/**
 * Ends the call (or returns from a subflow) with an outcome.
 */
export interface EndNode {
  type: "end";
  /**
   * Unique id within the flow: letters, digits, `_` and `-`, at most 64 characters.
   */
  id: string;
  /**
   * Name shown on the canvas; the id is shown when absent.
   */
  label?: string | null;
  /**
   * Position on the editor's canvas.
   */
  position?: Position | null;
  /**
   * How the call ended, for the dashboard.
   */
  outcome: Outcome;
}
/**
 * The emotion trigger: when the caller's anger over the call so far (every answer scored;
 * anger that repeats or rises counts more, calm answers let it fade) reaches `threshold` at a
 * listening node, the call goes to `next` instead of the node's own handling. It fires once, and again only after the caller's anger fell
 * below the threshold, so a caller still angry back from a failed transfer is not sent
 * round again on every answer.
 */
export interface AngryCaller {
  /**
   * Node taken when the caller is angry, usually a handoff.
   */
  next: string;
  /**
   * Anger (above 0, at most 1) from which the caller counts as angry (default 0.5, the
   * score's own line between angry and calm).
   */
  threshold?: number | null;
}
/**
 * Flow-wide defaults.
 */
export interface FlowSettings {
  /**
   * Voice for speech output unless a node names its own (provider-specific name).
   */
  voice?: string | null;
  /**
   * Milliseconds of silence before a listening node counts a no-input (default 5000).
   */
  no_input_timeout_ms?: number | null;
  /**
   * Minimum score (0–1) for an intent to count as recognised (default 0.5).
   */
  intent_threshold?: number | null;
  /**
   * What the bot says before hanging up when the flow fails (e.g. a runaway loop).
   */
  error_message?: string | null;
  /**
   * The flow's knowledge base, for "FAQ from anywhere".
   */
  knowledge?: KnowledgeSettings | null;
  /**
   * Variables whose values at the end of a call are its results (a survey's score, the
   * caller's choice), counted in call analytics.
   */
  results?: ResultVar[];
  /**
   * Variables that hold personal data the flow needs only during the call (an ID number, a
   * card): the call uses their values, every record keeps `***` in their place.
   */
  sensitive?: string[];
  /**
   * Variables that hold an address the caller gave (where to deliver, where to collect a
   * return): kept as `[地址]` / `[address]` when the tenant redacts addresses. Addresses have
   * no shape to be found by, so only the variables a flow marks are redacted.
   */
  addresses?: string[];
}
/**
 * A knowledge base the whole flow answers from.
 */
export interface KnowledgeSettings {
  /**
   * Key of the knowledge base, e.g. `shop-faq` (the editor shows its name).
   */
  knowledge_base: string;
  /**
   * "FAQ from anywhere": when a caller's answer at an `ask` or a `menu` matches nothing,
   * the knowledge base is tried before the no-match reprompt; when it clearly answers, the
   * answer is said and the node's question asked again (default false).
   */
  from_anywhere?: boolean;
}
/**
 * A variable marked as a result of the call.
 */
export interface ResultVar {
  /**
   * The variable's name.
   */
  var: string;
  /**
   * What kind of value it holds, which decides how analytics counts it.
   */
  kind: ResultKind;
}
