import { portAt } from "../../flow/ports";
import { arrayOf } from "../../flow/read";
import type { BranchNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { BranchForm } from "./BranchForm";
import "./style.css";

export const branch: NodeKind<BranchNode> = {
  type: "branch",
  icon: "🔀",
  name: "node.branch.name",
  help: "node.branch.help",
  create: (common) => ({ ...common, type: "branch", cases: [{ when: "", next: "" }], else: "" }),
  ports: (node) => [
    ...arrayOf(node.cases).map((branchCase, i) => portAt(node, `case-${i}`, "case", ["cases", i, "next"], { name: String(branchCase.when ?? "") })),
    portAt(node, "else", "else", ["else"]),
  ],
  summary: () => "",
  Form: BranchForm,
};
