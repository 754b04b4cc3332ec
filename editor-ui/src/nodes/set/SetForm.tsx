import { useForm } from "../../editor/forms/context";
import { removeIndex, replaceAt } from "../../editor/forms/edit";
import { Issues, TextInput } from "../../editor/forms/fields";
import { ValueEditor } from "../../editor/forms/ValueEditor";
import type { Assignment, SetNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

export function SetForm({ node, change }: NodeFormProps<SetNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const assign = node.assign ?? [];
  const setAssign = (next: Assignment[], field = "assign") => change((n) => ({ ...n, assign: next }), field);
  return (
    <>
      <p className="field-help">{t("set.help")}</p>
      {assign.map((assignment, index) => (
        <fieldset key={index} className="card" data-testid="assignment">
          <legend>{t("set.assignment", { n: index + 1 })}</legend>
          <TextInput
            label={t("set.var")}
            value={assignment.var}
            path={`/assign/${index}/var`}
            onChange={(name) => setAssign(replaceAt(assign, index, { ...assignment, var: name }), `assign/${index}/var`)}
          />
          <ValueEditor
            label={t("set.value")}
            value={assignment.value}
            path={`/assign/${index}/value`}
            onChange={(value, field) => setAssign(replaceAt(assign, index, { ...assignment, value }), field ?? `assign/${index}/value`)}
          />
          {!readOnly && (
            <div className="card-actions">
              <button type="button" className="danger-text" onClick={() => setAssign(removeIndex(assign, index))}>
                {t("set.remove")}
              </button>
            </div>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <button type="button" className="add-button" data-testid="add-assignment" onClick={() => setAssign([...assign, { var: "", value: "" }])}>
          ＋ {t("set.add")}
        </button>
      )}
      <Issues path="/assign" />
      <PortField node={node} change={change} label={t("port.next")} path={["next"]} />
    </>
  );
}
