// The node types the palette offers: an icon, and a new node of each type with sensible
// starting values. Names and help texts are in i18n.ts (`node.<type>.name`, `node.<type>.help`).

import { uniqueId } from "../graph/ops";
import type { FlowDocument, FlowNode, NodeType, Position } from "./types";

export const NODE_ICONS: Record<NodeType, string> = {
  say: "🔊",
  ask: "❓",
  menu: "🔢",
  branch: "🔀",
  set: "📝",
  script: "🧩",
  http: "🌐",
  handoff: "🎧",
  subflow: "📦",
  end: "⏹️",
};

/** The palette's node types, in its order. */
export const NODE_TYPES = Object.keys(NODE_ICONS) as NodeType[];

export function iconOf(type: string): string {
  return (NODE_ICONS as Record<string, string>)[type] ?? "▫️";
}

/** A new node of `type` at `position`, with an id no node of `doc` has. */
export function newNode(doc: FlowDocument, type: NodeType, position: Position): FlowNode {
  const id = uniqueId(doc, `${type}_1`);
  const common = { id, position: { x: Math.round(position.x), y: Math.round(position.y) } };
  const retry = () => ({ prompts: [], max: 2, next: "" });
  switch (type) {
    case "say":
      return { ...common, type, text: "", next: "" };
    case "ask":
      return { ...common, type, prompt: "", no_match: retry(), no_input: retry() };
    case "menu":
      return { ...common, type, prompt: "", choices: [{ key: "1", label: "", next: "" }], no_match: retry(), no_input: retry() };
    case "branch":
      return { ...common, type, cases: [{ when: "", next: "" }], else: "" };
    case "set":
      return { ...common, type, assign: [{ var: "", value: "" }], next: "" };
    case "script":
      return { ...common, type, code: "", next: "", error: "" };
    case "http":
      return { ...common, type, method: "GET", url: "", timeout_ms: 3000, next: "", error: "" };
    case "handoff":
      return { ...common, type, queue: "", error: "" };
    case "subflow":
      return { ...common, type, flow: "", next: "" };
    case "end":
      return { ...common, type, outcome: "resolved" };
  }
}

/** A new flow with a greeting and an end, so that a first "Try it" already says something. */
export function blankFlow(name: string, language: "zh-CN" | "en-US"): FlowDocument {
  const zh = language === "zh-CN";
  return {
    schema: 1,
    name,
    language,
    start: "greeting",
    nodes: [
      {
        id: "greeting",
        type: "say",
        label: zh ? "欢迎语" : "Greeting",
        position: { x: 0, y: 0 },
        text: zh ? "您好，欢迎致电{{tenant.name}}。" : "Hello, thank you for calling {{tenant.name}}.",
        next: "end",
      },
      {
        id: "end",
        type: "end",
        label: zh ? "结束" : "End",
        position: { x: 280, y: 0 },
        outcome: "resolved",
      },
    ],
  };
}
