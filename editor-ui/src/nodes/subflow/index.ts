import { portAt } from "../../flow/ports";
import { objectOf, textOf } from "../../flow/read";
import type { SubflowNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { SubflowForm } from "./SubflowForm";
import "./style.css";

export const subflow: NodeKind<SubflowNode> = {
  type: "subflow",
  icon: "📦",
  name: "node.subflow.name",
  help: "node.subflow.help",
  create: (common) => ({ ...common, type: "subflow", flow: "", next: "" }),
  ports: (node) => [portAt(node, "next", "next", ["next"]), portAt(node, "error", "error", ["error"], { optional: true })],
  portNames: { next: "port.subflow.next", error: "port.subflow.error" },
  summary: (node, _t, lookup) => (textOf(node.flow) ? lookup.flowName(textOf(node.flow)) : ""),
  variables: (node) => Object.keys(objectOf(node.outputs)),
  Form: SubflowForm,
};
