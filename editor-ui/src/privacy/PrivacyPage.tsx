// Privacy for the shop's owners: how long conversations are kept, and a person's request to
// see or erase their data, answered in one go: find them, export the file, or erase it all
// after one confirmation.

import { useEffect, useState } from "react";

import { ConfirmDialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useSubmission } from "../components/useLoaded";
import { downloadJson } from "../files";
import { formatTime, useI18n } from "../i18n";
import { privacyApi, retentionDays, type Erased, type Found, type SubjectKind } from "./api";
import "./style.css";

export function PrivacyPage({ isOwner }: { isOwner: boolean }) {
  const { t } = useI18n();
  return (
    <div className="list-page privacy-page" data-testid="privacy-page">
      <div className="list-toolbar">
        <h1>{t("privacy.title")}</h1>
      </div>
      {isOwner ? (
        <>
          <RetentionCard />
          <SubjectCard />
        </>
      ) : (
        <p className="muted" data-testid="privacy-owners-only">
          {t("privacy.ownersOnly")}
        </p>
      )}
    </div>
  );
}

function RetentionCard() {
  const { t } = useI18n();
  const [keep, setKeep] = useState(true);
  const [days, setDays] = useState("");
  const [loaded, setLoaded] = useState(false);
  const [saved, setSaved] = useState(false);
  const { busy, error, setError, run } = useSubmission();

  useEffect(() => {
    let live = true;
    privacyApi.retention().then(
      (current) => {
        if (!live) return;
        setKeep(current === null);
        setDays(current === null ? "" : String(current));
        setLoaded(true);
      },
      (caught) => live && setError(caught),
    );
    return () => {
      live = false;
    };
  }, []);

  const chosen = keep ? null : retentionDays(days);
  const invalid = !keep && chosen === null;

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    if (invalid) return;
    setSaved(false);
    await run(async () => {
      const current = await privacyApi.setRetention(chosen);
      setDays(current === null ? "" : String(current));
      setSaved(true);
    });
  };

  return (
    <form className="card privacy-card" onSubmit={(event) => void save(event)} data-testid="privacy-retention">
      <h2>{t("privacy.retention")}</h2>
      <p className="muted small">{t("privacy.retentionHelp")}</p>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      <label className="privacy-choice">
        <input type="radio" name="retention" checked={keep} disabled={!loaded} onChange={() => setKeep(true)} data-testid="privacy-keep" />
        {t("privacy.keepForever")}
      </label>
      <label className="privacy-choice">
        <input type="radio" name="retention" checked={!keep} disabled={!loaded} onChange={() => setKeep(false)} data-testid="privacy-limit" />
        {t("privacy.keepDays")}
        <input
          type="number"
          min={1}
          max={3650}
          className="privacy-days"
          value={days}
          disabled={!loaded || keep}
          aria-invalid={invalid && days !== ""}
          onChange={(event) => {
            setDays(event.target.value);
            setSaved(false);
          }}
          data-testid="privacy-days"
        />
        {t("privacy.days")}
      </label>
      {invalid && days !== "" && <p className="privacy-invalid">{t("privacy.daysInvalid")}</p>}
      <div className="privacy-actions">
        <button type="submit" className="primary" disabled={!loaded || busy || invalid} data-testid="privacy-save">
          {t("privacy.save")}
        </button>
        {saved && (
          <span className="muted" role="status" data-testid="privacy-saved">
            {t("privacy.saved")}
          </span>
        )}
      </div>
    </form>
  );
}

function SubjectCard() {
  const { t, lang } = useI18n();
  const [kind, setKind] = useState<SubjectKind>("phone");
  const [value, setValue] = useState("");
  const [found, setFound] = useState<Found | null>(null);
  const [erased, setErased] = useState<Erased | null>(null);
  const [confirming, setConfirming] = useState(false);
  const { busy, error, setError, run } = useSubmission();

  const find = (event: React.FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return;
    void run(async () => {
      setErased(null);
      setFound(await privacyApi.find(kind, value));
    });
  };

  const exportData = () =>
    void run(async () => {
      const document = await privacyApi.exportData(kind, value);
      downloadJson(document, "personal-data.json");
    });

  const erase = () =>
    void run(async () => {
      setConfirming(false);
      setErased(await privacyApi.erase(kind, value));
      setFound(await privacyApi.find(kind, value));
    });

  const placeholder = {
    phone: t("privacy.placeholderPhone"),
    visitor: t("privacy.placeholderVisitor"),
    customer: t("privacy.placeholderCustomer"),
  }[kind];
  const total = found ? found.conversations.length : 0;

  return (
    <section className="card privacy-card" data-testid="privacy-subject">
      <h2>{t("privacy.subject")}</h2>
      <p className="muted small">{t("privacy.subjectHelp")}</p>
      <form className="privacy-search" onSubmit={find}>
        <label className="privacy-kind">
          {t("privacy.kind")}
          <select
            value={kind}
            onChange={(event) => {
              setKind(event.target.value as SubjectKind);
              setFound(null);
              setErased(null);
            }}
            data-testid="privacy-kind"
          >
            <option value="phone">{t("privacy.kindPhone")}</option>
            <option value="visitor">{t("privacy.kindVisitor")}</option>
            <option value="customer">{t("privacy.kindCustomer")}</option>
          </select>
        </label>
        <input
          type="text"
          value={value}
          required
          maxLength={200}
          placeholder={placeholder}
          aria-label={placeholder}
          onChange={(event) => {
            setValue(event.target.value);
            setFound(null);
          }}
          data-testid="privacy-value"
        />
        <button type="submit" className="primary" disabled={busy || !value.trim()} data-testid="privacy-find">
          {t("privacy.find")}
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {erased && (
        <div className="alert alert-info" role="status" data-testid="privacy-erased">
          {t("privacy.erased", {
            conversations: erased.conversations,
            events: erased.events,
            handoffs: erased.handoffs,
            unheard: erased.unheard_texts,
          })}
        </div>
      )}
      {found && (
        <div className="privacy-found" data-testid="privacy-found">
          <p data-testid="privacy-counts">
            {total === 0 ? t("privacy.nothing") : t("privacy.found", { calls: found.calls, chats: found.chats, events: found.events })}
          </p>
          {total > 0 && (
            <>
              <table className="privacy-table">
                <thead>
                  <tr>
                    <th>{t("privacy.started")}</th>
                    <th>{t("privacy.channel")}</th>
                    <th>{t("privacy.ended")}</th>
                  </tr>
                </thead>
                <tbody>
                  {found.conversations.map((conversation) => (
                    <tr key={conversation.id}>
                      <td>{formatTime(lang, conversation.started_at)}</td>
                      <td>{conversation.channel === "phone" ? t("privacy.channelPhone") : t("privacy.channelChat")}</td>
                      <td>{conversation.ended_at === null ? t("privacy.open") : formatTime(lang, conversation.ended_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="privacy-actions">
                <button type="button" onClick={exportData} disabled={busy} data-testid="privacy-export">
                  {t("privacy.export")}
                </button>
                <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={busy} data-testid="privacy-erase">
                  {t("privacy.erase")}
                </button>
              </div>
            </>
          )}
        </div>
      )}
      {confirming && found && (
        <ConfirmDialog
          title={t("privacy.eraseTitle")}
          message={t("privacy.eraseConfirm", { who: found.subject.value, count: total })}
          confirmLabel={t("privacy.eraseOk")}
          danger
          busy={busy}
          onConfirm={erase}
          onCancel={() => setConfirming(false)}
          testId="privacy-erase-dialog"
        />
      )}
    </section>
  );
}
