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
  const nextName = () => {
    const names = new Set(intents.map((intent) => intent.name));
    for (let n = intents.length + 1; ; n += 1) if (!names.has(`intent_${n}`)) return `intent_${n}`;
  };
  return (
    <div className="intents" data-field={path} data-testid={testId}>
      {intents.map((intent, index) => {
        const base = `${path}/${index}`;
        return (
          <fieldset key={index} className="card" data-testid="intent">
            <legend>
              💬 {t("intent.title", { n: index + 1 })} {intent.name && <code>{intent.name}</code>}
            </legend>
            <TextInput
              label={t("intent.name")}
              help={t("intent.nameHelp")}
              value={intent.name}
              path={`${base}/name`}
              testId="intent-name"
              onChange={(name) => change(index, { ...intent, name }, "name")}
            />
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
                <button type="button" onClick={() => onChange(moveIndex(intents, index, -1))} disabled={index === 0} aria-label={t("common.moveUpItem", { item: intent.name })}>
                  ↑
                </button>
                <button
                  type="button"
                  onClick={() => onChange(moveIndex(intents, index, 1))}
                  disabled={index === intents.length - 1}
                  aria-label={t("common.moveDownItem", { item: intent.name })}
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
          onClick={() => onChange([...intents, { name: nextName(), next: "" }])}
        >
          ＋ {t("intent.add")}
        </button>
      )}
      <Issues path={path} />
    </div>
  );
}
