import { portAt } from "../../flow/ports";
import { textOf } from "../../flow/read";
import type { SayNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { SayForm } from "./SayForm";
import "./style.css";

export const say: NodeKind<SayNode> = {
  type: "say",
  icon: "🔊",
  name: "node.say.name",
  help: "node.say.help",
  create: (common) => ({ ...common, type: "say", text: "", next: "" }),
  ports: (node) => [portAt(node, "next", "next", ["next"])],
  summary: (node) => textOf(node.text),
  Form: SayForm,
};
