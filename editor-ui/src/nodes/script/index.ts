import { portAt } from "../../flow/ports";
import { textOf } from "../../flow/read";
import type { ScriptNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { ScriptForm } from "./ScriptForm";
import "./style.css";

export const script: NodeKind<ScriptNode> = {
  type: "script",
  icon: "🧩",
  name: "node.script.name",
  help: "node.script.help",
  create: (common) => ({ ...common, type: "script", code: "", next: "", error: "" }),
  ports: (node) => [portAt(node, "next", "next", ["next"]), portAt(node, "error", "error", ["error"])],
  portNames: { next: "port.script.next" },
  summary: (node) =>
    textOf(node.code)
      .split("\n")
      .find((line) => line.trim() && !line.trim().startsWith("//")) ?? "",
  Form: ScriptForm,
};
