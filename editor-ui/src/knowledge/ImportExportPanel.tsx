// Importing a CSV or XLSX sheet into a knowledge base, with a result per row, and exporting it.

import { useId, useRef, useState } from "react";

import { ErrorAlert } from "../components/ErrorAlert";
import { downloadBlob } from "../files";
import { textFor, useI18n } from "../i18n";
import { knowledgeApi, spreadsheetType, type ExportFormat, type ImportMode, type ImportReport, type KnowledgeBase } from "./api";
import { codeMessage } from "../components/problems";

export function ImportExportPanel({ base, canEdit, onChanged }: { base: KnowledgeBase; canEdit: boolean; onChanged: () => void }) {
  const { t } = useI18n();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [mode, setMode] = useState<ImportMode>("all_or_nothing");
  const [importing, setImporting] = useState(false);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [onlyFailed, setOnlyFailed] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [exporting, setExporting] = useState<ExportFormat | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const pick = (picked: File | null) => {
    setReport(null);
    setError(null);
    setFile(picked);
    setFileProblem(picked && !spreadsheetType(picked) ? t("kbimport.wrongType") : null);
  };

  const runImport = async (event: React.FormEvent) => {
    event.preventDefault();
    const type = file && spreadsheetType(file);
    if (!file || !type) {
      setFileProblem(file ? t("kbimport.wrongType") : t("kbimport.noFile"));
      return;
    }
    setImporting(true);
    setError(null);
    setReport(null);
    try {
      const answer = await knowledgeApi.importFile(base.key, file, type, mode);
      setReport(answer);
      setOnlyFailed(false);
      if (!answer.rejected && answer.created + answer.updated > 0) onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setImporting(false);
    }
  };

  const runExport = async (format: ExportFormat) => {
    setExporting(format);
    setError(null);
    try {
      const { blob, fileName } = await knowledgeApi.exportFile(base.key, format);
      downloadBlob(blob, fileName ?? `${base.key}.${format}`);
    } catch (caught) {
      setError(caught);
    } finally {
      setExporting(null);
    }
  };

  const rows = report ? (onlyFailed ? report.rows.filter((row) => row.status === "failed") : report.rows) : [];

  return (
    <div className="kb-import">
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {canEdit && (
        <form className="card kb-card" onSubmit={runImport} data-testid="kb-import-form">
          <h2>{t("kbimport.title")}</h2>
          <p className="field-help">{t("kbimport.help")}</p>
          <div className="field">
            <span className="kb-label" id={`${id}-file`}>
              {t("kbimport.file")}
            </span>
            <div className="kb-file-row">
              <button type="button" onClick={() => input.current?.click()} aria-describedby={`${id}-file ${id}-file-name`}>
                📄 {t("kbimport.choose")}
              </button>
              <span id={`${id}-file-name`} className={file ? "mono" : "muted"} data-testid="kb-import-file-name">
                {file ? file.name : t("kbimport.noFile")}
              </span>
              <input
                ref={input}
                type="file"
                accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                className="visually-hidden"
                aria-label={t("kbimport.file")}
                data-testid="kb-import-input"
                onChange={(event) => {
                  pick(event.target.files?.[0] ?? null);
                  event.target.value = "";
                }}
              />
            </div>
            {fileProblem && (
              <ul className="field-issues" data-testid="field-problem">
                <li className="issue issue-error" role="alert">
                  {fileProblem}
                </li>
              </ul>
            )}
          </div>
          <fieldset className="plain-fieldset field">
            <legend className="kb-label">{t("kbimport.mode")}</legend>
            <div className="kb-modes">
              {(["all_or_nothing", "partial"] as const).map((value) => (
                <label key={value} className={mode === value ? "template-card selected" : "template-card"}>
                  <input type="radio" name={`${id}-mode`} checked={mode === value} onChange={() => setMode(value)} data-testid={`kb-import-mode-${value}`} />
                  <span className="template-title">{t(value === "partial" ? "kbimport.partial" : "kbimport.allOrNothing")}</span>
                  <span className="template-desc">{t(value === "partial" ? "kbimport.partialHelp" : "kbimport.allOrNothingHelp")}</span>
                </label>
              ))}
            </div>
          </fieldset>
          <div className="kb-submit-row">
            <button type="submit" className="primary" disabled={importing || !file} data-testid="kb-import-submit">
              {importing ? t("kbimport.importing") : t("kbimport.submit")}
            </button>
          </div>
        </form>
      )}

      {report && (
        <section className="card kb-card" data-testid="kb-import-report" data-rejected={report.rejected} aria-live="polite">
          <h2>{t("kbimport.results")}</h2>
          <p data-testid="kb-import-summary">{t("kbimport.summary", {
              created: report.created,
              updated: report.updated,
              unchanged: report.unchanged ?? report.rows.filter((row) => row.status === "unchanged").length,
              failed: report.failed,
            })}</p>
          {report.rejected && (
            <div className="alert alert-error" role="alert" data-testid="kb-import-rejected">
              {t("kbimport.rejected", { failed: report.failed })}
            </div>
          )}
          {report.failed > 0 && report.failed < report.rows.length && (
            <label className="kb-only-failed">
              <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.target.checked)} /> {t("kbimport.onlyFailed")}
            </label>
          )}
          <table className="flow-table kb-rows" data-testid="kb-import-rows">
            <thead>
              <tr>
                <th scope="col">{t("kbimport.row")}</th>
                <th scope="col">{t("kbimport.status")}</th>
                <th scope="col">{t("kbimport.message")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.row} className={`kb-row-${row.status}`} data-testid="kb-import-row" data-row={row.row} data-status={row.status}>
                  <td>{row.row}</td>
                  <td className="kb-row-status">{textFor(t, `kbimport.status.${row.status}`) ?? row.status}</td>
                  <td data-testid="kb-import-row-message">{row.error ? codeMessage(t, row.error) : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section className="card kb-card">
        <h2>{t("kbexport.title")}</h2>
        <p className="field-help">{t("kbexport.help")}</p>
        <div className="kb-file-row">
          <button type="button" onClick={() => void runExport("xlsx")} disabled={exporting !== null} data-testid="kb-export-xlsx">
            ⤓ {t("kbexport.xlsx")}
          </button>
          <button type="button" onClick={() => void runExport("csv")} disabled={exporting !== null} data-testid="kb-export-csv">
            ⤓ {t("kbexport.csv")}
          </button>
        </div>
      </section>
    </div>
  );
}
