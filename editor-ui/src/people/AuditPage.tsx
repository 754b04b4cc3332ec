// The audit log, for owners: who did what and when, filtered by person or key, by kind of
// change and by days, a page at a time. Opened from the people page, it shows what concerns
// one person.

import { useCallback, useEffect, useState, type FormEvent } from "react";

import { isAbortError } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { formatTime, useI18n } from "../i18n";
import { auditHref, navigate } from "../router";
import { peopleApi, type ApiKey, type AuditEntry, type AuditFilter, type Person } from "./api";
import { actionText, actorText, areaText, AUDIT_AREAS } from "./audit";
import { roleKey } from "./PeoplePage";
import "./style.css";

export function AuditPage({ filter }: { filter: AuditFilter }) {
  const { t, lang } = useI18n();
  const [draft, setDraft] = useState<AuditFilter>(filter);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [people, setPeople] = useState<Person[]>([]);
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setDraft(filter), [filter]);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([peopleApi.list(controller.signal), peopleApi.listKeys(controller.signal)])
      .then(([found, foundKeys]) => {
        setPeople(found.users);
        setKeys(foundKeys);
      })
      .catch((caught) => {
        if (!isAbortError(caught)) setError(caught);
      });
    return () => controller.abort();
  }, []);

  const load = useCallback(
    async (after: string | null, signal?: AbortSignal) => {
      setBusy(true);
      setError(null);
      try {
        const page = await peopleApi.audit(filter, after, signal);
        setEntries((current) => (after ? [...(current ?? []), ...page.entries] : page.entries));
        setCursor(page.next_cursor ?? null);
      } catch (caught) {
        if (isAbortError(caught)) return;
        setError(caught);
      } finally {
        setBusy(false);
      }
    },
    [filter],
  );

  useEffect(() => {
    const controller = new AbortController();
    setEntries(null);
    void load(null, controller.signal);
    return () => controller.abort();
  }, [load]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(auditHref(draft));
  };

  const objectName = people.find((person) => person.id === filter.object)?.display_name ?? keys.find((key) => key.id === filter.object)?.name;

  return (
    <div className="list-page" data-testid="audit-page">
      <div className="list-toolbar">
        <h1>{t("audit.title")}</h1>
      </div>
      <p className="drop-hint">{t("audit.help")}</p>
      {filter.object && (
        <div className="alert alert-info" role="status" data-testid="audit-object">
          {t("audit.objectFilter", { name: objectName ?? t("audit.gone") })}{" "}
          <a href={auditHref({ ...filter, object: "" })}>{t("audit.clearObject")}</a>
        </div>
      )}
      <form className="card audit-filters" onSubmit={apply} data-testid="audit-filters">
        <label>
          {t("audit.actor")}
          <select value={draft.actor} onChange={(event) => setDraft({ ...draft, actor: event.target.value })} data-testid="audit-actor">
            <option value="">{t("audit.anyone")}</option>
            {people.map((person) => (
              <option key={person.id} value={`user:${person.id}`}>
                {person.display_name || person.email}
              </option>
            ))}
            {keys.map((key) => (
              <option key={key.id} value={`key:${key.id}`}>
                {t("nav.apiKeys")}: {key.name}
              </option>
            ))}
            <option value="system">{t("audit.system")}</option>
          </select>
        </label>
        <label>
          {t("audit.action")}
          <select value={draft.action} onChange={(event) => setDraft({ ...draft, action: event.target.value })} data-testid="audit-action">
            <option value="">{t("audit.anything")}</option>
            {AUDIT_AREAS.map((area) => (
              <option key={area} value={area}>
                {areaText(t, area)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("audit.from")}
          <input type="date" value={draft.from} onChange={(event) => setDraft({ ...draft, from: event.target.value })} data-testid="audit-from" />
        </label>
        <label>
          {t("audit.to")}
          <input type="date" value={draft.to} onChange={(event) => setDraft({ ...draft, to: event.target.value })} data-testid="audit-to" />
        </label>
        <button type="submit" className="primary" data-testid="audit-apply">
          {t("audit.apply")}
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {entries === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : entries && entries.length === 0 ? (
        <p className="empty" data-testid="audit-empty">
          {t("audit.empty")}
        </p>
      ) : (
        <table className="flow-table" data-testid="audit-table">
          <thead>
            <tr>
              <th>{t("audit.when")}</th>
              <th>{t("audit.who")}</th>
              <th>{t("audit.what")}</th>
              <th>{t("audit.object")}</th>
            </tr>
          </thead>
          <tbody>
            {entries?.map((entry) => (
              <tr key={entry.id} data-testid="audit-row" data-action={entry.action}>
                <td>{formatTime(lang, entry.at)}</td>
                <td>{actorText(t, entry)}</td>
                <td>
                  {actionText(t, entry.action)}
                  {typeof entry.detail.role === "string" && <span className="audit-detail"> · {t(roleKey(entry.detail.role))}</span>}
                </td>
                <td>{entry.object_name ?? detailName(entry) ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" disabled={busy} onClick={() => void load(cursor)} data-testid="audit-more">
          {t("audit.more")}
        </button>
      )}
    </div>
  );
}

/** A name the entry's detail gives for its object (an invite's email, a flow's name, a
 * knowledge entry's question, the knowledge base a change was made to). */
function detailName(entry: AuditEntry): string | null {
  for (const field of ["name", "display_name", "email", "question", "base_name"]) {
    const value = entry.detail[field];
    if (typeof value === "string" && value) return value;
  }
  return null;
}
