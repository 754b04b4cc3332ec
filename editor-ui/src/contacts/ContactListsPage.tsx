// The tenant's contact lists: list, create, rename, delete (with a confirm naming the list).

import { useState } from "react";

import { ConfirmDialog, Dialog, FormButtons } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded, useSubmission } from "../components/useLoaded";
import { formatTime, useI18n, type MessageKey } from "../i18n";
import { FieldProblems, fieldProblems, FormProblem } from "../components/problems";
import { contactListHref, navigate } from "../router";
import { contactsApi, type ContactList } from "./api";
import "./style.css";

const NAME_MAX = 100;

/** What is wrong with a list's name before it is sent. */
export function listNameProblem(name: string): MessageKey | null {
  if (!name.trim()) return "contacts.nameRequired";
  if ([...name.trim()].length > NAME_MAX) return "contacts.nameTooLong";
  return null;
}

export function ContactListsPage({ canEdit }: { canEdit: boolean }) {
  const { t, lang } = useI18n();
  const { value: lists, error, setError, refresh } = useLoaded((signal) => contactsApi.lists(signal));
  const { busy, run } = useAction(setError);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<ContactList | null>(null);
  const [deleting, setDeleting] = useState<ContactList | null>(null);

  const confirmDelete = async (list: ContactList) => {
    await run(async () => {
      await contactsApi.deleteList(list.id);
      await refresh();
    });
    setDeleting(null);
  };

  return (
    <div className="list-page contacts-page" data-testid="contacts-page">
      <div className="list-toolbar">
        <h1>{t("contacts.title")}</h1>
        <div className="header-spacer" />
        {canEdit && (
          <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="contacts-create">
            ＋ {t("contacts.create")}
          </button>
        )}
      </div>
      <p className="drop-hint">{t("contacts.help")}</p>
      {!canEdit && <div className="alert alert-info">{t("contacts.readOnly")}</div>}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {lists === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : lists && lists.length === 0 ? (
        <p className="empty" data-testid="contacts-empty">
          {t("contacts.empty")}
        </p>
      ) : (
        lists && (
          <table className="flow-table" data-testid="contact-lists">
            <thead>
              <tr>
                <th scope="col">{t("contacts.listName")}</th>
                <th scope="col">{t("contacts.count")}</th>
                <th scope="col">{t("contacts.updated")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("contacts.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lists.map((list) => (
                <tr key={list.id} data-testid="contact-list-row" data-name={list.name}>
                  <td>
                    <a href={contactListHref(list.id)} className="flow-name" data-testid="contact-list-open">
                      {list.name}
                    </a>
                  </td>
                  <td data-testid="contact-list-count">{t("contacts.countN", { n: list.contacts })}</td>
                  <td className="muted">{formatTime(lang, list.updated_at)}</td>
                  <td>
                    <div className="row-actions">
                      <button type="button" onClick={() => navigate(contactListHref(list.id))} aria-label={t("contacts.actionOn", { action: t("contacts.open"), name: list.name })}>
                        {t("contacts.open")}
                      </button>
                      {canEdit && (
                        <>
                          <button type="button" onClick={() => setRenaming(list)} data-testid="contact-list-rename" aria-label={t("contacts.actionOn", { action: t("contacts.rename"), name: list.name })}>
                            {t("contacts.rename")}
                          </button>
                          <button type="button" className="danger-text" onClick={() => setDeleting(list)} data-testid="contact-list-delete" aria-label={t("contacts.actionOn", { action: t("contacts.delete"), name: list.name })}>
                            {t("contacts.delete")}
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
        <ListNameDialog
          title={t("contacts.createTitle")}
          submitLabel={t("contacts.createSubmit")}
          initial=""
          save={(name) => contactsApi.createList(name)}
          onClose={() => setCreating(false)}
          onSaved={(list) => {
            setCreating(false);
            navigate(contactListHref(list.id));
          }}
          testId="contact-list-create-dialog"
        />
      )}
      {renaming && (
        <ListNameDialog
          title={t("contacts.renameTitle")}
          submitLabel={t("contacts.renameSubmit")}
          initial={renaming.name}
          save={(name) => contactsApi.renameList(renaming.id, name)}
          onClose={() => setRenaming(null)}
          onSaved={() => {
            setRenaming(null);
            void refresh();
          }}
          testId="contact-list-rename-dialog"
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t("contacts.deleteTitle")}
          message={t("contacts.deleteMessage", { name: deleting.name, n: deleting.contacts })}
          confirmLabel={t("contacts.deleteConfirm")}
          danger
          busy={busy}
          onConfirm={() => void confirmDelete(deleting)}
          onCancel={() => setDeleting(null)}
          testId="contact-list-delete-dialog"
        />
      )}
    </div>
  );
}

interface ListNameDialogProps {
  title: string;
  submitLabel: string;
  initial: string;
  save: (name: string) => Promise<ContactList>;
  onClose: () => void;
  onSaved: (list: ContactList) => void;
  testId: string;
}

/** A list's name, new or changed; the server's problems with it shown under the field. */
function ListNameDialog({ title, submitLabel, initial, save, onClose, onSaved, testId }: ListNameDialogProps) {
  const { t } = useI18n();
  const [name, setName] = useState(initial);
  const [tried, setTried] = useState(false);
  const { busy, error, run } = useSubmission();
  const local = listNameProblem(name);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (local) return;
    await run(async () => onSaved(await save(name)));
  };

  const problems = [...(tried && local ? [t(local)] : []), ...fieldProblems(t, error, "name")];
  return (
    <Dialog title={title} onClose={onClose} testId={testId}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label className="field">
          <span>{t("contacts.listName")}</span>
          <input
            type="text"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder={t("contacts.namePlaceholder")}
            aria-invalid={problems.length > 0}
            data-testid="contact-list-name"
            data-autofocus
          />
          <FieldProblems messages={problems} />
        </label>
        <FormProblem error={error} fields={["name"]} />
        <FormButtons submitLabel={submitLabel} busy={busy} onCancel={onClose} submitTestId="contact-list-name-submit" />
      </form>
    </Dialog>
  );
}
