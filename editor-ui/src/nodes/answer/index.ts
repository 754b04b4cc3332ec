import { portAt } from "../../flow/ports";
import { textOf } from "../../flow/read";
import type { AnswerNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { AnswerForm } from "./AnswerForm";
import "./style.css";

export const answer: NodeKind<AnswerNode> = {
  type: "answer",
  icon: "📚",
  name: "node.answer.name",
  help: "node.answer.help",
  create: (common) => ({
    ...common,
    type: "answer",
    knowledge_base: "",
    answered: "",
    no_answer: "",
  }),
  ports: (node) => [
    portAt(node, "answered", "answered", ["answered"]),
    portAt(node, "no_answer", "no_answer", ["no_answer"]),
    portAt(node, "unresolved", "unresolved", ["unresolved"], {
      optional: true,
    }),
    ...(node.no_input ? [portAt(node, "no_input", "no_input", ["no_input", "next"])] : []),
  ],
  portNames: {
    answered: "port.answer.answered",
    no_answer: "port.answer.no_answer",
    unresolved: "port.answer.unresolved",
  },
  summary: (node, _t, lookup) => {
    const key = textOf(node.knowledge_base);
    return key ? lookup.knowledgeBaseName(key) : "";
  },
  Form: AnswerForm,
};
