import { withDefaultTrue, withOptional } from "../../editor/forms/edit";
import { Checkbox, Section, TemplateInput, TextInput } from "../../editor/forms/fields";
import type { SayNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { PortField } from "../shared/PortField";

export function SayForm({ node, change }: NodeFormProps<SayNode>) {
  const { t } = useI18n();
  return (
    <>
      <TemplateInput
        label={t("say.text")}
        help={t("say.textHelp")}
        value={node.text}
        path="/text"
        multiline
        testId="say-text"
        onChange={(text) => change((n) => ({ ...n, text }), "text")}
      />
      <PortField node={node} change={change} label={t("port.next")} path={["next"]} />
      <Section title={t("form.advanced")} open={false}>
        <TemplateInput
          label={t("say.audio")}
          help={t("say.audioHelp")}
          value={node.audio}
          path="/audio"
          onChange={(audio) => change((n) => withOptional(n, "audio", audio), "audio")}
        />
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
