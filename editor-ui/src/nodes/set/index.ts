import { portAt } from "../../flow/ports";
import { arrayOf, textOf } from "../../flow/read";
import type { SetNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { SetForm } from "./SetForm";
import "./style.css";

export const set: NodeKind<SetNode> = {
  type: "set",
  icon: "📝",
  name: "node.set.name",
  help: "node.set.help",
  create: (common) => ({ ...common, type: "set", assign: [{ var: "", value: "" }], next: "" }),
  ports: (node) => [portAt(node, "next", "next", ["next"])],
  summary: (node) =>
    arrayOf(node.assign)
      .map((assignment) => `${textOf(assignment?.var)} =`)
      .join(" "),
  variables: (node) => arrayOf(node.assign).flatMap((assignment) => (typeof assignment?.var === "string" ? [assignment.var] : [])),
  Form: SetForm,
};
