import { useForm } from "../../editor/forms/context";
import { withDefaultTrue, withOptional } from "../../editor/forms/edit";
import { Checkbox, SelectInput, TemplateInput, TextInput } from "../../editor/forms/fields";
import type { AnswerNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { ListeningHints, ListeningOptions, ListeningTimeout, RetryEditor } from "../shared/ListeningFields";
import { newRetry } from "../shared/listening";
import { PortField } from "../shared/PortField";

/** The knowledge base's picker: the tenant's bases by name; a key it does not know stays, marked. */
function KnowledgeBasePicker({ node, change }: NodeFormProps<AnswerNode>) {
  const { t } = useI18n();
  const { knowledgeBases } = useForm();
  const key = node.knowledge_base;
  const onChange = (knowledge_base: string) => change((n) => ({ ...n, knowledge_base }), "knowledge_base");
  if (knowledgeBases === null) {
    // The list is loading or cannot be had: the key, as it is written.
    return (
      <TextInput
        label={t("answer.base")}
        help={t("answer.baseKeyHelp")}
        value={key}
        path="/knowledge_base"
        testId="answer-knowledge-base"
        onChange={onChange}
      />
    );
  }
  const options = [
    { value: "", label: t("answer.basePick") },
    ...knowledgeBases.map((base) => ({
      value: base.key,
      label: base.name || base.key,
    })),
  ];
  if (key && !knowledgeBases.some((base) => base.key === key)) {
    options.push({ value: key, label: t("answer.baseUnknown", { key }) });
  }
  return (
    <SelectInput
      label={t("answer.base")}
      help={t("answer.baseHelp")}
      value={key}
      options={options}
      path="/knowledge_base"
      testId="answer-knowledge-base"
      onChange={onChange}
    />
  );
}

export function AnswerForm({ node, change }: NodeFormProps<AnswerNode>) {
  const { t } = useI18n();
  const disambiguate = node.disambiguate !== false;
  return (
    <>
      <KnowledgeBasePicker node={node} change={change} />
      <TemplateInput
        label={t("answer.prompt")}
        help={t("answer.promptHelp")}
        value={node.prompt ?? ""}
        path="/prompt"
        multiline
        testId="answer-prompt"
        onChange={(prompt) => change((n) => withOptional(n, "prompt", prompt), "prompt")}
      />
      <Checkbox
        label={t("answer.disambiguate")}
        help={t("answer.disambiguateHelp")}
        checked={disambiguate}
        path="/disambiguate"
        testId="answer-disambiguate"
        onChange={(on) =>
          change((n) => withOptional(withDefaultTrue(n, "disambiguate", on), "disambiguate_prompt", on ? n.disambiguate_prompt : ""))
        }
      />
      {disambiguate && (
        <TemplateInput
          label={t("answer.disambiguatePrompt")}
          help={t("answer.disambiguatePromptHelp")}
          value={node.disambiguate_prompt ?? ""}
          path="/disambiguate_prompt"
          onChange={(text) => change((n) => withOptional(n, "disambiguate_prompt", text), "disambiguate_prompt")}
        />
      )}
      <Checkbox
        label={t("answer.confirm")}
        help={t("answer.confirmHelp")}
        checked={node.confirm === true}
        path="/confirm"
        testId="answer-confirm"
        onChange={(on) =>
          change((n) => withOptional(withOptional(n, "confirm", on ? true : undefined), "confirm_prompt", on ? n.confirm_prompt : ""))
        }
      />
      {node.confirm === true && (
        <TemplateInput
          label={t("answer.confirmPrompt")}
          help={t("answer.confirmPromptHelp")}
          value={node.confirm_prompt ?? ""}
          path="/confirm_prompt"
          multiline
          testId="answer-confirm-prompt"
          onChange={(text) => change((n) => withOptional(n, "confirm_prompt", text), "confirm_prompt")}
        />
      )}
      <PortField node={node} change={change} label={t("port.answer.answered")} help={t("answer.answeredHelp")} path={["answered"]} />
      <PortField node={node} change={change} label={t("port.answer.no_answer")} help={t("answer.noAnswerHelp")} path={["no_answer"]} />
      <PortField
        node={node}
        change={change}
        label={t("port.answer.unresolved")}
        help={t("answer.unresolvedHelp")}
        path={["unresolved"]}
        optional
      />
      <Checkbox
        label={t("answer.silence")}
        help={t("answer.silenceHelp")}
        checked={node.no_input != null}
        path="/no_input"
        testId="answer-silence"
        onChange={(on) => change((n) => withOptional(n, "no_input", on ? newRetry() : undefined), "no_input")}
      />
      {node.no_input != null && <RetryEditor node={node} change={change} which="no_input" />}
      <ListeningTimeout node={node} change={change} />
      <ListeningHints node={node} change={change} />
      <ListeningOptions node={node} change={change} />
    </>
  );
}
