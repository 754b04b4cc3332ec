// Form parts of the listening kinds (ask, menu, answer): the reprompts, and the options about listening.

import { withDefaultTrue, withList, withOptional } from "../../editor/forms/edit";
import { Checkbox, NumberInput, Section, StringList, TextInput } from "../../editor/forms/fields";
import type { AnswerNode, AskNode, MenuNode, Retry } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import type { RetryField } from "./listening";
import { PortField } from "./PortField";

export function RetryEditor<N extends AskNode | MenuNode | AnswerNode>({ node, change, which }: NodeFormProps<N> & { which: RetryField }) {
  const { t } = useI18n();
  // An answer node has no `no_match`, and its `no_input` is optional.
  const retry: Retry = (node as Partial<Record<RetryField, Retry | null>>)[which] ?? { next: "" };
  const set = (next: Retry, field: string) => change((n) => ({ ...n, [which]: next }), `${which}/${field}`);
  return (
    <Section title={which === "no_match" ? t("retry.noMatchTitle") : t("retry.noInputTitle")} testId={`retry-${which}`}>
      <p className="field-help">{which === "no_match" ? t("retry.noMatchHelp") : t("retry.noInputHelp")}</p>
      <StringList
        label={t("retry.prompts")}
        items={retry.prompts}
        path={`/${which}/prompts`}
        template
        addLabel={t("retry.addPrompt")}
        itemLabel={(i) => t("retry.prompt", { n: i + 1 })}
        onChange={(prompts) => set(withList(retry, "prompts", prompts), "prompts")}
      />
      <NumberInput
        label={t("retry.max")}
        help={t("retry.maxHelp")}
        value={retry.max ?? 2}
        min={0}
        max={10}
        step={1}
        path={`/${which}/max`}
        onChange={(max) => set({ ...retry, max: max ?? 2 }, "max")}
      />
      <PortField node={node} change={change} label={t("retry.then")} path={[which, "next"]} />
    </Section>
  );
}

/** How long the caller's silence lasts before it counts as no input. */
export function ListeningTimeout<N extends AskNode | MenuNode | AnswerNode>({ node, change }: NodeFormProps<N>) {
  const { t } = useI18n();
  return (
    <NumberInput
      label={t("form.timeout")}
      help={t("form.timeoutHelp")}
      value={node.timeout_ms}
      min={0}
      step={500}
      path="/timeout_ms"
      onChange={(ms) => change((n) => withOptional(n, "timeout_ms", ms), "timeout_ms")}
    />
  );
}

/** Phrases that help speech recognition. */
export function ListeningHints<N extends AskNode | AnswerNode>({ node, change }: NodeFormProps<N>) {
  const { t } = useI18n();
  return (
    <StringList
      label={t("ask.hints")}
      help={t("ask.hintsHelp")}
      items={node.hints}
      path="/hints"
      addLabel={t("ask.addHint")}
      itemLabel={(i) => t("ask.hint", { n: i + 1 })}
      onChange={(hints) => change((n) => withList(n, "hints", hints), "hints")}
    />
  );
}

/** Global intents, barge-in and the voice. */
export function ListeningOptions<N extends AskNode | MenuNode | AnswerNode>({ node, change }: NodeFormProps<N>) {
  const { t } = useI18n();
  return (
    <>
      <Checkbox
        label={t("form.globalIntents")}
        help={t("form.globalIntentsHelp")}
        checked={node.global_intents !== false}
        path="/global_intents"
        onChange={(on) => change((n) => withDefaultTrue(n, "global_intents", on))}
      />
      <Checkbox label={t("form.bargeIn")} checked={node.barge_in !== false} path="/barge_in" onChange={(on) => change((n) => withDefaultTrue(n, "barge_in", on))} />
      <TextInput label={t("form.voice")} value={node.voice} path="/voice" onChange={(voice) => change((n) => withOptional(n, "voice", voice), "voice")} />
    </>
  );
}
