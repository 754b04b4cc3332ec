import { everyValue, withList, withOptional } from "../../editor/forms/edit";
import { Checkbox, NumberInput, Section, SelectInput, TemplateInput, TextInput } from "../../editor/forms/fields";
import { IntentsEditor } from "../../editor/forms/IntentsEditor";
import type { AskNode, InputMode, Slot, SlotType } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { ListeningHints, ListeningOptions, ListeningTimeout, RetryEditor } from "../shared/ListeningFields";
import { PortField } from "../shared/PortField";
import { TryIntent } from "../shared/TryIntent";

const SLOT_TYPES = everyValue<SlotType>({
  digits: true,
  number: true,
  order_number: true,
  phone_number: true,
  yes_no: true,
  date: true,
  amount: true,
});

/** The slot as another kind: settings the new kind does not use are dropped, so switching
 * kinds never leaves a setting that has no effect. */
export function slotOfType(slot: Slot, type: SlotType): Slot {
  const next: Slot = { var: slot.var, type };
  if ((type === "digits" || type === "order_number") && slot.pattern !== undefined) next.pattern = slot.pattern;
  if (type === "number" || type === "amount") {
    if (slot.min !== undefined) next.min = slot.min;
    if (slot.max !== undefined) next.max = slot.max;
  }
  if (type === "amount" && slot.currency_var !== undefined) next.currency_var = slot.currency_var;
  return next;
}

export function AskForm({ node, change }: NodeFormProps<AskNode>) {
  const { t } = useI18n();
  const intents = node.intents ?? [];
  const slot = node.slot ?? null;
  const modes: InputMode[] = node.input ?? ["speech", "dtmf"];
  const setModes = (mode: InputMode, on: boolean) =>
    change((n) => {
      const current: InputMode[] = n.input ?? ["speech", "dtmf"];
      const next = (["speech", "dtmf"] as InputMode[]).filter((m) => (m === mode ? on : current.includes(m)));
      const copy = { ...n };
      if (next.length === 2) delete copy.input;
      else copy.input = next;
      return copy;
    });
  const setSlot = (next: Slot | null, field = "slot") => change((n) => withOptional(n, "slot", next), field);
  return (
    <>
      <TemplateInput
        label={t("ask.prompt")}
        help={t("ask.promptHelp")}
        value={node.prompt}
        path="/prompt"
        multiline
        testId="ask-prompt"
        onChange={(prompt) => change((n) => ({ ...n, prompt }), "prompt")}
      />
      <Section title={t("ask.intents")} testId="section-intents">
        <p className="field-help">{t("ask.intentsHelp")}</p>
        <IntentsEditor
          intents={intents}
          path="/intents"
          ownerId={node.id}
          onChange={(next, field) => change((n) => withList(n, "intents", next), field ?? "intents")}
        />
      </Section>
      {intents.length > 0 && <TryIntent nodeId={node.id} />}
      <Section title={t("ask.slot")} open={slot !== null}>
        <Checkbox
          label={t("ask.slotEnabled")}
          help={t("ask.slotHelp")}
          checked={slot !== null}
          path="/slot"
          onChange={(on) => setSlot(on ? { var: "", type: "digits" } : null)}
        />
        {slot && (
          <>
            <TextInput label={t("ask.slotVar")} value={slot.var} path="/slot/var" onChange={(v) => setSlot({ ...slot, var: v }, "slot/var")} />
            <SelectInput
              label={t("ask.slotType")}
              value={slot.type}
              path="/slot/type"
              options={SLOT_TYPES.map((type) => ({ value: type, label: t(`slot.${type}`) }))}
              help={slot.type === "date" ? t("ask.slotDateHelp") : undefined}
              onChange={(type) => setSlot(slotOfType(slot, type))}
            />
            {(slot.type === "digits" || slot.type === "order_number") && (
              <TextInput
                label={t("ask.slotPattern")}
                help={t("ask.slotPatternHelp")}
                value={slot.pattern}
                path="/slot/pattern"
                placeholder="\d{8,12}"
                onChange={(pattern) => setSlot(withOptional(slot, "pattern", pattern), "slot/pattern")}
              />
            )}
            {(slot.type === "number" || slot.type === "amount") && (
              <div className="field-row">
                <NumberInput label={t("ask.slotMin")} value={slot.min} path="/slot/min" onChange={(min) => setSlot(withOptional(slot, "min", min), "slot/min")} />
                <NumberInput label={t("ask.slotMax")} value={slot.max} path="/slot/max" onChange={(max) => setSlot(withOptional(slot, "max", max), "slot/max")} />
              </div>
            )}
            {slot.type === "amount" && (
              <TextInput
                label={t("ask.slotCurrencyVar")}
                help={t("ask.slotCurrencyVarHelp")}
                value={slot.currency_var}
                path="/slot/currency_var"
                onChange={(name) => setSlot(withOptional(slot, "currency_var", name), "slot/currency_var")}
              />
            )}
          </>
        )}
        <TextInput
          label={t("ask.saveAs")}
          help={t("ask.saveAsHelp")}
          value={node.save_as}
          path="/save_as"
          onChange={(name) => change((n) => withOptional(n, "save_as", name), "save_as")}
        />
      </Section>
      <PortField
        node={node}
        change={change}
        label={slot ? t("port.ask.captured") : t("port.ask.answered")}
        help={intents.length > 0 && !slot ? t("ask.nextIgnored") : t("ask.nextHelp")}
        path={["next"]}
        optional
      />
      <RetryEditor node={node} change={change} which="no_match" />
      <RetryEditor node={node} change={change} which="no_input" />
      <Section title={t("form.advanced")} open={false}>
        <fieldset className="field">
          <legend>{t("ask.input")}</legend>
          <Checkbox label={t("ask.inputSpeech")} checked={modes.includes("speech")} path="/input" onChange={(on) => setModes("speech", on)} />
          <Checkbox label={t("ask.inputDtmf")} checked={modes.includes("dtmf")} onChange={(on) => setModes("dtmf", on)} />
        </fieldset>
        <div className="field-row">
          <NumberInput
            label={t("ask.maxDigits")}
            value={node.dtmf?.max_digits}
            min={1}
            step={1}
            path="/dtmf/max_digits"
            onChange={(max) => change((n) => withDtmf(n, "max_digits", max), "dtmf/max_digits")}
          />
          <SelectInput
            label={t("ask.finishOnKey")}
            value={node.dtmf?.finish_on_key ?? ""}
            path="/dtmf/finish_on_key"
            options={[{ value: "", label: t("ask.finishDefault") }, { value: "#", label: "#" }, { value: "*", label: "*" }]}
            onChange={(key) => change((n) => withDtmf(n, "finish_on_key", key))}
          />
        </div>
        <ListeningTimeout node={node} change={change} />
        <ListeningHints node={node} change={change} />
        <NumberInput
          label={t("ask.threshold")}
          help={t("ask.thresholdHelp")}
          value={node.threshold}
          min={0}
          max={1}
          step={0.05}
          path="/threshold"
          onChange={(value) => change((n) => withOptional(n, "threshold", value), "threshold")}
        />
        <ListeningOptions node={node} change={change} />
      </Section>
    </>
  );
}

function withDtmf(node: AskNode, key: "max_digits" | "finish_on_key", value: unknown): AskNode {
  const rules = withOptional({ ...(node.dtmf ?? {}) }, key, value);
  return Object.keys(rules).length === 0 ? withOptional(node, "dtmf", null) : { ...node, dtmf: rules };
}
