// Every error and warning of the flow; choosing one selects its node and focuses its field.

import { useState } from "react";

import { sortDiagnostics, type LocatedDiagnostic } from "../flow/diagnostics";
import { FLOW_NODE_ID } from "../flow/ports";
import { nodeNames } from "../flow/names";
import type { FlowDocument } from "../flow/types";
import { diagnosticTitle, useI18n } from "../i18n";

interface ProblemsPanelProps {
  doc: FlowDocument;
  diagnostics: readonly LocatedDiagnostic[];
  validating: boolean;
  error: unknown;
  onPick: (diagnostic: LocatedDiagnostic) => void;
}

export function ProblemsPanel({ doc, diagnostics, validating, error, onPick }: ProblemsPanelProps) {
  const { t } = useI18n();
  const [open, setOpen] = useState(true);
  const sorted = sortDiagnostics(diagnostics);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const names = nodeNames(t, doc.nodes);
  const ownerName = (owner: string) => {
    if (owner === FLOW_NODE_ID) return t("problems.flow");
    return names.get(owner) ?? t("problems.unknownNode");
  };
  return (
    <section className={open ? "problems-panel open" : "problems-panel"} aria-labelledby="problems-title">
      <header>
        <button type="button" className="problems-toggle" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="problems-toggle">
          <span id="problems-title">{t("problems.title")}</span>
          <span className={errors ? "count count-error" : "count"} data-testid="problems-errors">
            ⛔ {errors}
          </span>
          <span className={warnings ? "count count-warning" : "count"} data-testid="problems-warnings">
            ⚠️ {warnings}
          </span>
          {validating && <span className="muted small">{t("problems.checking")}</span>}
          <span className="chevron" aria-hidden="true">
            {open ? "▾" : "▸"}
          </span>
        </button>
      </header>
      {open && (
        <div className="problems-body">
          {error ? <div className="issue issue-warning">{t("problems.validateFailed")}</div> : null}
          <ul data-testid="problems" aria-live="polite">
            {sorted.map((diagnostic, index) => (
              <li key={`${diagnostic.field}-${diagnostic.code}-${index}`}>
                <button
                  type="button"
                  className={`problem problem-${diagnostic.severity}`}
                  data-testid="problem"
                  data-severity={diagnostic.severity}
                  data-code={diagnostic.code}
                  data-node={diagnostic.owner}
                  data-field={diagnostic.field}
                  onClick={() => onPick(diagnostic)}
                >
                  <span className="problem-icon" aria-label={t(`severity.${diagnostic.severity}`)}>
                    {diagnostic.severity === "error" ? "⛔" : "⚠️"}
                  </span>
                  <span className="problem-where">{ownerName(diagnostic.owner)}</span>
                  <span className="problem-title">{diagnosticTitle(t, diagnostic.code)}</span>
                  <span className="problem-message">{diagnostic.message}</span>
                </button>
              </li>
            ))}
          </ul>
          {sorted.length === 0 && (
            <p className="muted small problems-empty" data-testid="problems-empty">
              {validating ? t("problems.checking") : t("problems.none")}
            </p>
          )}
        </div>
      )}
    </section>
  );
}
