import { intentTitle, newIntentKey } from "../../flow/names";
import type { Intent } from "../../flow/types";
import { useI18n } from "../../i18n";
import { useForm } from "./context";
import { DTMF_KEYS, moveIndex, removeIndex, replaceAt, withList, withOptional } from "./edit";
import { Issues, PortSelect, SelectInput, StringList, TextInput } from "./fields";

interface IntentsEditorProps {
  intents: readonly Intent[];
  onChange: (intents: Intent[], coalesce?: string) => void;
  /** Pointer of the list, e.g. `/intents` or `/global_intents`. */
  path: string;
  ownerId?: string;
  testId?: string;
}

/** Intents with their example phrases, keywords, key and connection. */
export function IntentsEditor({ intents, onChange, path, ownerId, testId }: IntentsEditorProps) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const change = (index: number, intent: Intent, field: string) => onChange(replaceAt(intents, index, intent), `${path}/${index}/${field}`);
  // A new intent gets its key (`intent_3`) here, once: the key is what analytics counts by, so
  // it stays when the intent is renamed, and the form asks only for the label.
  const newIntent = (): Intent => {
    const label = t("intent.title", { n: intents.length + 1 });
    return { name: newIntentKey("", intents), label, next: "" };
  };
  return (
    <div className="intents" data-field={path} data-testid={testId}>
      {intents.map((intent, index) => {
        const base = `${path}/${index}`;
        return (
          <fieldset key={index} className="card" data-testid="intent">
            <legend>
              💬 {intentTitle(intent) || t("intent.title", { n: index + 1 })}
            </legend>
            <TextInput
              label={t("intent.name")}
              help={t("intent.nameHelp")}
              value={typeof intent.label === "string" ? intent.label : intent.name}
              path={`${base}/label`}
              testId="intent-name"
              onChange={(label) => change(index, { ...intent, label }, "label")}
            />
            <Issues path={`${base}/name`} />
            <StringList
              label={t("intent.examples")}
              help={t("intent.examplesHelp")}
              items={intent.examples}
              path={`${base}/examples`}
              addLabel={t("intent.addExample")}
              placeholder={t("intent.examplePlaceholder")}
              itemLabel={(i) => t("intent.example", { n: i + 1 })}
              testId="intent-examples"
              onChange={(examples) => change(index, withList(intent, "examples", examples), "examples")}
            />
            <StringList
              label={t("intent.keywords")}
              help={t("intent.keywordsHelp")}
              items={intent.keywords}
              path={`${base}/keywords`}
              addLabel={t("intent.addKeyword")}
              itemLabel={(i) => t("intent.keyword", { n: i + 1 })}
              onChange={(keywords) => change(index, withList(intent, "keywords", keywords), "keywords")}
            />
            <SelectInput
              label={t("intent.dtmf")}
              value={intent.dtmf ?? ""}
              path={`${base}/dtmf`}
              options={[{ value: "", label: t("intent.noKey") }, ...DTMF_KEYS.map((key) => ({ value: key, label: key }))]}
              onChange={(key) => change(index, withOptional(intent, "dtmf", key), "dtmf")}
            />
            <PortSelect
              label={t("intent.next")}
              value={intent.next}
              path={`${base}/next`}
              ownerId={ownerId}
              onChange={(target) => change(index, { ...intent, next: target ?? "" }, "next")}
            />
            {!readOnly && (
              <div className="card-actions">
                <button type="button" onClick={() => onChange(moveIndex(intents, index, -1))} disabled={index === 0} aria-label={t("common.moveUpItem", { item: intentTitle(intent) })}>
                  ↑
                </button>
                <button
                  type="button"
                  onClick={() => onChange(moveIndex(intents, index, 1))}
                  disabled={index === intents.length - 1}
                  aria-label={t("common.moveDownItem", { item: intentTitle(intent) })}
                >
                  ↓
                </button>
                <button type="button" className="danger-text" onClick={() => onChange(removeIndex(intents, index))}>
                  {t("intent.remove")}
                </button>
              </div>
            )}
            <Issues path={base} />
          </fieldset>
        );
      })}
      {!readOnly && (
        <button
          type="button"
          className="add-button"
          data-testid="add-intent"
          onClick={() => onChange([...intents, newIntent()])}
        >
          ＋ {t("intent.add")}
        </button>
      )}
      <Issues path={path} />
    </div>
  );
}
