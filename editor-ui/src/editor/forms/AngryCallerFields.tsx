// The flow's emotion trigger: the node an angry caller is sent to from any question, chosen by
// the names a manager knows (node labels, never ids), and how angry is angry enough.

import { useId } from "react";

import type { AngryCaller, FlowDocument, FlowNode } from "../../flow/types";
import { nodeNames } from "../../flow/names";
import { useI18n } from "../../i18n";
import { useForm } from "./context";
import { withOptional } from "./edit";
import { FieldShell, NumberInput } from "./fields";

type DocChange = (patch: (doc: FlowDocument) => FlowDocument, coalesce?: string) => void;

export function AngryCallerFields({ doc, onChange }: { doc: FlowDocument; onChange: DocChange }) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const id = useId();
  const trigger: AngryCaller | null | undefined = doc.angry_caller;
  const target = trigger?.next ?? "";
  const names = nodeNames(t, doc.nodes);
  const handoffs = doc.nodes.filter((node) => node.type === "handoff");
  const others = doc.nodes.filter((node) => node.type !== "handoff");
  const known = target === "" || names.has(target);
  const set = (next: AngryCaller | undefined) => onChange((d) => withOptional(d, "angry_caller", next), "flow:angry_caller");
  const option = (node: FlowNode) => (
    <option key={node.id} value={node.id}>
      {names.get(node.id)}
    </option>
  );
  return (
    <>
      <FieldShell label={t("flow.angryCallerNext")} htmlFor={id} path="/angry_caller/next">
        <select
          id={id}
          value={target}
          disabled={readOnly}
          data-field="/angry_caller/next"
          data-testid="flow-angry-caller"
          onChange={(e) => set(e.target.value === "" ? undefined : { ...trigger, next: e.target.value })}
        >
          <option value="">{t("flow.angryCallerOff")}</option>
          {!known && <option value={target}>{t("port.missingNode", { id: target })}</option>}
          {handoffs.length > 0 && <optgroup label={t("flow.angryCallerHandoffs")}>{handoffs.map(option)}</optgroup>}
          {others.length > 0 && <optgroup label={t("flow.angryCallerOthers")}>{others.map(option)}</optgroup>}
        </select>
      </FieldShell>
      {trigger && (
        <NumberInput
          label={t("flow.angryCallerThreshold")}
          help={t("flow.angryCallerThresholdHelp")}
          value={trigger.threshold}
          min={0.05}
          max={1}
          step={0.05}
          placeholder="0.5"
          path="/angry_caller/threshold"
          onChange={(threshold) => set(withOptional(trigger, "threshold", threshold))}
        />
      )}
    </>
  );
}
