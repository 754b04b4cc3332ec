import { portAt } from "../../flow/ports";
import { arrayOf, textOf } from "../../flow/read";
import type { HandoffNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { HandoffForm } from "./HandoffForm";
import "./style.css";

export const handoff: NodeKind<HandoffNode> = {
  type: "handoff",
  icon: "🎧",
  name: "node.handoff.name",
  help: "node.handoff.help",
  create: (common) => ({ ...common, type: "handoff", queue: "", error: "" }),
  ports: (node) => [
    portAt(node, "next", "next", ["next"], { optional: true }),
    portAt(node, "no_answer", "no_answer", ["no_answer"], { optional: true }),
    portAt(node, "busy", "busy", ["busy"], { optional: true }),
    portAt(node, "error", "error", ["error"]),
  ],
  portNames: { next: "port.handoff.next", error: "port.handoff.error" },
  summary: (node, t, lookup) => {
    const queue = textOf(node.queue);
    const target = (queue && lookup.queueName(queue)) || textOf(node.phone) || textOf(node.sip);
    const rules = arrayOf(node.routes).length;
    return rules ? `${target} · ${t("handoff.routesSummary", { n: rules })}` : target;
  },
  Form: HandoffForm,
};
