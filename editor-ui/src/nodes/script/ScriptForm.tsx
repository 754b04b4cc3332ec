import { CodeInput } from "../../editor/forms/fields";
import type { ScriptNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

export function ScriptForm({ node, change }: NodeFormProps<ScriptNode>) {
  const { t } = useI18n();
  return (
    <>
      <CodeInput
        label={t("script.code")}
        help={t("script.codeHelp")}
        value={node.code}
        path="/code"
        mode="rhai"
        multiline
        testId="script-code"
        onChange={(code) => change((n) => ({ ...n, code }), "code")}
      />
      <PortField node={node} change={change} label={t("port.script.next")} path={["next"]} />
      <PortField node={node} change={change} label={t("port.error")} help={t("script.errorHelp")} path={["error"]} />
    </>
  );
}
