// "Test" for an http node: fills the placeholders with sample values and lets the server make
// the request (`POST /api/v1/http/test`, behind the server's SSRF guard).

import { useId, useMemo, useState } from "react";

import { api, ApiError, type HttpTestResponse } from "../../api";
import { ErrorAlert } from "../../components/ErrorAlert";
import type { HttpNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import { useForm } from "../../editor/forms/context";

const PLACEHOLDER = /\{\{\s*([\s\S]*?)\s*\}\}/g;

/** The distinct expressions of `{{ … }}` placeholders in the texts, in order of appearance. */
export function placeholdersOf(texts: readonly (string | null | undefined)[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const match of (text ?? "").matchAll(PLACEHOLDER)) if (!found.includes(match[1])) found.push(match[1]);
  }
  return found;
}

/** Fills the placeholders that have a value; the others stay for the server, which fills
 * `tenant.*` from the shop's settings (and anything else with nothing). */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole: string, expression: string) => values[expression] ?? whole);
}

/** Placeholders the server fills by itself when left empty. */
export const serverFilled = (expression: string) => expression.startsWith("tenant.");

function sampleValue(expression: string, variables: Record<string, unknown> | undefined): string {
  const match = /^vars\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression);
  if (match && variables && match[1] in variables) {
    const value = variables[match[1]];
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  return "";
}

export function HttpTester({ node }: { node: HttpNode }) {
  const { t } = useI18n();
  const { doc, readOnly } = useForm();
  const baseId = useId();
  const headers = node.headers ?? {};
  const expressions = useMemo(
    () => placeholdersOf([node.url, ...Object.values(headers), node.body]),
    [node.url, node.headers, node.body],
  );
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<HttpTestResponse | null>(null);
  const [error, setError] = useState<unknown>(null);

  const valueOf = (expression: string) => values[expression] ?? sampleValue(expression, doc.variables);

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    const filled = Object.fromEntries(
      expressions.filter((e) => !(serverFilled(e) && valueOf(e) === "")).map((e) => [e, valueOf(e)]),
    );
    try {
      const body = node.body ? fillPlaceholders(node.body, filled) : undefined;
      setResult(
        await api.testHttp({
          method: node.method ?? "GET",
          url: fillPlaceholders(node.url, filled),
          headers: Object.entries(headers).map(([name, value]) => [name, fillPlaceholders(value, filled)]),
          ...(body !== undefined ? { body } : {}),
          ...(node.timeout_ms ? { timeout_ms: node.timeout_ms } : {}),
        }),
      );
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const unavailable = error instanceof ApiError && (error.status === 404 || error.status === 405) && error.code === "not_found";

  return (
    <details className="form-section http-test" data-testid="http-test">
      <summary>🧪 {t("httpTest.title")}</summary>
      <div className="form-section-body">
        <p className="field-help">{t("httpTest.help")}</p>
        {expressions.length > 0 && (
          <fieldset className="field">
            <legend>{t("httpTest.values")}</legend>
            {expressions.map((expression, index) => (
              <div key={expression} className="field field-inline">
                <label htmlFor={`${baseId}-${index}`}>
                  <code>{`{{${expression}}}`}</code>
                </label>
                <input
                  id={`${baseId}-${index}`}
                  type="text"
                  value={valueOf(expression)}
                  placeholder={serverFilled(expression) ? t("http.serverFills") : undefined}
                  onChange={(e) => setValues({ ...values, [expression]: e.target.value })}
                />
              </div>
            ))}
          </fieldset>
        )}
        <button type="button" className="primary" onClick={() => void run()} disabled={busy || readOnly || !node.url} data-testid="http-test-run">
          {busy ? t("httpTest.running") : t("httpTest.run")}
        </button>
        {unavailable ? (
          <div className="alert alert-info" role="status">
            {t("httpTest.unavailable")}
          </div>
        ) : (
          <ErrorAlert error={error} />
        )}
        {result && (
          <div className="http-result" data-testid="http-test-result" aria-live="polite">
            <div>
              <span className={result.status >= 200 && result.status < 300 ? "badge badge-ok" : "badge badge-warn"}>{result.status}</span>{" "}
              <span className="muted">{t("httpTest.elapsed", { ms: result.elapsed_ms })}</span>
            </div>
            {result.headers.length > 0 && (
              <details>
                <summary>{t("httpTest.headers", { n: result.headers.length })}</summary>
                <pre className="json-preview">{result.headers.map(([name, value]) => `${name}: ${value}`).join("\n")}</pre>
              </details>
            )}
            <pre className="json-preview">{prettyBody(result.body)}</pre>
          </div>
        )}
      </div>
    </details>
  );
}

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
