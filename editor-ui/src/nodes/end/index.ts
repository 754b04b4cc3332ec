import type { EndNode } from "../../flow/types";
import { outcomeName } from "../../i18n";
import type { NodeKind } from "../kind";
import { EndForm } from "./EndForm";
import "./style.css";

export const end: NodeKind<EndNode> = {
  type: "end",
  icon: "⏹️",
  name: "node.end.name",
  help: "node.end.help",
  create: (common) => ({ ...common, type: "end", outcome: "resolved" }),
  ports: () => [],
  summary: (node, t) => outcomeName(t, node.outcome),
  Form: EndForm,
};
