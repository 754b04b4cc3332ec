// The tenant's do-not-call list: paged with a search; editors add a number with a note, remove
// one after a confirmation and import a sheet of numbers. Each entry says where it came from
// and when and by whom it was added.

import { useState } from "react";

import { ConfirmDialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded, useSubmission } from "../components/useLoaded";
import { Pager, useSearchedPages } from "../components/Pager";
import { SheetImport } from "../components/SheetImport";
import { PAGE_SIZE } from "../contacts/api";
import { formatPhone } from "../contacts/phone";
import { formatTime, textFor, useI18n, type Translate } from "../i18n";
import { FieldProblems, fieldProblems, FormProblem } from "../components/problems";
import { doNotCallApi, type DoNotCallEntry } from "./api";
import "../contacts/style.css";

/** Where an entry came from, in words; never the raw code. */
export function sourceName(t: Translate, source: string): string {
  return textFor(t, `dnc.source.${source}`) ?? t("dnc.source.other");
}

/** Who added an entry, by name: the system, a person or key, or someone since removed. */
export function addedByName(t: Translate, entry: Pick<DoNotCallEntry, "added_by" | "added_by_name">): string {
  if (entry.added_by_name) return entry.added_by_name;
  return entry.added_by === "system" ? t("dnc.bySystem") : t("dnc.byGone");
}

/** A call's page on the dashboard. */
const callHref = (callId: string) => `/dashboard/calls/${encodeURIComponent(callId)}`;

export function DoNotCallPage({ canEdit }: { canEdit: boolean }) {
  const { t, lang } = useI18n();
  const { search, setSearch, query, offset, setOffset } = useSearchedPages();
  const { value: page, error, setError, refresh } = useLoaded(
    (signal) => doNotCallApi.list({ search: query, offset, limit: PAGE_SIZE }, signal),
    [query, offset],
  );
  const { busy, run } = useAction(setError);
  const [removing, setRemoving] = useState<DoNotCallEntry | null>(null);

  /** After a number is added, imported or removed: the page shown is read again. */
  const changed = () => void refresh();

  const confirmRemove = async (entry: DoNotCallEntry) => {
    await run(async () => {
      await doNotCallApi.remove(entry.phone);
      changed();
    });
    setRemoving(null);
  };

  const entries = page?.entries ?? [];
  return (
    <div className="list-page dnc-page" data-testid="dnc-page">
      <div className="list-toolbar">
        <h1>{t("dnc.title")}</h1>
        <div className="header-spacer" />
        <input
          type="search"
          className="search"
          value={search}
          placeholder={t("dnc.search")}
          aria-label={t("dnc.search")}
          onChange={(event) => setSearch(event.target.value)}
          data-testid="dnc-search"
        />
      </div>
      <p className="drop-hint">{t("dnc.help")}</p>
      {!canEdit && <div className="alert alert-info">{t("dnc.readOnly")}</div>}
      {canEdit && <AddNumber onAdded={changed} />}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {page === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : page && page.total === 0 ? (
        <p className="empty" data-testid="dnc-empty">
          {query.trim() ? t("dnc.noMatch", { search: query.trim() }) : t("dnc.empty")}
        </p>
      ) : (
        page && (
          <>
            <table className="flow-table" data-testid="dnc-table" data-total={page.total}>
              <thead>
                <tr>
                  <th scope="col">{t("dnc.phone")}</th>
                  <th scope="col">{t("dnc.source")}</th>
                  <th scope="col">{t("dnc.note")}</th>
                  <th scope="col">{t("dnc.addedAt")}</th>
                  <th scope="col">{t("dnc.addedBy")}</th>
                  {canEdit && (
                    <th scope="col">
                      <span className="visually-hidden">{t("dnc.actions")}</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <tr key={entry.phone} data-testid="dnc-row" data-phone={entry.phone} data-source={entry.source}>
                    <td className="contacts-phone" data-testid="dnc-phone">
                      {formatPhone(entry.phone)}
                    </td>
                    <td data-testid="dnc-source">
                      {sourceName(t, entry.source)}
                      {entry.call_id && (
                        <div className="small">
                          <a href={callHref(entry.call_id)} data-testid="dnc-call">
                            {t("dnc.openCall")}
                          </a>
                        </div>
                      )}
                    </td>
                    <td className="dnc-note" data-testid="dnc-note">
                      {entry.note}
                    </td>
                    <td className="muted">{formatTime(lang, entry.created_at)}</td>
                    <td data-testid="dnc-added-by">{addedByName(t, entry)}</td>
                    {canEdit && (
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="danger-text"
                            onClick={() => setRemoving(entry)}
                            aria-label={t("dnc.removeOn", { phone: formatPhone(entry.phone) })}
                            data-testid="dnc-remove"
                          >
                            {t("dnc.remove")}
                          </button>
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager offset={offset} shown={entries.length} total={page.total} pageSize={PAGE_SIZE} onOffset={setOffset} />
          </>
        )
      )}

      {canEdit && (
        <SheetImport
          title={t("dnc.importTitle")}
          help={<p>{t("dnc.importHelp")}</p>}
          run={async (file, type) => {
            const result = await doNotCallApi.importFile(file, type);
            return {
              summary: t("dnc.importSummary", { rows: result.rows, added: result.added, already: result.already_listed, failed: result.failed }),
              failed: result.failed,
              errors: result.errors,
            };
          }}
          onImported={changed}
          testId="dnc-import"
        />
      )}

      {removing && (
        <ConfirmDialog
          title={t("dnc.removeTitle")}
          message={t("dnc.removeMessage", { phone: formatPhone(removing.phone) })}
          confirmLabel={t("dnc.removeConfirm")}
          danger
          busy={busy}
          onConfirm={() => void confirmRemove(removing)}
          onCancel={() => setRemoving(null)}
          testId="dnc-remove-dialog"
        />
      )}
    </div>
  );
}

function AddNumber({ onAdded }: { onAdded: () => void }) {
  const { t } = useI18n();
  const [phone, setPhone] = useState("");
  const [note, setNote] = useState("");
  const [tried, setTried] = useState(false);
  const { busy, error, setError, run } = useSubmission();
  const [added, setAdded] = useState<string | null>(null);
  const missing = !phone.trim();

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    setAdded(null);
    if (missing) return;
    await run(async () => {
      const entry = await doNotCallApi.add(phone, note);
      setAdded(formatPhone(entry.phone));
      setPhone("");
      setNote("");
      setTried(false);
      onAdded();
    });
  };

  const phoneProblems = [...(tried && missing ? [t("dnc.phoneRequired")] : []), ...fieldProblems(t, error, "phone")];
  const noteProblems = fieldProblems(t, error, "note");
  return (
    <form className="card dnc-add" onSubmit={(event) => void submit(event)} noValidate data-testid="dnc-add">
      <h2>{t("dnc.addTitle")}</h2>
      <div className="dnc-add-row">
        <label className="field">
          <span>{t("dnc.phone")}</span>
          <input
            type="text"
            value={phone}
            onChange={(event) => {
              setPhone(event.target.value);
              setError(null);
            }}
            placeholder={t("dnc.phonePlaceholder")}
            aria-invalid={phoneProblems.length > 0}
            data-testid="dnc-add-phone"
          />
          <FieldProblems messages={phoneProblems} />
        </label>
        <label className="field dnc-add-note">
          <span>{t("dnc.note")}</span>
          <input type="text" value={note} maxLength={500} onChange={(event) => setNote(event.target.value)} placeholder={t("dnc.notePlaceholder")} aria-invalid={noteProblems.length > 0} data-testid="dnc-add-note" />
          <FieldProblems messages={noteProblems} />
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="dnc-add-submit">
          {t("dnc.add")}
        </button>
      </div>
      <FormProblem error={error} fields={["phone", "note"]} />
      {added && (
        <p className="muted" role="status" data-testid="dnc-added">
          {t("dnc.added", { phone: added })}
        </p>
      )}
    </form>
  );
}
