import { useForm } from "../../editor/forms/context";
import { moveIndex, removeIndex, replaceAt } from "../../editor/forms/edit";
import { CodeInput, Issues, PortSelect } from "../../editor/forms/fields";
import type { BranchNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

export function BranchForm({ node, change }: NodeFormProps<BranchNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const cases = node.cases ?? [];
  const setCases = (next: BranchNode["cases"], field = "cases") => change((n) => ({ ...n, cases: next }), field);
  return (
    <>
      <p className="field-help">{t("branch.help")}</p>
      {cases.map((branchCase, index) => (
        <fieldset key={index} className="card" data-testid="branch-case">
          <legend>{t("branch.case", { n: index + 1 })}</legend>
          <CodeInput
            label={t("branch.when")}
            help={index === 0 ? t("branch.whenHelp") : undefined}
            value={branchCase.when}
            path={`/cases/${index}/when`}
            mode="expression"
            placeholder='vars.status == "shipped"'
            onChange={(when) => setCases(replaceAt(cases, index, { ...branchCase, when }), `cases/${index}/when`)}
          />
          <PortSelect
            label={t("branch.then")}
            value={branchCase.next}
            path={`/cases/${index}/next`}
            ownerId={node.id}
            onChange={(target) => setCases(replaceAt(cases, index, { ...branchCase, next: target ?? "" }))}
          />
          {!readOnly && (
            <div className="card-actions">
              <button type="button" onClick={() => setCases(moveIndex(cases, index, -1))} disabled={index === 0} aria-label={t("common.moveUpItem", { item: String(index + 1) })}>
                ↑
              </button>
              <button
                type="button"
                onClick={() => setCases(moveIndex(cases, index, 1))}
                disabled={index === cases.length - 1}
                aria-label={t("common.moveDownItem", { item: String(index + 1) })}
              >
                ↓
              </button>
              <button type="button" className="danger-text" onClick={() => setCases(removeIndex(cases, index))}>
                {t("branch.remove")}
              </button>
            </div>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <button type="button" className="add-button" data-testid="add-case" onClick={() => setCases([...cases, { when: "", next: "" }])}>
          ＋ {t("branch.add")}
        </button>
      )}
      <Issues path="/cases" />
      <PortField node={node} change={change} label={t("port.else")} help={t("branch.elseHelp")} path={["else"]} />
    </>
  );
}
