import { useEffect, useState } from "react";

import type { JsonValue } from "../../flow/types";
import { useI18n } from "../../i18n";
import { useForm } from "./context";
import { Issues, NumberInput, SelectInput, TemplateInput } from "./fields";

type ValueKind = "text" | "number" | "boolean" | "json";

function kindOf(value: JsonValue): ValueKind {
  if (typeof value === "string") return "text";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "json";
}

/** A JSON value edited as text (a template), a number, yes/no, or raw JSON: set nodes' values, the flow's variables. */
export function ValueEditor({ value, onChange, path, label }: { value: JsonValue; onChange: (value: JsonValue, field?: string) => void; path: string; label: string }) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const kind = kindOf(value);
  const [jsonText, setJsonText] = useState(() => JSON.stringify(value));
  const [jsonError, setJsonError] = useState<string | null>(null);
  useEffect(() => {
    if (kind !== "json") return;
    try {
      if (JSON.stringify(JSON.parse(jsonText)) === JSON.stringify(value)) return;
    } catch {
      // the text being typed is not JSON yet
    }
    setJsonText(JSON.stringify(value));
  }, [value]);
  const convert = (next: ValueKind) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    let converted: JsonValue;
    switch (next) {
      case "text":
        converted = text;
        break;
      case "number":
        converted = text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : 0;
        break;
      case "boolean":
        converted = value === true || text === "true";
        break;
      case "json":
        converted = value !== null && typeof value === "object" ? value : null;
        setJsonText(JSON.stringify(converted));
        setJsonError(null);
        break;
    }
    onChange(converted);
  };
  return (
    <div className="value-editor">
      <SelectInput
        label={t("value.kind", { label })}
        value={kind}
        options={[
          { value: "text", label: t("value.text") },
          { value: "number", label: t("value.number") },
          { value: "boolean", label: t("value.boolean") },
          { value: "json", label: t("value.json") },
        ]}
        onChange={convert}
      />
      {kind === "text" && <TemplateInput label={label} value={value as string} path={path} onChange={(text) => onChange(text, path)} />}
      {kind === "number" && <NumberInput label={label} value={value as number} path={path} onChange={(n) => onChange(n ?? 0, path)} />}
      {kind === "boolean" && (
        <SelectInput
          label={label}
          value={value ? "true" : "false"}
          path={path}
          options={[
            { value: "true", label: t("value.true") },
            { value: "false", label: t("value.false") },
          ]}
          onChange={(v) => onChange(v === "true")}
        />
      )}
      {kind === "json" && (
        <div className="field">
          <label>
            {label}
            <textarea
              className="mono"
              rows={3}
              value={jsonText}
              readOnly={readOnly}
              data-field={path}
              onChange={(e) => {
                setJsonText(e.target.value);
                try {
                  onChange(JSON.parse(e.target.value) as JsonValue, path);
                  setJsonError(null);
                } catch (error) {
                  setJsonError(error instanceof Error ? error.message : String(error));
                }
              }}
            />
          </label>
          {jsonError && <div className="issue issue-error">{t("value.badJson", { error: jsonError })}</div>}
          <Issues path={path} />
        </div>
      )}
    </div>
  );
}
