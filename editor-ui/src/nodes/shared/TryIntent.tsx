// "Try a sentence" on a listening node: the server compiles the saved draft and says which
// intent the node would take for the sentence, how confident it is and what came next
// (`POST /api/v1/flows/{id}/draft/try-intent`).

import { useId, useState } from "react";

import { api, type TriedIntent } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useForm } from "../../editor/forms/context";
import { intentNameOf } from "../../flow/names";
import { useI18n } from "../../i18n";

const percent = (x: number) => `${Math.round(x * 100)}%`;

export function TryIntent({ nodeId }: { nodeId: string }) {
  const { t } = useI18n();
  const { flowId, flushDraft, doc } = useForm();
  const intentName = (key: string) => intentNameOf(doc, key);
  const inputId = useId();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TriedIntent | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!flowId) return null;

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      // The server tries the saved draft, so what is on screen is saved first.
      if (flushDraft && !(await flushDraft())) throw new Error(t("tryIntent.notSaved"));
      setResult(await api.tryIntent(flowId, nodeId, text));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const runnerUp = result?.ranking.find((r) => r.intent !== result.ranking[0]?.intent);
  return (
    <details className="form-section try-intent" data-testid="try-intent">
      <summary>🧪 {t("tryIntent.title")}</summary>
      <div className="form-section-body">
        <p className="field-help">{t("tryIntent.help")}</p>
        <form
          className="field field-inline"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <label htmlFor={inputId}>{t("tryIntent.sentence")}</label>
          <input id={inputId} type="text" value={text} onChange={(e) => setText(e.target.value)} data-testid="try-intent-text" />
          <button type="submit" className="primary" disabled={busy || text.trim() === ""} data-testid="try-intent-run">
            {busy ? t("tryIntent.running") : t("tryIntent.run")}
          </button>
        </form>
        <ErrorAlert error={error} />
        {result && (
          <div className="try-intent-result" data-testid="try-intent-result" aria-live="polite">
            <div>
              {t("tryIntent.chosen")}{" "}
              <strong data-testid="try-intent-chosen">{result.intent ? intentName(result.intent) : t("tryIntent.noMatch")}</strong>
              {result.ranking.length > 0 && <> · {t("tryIntent.confidence", { value: percent(result.confidence) })}</>}
            </div>
            {runnerUp && (
              <div data-testid="try-intent-runner-up">
                {t("tryIntent.runnerUp", { name: intentName(runnerUp.intent), value: percent(runnerUp.confidence) })}
              </div>
            )}
            <div className="field-help">{t("tryIntent.threshold", { value: percent(result.threshold) })}</div>
          </div>
        )}
      </div>
    </details>
  );
}
