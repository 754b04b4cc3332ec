import { everyValue } from "../../editor/forms/edit";
import { SelectInput } from "../../editor/forms/fields";
import type { EndNode, Outcome } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";

const OUTCOMES = everyValue<Outcome>({ resolved: true, handoff: true, abandoned: true, failed: true });

export function EndForm({ node, change }: NodeFormProps<EndNode>) {
  const { t } = useI18n();
  return (
    <>
      <SelectInput
        label={t("end.outcome")}
        value={node.outcome}
        path="/outcome"
        testId="end-outcome"
        options={OUTCOMES.map((outcome) => ({ value: outcome, label: t(`outcome.${outcome}`) }))}
        onChange={(outcome) => change((n) => ({ ...n, outcome }))}
      />
      {OUTCOMES.includes(node.outcome) && <p className="field-help">{t(`outcomeHelp.${node.outcome}`)}</p>}
    </>
  );
}
