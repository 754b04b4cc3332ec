import { useCallback, useEffect, useRef, useState, type DragEvent } from "react";

import { api, isAbortError, type FlowSummary, type ImportResult, type Template } from "../api";
import { ConfirmDialog, Dialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { blankFlow } from "../flow/blank";
import type { FlowDocument } from "../flow/types";
import { copyName, downloadJson, readFlowFiles, type PickedDocument } from "../files";
import { formatTime, problemMessage, useI18n } from "../i18n";
import { flowHref, navigate } from "../router";
import { flowTitle, newFlowKey } from "../flow/names";

interface ImportRow {
  file: string;
  position: number | null;
  name: string | null;
  status: ImportResult["status"] | "unreadable" | "failed";
  id?: string | null;
  errors: number;
  warnings: number;
  message?: string;
}

export function FlowListPage() {
  const { t, lang } = useI18n();
  const [search, setSearch] = useState("");
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<FlowSummary | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [importRows, setImportRows] = useState<ImportRow[] | null>(null);
  const [importing, setImporting] = useState(false);
  const [dragOver, setDragOver] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const latestSearch = useRef(search);
  latestSearch.current = search;

  // Lists can come back out of order (a search's list and the one after a duplicate, say):
  // only the answer to the latest request is shown, so an older list never hides a new flow.
  const latestRequest = useRef(0);
  const refresh = useCallback(async (signal?: AbortSignal) => {
    const request = ++latestRequest.current;
    try {
      const list = await api.listFlows(latestSearch.current, signal);
      if (request !== latestRequest.current) return;
      setFlows(list);
      setError(null);
    } catch (caught) {
      if (isAbortError(caught)) return;
      if (request !== latestRequest.current) return;
      setError(caught);
    }
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => void refresh(controller.signal), search ? 250 : 0);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [search, refresh]);

  const duplicate = async (flow: FlowSummary) => {
    setBusyId(flow.id);
    setError(null);
    try {
      const [view, all] = await Promise.all([api.getFlow(flow.id), api.listFlows()]);
      const title = copyName(flowTitle(view.draft), all.map((f) => flowTitle(f)), t);
      const name = newFlowKey(title, all.map((f) => f.name), view.draft.name ?? flow.name);
      await api.createFlow({ ...view.draft, name, title });
      await refresh();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusyId(null);
    }
  };

  const exportFlow = async (flow: FlowSummary) => {
    setBusyId(flow.id);
    setError(null);
    try {
      const { document, fileName } = await api.exportFlow(flow.id);
      downloadJson(document, fileName ?? `${flow.name}.json`);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusyId(null);
    }
  };

  const confirmDelete = async () => {
    if (!deleting) return;
    setBusyId(deleting.id);
    try {
      await api.deleteFlow(deleting.id);
      setDeleting(null);
      await refresh();
    } catch (caught) {
      setError(caught);
      setDeleting(null);
    } finally {
      setBusyId(null);
    }
  };

  const importFiles = async (files: File[]) => {
    if (files.length === 0) return;
    setImporting(true);
    setError(null);
    const { documents, unreadable } = await readFlowFiles(files);
    const rows: ImportRow[] = [];
    const results = new Map<PickedDocument, ImportResult | null>();
    let failure: unknown = null;
    for (let start = 0; start < documents.length; start += 100) {
      const batch = documents.slice(start, start + 100);
      try {
        const answers = await api.importFlows(batch.map((d) => d.document));
        batch.forEach((picked, index) => results.set(picked, answers.find((r) => r.index === index) ?? null));
      } catch (caught) {
        failure = caught;
        batch.forEach((picked) => results.set(picked, null));
      }
    }
    // One row per document, in the order of the files.
    for (const file of files) {
      const broken = unreadable.find((u) => u.file === file.name);
      if (broken) {
        rows.push({ file: file.name, position: null, name: null, status: "unreadable", errors: 1, warnings: 0, message: broken.error });
        continue;
      }
      for (const picked of documents.filter((d) => d.file === file.name)) {
        const result = results.get(picked) ?? null;
        rows.push({
          file: picked.file,
          position: picked.position,
          name: documentName(picked.document) ?? result?.name ?? null,
          status: result?.status ?? "failed",
          id: result?.id,
          errors: result?.diagnostics.filter((d) => d.severity === "error").length ?? 0,
          warnings: result?.diagnostics.filter((d) => d.severity === "warning").length ?? 0,
          message: result
            ? result.diagnostics.find((d) => d.severity === "error")?.message
            : failure
              ? problemMessage(t, failure)
              : undefined,
        });
      }
    }
    setImportRows(rows);
    setImporting(false);
    await refresh();
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragOver(false);
    void importFiles([...event.dataTransfer.files]);
  };

  return (
    <div
      className={dragOver ? "list-page drag-over" : "list-page"}
      onDragOver={(event) => {
        if ([...event.dataTransfer.types].includes("Files")) {
          event.preventDefault();
          setDragOver(true);
        }
      }}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target) setDragOver(false);
      }}
      onDrop={onDrop}
    >
      <div className="list-toolbar">
        <h1>{t("list.title")}</h1>
        <label className="search">
          <span className="visually-hidden">{t("list.search")}</span>
          <input
            type="search"
            placeholder={t("list.searchPlaceholder")}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="flow-search"
          />
        </label>
        <div className="header-spacer" />
        <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="create-flow">
          ＋ {t("list.create")}
        </button>
        <button type="button" onClick={() => fileInput.current?.click()} data-testid="import-button" disabled={importing}>
          ⤒ {importing ? t("list.importing") : t("list.import")}
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          multiple
          className="visually-hidden"
          aria-label={t("list.importFiles")}
          data-testid="import-input"
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            event.target.value = "";
            void importFiles(files);
          }}
        />
      </div>

      <div className="drop-hint" data-testid="import-drop" aria-hidden={!dragOver}>
        {dragOver ? t("list.dropNow") : t("list.dropHint")}
      </div>

      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {importRows && (
        <section className="import-results" data-testid="import-results" aria-live="polite">
          <header>
            <h2>{t("list.importResults")}</h2>
            <button type="button" className="icon-button" onClick={() => setImportRows(null)} aria-label={t("common.close")}>
              ×
            </button>
          </header>
          <ul>
            {importRows.map((row, index) => (
              <li key={index} className={`import-result status-${row.status}`} data-testid="import-result" data-status={row.status}>
                <span className="import-file">
                  {row.file}
                  {row.position !== null && ` #${row.position + 1}`}
                </span>
                <span className="import-name">{row.name ?? "—"}</span>
                <span className="import-status">{t(`import.${row.status}`)}</span>
                {(row.errors > 0 || row.warnings > 0) && row.status !== "unreadable" && (
                  <span className="import-counts">{t("list.importCounts", { errors: row.errors, warnings: row.warnings })}</span>
                )}
                {row.message && <span className="import-message">{row.message}</span>}
                {row.id && (
                  <a href={flowHref(row.id)} className="import-open">
                    {t("list.open")}
                  </a>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      {flows === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : flows && flows.length === 0 ? (
        <p className="empty" data-testid="flow-list-empty">
          {search ? t("list.noMatch") : t("list.empty")}
        </p>
      ) : (
        flows && (
          <table className="flow-table" data-testid="flow-list">
            <thead>
              <tr>
                <th scope="col">{t("list.name")}</th>
                <th scope="col">{t("list.published")}</th>
                <th scope="col">{t("list.updated")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("list.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {flows.map((flow) => (
                <tr key={flow.id} data-testid="flow-row" data-flow-id={flow.id} data-name={flow.name} data-title={flowTitle(flow)}>
                  <td>
                    <a href={flowHref(flow.id)} className="flow-name" data-testid="flow-open">
                      {flowTitle(flow)}
                    </a>
                  </td>
                  <td>
                    {flow.published_version ? (
                      <span className="badge badge-ok">{t("list.version", { n: flow.published_version })}</span>
                    ) : (
                      <span className="badge">{t("list.draftOnly")}</span>
                    )}
                  </td>
                  <td className="muted">{formatTime(lang, flow.updated_at)}</td>
                  <td className="row-actions">
                    <button type="button" onClick={() => navigate(flowHref(flow.id))} aria-label={t("list.actionOn", { action: t("list.edit"), name: flowTitle(flow) })}>
                      {t("list.edit")}
                    </button>
                    <button type="button" onClick={() => void duplicate(flow)} disabled={busyId === flow.id} data-testid="flow-duplicate" aria-label={t("list.actionOn", { action: t("list.duplicate"), name: flowTitle(flow) })}>
                      {t("list.duplicate")}
                    </button>
                    <button type="button" onClick={() => void exportFlow(flow)} disabled={busyId === flow.id} data-testid="flow-export" aria-label={t("list.actionOn", { action: t("list.export"), name: flowTitle(flow) })}>
                      {t("list.export")}
                    </button>
                    <button type="button" className="danger-text" onClick={() => setDeleting(flow)} data-testid="flow-delete" aria-label={t("list.actionOn", { action: t("list.delete"), name: flowTitle(flow) })}>
                      {t("list.delete")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}

      {creating && <CreateFlowDialog existing={flows ?? []} onClose={() => setCreating(false)} />}
      {deleting && (
        <ConfirmDialog
          title={t("list.deleteTitle")}
          message={t("list.deleteMessage", { name: flowTitle(deleting) })}
          confirmLabel={t("list.deleteConfirm")}
          danger
          busy={busyId === deleting.id}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setDeleting(null)}
          testId="delete-dialog"
        />
      )}
    </div>
  );
}

/** What the imported document is called: its title, else its key. */
function documentName(document: unknown): string | null {
  if (document && typeof document === "object" && typeof (document as { name?: unknown }).name === "string") {
    return flowTitle(document as { name: string; title?: string | null });
  }
  return null;
}

function CreateFlowDialog({ existing, onClose }: { existing: FlowSummary[]; onClose: () => void }) {
  const { t, lang } = useI18n();
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [templateError, setTemplateError] = useState<unknown>(null);
  const [choice, setChoice] = useState<string>("");
  const [name, setName] = useState("");
  const [language, setLanguage] = useState<"zh-CN" | "en-US">(lang === "zh-CN" ? "zh-CN" : "en-US");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.listTemplates().then(setTemplates, (caught) => {
      setTemplates([]);
      setTemplateError(caught);
    });
  }, []);

  const chosen = templates?.find((template) => template.name === choice);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    setBusy(true);
    setError(null);
    try {
      // People give the flow its name (the title); the key is made from the template's or the
      // title's English words, or numbered, and never asked for.
      const key = newFlowKey(trimmed, existing.map((flow) => flow.name), chosen?.name);
      const document: FlowDocument = chosen ? { ...structuredClone(chosen.document), name: key, title: trimmed } : blankFlow(key, trimmed, language);
      const created = await api.createFlow(document);
      onClose();
      navigate(flowHref(created.id));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const suggest = (template: Template | undefined) => {
    if (!template) return;
    const taken = new Set(existing.map((flow) => flowTitle(flow)));
    const suggested = (tpl: Template) => flowTitle({ name: tpl.name, title: tpl.document.title });
    if (!name.trim() || taken.has(name.trim()) || templates?.some((tpl) => suggested(tpl) === name.trim())) {
      const base = suggested(template);
      let candidate = base;
      for (let n = 2; taken.has(candidate); n += 1) candidate = `${base} ${n}`;
      setName(candidate);
    }
  };

  return (
    <Dialog title={t("create.title")} onClose={onClose} testId="create-dialog" wide>
      <form onSubmit={submit} className="create-form">
        <label className="field">
          <span>{t("create.name")}</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required data-testid="create-name" data-autofocus />
        </label>
        <fieldset className="template-choices">
          <legend>{t("create.startFrom")}</legend>
          <label className={choice === "" ? "template-card selected" : "template-card"}>
            <input type="radio" name="template" checked={choice === ""} onChange={() => setChoice("")} data-testid="template-blank" />
            <span className="template-title">📄 {t("create.blank")}</span>
            <span className="template-desc">{t("create.blankHelp")}</span>
          </label>
          {templates === null && <p className="muted">{t("common.loading")}</p>}
          {templates?.map((template) => (
            <label key={template.name} className={choice === template.name ? "template-card selected" : "template-card"}>
              <input
                type="radio"
                name="template"
                checked={choice === template.name}
                onChange={() => {
                  setChoice(template.name);
                  suggest(template);
                }}
                data-testid={`template-${template.name}`}
              />
              <span className="template-title">🧭 {template.title || template.name}</span>
              <span className="template-desc">{template.description}</span>
            </label>
          ))}
          {templates !== null && templates.length === 0 && (
            <p className="muted small" data-testid="no-templates">
              {t("create.noTemplates")}
            </p>
          )}
        </fieldset>
        {templateError ? <ErrorAlert error={templateError} /> : null}
        {!chosen && (
          <label className="field">
            <span>{t("create.language")}</span>
            <select value={language} onChange={(e) => setLanguage(e.target.value as "zh-CN" | "en-US")}>
              <option value="zh-CN">{t("language.zh-CN")}</option>
              <option value="en-US">{t("language.en-US")}</option>
            </select>
          </label>
        )}
        <ErrorAlert error={error} />
        <div className="dialog-footer">
          <button type="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="primary" disabled={busy || !name.trim()} data-testid="create-submit">
            {t("create.submit")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
