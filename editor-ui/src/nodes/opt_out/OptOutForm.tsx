import { withDefaultTrue, withOptional } from "../../editor/forms/edit";
import { Checkbox, Section, TemplateInput, TextInput } from "../../editor/forms/fields";
import type { OptOutNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

export function OptOutForm({ node, change }: NodeFormProps<OptOutNode>) {
  const { t } = useI18n();
  return (
    <>
      <p className="field-help" data-testid="opt-out-explain">
        {t("opt_out.explain")}
      </p>
      <TemplateInput
        label={t("opt_out.prompt")}
        help={t("opt_out.promptHelp")}
        value={node.prompt}
        path="/prompt"
        multiline
        testId="opt-out-prompt"
        onChange={(prompt) => change((n) => withOptional(n, "prompt", prompt), "prompt")}
      />
      <PortField node={node} change={change} label={t("port.next")} path={["next"]} />
      <Section title={t("form.advanced")} open={false}>
        <TextInput label={t("form.voice")} help={t("form.voiceHelp")} value={node.voice} path="/voice" onChange={(voice) => change((n) => withOptional(n, "voice", voice), "voice")} />
        <Checkbox
          label={t("form.bargeIn")}
          help={t("form.bargeInHelp")}
          checked={node.barge_in !== false}
          path="/barge_in"
          onChange={(on) => change((n) => withDefaultTrue(n, "barge_in", on))}
        />
      </Section>
    </>
  );
}
