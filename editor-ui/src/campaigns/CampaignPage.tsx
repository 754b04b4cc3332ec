// One campaign: its status and the moves it allows (start and resume only for owners, stop
// after a confirmation), its progress (polled while it runs), each contact's result with its
// calls, the survey report over the flow's result variables, and the results as a file.

import { useCallback, useEffect, useState } from "react";

import { ConfirmDialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { Pager } from "../components/Pager";
import { formatPhone } from "../contacts/phone";
import { downloadBlob } from "../files";
import { formatTime, useI18n, type MessageKey } from "../i18n";
import { CAMPAIGNS_HREF, campaignEditHref, navigate } from "../router";
import { campaignsApi, type Action, type Campaign, type ContactResultPage, type Progress, type Report, type ResultValue, type VariableReport } from "./api";
import { attemptResultName, contactOutcomeName, contactStatusName, finalStatusName, kindName, npsGroups, statusName } from "./words";
import "../contacts/style.css";
import "./style.css";

/** How often a running campaign's progress and contacts are read again. */
export const POLL_MS = 3_000;
const PAGE_SIZE = 50;

/** The final statuses a contact may end with, for the filter. */
const FINAL_STATUSES = ["queued", "dialing", "completed", "busy", "no_answer", "failed", "voicemail", "opted_out", "do_not_call", "schedule_ended", "not_reached", "stopped", "removed", "interrupted"];

/** What each status allows, in the order the buttons show. */
export function allowedActions(status: string): Action[] {
  switch (status) {
    case "draft":
      return ["start"];
    case "running":
      return ["pause", "stop"];
    case "paused":
      return ["resume", "stop"];
    default:
      return [];
  }
}

export function CampaignPage({ campaignId, canEdit, isOwner }: { campaignId: string; canEdit: boolean; isOwner: boolean }) {
  const { t, lang } = useI18n();
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [contacts, setContacts] = useState<ContactResultPage | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [status, setStatus] = useState("");
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<"stop" | "delete" | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const failed = (caught: unknown) => {
      if (!(caught instanceof DOMException && caught.name === "AbortError")) setError(caught);
    };
    campaignsApi.get(campaignId, controller.signal).then(setCampaign, failed);
    campaignsApi.progress(campaignId, controller.signal).then(setProgress, failed);
    campaignsApi.report(campaignId, controller.signal).then(setReport, failed);
    return () => controller.abort();
  }, [campaignId, tick]);

  useEffect(() => {
    const controller = new AbortController();
    campaignsApi.contacts(campaignId, { status, offset, limit: PAGE_SIZE }, controller.signal).then(setContacts, (caught) => {
      if (!(caught instanceof DOMException && caught.name === "AbortError")) setError(caught);
    });
    return () => controller.abort();
  }, [campaignId, status, offset, tick]);

  const running = campaign?.status === "running";
  // Calls still on after a pause or a stop finish on their own: followed until they have.
  const live = running || (progress?.in_progress ?? 0) > 0 || (contacts?.contacts ?? []).some((contact) => contact.state === "dialing");
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setTick((n) => n + 1), POLL_MS);
    return () => clearInterval(timer);
  }, [live]);

  const refresh = useCallback(() => setTick((n) => n + 1), []);

  const steer = async (action: Action) => {
    setBusy(true);
    setError(null);
    try {
      setCampaign(await campaignsApi.steer(campaignId, action));
      refresh();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await campaignsApi.remove(campaignId);
      navigate(CAMPAIGNS_HREF);
    } catch (caught) {
      setError(caught);
      setBusy(false);
      setConfirming(null);
    }
  };

  const exportAs = async (format: "csv" | "xlsx") => {
    setError(null);
    try {
      const { blob, fileName } = await campaignsApi.exportFile(campaignId, format);
      // Named after the campaign, as its people know it; the server's name is its id.
      const extension = fileName?.split(".").pop() ?? format;
      downloadBlob(blob, campaign ? `${campaign.name.replace(/[\\/:*?"<>|]/g, "_")}.${extension}` : (fileName ?? `${campaignId}.${format}`));
    } catch (caught) {
      setError(caught);
    }
  };

  if (!campaign) return error ? <ErrorAlert error={error} /> : <p className="muted">{t("common.loading")}</p>;

  const actions = allowedActions(campaign.status);
  const resultColumns = contacts?.columns ?? [];
  return (
    <div className="list-page campaign-page" data-testid="campaign-page" data-status={campaign.status}>
      <div className="list-toolbar">
        <a href={CAMPAIGNS_HREF} className="back-link">
          ← {t("campaigns.back")}
        </a>
      </div>
      <div className="list-toolbar campaign-heading">
        <h1 data-testid="campaign-title">{campaign.name}</h1>
        <span className={`campaign-status status-${campaign.status}`} data-testid="campaign-status">
          {statusName(t, campaign.status)}
        </span>
        <div className="header-spacer" />
        {canEdit &&
          actions.map((action) => {
            const ownersOnly = (action === "start" || action === "resume") && !isOwner;
            return (
              <button
                key={action}
                type="button"
                className={action === "stop" ? "danger" : action === "start" || action === "resume" ? "primary" : undefined}
                disabled={busy || ownersOnly}
                title={ownersOnly ? t("campaign.ownersOnly") : undefined}
                onClick={() => (action === "stop" ? setConfirming("stop") : void steer(action))}
                data-testid={`campaign-${action}`}
              >
                {t(`campaign.${action}` as MessageKey)}
              </button>
            );
          })}
        {canEdit && (campaign.status === "draft" || campaign.status === "paused") && (
          <button type="button" onClick={() => navigate(campaignEditHref(campaign.id))} data-testid="campaign-edit">
            {t("campaign.edit")}
          </button>
        )}
        {canEdit && campaign.status === "draft" && (
          <button type="button" className="danger-text" onClick={() => setConfirming("delete")} data-testid="campaign-delete">
            {t("campaign.delete")}
          </button>
        )}
      </div>
      <p className="muted">
        {kindName(t, campaign.kind)} · {t("campaign.summary", { flow: campaign.flow_title, version: campaign.flow_version, list: campaign.list_name })}
      </p>
      {canEdit && !isOwner && actions.some((action) => action === "start" || action === "resume") && (
        <div className="alert alert-info" data-testid="campaign-owners-only">
          {t("campaign.ownersOnly")}
        </div>
      )}
      {!canEdit && <div className="alert alert-info">{t("campaigns.readOnly")}</div>}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      {/* A draft has nothing to count yet. */}
      {progress && campaign.status !== "draft" && <ProgressCard progress={progress} running={live} />}

      <section className="card campaign-section" data-testid="campaign-results">
        <div className="list-toolbar">
          <h2>{t("campaign.results")}</h2>
          <div className="header-spacer" />
          <select
            value={status}
            className="campaign-filter"
            aria-label={t("campaign.filterStatus")}
            onChange={(event) => {
              setStatus(event.target.value);
              setOffset(0);
            }}
            data-testid="campaign-status-filter"
          >
            <option value="">{t("campaign.allStatuses")}</option>
            {FINAL_STATUSES.map((one) => (
              <option key={one} value={one}>
                {finalStatusName(t, one)}
              </option>
            ))}
          </select>
        </div>
        {contacts === null ? (
          <p className="muted">{t("common.loading")}</p>
        ) : contacts.total === 0 ? (
          <p className="empty" data-testid="campaign-contacts-empty">
            {status ? t("campaign.noMatch") : t("campaign.noContacts")}
          </p>
        ) : (
          <div className="contacts-scroll">
            <table className="flow-table contacts-table" data-testid="campaign-contacts" data-total={contacts.total}>
              <thead>
                <tr>
                  <th scope="col">{t("campaign.phone")}</th>
                  <th scope="col">{t("campaign.contactName")}</th>
                  {campaign.kind === "date" && <th scope="col">{t("campaign.date")}</th>}
                  <th scope="col">{t("campaign.contactStatus")}</th>
                  <th scope="col">{t("campaign.attempts")}</th>
                  <th scope="col">{t("campaign.outcome")}</th>
                  {resultColumns.map((column) => (
                    <th scope="col" key={column.var} data-var={column.var}>
                      {column.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {contacts.contacts.map((contact) => (
                  <tr key={`${contact.contact_id}-${contact.occurrence}`} data-testid="campaign-contact" data-state={contact.state} data-note={contact.note}>
                    <td className="contacts-phone">{formatPhone(contact.phone)}</td>
                    <td>{contact.name}</td>
                    {campaign.kind === "date" && <td>{contact.occurrence}</td>}
                    <td data-testid="campaign-contact-status">{contactStatusName(t, contact)}</td>
                    <td className="small" data-testid="campaign-contact-attempts">
                      {contact.attempts.map((attempt) => (
                        <div key={attempt.attempt}>{t("campaign.attemptLine", { n: attempt.attempt, time: formatTime(lang, attempt.started_at), result: attemptResultName(t, attempt.result) })}</div>
                      ))}
                    </td>
                    <td>{contactOutcomeName(t, contact.outcome)}</td>
                    {resultColumns.map((column) => (
                      <td key={column.var}>{valueText(contact.results[column.var])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager offset={offset} shown={contacts.contacts.length} total={contacts.total} pageSize={PAGE_SIZE} onOffset={setOffset} />
          </div>
        )}
      </section>

      {report && <ReportCard report={report} />}

      <section className="card campaign-section campaign-export">
        <h2>{t("campaign.export")}</h2>
        <div className="row-actions">
          <button type="button" onClick={() => void exportAs("csv")} data-testid="campaign-export-csv">
            {t("campaign.exportCsv")}
          </button>
          <button type="button" onClick={() => void exportAs("xlsx")} data-testid="campaign-export-xlsx">
            {t("campaign.exportXlsx")}
          </button>
        </div>
      </section>

      {confirming === "stop" && (
        <ConfirmDialog title={t("campaign.stopTitle")} message={t("campaign.stopMessage", { name: campaign.name })} confirmLabel={t("campaign.stopConfirm")} danger busy={busy} onConfirm={() => void steer("stop")} onCancel={() => setConfirming(null)} testId="campaign-stop-dialog" />
      )}
      {confirming === "delete" && (
        <ConfirmDialog title={t("campaign.deleteTitle")} message={t("campaign.deleteMessage", { name: campaign.name })} confirmLabel={t("campaign.deleteConfirm")} danger busy={busy} onConfirm={() => void remove()} onCancel={() => setConfirming(null)} testId="campaign-delete-dialog" />
      )}
    </div>
  );
}

function valueText(value: ResultValue | undefined): string {
  if (value === undefined || value === null) return "";
  return String(value);
}

export function ProgressCard({ progress, running }: { progress: Progress; running: boolean }) {
  const { t, lang } = useI18n();
  const done = progress.contacts - progress.remaining;
  const percent = progress.contacts > 0 ? Math.round((done / progress.contacts) * 100) : 0;
  const counts: [MessageKey, number, string][] = [
    ["campaign.contacts", progress.contacts, "contacts"],
    ["campaign.dialed", progress.dialed, "dialed"],
    ["campaign.answered", progress.answered, "answered"],
    ["campaign.completed", progress.completed, "completed"],
    ["campaign.optedOut", progress.opted_out, "opted-out"],
    ["campaign.remaining", progress.remaining, "remaining"],
    ["campaign.inProgress", progress.in_progress, "in-progress"],
  ];
  const statuses = Object.entries(progress.by_status).filter(([, count]) => count > 0);
  return (
    <section className="card campaign-section" data-testid="campaign-progress">
      <div className="list-toolbar">
        <h2>{t("campaigns.progress")}</h2>
        <div className="header-spacer" />
        {running && <span className="muted small">{t("campaign.live", { seconds: POLL_MS / 1000 })}</span>}
      </div>
      <div className="campaign-counts">
        {counts.map(([key, value, id]) => (
          <div key={id} className="campaign-count" data-testid={`progress-${id}`} data-value={value}>
            <span className="campaign-count-value">{value}</span>
            <span className="muted small">{t(key)}</span>
          </div>
        ))}
      </div>
      <div className="campaign-bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-label={t("campaign.done", { done, total: progress.contacts })}>
        <div className="campaign-bar-fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="small">
        {t("campaign.done", { done, total: progress.contacts })} · {t("campaign.rate", { n: Math.round(progress.calls_per_minute * 10) / 10 })} ·{" "}
        <span data-testid="progress-eta">{progress.eta_ms ? t("campaign.eta", { time: formatTime(lang, progress.eta_ms) }) : t("campaign.etaUnknown")}</span>
      </p>
      {statuses.length > 0 && (
        <div data-testid="progress-by-status">
          <h3 className="small">{t("campaign.byStatus")}</h3>
          <ul className="campaign-statuses">
            {statuses.map(([status, count]) => (
              <li key={status} data-status={status}>
                {t("campaign.statusCount", { status: finalStatusName(t, status), n: count })}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

export function ReportCard({ report }: { report: Report }) {
  const { t } = useI18n();
  return (
    <section className="card campaign-section" data-testid="campaign-report">
      <h2>{t("campaign.report")}</h2>
      {report.results.length === 0 ? (
        <p className="empty" data-testid="campaign-report-empty">
          {t("campaign.reportEmpty")}
        </p>
      ) : (
        <div className="campaign-report-grid">
          {report.results.map((variable) => (
            <VariableCard key={variable.var} variable={variable} />
          ))}
        </div>
      )}
    </section>
  );
}

function VariableCard({ variable }: { variable: VariableReport }) {
  const { t, lang } = useI18n();
  const most = Math.max(1, ...variable.distribution.map((value) => value.count), ...variable.groups.map((group) => group.count));
  const nps = variable.nps !== null ? npsGroups(variable.distribution) : null;
  return (
    <div className="campaign-variable" data-testid="report-variable" data-var={variable.var} data-kind={variable.kind}>
      <h3>{variable.label || variable.var}</h3>
      <p className="muted small">
        {t("campaign.answers", { n: variable.count })}
        {variable.mean !== null && <> · {t("campaign.mean", { mean: variable.mean.toFixed(1) })}</>}
      </p>
      {variable.nps !== null && nps && (
        <div className="campaign-nps" data-testid="report-nps">
          <strong>{t("campaign.nps", { nps: Math.round(variable.nps) })}</strong>
          <div className="small">
            <span className="nps-promoters">{t("campaign.promoters", { n: nps.promoters })}</span> · <span>{t("campaign.passives", { n: nps.passives })}</span> · <span className="nps-detractors">{t("campaign.detractors", { n: nps.detractors })}</span>
          </div>
          <p className="field-help">{t("campaign.npsHelp")}</p>
        </div>
      )}
      {variable.distribution.length > 0 && (
        <ul className="campaign-bars" data-testid="report-distribution">
          {variable.distribution.map((value) => (
            <li key={value.value} aria-label={t("campaign.barLabel", { value: value.value, n: value.count })}>
              <span className="campaign-bars-label">{value.value}</span>
              <span className="campaign-bars-track">
                <span className="campaign-bars-fill" style={{ width: `${(value.count / most) * 100}%` }} />
              </span>
              <span className="campaign-bars-count">{value.count}</span>
            </li>
          ))}
        </ul>
      )}
      {variable.groups.length > 0 && (
        <>
          <h4 className="small">{t("campaign.reasons", { n: variable.count })}</h4>
          <p className="field-help">{t("campaign.reasonsHelp")}</p>
          <ul className="campaign-bars campaign-reasons" data-testid="report-groups">
            {variable.groups.map((group) => (
              <li key={group.text} data-testid="report-group">
                <span className="campaign-bars-label campaign-reason">{group.text}</span>
                <span className="campaign-bars-track">
                  <span className="campaign-bars-fill" style={{ width: `${(group.count / most) * 100}%` }} />
                </span>
                <span className="campaign-bars-count">{group.count}</span>
                {group.wordings.length > 1 && (
                  <span className="campaign-wordings muted small" data-testid="report-wordings">
                    {t("campaign.wordings", { list: group.wordings.map((wording) => `${wording.text} (${wording.count})`).join(lang === "zh-CN" ? "、" : ", ") })}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {variable.other > 0 && variable.groups.length === 0 && <p className="muted small">{t("campaign.otherAnswers", { n: variable.other })}</p>}
    </div>
  );
}
