// The tenant's outbound campaigns: each with its kind, flow and list by name, status and
// progress in words; editors make a new one.

import { useEffect, useState } from "react";

import { ErrorAlert } from "../components/ErrorAlert";
import { useI18n } from "../i18n";
import { campaignHref, navigate, NEW_CAMPAIGN_HREF } from "../router";
import { campaignsApi, type Campaign, type Progress } from "./api";
import { kindName, progressSummary, statusName } from "./words";
import "../contacts/style.css";
import "./style.css";

export function CampaignsPage({ canEdit }: { canEdit: boolean }) {
  const { t } = useI18n();
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [progress, setProgress] = useState<Record<string, Progress>>({});
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    campaignsApi.list(controller.signal).then(
      (found) => {
        setCampaigns(found);
        // Drafts have nothing to count; the others' progress fills in as it comes.
        for (const campaign of found.filter((one) => one.status !== "draft")) {
          campaignsApi.progress(campaign.id, controller.signal).then(
            (counted) => setProgress((known) => ({ ...known, [campaign.id]: counted })),
            () => {},
          );
        }
      },
      (caught) => {
        if (!(caught instanceof DOMException && caught.name === "AbortError")) setError(caught);
      },
    );
    return () => controller.abort();
  }, []);

  return (
    <div className="list-page campaigns-page" data-testid="campaigns-page">
      <div className="list-toolbar">
        <h1>{t("campaigns.title")}</h1>
        <div className="header-spacer" />
        {canEdit && (
          <button type="button" className="primary" onClick={() => navigate(NEW_CAMPAIGN_HREF)} data-testid="campaigns-create">
            {t("campaigns.create")}
          </button>
        )}
      </div>
      <p className="drop-hint">{t("campaigns.help")}</p>
      {!canEdit && <div className="alert alert-info">{t("campaigns.readOnly")}</div>}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {campaigns === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : campaigns && campaigns.length === 0 ? (
        <p className="empty" data-testid="campaigns-empty">
          {t("campaigns.empty")}
        </p>
      ) : (
        campaigns && (
          <table className="flow-table" data-testid="campaigns-table">
            <thead>
              <tr>
                <th scope="col">{t("campaigns.name")}</th>
                <th scope="col">{t("campaigns.kind")}</th>
                <th scope="col">{t("campaigns.flow")}</th>
                <th scope="col">{t("campaigns.list")}</th>
                <th scope="col">{t("campaigns.status")}</th>
                <th scope="col">{t("campaigns.progress")}</th>
              </tr>
            </thead>
            <tbody>
              {campaigns.map((campaign) => (
                <tr key={campaign.id} data-testid="campaign-row" data-status={campaign.status}>
                  <td>
                    <a href={campaignHref(campaign.id)} data-testid="campaign-link">
                      {campaign.name}
                    </a>
                  </td>
                  <td>{kindName(t, campaign.kind)}</td>
                  <td>{campaign.flow_title}</td>
                  <td>{campaign.list_name}</td>
                  <td>
                    <span className={`campaign-status status-${campaign.status}`} data-testid="campaign-status">
                      {statusName(t, campaign.status)}
                    </span>
                  </td>
                  <td className="muted" data-testid="campaign-progress">
                    {progressSummary(t, progress[campaign.id] ?? null)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </div>
  );
}
