import { useForm } from "../../editor/forms/context";
import { DTMF_KEYS, removeIndex, replaceAt, withOptional } from "../../editor/forms/edit";
import { Issues, PortSelect, Section, SelectInput, TemplateInput, TextInput } from "../../editor/forms/fields";
import type { MenuNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import type { NodeFormProps } from "../kind";
import { ListeningOptions, ListeningTimeout, RetryEditor } from "../shared/ListeningFields";
import { TryIntent } from "../shared/TryIntent";

export function MenuForm({ node, change }: NodeFormProps<MenuNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const choices = node.choices ?? [];
  const setChoices = (next: MenuNode["choices"], field = "choices") => change((n) => ({ ...n, choices: next }), field);
  const freeKey = () => DTMF_KEYS.find((key) => !choices.some((c) => c.key === key)) ?? "1";
  return (
    <>
      <TemplateInput
        label={t("menu.prompt")}
        help={t("menu.promptHelp")}
        value={node.prompt}
        path="/prompt"
        multiline
        onChange={(prompt) => change((n) => ({ ...n, prompt }), "prompt")}
      />
      <Section title={t("menu.choices")}>
        {choices.map((choice, index) => (
          <fieldset key={index} className="card" data-testid="menu-choice">
            <legend>{t("menu.choice", { key: choice.key })}</legend>
            <div className="field-row">
              <SelectInput
                label={t("menu.key")}
                value={choice.key}
                path={`/choices/${index}/key`}
                options={DTMF_KEYS.map((key) => ({ value: key, label: key }))}
                onChange={(key) => setChoices(replaceAt(choices, index, { ...choice, key }))}
              />
              <TextInput
                label={t("menu.label")}
                help={t("menu.labelHelp")}
                value={choice.label}
                path={`/choices/${index}/label`}
                onChange={(label) => setChoices(replaceAt(choices, index, withOptional(choice, "label", label)), `choices/${index}/label`)}
              />
            </div>
            <PortSelect
              label={t("menu.next")}
              value={choice.next}
              path={`/choices/${index}/next`}
              ownerId={node.id}
              onChange={(target) => setChoices(replaceAt(choices, index, { ...choice, next: target ?? "" }))}
            />
            {!readOnly && (
              <div className="card-actions">
                <button type="button" className="danger-text" onClick={() => setChoices(removeIndex(choices, index))}>
                  {t("menu.remove")}
                </button>
              </div>
            )}
          </fieldset>
        ))}
        {!readOnly && (
          <button type="button" className="add-button" data-testid="add-choice" onClick={() => setChoices([...choices, { key: freeKey(), next: "" }])}>
            ＋ {t("menu.add")}
          </button>
        )}
        <Issues path="/choices" />
      </Section>
      {choices.some((c) => (c.label ?? "").trim() !== "") && <TryIntent nodeId={node.id} />}
      <RetryEditor node={node} change={change} which="no_match" />
      <RetryEditor node={node} change={change} which="no_input" />
      <Section title={t("form.advanced")} open={false}>
        <ListeningTimeout node={node} change={change} />
        <ListeningOptions node={node} change={change} />
      </Section>
    </>
  );
}
