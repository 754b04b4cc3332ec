import { useForm } from "../../editor/forms/context";
import { withMap } from "../../editor/forms/edit";
import { KeyValueList, SelectInput } from "../../editor/forms/fields";
import { flowTitle } from "../../flow/names";
import type { SubflowNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

export function SubflowForm({ node, change }: NodeFormProps<SubflowNode>) {
  const { t } = useI18n();
  const { flowNames } = useForm();
  return (
    <>
      {/* Flows are chosen by their names; the node keeps the flow's key, which renaming the
          flow does not change. */}
      <SelectInput
        label={t("subflow.flow")}
        help={t("subflow.flowHelp")}
        value={node.flow}
        path="/flow"
        options={[
          { value: "", label: t("subflow.choose") },
          ...flowNames.map((flow) => ({ value: flow.name, label: flowTitle(flow) })),
          ...(node.flow && !flowNames.some((flow) => flow.name === node.flow) ? [{ value: node.flow, label: node.flow }] : []),
        ]}
        onChange={(flow) => change((n) => ({ ...n, flow }), "flow")}
      />
      <KeyValueList
        label={t("subflow.inputs")}
        help={t("subflow.inputsHelp")}
        value={node.inputs}
        path="/inputs"
        keyLabel={t("subflow.childVar")}
        valueLabel={t("subflow.inputValue")}
        addLabel={t("subflow.addInput")}
        valueKind="template"
        onChange={(inputs) => change((n) => withMap(n, "inputs", inputs), "inputs")}
      />
      <KeyValueList
        label={t("subflow.outputs")}
        help={t("subflow.outputsHelp")}
        value={node.outputs}
        path="/outputs"
        keyLabel={t("subflow.parentVar")}
        valueLabel={t("subflow.childVar")}
        addLabel={t("subflow.addOutput")}
        onChange={(outputs) => change((n) => withMap(n, "outputs", outputs), "outputs")}
      />
      <PortField node={node} change={change} label={t("port.subflow.next")} path={["next"]} />
      <PortField node={node} change={change} label={t("port.subflow.error")} help={t("subflow.errorHelp")} path={["error"]} optional />
    </>
  );
}
