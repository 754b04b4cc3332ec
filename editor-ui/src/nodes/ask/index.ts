import { portAt, type Port } from "../../flow/ports";
import { arrayOf, objectOf, textOf } from "../../flow/read";
import type { AskNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { newRetry, retryPorts } from "../shared/listening";
import { AskForm } from "./AskForm";
import "./style.css";
import { intentPortName } from "../../flow/names";

/** `next` is taken with a slot, or with neither intents nor a slot; only then is it drawn. */
function usesNext(node: AskNode): boolean {
  const slot = node.slot;
  return (slot !== undefined && slot !== null) || arrayOf(node.intents).length === 0 || typeof node.next === "string";
}

const nextPort = (node: AskNode): Port => portAt(node, "next", "next", ["next"], { optional: true });

export const ask: NodeKind<AskNode> = {
  type: "ask",
  icon: "❓",
  name: "node.ask.name",
  help: "node.ask.help",
  create: (common) => ({ ...common, type: "ask", prompt: "", no_match: newRetry(), no_input: newRetry() }),
  ports: (node) => [
    ...arrayOf(node.intents).map((intent, i) =>
      portAt(node, `intent-${i}`, "intent", ["intents", i, "next"], { name: intentPortName(intent), key: intent.dtmf }),
    ),
    ...(usesNext(node) ? [nextPort(node)] : []),
    ...retryPorts(node),
  ],
  hiddenPorts: (node) => (usesNext(node) ? [] : [nextPort(node)]),
  portNames: { next: "port.ask.answered" },
  summary: (node) => textOf(node.prompt),
  variables: (node) => [objectOf(node.slot).var, node.save_as].filter((name): name is string => typeof name === "string"),
  Form: AskForm,
};
