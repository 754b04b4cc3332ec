// The flow's own settings: name, language, start, variables, global intents, where an angry
// caller goes, defaults.

import { useId } from "react";

import type { FlowDocument, FlowSettings, JsonValue, ResultKind, ResultVar } from "../../flow/types";
import { useI18n } from "../../i18n";
import { AngryCallerFields } from "./AngryCallerFields";
import { useForm } from "./context";
import { withList, withMap, withOptional } from "./edit";
import { Issues, NumberInput, PortSelect, Section, SelectInput, TemplateInput, TextInput } from "./fields";
import { IntentsEditor } from "./IntentsEditor";
import { ValueEditor } from "./ValueEditor";

type DocChange = (patch: (doc: FlowDocument) => FlowDocument, coalesce?: string) => void;

export function FlowForm({ doc, onChange }: { doc: FlowDocument; onChange: DocChange }) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const descriptionId = useId();
  const settings: FlowSettings = doc.settings ?? {};
  const setSetting = (key: keyof FlowSettings & string, value: unknown) =>
    onChange((d) => withMap(d, "settings", withOptional(d.settings ?? {}, key, value)), `flow:settings/${key}`);
  const variables = Object.entries(doc.variables ?? {});
  const setVariables = (entries: [string, JsonValue][], field = "variables") => {
    const next: Record<string, JsonValue> = {};
    for (const [name, value] of entries) if (!(name in next)) next[name] = value;
    onChange((d) => withMap(d, "variables", next), `flow:${field}`);
  };
  const languages = ["zh-CN", "en-US"];
  const results: ResultVar[] = settings.results ?? [];
  const setResults = (next: ResultVar[], field = "results") =>
    onChange((d) => withMap(d, "settings", withList(d.settings ?? {}, "results", next)), `flow:settings/${field}`);
  const resultKinds: ResultKind[] = ["score", "number", "choice", "text"];

  return (
    <div className="flow-form">
      <TextInput
        label={t("flow.name")}
        help={t("flow.nameHelp")}
        value={typeof doc.title === "string" ? doc.title : doc.name}
        path="/title"
        testId="flow-name"
        required
        onChange={(title) => onChange((d) => ({ ...d, title }), "flow:title")}
      />
      {/* The key (`name`) is generated and never changes with the title; only its problems show. */}
      <Issues path="/name" />
      <div className="field">
        <label htmlFor={descriptionId}>{t("flow.description")}</label>
        <textarea
          id={descriptionId}
          rows={3}
          value={doc.description ?? ""}
          readOnly={readOnly}
          data-field="/description"
          onChange={(e) => onChange((d) => withOptional(d, "description", e.target.value), "flow:description")}
        />
        <Issues path="/description" />
      </div>
      <SelectInput
        label={t("flow.language")}
        help={t("flow.languageHelp")}
        value={doc.language}
        path="/language"
        options={languages.map((language) => ({ value: language, label: t(`language.${language as "zh-CN" | "en-US"}`) }))}
        onChange={(language) => onChange((d) => ({ ...d, language }))}
      />
      <PortSelect
        label={t("flow.start")}
        help={t("flow.startHelp")}
        value={doc.start}
        path="/start"
        testId="flow-start"
        onChange={(target) => onChange((d) => ({ ...d, start: target ?? "" }))}
      />

      <Section title={t("flow.variables")} testId="section-variables">
        <p className="field-help">{t("flow.variablesHelp")}</p>
        <div data-field="/variables">
          {variables.map(([name, value], index) => (
            <fieldset key={index} className="card">
              <legend>
                <code>vars.{name || "…"}</code>
              </legend>
              <TextInput
                label={t("flow.variableName")}
                value={name}
                path={`/variables/${name}#key`}
                onChange={(next) => setVariables(variables.map((entry, i) => (i === index ? [next, entry[1]] : entry)), `variables/${index}/name`)}
              />
              <ValueEditor
                label={t("flow.variableValue")}
                value={value}
                path={`/variables/${name}`}
                onChange={(next) => setVariables(variables.map((entry, i) => (i === index ? [entry[0], next] : entry)), `variables/${index}`)}
              />
              {!readOnly && (
                <div className="card-actions">
                  <button type="button" className="danger-text" onClick={() => setVariables(variables.filter((_, i) => i !== index))}>
                    {t("flow.removeVariable")}
                  </button>
                </div>
              )}
            </fieldset>
          ))}
          {!readOnly && (
            <button
              type="button"
              className="add-button"
              onClick={() => {
                let n = variables.length + 1;
                while (variables.some(([name]) => name === `var_${n}`)) n += 1;
                setVariables([...variables, [`var_${n}`, ""]]);
              }}
            >
              ＋ {t("flow.addVariable")}
            </button>
          )}
          <Issues path="/variables" below />
        </div>
      </Section>

      <Section title={t("flow.globalIntents")} testId="section-global-intents">
        <p className="field-help">{t("flow.globalIntentsHelp")}</p>
        <IntentsEditor
          intents={doc.global_intents ?? []}
          path="/global_intents"
          onChange={(intents, field) => onChange((d) => withList(d, "global_intents", intents), `flow:${field ?? "global_intents"}`)}
        />
      </Section>

      <Section title={t("flow.angryCaller")} testId="section-angry-caller">
        <p className="field-help">{t("flow.angryCallerHelp")}</p>
        <AngryCallerFields doc={doc} onChange={onChange} />
      </Section>

      <Section title={t("flow.results")} open={results.length > 0} testId="section-results">
        <p className="field-help">{t("flow.resultsHelp")}</p>
        <div data-field="/settings/results">
          {results.map((result, index) => (
            <fieldset key={index} className="card" data-testid="flow-result">
              <legend>
                {result.label ? <>{result.label} </> : null}
                <code>vars.{result.var || "…"}</code>
              </legend>
              <TextInput
                label={t("flow.resultVar")}
                value={result.var}
                path={`/settings/results/${index}/var`}
                testId="flow-result-var"
                onChange={(name) => setResults(results.map((r, i) => (i === index ? { ...r, var: name } : r)), `results/${index}/var`)}
              />
              {/* What reports and exports call the result; left out when empty, so the variable's name shows. */}
              <TextInput
                label={t("flow.resultLabel")}
                help={t("flow.resultLabelHelp")}
                value={result.label ?? ""}
                placeholder={result.var}
                path={`/settings/results/${index}/label`}
                testId="flow-result-label"
                onChange={(label) => setResults(results.map((r, i) => (i === index ? withOptional(r, "label", label) : r)), `results/${index}/label`)}
              />
              <SelectInput
                label={t("flow.resultKind")}
                value={result.kind}
                path={`/settings/results/${index}/kind`}
                testId="flow-result-kind"
                options={resultKinds.map((kind) => ({ value: kind, label: t(`flow.resultKind.${kind}`) }))}
                onChange={(kind) => setResults(results.map((r, i) => (i === index ? { ...r, kind } : r)))}
              />
              {!readOnly && (
                <div className="card-actions">
                  <button type="button" className="danger-text" onClick={() => setResults(results.filter((_, i) => i !== index))}>
                    {t("flow.removeResult")}
                  </button>
                </div>
              )}
            </fieldset>
          ))}
          {!readOnly && (
            <button
              type="button"
              className="add-button"
              data-testid="flow-add-result"
              onClick={() => {
                // The flow's first variable not yet a result is the likeliest one.
                const unused = variables.map(([name]) => name).find((name) => !results.some((r) => r.var === name));
                setResults([...results, { var: unused ?? "", kind: "score" }]);
              }}
            >
              ＋ {t("flow.addResult")}
            </button>
          )}
          <Issues path="/settings/results" below />
        </div>
      </Section>

      <Section
        title={t("flow.personalData")}
        open={(settings.sensitive ?? []).length + (settings.addresses ?? []).length > 0}
        testId="section-personal-data"
      >
        <p className="field-help">{t("flow.personalDataHelp")}</p>
        {(["sensitive", "addresses"] as const).map((list) => {
          const names = settings[list] ?? [];
          const setNames = (next: string[], field: string = list) =>
            onChange((d) => withMap(d, "settings", withList(d.settings ?? {}, list, next)), `flow:settings/${field}`);
          return (
            <div key={list} data-field={`/settings/${list}`} data-testid={`flow-${list}`}>
              <h4>{t(`flow.${list}`)}</h4>
              <p className="field-help">{t(`flow.${list}Help`)}</p>
              {names.map((name, index) => (
                <div key={index} className="card">
                  <TextInput
                    label={t("flow.resultVar")}
                    value={name}
                    path={`/settings/${list}/${index}`}
                    testId={`flow-${list}-var`}
                    onChange={(next) => setNames(names.map((n, i) => (i === index ? next : n)), `${list}/${index}`)}
                  />
                  {!readOnly && (
                    <div className="card-actions">
                      <button type="button" className="danger-text" onClick={() => setNames(names.filter((_, i) => i !== index))}>
                        {t("flow.removeMarked")}
                      </button>
                    </div>
                  )}
                </div>
              ))}
              {!readOnly && (
                <button type="button" className="add-button" data-testid={`flow-add-${list}`} onClick={() => setNames([...names, ""])}>
                  ＋ {t("flow.addMarked")}
                </button>
              )}
              <Issues path={`/settings/${list}`} below />
            </div>
          );
        })}
      </Section>

      <Section title={t("flow.settings")} open={false}>
        <TextInput label={t("form.voice")} help={t("flow.voiceHelp")} value={settings.voice} path="/settings/voice" onChange={(v) => setSetting("voice", v)} />
        <NumberInput
          label={t("flow.noInputTimeout")}
          help={t("flow.noInputTimeoutHelp")}
          value={settings.no_input_timeout_ms}
          min={0}
          step={500}
          path="/settings/no_input_timeout_ms"
          onChange={(v) => setSetting("no_input_timeout_ms", v)}
        />
        <NumberInput
          label={t("flow.intentThreshold")}
          help={t("flow.intentThresholdHelp")}
          value={settings.intent_threshold}
          min={0}
          max={1}
          step={0.05}
          path="/settings/intent_threshold"
          onChange={(v) => setSetting("intent_threshold", v)}
        />
        <TemplateInput
          label={t("flow.errorMessage")}
          help={t("flow.errorMessageHelp")}
          value={settings.error_message}
          path="/settings/error_message"
          multiline
          onChange={(v) => setSetting("error_message", v)}
        />
      </Section>
    </div>
  );
}
