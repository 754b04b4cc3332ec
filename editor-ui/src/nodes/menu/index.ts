import { portAt } from "../../flow/ports";
import { arrayOf, textOf } from "../../flow/read";
import type { MenuNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { newRetry, retryPorts } from "../shared/listening";
import { MenuForm } from "./MenuForm";
import "./style.css";

export const menu: NodeKind<MenuNode> = {
  type: "menu",
  icon: "🔢",
  name: "node.menu.name",
  help: "node.menu.help",
  create: (common) => ({ ...common, type: "menu", prompt: "", choices: [{ key: "1", label: "", next: "" }], no_match: newRetry(), no_input: newRetry() }),
  ports: (node) => [
    ...arrayOf(node.choices).map((choice, i) => portAt(node, `choice-${i}`, "choice", ["choices", i, "next"], { name: String(choice.key ?? "") })),
    ...retryPorts(node),
  ],
  summary: (node) => textOf(node.prompt),
  Form: MenuForm,
};
