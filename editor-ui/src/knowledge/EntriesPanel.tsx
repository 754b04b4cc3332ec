// A knowledge base's entries: search, category filter, pages, and adding, editing and deleting.

import { useEffect, useId, useState } from "react";

import { isAbortError } from "../api";
import { ConfirmDialog, Dialog, FormButtons } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useSubmission } from "../components/useLoaded";
import { useI18n } from "../i18n";
import { knowledgeApi, type EntryDraft, type KnowledgeEntry } from "./api";
import { FieldProblems, fieldProblems, FormProblem } from "../components/problems";

export const PAGE_SIZE = 20;

interface Props {
  baseKey: string;
  canEdit: boolean;
  /** Changes when the base changed elsewhere (an import), so that the list loads again. */
  changes: number;
  onChanged: () => void;
}

export function EntriesPanel({ baseKey, canEdit, changes, onChanged }: Props) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const [category, setCategory] = useState("");
  /** The cursor of each page seen so far; the first page has none. */
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const [items, setItems] = useState<KnowledgeEntry[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** Every category seen in this base, for the filter: the API has no list of them. */
  const [categories, setCategories] = useState<string[]>([]);
  const [editing, setEditing] = useState<KnowledgeEntry | "new" | null>(null);
  const [deleting, setDeleting] = useState<KnowledgeEntry | null>(null);
  const { busy, run } = useAction(setError);
  const cursor = cursors[pageIndex] ?? null;

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(
      async () => {
        try {
          const page = await knowledgeApi.entries(baseKey, { q: search, category, limit: PAGE_SIZE, cursor }, controller.signal);
          setItems(page.items);
          setNextCursor(page.next_cursor ?? null);
          setError(null);
          setCategories((known) => {
            const seen = new Set(known);
            page.items.forEach((entry) => entry.category && seen.add(entry.category));
            return seen.size === known.length ? known : [...seen].sort((a, b) => a.localeCompare(b));
          });
        } catch (caught) {
          if (isAbortError(caught)) return;
          setError(caught);
        }
      },
      search ? 250 : 0,
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [baseKey, search, category, cursor, changes]);

  /** A new search or filter starts again at the first page. */
  const restart = () => {
    setCursors([null]);
    setPageIndex(0);
  };

  const nextPage = () => {
    if (!nextCursor) return;
    setCursors((known) => [...known.slice(0, pageIndex + 1), nextCursor]);
    setPageIndex((n) => n + 1);
  };

  const confirmDelete = async (entry: KnowledgeEntry) => {
    await run(async () => {
      await knowledgeApi.deleteEntry(baseKey, entry.id);
      onChanged();
    });
    setDeleting(null);
  };

  const filtering = search.trim() !== "" || category !== "";

  return (
    <section className="kb-entries">
      <div className="list-toolbar">
        <label className="search">
          <span className="visually-hidden">{t("entry.search")}</span>
          <input
            type="search"
            placeholder={t("entry.searchPlaceholder")}
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              restart();
            }}
            data-testid="entry-search"
          />
        </label>
        <label>
          <span className="visually-hidden">{t("entry.category")}</span>
          <select
            value={category}
            onChange={(e) => {
              setCategory(e.target.value);
              restart();
            }}
            data-testid="entry-category-filter"
          >
            <option value="">{t("entry.allCategories")}</option>
            {categories.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <div className="header-spacer" />
        {canEdit && (
          <button type="button" className="primary" onClick={() => setEditing("new")} data-testid="entry-add">
            ＋ {t("entry.add")}
          </button>
        )}
      </div>

      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {items === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : items && items.length === 0 && pageIndex === 0 ? (
        <p className="empty" data-testid="entry-list-empty">
          {filtering ? t("entry.noMatch") : t("entry.empty")}
        </p>
      ) : (
        items && (
          <table className="flow-table kb-entry-table" data-testid="entry-list">
            <thead>
              <tr>
                <th scope="col">{t("entry.question")}</th>
                <th scope="col">{t("entry.answer")}</th>
                <th scope="col">{t("entry.category")}</th>
                <th scope="col">{t("entry.status")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("kb.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <tr key={entry.id} data-testid="entry-row" data-entry-id={entry.id} data-question={entry.question}>
                  <td className="kb-question">
                    <div className="kb-question-text">{entry.question}</div>
                    {entry.alternatives.length > 0 && (
                      <div className="muted small" title={entry.alternatives.join("\n")}>
                        {t("entry.altCount", { n: entry.alternatives.length })}
                      </div>
                    )}
                  </td>
                  <td className="kb-answer" data-testid="entry-answer">
                    {entry.answer}
                  </td>
                  <td>{entry.category ? <span className="badge">{entry.category}</span> : <span className="muted small">{t("entry.noCategory")}</span>}</td>
                  <td>
                    <span className={entry.enabled ? "badge badge-ok" : "badge"}>{entry.enabled ? t("entry.on") : t("entry.off")}</span>
                  </td>
                  <td>
                    <div className="row-actions">
                      {canEdit && (
                        <>
                          <button type="button" onClick={() => setEditing(entry)} data-testid="entry-edit" aria-label={t("kb.actionOn", { action: t("entry.edit"), name: entry.question })}>
                            {t("entry.edit")}
                          </button>
                          <button type="button" className="danger-text" onClick={() => setDeleting(entry)} data-testid="entry-delete" aria-label={t("kb.actionOn", { action: t("entry.delete"), name: entry.question })}>
                            {t("entry.delete")}
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}

      {(pageIndex > 0 || nextCursor) && (
        <nav className="kb-pager" aria-label={t("entry.page", { n: pageIndex + 1 })}>
          <button type="button" onClick={() => setPageIndex((n) => Math.max(0, n - 1))} disabled={pageIndex === 0} data-testid="entry-prev">
            ‹ {t("entry.prev")}
          </button>
          <span className="muted" data-testid="entry-page">
            {t("entry.page", { n: pageIndex + 1 })}
          </span>
          <button type="button" onClick={nextPage} disabled={!nextCursor} data-testid="entry-next">
            {t("entry.next")} ›
          </button>
        </nav>
      )}

      {editing && (
        <EntryDialog
          baseKey={baseKey}
          entry={editing === "new" ? null : editing}
          categories={categories}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            onChanged();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t("entry.deleteTitle")}
          message={t("entry.deleteMessage", { question: deleting.question })}
          confirmLabel={t("entry.deleteConfirm")}
          danger
          busy={busy}
          onConfirm={() => void confirmDelete(deleting)}
          onCancel={() => setDeleting(null)}
          testId="delete-dialog"
        />
      )}
    </section>
  );
}

/** The alternative questions of a text field: one per line, blank lines left out. */
export function alternativesOf(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

const ENTRY_FIELDS = ["question", "alternatives", "answer", "category", "enabled"] as const;

function EntryDialog({
  baseKey,
  entry,
  categories,
  onClose,
  onSaved,
}: {
  baseKey: string;
  entry: KnowledgeEntry | null;
  categories: string[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [question, setQuestion] = useState(entry?.question ?? "");
  const [alternatives, setAlternatives] = useState((entry?.alternatives ?? []).join("\n"));
  const [answer, setAnswer] = useState(entry?.answer ?? "");
  const [category, setCategory] = useState(entry?.category ?? "");
  const [enabled, setEnabled] = useState(entry?.enabled ?? true);
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useSubmission();

  const missing = { question: !question.trim(), answer: !answer.trim() };

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (missing.question || missing.answer) return;
    const draft: EntryDraft = {
      question: question.trim(),
      alternatives: alternativesOf(alternatives),
      answer: answer.trim(),
      category: category.trim(),
      enabled,
    };
    await run(async () => {
      if (entry) await knowledgeApi.saveEntry(baseKey, entry.id, draft);
      else await knowledgeApi.createEntry(baseKey, draft);
      onSaved();
    });
  };

  const problems = (field: (typeof ENTRY_FIELDS)[number]) => [
    ...(tried && field in missing && missing[field as keyof typeof missing] ? [t("kb.required")] : []),
    ...fieldProblems(t, error, field),
  ];
  const questionProblems = problems("question");
  const alternativesProblems = problems("alternatives");
  const answerProblems = problems("answer");
  const categoryProblems = problems("category");
  const enabledProblems = problems("enabled");

  return (
    <Dialog title={entry ? t("entry.editTitle") : t("entry.addTitle")} onClose={onClose} testId="entry-dialog" wide>
      <form onSubmit={submit} noValidate className="kb-entry-form">
        <div className="field">
          <label htmlFor={`${id}-question`}>{t("entry.question")}</label>
          <textarea
            id={`${id}-question`}
            rows={2}
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
            aria-invalid={questionProblems.length > 0}
            aria-describedby={`${id}-question-help`}
            data-testid="entry-question"
            data-autofocus
          />
          <span className="field-help" id={`${id}-question-help`}>
            {t("entry.questionHelp")}
          </span>
          <FieldProblems messages={questionProblems} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-alternatives`}>{t("entry.alternatives")}</label>
          <textarea
            id={`${id}-alternatives`}
            rows={4}
            value={alternatives}
            placeholder={t("entry.alternativesPlaceholder")}
            onChange={(e) => setAlternatives(e.target.value)}
            aria-invalid={alternativesProblems.length > 0}
            aria-describedby={`${id}-alternatives-help`}
            data-testid="entry-alternatives"
          />
          <span className="field-help" id={`${id}-alternatives-help`}>
            {t("entry.alternativesHelp")}
          </span>
          <FieldProblems messages={alternativesProblems} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-answer`}>{t("entry.answer")}</label>
          <textarea
            id={`${id}-answer`}
            rows={4}
            value={answer}
            onChange={(e) => setAnswer(e.target.value)}
            aria-invalid={answerProblems.length > 0}
            aria-describedby={`${id}-answer-help`}
            data-testid="entry-answer-input"
          />
          <span className="field-help" id={`${id}-answer-help`}>
            {t("entry.answerHelp")}
          </span>
          <FieldProblems messages={answerProblems} />
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor={`${id}-category`}>{t("entry.category")}</label>
            <input
              id={`${id}-category`}
              value={category}
              list={`${id}-categories`}
              onChange={(e) => setCategory(e.target.value)}
              aria-invalid={categoryProblems.length > 0}
              aria-describedby={`${id}-category-help`}
              data-testid="entry-category"
            />
            <datalist id={`${id}-categories`}>
              {categories.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
            <span className="field-help" id={`${id}-category-help`}>
              {t("entry.categoryHelp")}
            </span>
            <FieldProblems messages={categoryProblems} />
          </div>
          <div className="field field-check">
            <label>
              <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} data-testid="entry-enabled" /> {t("entry.enabled")}
            </label>
            <span className="field-help">{t("entry.enabledHelp")}</span>
            <FieldProblems messages={enabledProblems} />
          </div>
        </div>
        <FormProblem error={error} fields={ENTRY_FIELDS} />
        <FormButtons submitLabel={busy ? t("entry.saving") : t("entry.save")} busy={busy} onCancel={onClose} submitTestId="entry-save" />
      </form>
    </Dialog>
  );
}
