// The tenant's knowledge bases: list, create, rename, delete.

import { useState } from "react";

import { ConfirmDialog, Dialog, FormButtons } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded, useSubmission } from "../components/useLoaded";
import { formatTime, useI18n } from "../i18n";
import { knowledgeHref, navigate } from "../router";
import { knowledgeApi, type KnowledgeBase } from "./api";
import { languageName, LANGUAGES } from "./language";
import { FieldProblems, fieldProblems, FormProblem } from "../components/problems";
import "./style.css";

/** A key as flows write it: lowercase letters, digits and hyphens, not first or last. */
const KEY_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const NAME_MAX = 100;

export function KnowledgeListPage({ canEdit }: { canEdit: boolean }) {
  const { t, lang } = useI18n();
  const { value: bases, error, setError, refresh } = useLoaded((signal) => knowledgeApi.list(signal));
  const { busy, run } = useAction(setError);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<KnowledgeBase | null>(null);
  const [deleting, setDeleting] = useState<KnowledgeBase | null>(null);

  const confirmDelete = async (base: KnowledgeBase) => {
    await run(async () => {
      await knowledgeApi.remove(base.key);
      await refresh();
    });
    setDeleting(null);
  };

  return (
    <div className="list-page">
      <div className="list-toolbar">
        <h1>{t("kb.title")}</h1>
        <div className="header-spacer" />
        {canEdit && (
          <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="kb-create">
            ＋ {t("kb.create")}
          </button>
        )}
      </div>
      <p className="drop-hint">{t("kb.help")}</p>

      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {bases === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : bases && bases.length === 0 ? (
        <p className="empty" data-testid="kb-list-empty">
          {t("kb.empty")}
        </p>
      ) : (
        bases && (
          <table className="flow-table" data-testid="kb-list">
            <thead>
              <tr>
                <th scope="col">{t("kb.name")}</th>
                <th scope="col">{t("kb.language")}</th>
                <th scope="col">{t("kb.entries")}</th>
                <th scope="col">{t("kb.revision")}</th>
                <th scope="col">{t("kb.updated")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("kb.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {bases.map((base) => (
                <tr key={base.key} data-testid="kb-row" data-key={base.key} data-name={base.name}>
                  <td>
                    <a href={knowledgeHref(base.key)} className="flow-name" data-testid="kb-open">
                      {base.name}
                    </a>
                  </td>
                  <td>{languageName(t, base.language)}</td>
                  <td data-testid="kb-entry-count">
                    {t("kb.entryCount", { n: base.entries })}
                    {base.enabled_entries !== undefined && base.enabled_entries !== base.entries && (
                      <div className="muted small">{t("kb.enabledCount", { n: base.enabled_entries })}</div>
                    )}
                  </td>
                  <td>{t("kb.revisionN", { n: base.revision })}</td>
                  <td className="muted">{base.updated_at != null ? formatTime(lang, base.updated_at) : t("kb.never")}</td>
                  <td>
                    <div className="row-actions">
                      <button type="button" onClick={() => navigate(knowledgeHref(base.key))} aria-label={t("kb.actionOn", { action: t("kb.open"), name: base.name })}>
                        {t("kb.open")}
                      </button>
                      {canEdit && (
                        <>
                          <button type="button" onClick={() => setRenaming(base)} data-testid="kb-rename" aria-label={t("kb.actionOn", { action: t("kb.rename"), name: base.name })}>
                            {t("kb.rename")}
                          </button>
                          <button type="button" className="danger-text" onClick={() => setDeleting(base)} data-testid="kb-delete" aria-label={t("kb.actionOn", { action: t("kb.delete"), name: base.name })}>
                            {t("kb.delete")}
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

      {creating && (
        <CreateBaseDialog
          onClose={() => setCreating(false)}
          onCreated={(base) => {
            setCreating(false);
            navigate(knowledgeHref(base.key));
          }}
        />
      )}
      {renaming && (
        <RenameBaseDialog
          base={renaming}
          onClose={() => setRenaming(null)}
          onRenamed={() => {
            setRenaming(null);
            void refresh();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t("kb.deleteTitle")}
          message={t("kb.deleteMessage", { name: deleting.name, n: deleting.entries })}
          confirmLabel={t("kb.deleteConfirm")}
          danger
          busy={busy}
          onConfirm={() => void confirmDelete(deleting)}
          onCancel={() => setDeleting(null)}
          testId="delete-dialog"
        />
      )}
    </div>
  );
}

/** What is wrong with a new base's fields before it is sent, by field. */
export function checkNewBase(fields: { key: string; name: string }): { key?: "kb.required" | "kb.keyInvalid"; name?: "kb.required" | "kb.nameTooLong" } {
  const problems: ReturnType<typeof checkNewBase> = {};
  if (!fields.key.trim()) problems.key = "kb.required";
  else if (!KEY_PATTERN.test(fields.key.trim())) problems.key = "kb.keyInvalid";
  if (!fields.name.trim()) problems.name = "kb.required";
  else if ([...fields.name.trim()].length > NAME_MAX) problems.name = "kb.nameTooLong";
  return problems;
}

function CreateBaseDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (base: KnowledgeBase) => void }) {
  const { t, lang } = useI18n();
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [language, setLanguage] = useState<string>(lang === "zh-CN" ? "zh-CN" : "en-US");
  const [tried, setTried] = useState(false);
  const { busy, error, setError, run } = useSubmission();
  const local = checkNewBase({ key, name });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (local.key || local.name) return;
    await run(async () => onCreated(await knowledgeApi.create({ key: key.trim(), name: name.trim(), language })));
  };

  const keyProblems = [...(tried && local.key ? [t(local.key)] : []), ...fieldProblems(t, error, "key")];
  const nameProblems = [...(tried && local.name ? [t(local.name)] : []), ...fieldProblems(t, error, "name")];
  const languageProblems = fieldProblems(t, error, "language");

  return (
    <Dialog title={t("kb.createTitle")} onClose={onClose} testId="kb-create-dialog">
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span>{t("kb.name")}</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={t("kb.namePlaceholder")}
            aria-invalid={nameProblems.length > 0}
            aria-describedby="kb-name-problems"
            data-testid="kb-create-name"
            data-autofocus
          />
          <FieldProblems messages={nameProblems} id="kb-name-problems" />
        </label>
        <label className="field">
          <span>{t("kb.key")}</span>
          <input
            value={key}
            onChange={(e) => {
              setKey(e.target.value);
              if (error) setError(null);
            }}
            placeholder={t("kb.keyPlaceholder")}
            className="mono"
            spellCheck={false}
            autoCapitalize="off"
            aria-invalid={keyProblems.length > 0}
            aria-describedby="kb-key-help kb-key-problems"
            data-testid="kb-create-key"
          />
          <span className="field-help" id="kb-key-help">
            {t("kb.keyHelp")}
          </span>
          <FieldProblems messages={keyProblems} id="kb-key-problems" />
        </label>
        <label className="field">
          <span>{t("kb.language")}</span>
          <select value={language} onChange={(e) => setLanguage(e.target.value)} data-testid="kb-create-language">
            {LANGUAGES.map((code) => (
              <option key={code} value={code}>
                {languageName(t, code)}
              </option>
            ))}
          </select>
          <FieldProblems messages={languageProblems} />
        </label>
        <FormProblem error={error} fields={["key", "name", "language"]} />
        <FormButtons submitLabel={t("kb.createSubmit")} busy={busy} onCancel={onClose} submitTestId="kb-create-submit" />
      </form>
    </Dialog>
  );
}

function RenameBaseDialog({ base, onClose, onRenamed }: { base: KnowledgeBase; onClose: () => void; onRenamed: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(base.name);
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useSubmission();
  const local = checkNewBase({ key: base.key, name }).name;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (local) return;
    await run(async () => {
      await knowledgeApi.rename(base.key, name.trim());
      onRenamed();
    });
  };

  const problems = [...(tried && local ? [t(local)] : []), ...fieldProblems(t, error, "name")];
  return (
    <Dialog title={t("kb.renameTitle")} onClose={onClose} testId="kb-rename-dialog">
      <form onSubmit={submit} noValidate>
        <label className="field">
          <span>{t("kb.name")}</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={problems.length > 0}
            data-testid="kb-rename-name"
            data-autofocus
          />
          <FieldProblems messages={problems} />
        </label>
        <FormProblem error={error} fields={["name"]} />
        <FormButtons submitLabel={t("kb.renameSubmit")} busy={busy} onCancel={onClose} submitTestId="kb-rename-submit" />
      </form>
    </Dialog>
  );
}
