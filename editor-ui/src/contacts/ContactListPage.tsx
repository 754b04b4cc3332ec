// One contact list: its contacts page by page with a search, a contact's details (changed by
// editors), deleting a contact, and importing a CSV or XLSX file into the list.

import { useState } from "react";

import { ConfirmDialog, Dialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded, useSubmission } from "../components/useLoaded";
import { Pager, useSearchedPages } from "../components/Pager";
import { SheetImport } from "../components/SheetImport";
import { formatTime, useI18n } from "../i18n";
import { FieldProblems, fieldProblems, FormProblem } from "../components/problems";
import { CONTACTS_HREF } from "../router";
import { contactsApi, PAGE_SIZE, type Contact } from "./api";
import { contactPatch, draftOf, fieldColumns, repeatedFieldNames, type ContactDraft } from "./edit";
import { formatPhone } from "./phone";
import "./style.css";

export function ContactListPage({ listId, canEdit }: { listId: string; canEdit: boolean }) {
  const { t, lang } = useI18n();
  const { search, setSearch, query, offset, setOffset } = useSearchedPages();
  const facts = useLoaded(() => contactsApi.getList(listId), [listId]);
  const list = facts.value;
  const contactPage = useLoaded(
    (signal) => contactsApi.contacts(listId, { search: query, offset, limit: PAGE_SIZE }, signal),
    [listId, query, offset],
  );
  const page = contactPage.value;
  // The page shows one error, whichever load or action failed; an action's (or dismissing it)
  // takes the place of a load's.
  const error = contactPage.error ?? facts.error;
  const setError = (next: unknown) => {
    contactPage.setError(next);
    facts.setError(null);
  };
  const { busy, run } = useAction(setError);
  const [editing, setEditing] = useState<Contact | null>(null);
  const [deleting, setDeleting] = useState<Contact | null>(null);

  /** After every change, the list's facts and the page are read again. */
  const changed = () => {
    void facts.refresh();
    void contactPage.refresh();
  };

  const confirmDelete = async (contact: Contact) => {
    await run(async () => {
      await contactsApi.deleteContact(listId, contact.id);
      changed();
    });
    setDeleting(null);
  };

  const contacts = page?.contacts ?? [];
  const columns = fieldColumns(contacts);
  const who = (contact: Contact) => contact.name || formatPhone(contact.phone);

  return (
    <div className="list-page contacts-page" data-testid="contact-list-page">
      <a href={CONTACTS_HREF} className="back-link" data-testid="contacts-back">
        ← {t("contacts.back")}
      </a>
      <div className="list-toolbar contacts-heading">
        <h1 data-testid="contact-list-title">{list?.name ?? (error ? "—" : t("common.loading"))}</h1>
        {list && (
          <span className="muted small" data-testid="contact-list-facts">
            {t("contacts.countN", { n: list.contacts })} · {t("contacts.updated")} {formatTime(lang, list.updated_at)}
          </span>
        )}
        <div className="header-spacer" />
        <input
          type="search"
          className="search"
          value={search}
          placeholder={t("contacts.search")}
          aria-label={t("contacts.search")}
          onChange={(event) => setSearch(event.target.value)}
          data-testid="contacts-search"
        />
      </div>
      {!canEdit && <div className="alert alert-info">{t("contacts.readOnly")}</div>}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {page === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : page && page.total === 0 ? (
        <p className="empty" data-testid="contacts-none">
          {query.trim() ? t("contacts.noMatch", { search: query.trim() }) : t("contacts.none")}
        </p>
      ) : (
        page && (
          <>
            <div className="contacts-scroll">
              <table className="flow-table contacts-table" data-testid="contacts-table" data-total={page.total}>
                <thead>
                  <tr>
                    <th scope="col">{t("contacts.phone")}</th>
                    <th scope="col">{t("contacts.name")}</th>
                    {columns.map((column) => (
                      <th scope="col" key={column} className="mono" data-testid="contacts-field-column">
                        {column}
                      </th>
                    ))}
                    <th scope="col">{t("contacts.consent")}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t("contacts.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {contacts.map((contact) => (
                    <tr key={contact.id} data-testid="contact-row" data-phone={contact.phone}>
                      <td className="contacts-phone" data-testid="contact-phone">
                        {formatPhone(contact.phone)}
                      </td>
                      <td data-testid="contact-name">{contact.name}</td>
                      {columns.map((column) => (
                        <td key={column} data-testid="contact-field" data-field={column}>
                          {contact.fields[column] ?? ""}
                        </td>
                      ))}
                      <td className="contacts-consent">
                        {contact.consent_source || contact.consent_at != null ? (
                          <>
                            <div>{contact.consent_source}</div>
                            {contact.consent_at != null && <div className="muted small">{formatTime(lang, contact.consent_at)}</div>}
                          </>
                        ) : (
                          <span className="muted">{t("contacts.noConsent")}</span>
                        )}
                      </td>
                      <td>
                        <div className="row-actions">
                          <button type="button" onClick={() => setEditing(contact)} data-testid="contact-edit" aria-label={t("contacts.actionOn", { action: canEdit ? t("contacts.edit") : t("contacts.view"), name: who(contact) })}>
                            {canEdit ? t("contacts.edit") : t("contacts.view")}
                          </button>
                          {canEdit && (
                            <button type="button" className="danger-text" onClick={() => setDeleting(contact)} data-testid="contact-delete" aria-label={t("contacts.actionOn", { action: t("contacts.delete"), name: who(contact) })}>
                              {t("contacts.delete")}
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager offset={offset} shown={contacts.length} total={page.total} pageSize={PAGE_SIZE} onOffset={setOffset} />
          </>
        )
      )}

      {canEdit && list && (
        <SheetImport
          title={t("contacts.importTitle")}
          help={
            <>
              <p>{t("contacts.importHelp1")}</p>
              <p>{t("contacts.importHelp2")}</p>
              <p>{t("contacts.importHelp3")}</p>
            </>
          }
          run={async (file, type) => {
            const result = await contactsApi.importFile(listId, file, type);
            return {
              summary: t("contacts.importSummary", {
                rows: result.rows,
                created: result.created,
                updated: result.updated,
                merged: result.merged,
                failed: result.failed,
              }),
              failed: result.failed,
              errors: result.errors,
            };
          }}
          onImported={changed}
          testId="contacts-import"
        />
      )}

      {editing && list && (
        <ContactDialog
          listId={listId}
          contact={editing}
          canEdit={canEdit}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            changed();
          }}
        />
      )}
      {deleting && list && (
        <ConfirmDialog
          title={t("contacts.deleteContactTitle")}
          message={t("contacts.deleteContactMessage", { who: who(deleting), list: list.name })}
          confirmLabel={t("contacts.deleteContactConfirm")}
          danger
          busy={busy}
          onConfirm={() => void confirmDelete(deleting)}
          onCancel={() => setDeleting(null)}
          testId="contact-delete-dialog"
        />
      )}
    </div>
  );
}

function ContactDialog({ listId, contact, canEdit, onClose, onSaved }: { listId: string; contact: Contact; canEdit: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<ContactDraft>(() => draftOf(contact));
  const { busy, error, run } = useSubmission();
  const [unchanged, setUnchanged] = useState(false);
  const repeated = repeatedFieldNames(draft);

  const update = (change: Partial<ContactDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    setUnchanged(false);
  };
  const setField = (index: number, change: Partial<{ name: string; value: string }>) =>
    update({ fields: draft.fields.map((row, at) => (at === index ? { ...row, ...change } : row)) });

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (repeated.length > 0) return;
    const patch = contactPatch(contact, draft);
    if (!patch) {
      setUnchanged(true);
      return;
    }
    await run(async () => {
      await contactsApi.updateContact(listId, contact.id, patch);
      onSaved();
    });
  };

  const fieldsProblems = [...repeated.map((name) => t("contacts.fieldRepeated", { name })), ...fieldProblems(t, error, "fields")];
  return (
    <Dialog title={t("contacts.editTitle", { who: contact.name || formatPhone(contact.phone) })} onClose={onClose} testId="contact-dialog" wide>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <fieldset className="plain-fieldset" disabled={!canEdit}>
          <div className="field-row">
            <label className="field">
              <span>{t("contacts.phone")}</span>
              <input type="text" value={draft.phone} onChange={(event) => update({ phone: event.target.value })} data-testid="contact-phone-input" data-autofocus />
              <FieldProblems messages={fieldProblems(t, error, "phone")} />
            </label>
            <label className="field">
              <span>{t("contacts.name")}</span>
              <input type="text" value={draft.name} onChange={(event) => update({ name: event.target.value })} data-testid="contact-name-input" />
              <FieldProblems messages={fieldProblems(t, error, "name")} />
            </label>
          </div>
          <div className="field">
            <span className="kb-label">{t("contacts.fields")}</span>
            <span className="field-help">{t("contacts.fieldsHelp")}</span>
            {draft.fields.length === 0 ? (
              <p className="muted small">{t("contacts.noFields")}</p>
            ) : (
              <table className="contacts-fields" data-testid="contact-fields">
                <thead>
                  <tr>
                    <th scope="col">{t("contacts.fieldName")}</th>
                    <th scope="col">{t("contacts.fieldValue")}</th>
                    <th scope="col">
                      <span className="visually-hidden">{t("contacts.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {draft.fields.map((row, index) => (
                    <tr key={index} data-testid="contact-field-row" data-field={row.name}>
                      <td>
                        <input
                          type="text"
                          value={row.name}
                          className="mono"
                          spellCheck={false}
                          aria-label={t("contacts.fieldName")}
                          onChange={(event) => setField(index, { name: event.target.value })}
                          data-testid="contact-field-name"
                        />
                      </td>
                      <td>
                        <input type="text" value={row.value} aria-label={row.name || t("contacts.fieldValue")} onChange={(event) => setField(index, { value: event.target.value })} data-testid="contact-field-value" />
                      </td>
                      <td>
                        {canEdit && (
                          <button
                            type="button"
                            className="icon-button"
                            aria-label={t("contacts.removeField", { name: row.name })}
                            onClick={() => update({ fields: draft.fields.filter((_, at) => at !== index) })}
                            data-testid="contact-field-remove"
                          >
                            ×
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <FieldProblems messages={fieldsProblems} />
            {canEdit && (
              <div>
                <button type="button" onClick={() => update({ fields: [...draft.fields, { name: "", value: "" }] })} data-testid="contact-field-add">
                  {t("contacts.addField")}
                </button>
              </div>
            )}
          </div>
          <div className="field-row">
            <label className="field">
              <span>{t("contacts.consentSource")}</span>
              <input
                type="text"
                value={draft.consentSource}
                placeholder={canEdit ? t("contacts.consentSourcePlaceholder") : undefined}
                onChange={(event) => update({ consentSource: event.target.value })}
                data-testid="contact-consent-source"
              />
              <FieldProblems messages={fieldProblems(t, error, "consent_source")} />
            </label>
            <label className="field">
              <span>{t("contacts.consentAt")}</span>
              <input type="datetime-local" value={draft.consentAt} onChange={(event) => update({ consentAt: event.target.value })} data-testid="contact-consent-at" />
              <FieldProblems messages={fieldProblems(t, error, "consent_at")} />
            </label>
          </div>
        </fieldset>
        <FormProblem error={error} fields={["phone", "name", "fields", "consent_source", "consent_at"]} />
        {unchanged && (
          <p className="muted" role="status">
            {t("contacts.unchanged")}
          </p>
        )}
        <div className="dialog-footer">
          <button type="button" onClick={onClose} data-testid="contact-dialog-close">
            {canEdit ? t("common.cancel") : t("common.close")}
          </button>
          {canEdit && (
            <button type="submit" className="primary" disabled={busy} data-testid="contact-save">
              {t("contacts.save")}
            </button>
          )}
        </div>
      </form>
    </Dialog>
  );
}
