// A card that imports a CSV or XLSX file the user drops or chooses, and shows what the import
// did: a summary and each row left out with its column and why (worded by the server in the
// editor's language). A file the server refuses as a whole (413, 415, 422) is explained here,
// next to the file, in the server's words.

import { useId, useRef, useState, type DragEvent, type ReactNode } from "react";

import { ApiError } from "../api";
import { SPREADSHEET_ACCEPT, spreadsheetType } from "../files";
import { useI18n } from "../i18n";
import { ErrorAlert } from "./ErrorAlert";
import { useSubmission } from "./useLoaded";

export interface SheetRowError {
  row: number;
  column: string;
  message: string;
}

export interface SheetOutcome {
  summary: string;
  /** Rows left out in all; `errors` lists the first of them. */
  failed: number;
  errors: SheetRowError[];
}

interface SheetImportProps {
  title: string;
  help: ReactNode;
  /** Imports the file; the summary is worded by the caller, which knows what was counted. */
  run: (file: File, type: string) => Promise<SheetOutcome>;
  /** After an import that may have changed something. */
  onImported: () => void;
  testId: string;
}

/** Whether the server refused the file as a whole, with its reason in the asker's language. */
function fileRefusal(error: unknown): ApiError | null {
  return error instanceof ApiError && [413, 415, 422].includes(error.status) && error.detail ? error : null;
}

export function SheetImport({ title, help, run, onImported, testId }: SheetImportProps) {
  const { t } = useI18n();
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragOver, setDragOver] = useState(false);
  const { busy, error, setError, run: runAction } = useSubmission();
  const [outcome, setOutcome] = useState<SheetOutcome | null>(null);

  const pick = (picked: File | null) => {
    setOutcome(null);
    setError(null);
    setFile(picked);
    setProblem(picked && !spreadsheetType(picked) ? t("sheet.wrongType") : null);
  };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const type = file && spreadsheetType(file);
    if (!file || !type) {
      setProblem(file ? t("sheet.wrongType") : t("sheet.noFile"));
      return;
    }
    setOutcome(null);
    await runAction(async () => {
      setOutcome(await run(file, type));
      onImported();
    });
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragOver(false);
    const dropped = event.dataTransfer.files?.[0];
    if (dropped) pick(dropped);
  };

  const refusal = fileRefusal(error);
  return (
    <form
      className={dragOver ? "card sheet-import drag-over" : "card sheet-import"}
      onSubmit={(event) => void submit(event)}
      onDragOver={(event) => {
        if (event.dataTransfer.types.includes("Files")) {
          event.preventDefault();
          setDragOver(true);
        }
      }}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target) setDragOver(false);
      }}
      onDrop={onDrop}
      data-testid={testId}
    >
      <h2>{title}</h2>
      <div className="sheet-help">{help}</div>
      <div className="sheet-file-row">
        <button type="button" onClick={() => input.current?.click()} aria-describedby={`${id}-name`} data-testid={`${testId}-choose`}>
          📄 {t("sheet.choose")}
        </button>
        <span id={`${id}-name`} className={file ? "mono" : "muted"} data-testid={`${testId}-file-name`}>
          {file ? file.name : t("sheet.noFile")}
        </span>
        <span className="muted small sheet-drop">{dragOver ? t("sheet.dropNow") : t("sheet.drop")}</span>
        <input
          ref={input}
          type="file"
          accept={SPREADSHEET_ACCEPT}
          className="visually-hidden"
          aria-label={t("sheet.file")}
          data-testid={`${testId}-input`}
          onChange={(event) => {
            pick(event.target.files?.[0] ?? null);
            event.target.value = "";
          }}
        />
        <button type="submit" className="primary" disabled={busy || !file || problem !== null} data-testid={`${testId}-submit`}>
          {busy ? t("sheet.importing") : t("sheet.import")}
        </button>
      </div>
      {problem && (
        <ul className="field-issues">
          <li className="issue issue-error" role="alert" data-testid={`${testId}-problem`}>
            {problem}
          </li>
        </ul>
      )}
      {refusal ? (
        <div className="alert alert-error" role="alert" data-testid={`${testId}-refused`} data-code={refusal.code}>
          <div className="alert-text">
            <strong>{t("sheet.cannotImport")}</strong>
            <div className="alert-detail">{refusal.detail}</div>
          </div>
        </div>
      ) : (
        <ErrorAlert error={error} onDismiss={() => setError(null)} />
      )}
      {outcome && (
        <section className="sheet-result" aria-live="polite" data-testid={`${testId}-result`}>
          <h3>{t("sheet.result")}</h3>
          <p data-testid={`${testId}-summary`}>{outcome.summary}</p>
          {outcome.errors.length > 0 && (
            <table className="flow-table sheet-errors" data-testid={`${testId}-errors`}>
              <caption className="visually-hidden">{t("sheet.failedRows")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("sheet.row")}</th>
                  <th scope="col">{t("sheet.column")}</th>
                  <th scope="col">{t("sheet.message")}</th>
                </tr>
              </thead>
              <tbody>
                {outcome.errors.map((row, index) => (
                  <tr key={index} data-testid={`${testId}-error`} data-row={row.row}>
                    <td>{row.row}</td>
                    <td className="mono">{row.column}</td>
                    <td className="sheet-error-message">{row.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {outcome.failed > outcome.errors.length && <p className="muted small">{t("sheet.moreFailed", { n: outcome.failed - outcome.errors.length })}</p>}
        </section>
      )}
    </form>
  );
}
