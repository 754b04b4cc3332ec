import { useForm } from "../../editor/forms/context";
import { withOptional } from "../../editor/forms/edit";
import { SelectInput, TemplateInput } from "../../editor/forms/fields";
import type { HandoffNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { queueLabel } from "../lookup";
import { PortField } from "../shared/PortField";

type HandoffTarget = "queue" | "phone" | "sip";

/**
 * The queue: one of the tenant's, by name. A template (`{{vars.queue}}`) or a tenant without
 * queues (or a list that cannot be had) is typed as text; a key the tenant lacks stays, marked.
 */
function QueuePicker({ node, change }: NodeFormProps<HandoffNode>) {
  const { t, lang } = useI18n();
  const { queues } = useForm();
  const value = node.queue ?? "";
  const onChange = (queue: string) => change((n) => ({ ...n, queue }), "queue");
  if (!queues || queues.length === 0 || value.includes("{{")) {
    return (
      <TemplateInput
        label={t("handoff.queueValue")}
        help={t(queues && queues.length === 0 ? "handoff.queueNone" : "handoff.queueHelp")}
        value={value}
        path="/queue"
        testId="handoff-target"
        onChange={onChange}
      />
    );
  }
  const options = [
    { value: "", label: t("handoff.queuePick") },
    ...queues.map((queue) => ({ value: queue.key, label: queueLabel(queue, lang) })),
  ];
  if (value && !queues.some((queue) => queue.key === value)) {
    options.push({ value, label: t("handoff.queueUnknown", { key: value }) });
  }
  return (
    <SelectInput
      label={t("handoff.queue")}
      help={t("handoff.queuePickHelp")}
      value={value}
      options={options}
      path="/queue"
      testId="handoff-target"
      onChange={onChange}
    />
  );
}

export function HandoffForm({ node, change }: NodeFormProps<HandoffNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const kind: HandoffTarget = node.phone != null ? "phone" : node.sip != null ? "sip" : "queue";
  const setKind = (next: HandoffTarget) =>
    change((n) => {
      const value = n[kind] ?? "";
      const copy = { ...n };
      delete copy.queue;
      delete copy.phone;
      delete copy.sip;
      return { ...copy, [next]: value };
    });
  return (
    <>
      <fieldset className="field">
        <legend>{t("handoff.target")}</legend>
        <div className="radio-row" role="radiogroup">
          {(["queue", "phone", "sip"] as HandoffTarget[]).map((option) => (
            <label key={option}>
              <input type="radio" name={`handoff-${node.id}`} checked={kind === option} disabled={readOnly} onChange={() => setKind(option)} />
              {t(`handoff.${option}`)}
            </label>
          ))}
        </div>
      </fieldset>
      {kind === "queue" ? (
        <QueuePicker node={node} change={change} />
      ) : (
        <TemplateInput
          label={t(`handoff.${kind}Value`)}
          help={t(`handoff.${kind}Help`)}
          value={node[kind] ?? ""}
          path={`/${kind}`}
          testId="handoff-target"
          onChange={(value) => change((n) => ({ ...n, [kind]: value }), kind)}
        />
      )}
      <TemplateInput
        label={t("handoff.message")}
        help={t("handoff.messageHelp")}
        value={node.message}
        path="/message"
        multiline
        onChange={(message) => change((n) => withOptional(n, "message", message), "message")}
      />
      <TemplateInput
        label={t("handoff.summary")}
        help={t("handoff.summaryHelp")}
        value={node.summary}
        path="/summary"
        multiline
        testId="handoff-summary"
        onChange={(summary) => change((n) => withOptional(n, "summary", summary), "summary")}
      />
      <PortField node={node} change={change} label={t("port.handoff.next")} help={t("handoff.nextHelp")} path={["next"]} optional />
      <PortField node={node} change={change} label={t("port.no_answer")} help={t("handoff.defaultsToError")} path={["no_answer"]} optional />
      <PortField node={node} change={change} label={t("port.busy")} help={t("handoff.defaultsToError")} path={["busy"]} optional />
      <PortField node={node} change={change} label={t("port.handoff.error")} path={["error"]} />
    </>
  );
}
