import { portAt } from "../../flow/ports";
import { textOf } from "../../flow/read";
import type { OptOutNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { OptOutForm } from "./OptOutForm";
import "./style.css";

export const opt_out: NodeKind<OptOutNode> = {
  type: "opt_out",
  icon: "🚫",
  name: "node.opt_out.name",
  help: "node.opt_out.help",
  create: (common) => ({ ...common, type: "opt_out", next: "" }),
  ports: (node) => [portAt(node, "next", "next", ["next"])],
  // The canvas says what the node does, and the confirmation when there is one.
  summary: (node, t) => textOf(node.prompt ?? "") || t("opt_out.summary"),
  Form: OptOutForm,
};
