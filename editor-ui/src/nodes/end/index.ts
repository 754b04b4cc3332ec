import { textOf } from "../../flow/read";
import type { EndNode } from "../../flow/types";
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
  summary: (node) => textOf(node.outcome),
  Form: EndForm,
};
