import { useForm } from "../../editor/forms/context";
import { withOptional } from "../../editor/forms/edit";
import { TemplateInput } from "../../editor/forms/fields";
import type { HandoffNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

type HandoffTarget = "queue" | "phone" | "sip";

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
      <TemplateInput
        label={t(`handoff.${kind}Value`)}
        help={t(`handoff.${kind}Help`)}
        value={node[kind] ?? ""}
        path={`/${kind}`}
        testId="handoff-target"
        onChange={(value) => change((n) => ({ ...n, [kind]: value }), kind)}
      />
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
