// The shop's usage against its quotas (owners only): calls and chats open now, turns this
// second, API requests this minute, storage as last measured, each beside its limit.

import { ErrorAlert } from "../components/ErrorAlert";
import { useLoaded } from "../components/useLoaded";
import { useI18n, type MessageKey } from "../i18n";
import { settingsApi, type QuotaName } from "./api";

const NAMES: Record<QuotaName, MessageKey> = {
  concurrent_calls: "usage.concurrent_calls",
  concurrent_chats: "usage.concurrent_chats",
  turns_per_second: "usage.turns_per_second",
  api_requests_per_minute: "usage.api_requests_per_minute",
  storage_mb: "usage.storage_mb",
};

export function UsageSection() {
  const { t, lang } = useI18n();
  const { value: quotas, error, setError, refresh } = useLoaded((signal) => settingsApi.usage(signal));

  /** Reads the numbers again; once they are here, a failed reading's message no longer holds. */
  const reread = async () => {
    if (await refresh()) setError(null);
  };

  const number = (value: number) => value.toLocaleString(lang);
  if (quotas === null) return error ? <ErrorAlert error={error} /> : <p className="muted">{t("common.loading")}</p>;
  return (
    <div data-testid="usage-section">
      <p className="muted small">{t("usage.help")}</p>
      {error !== null && <ErrorAlert error={error} />}
      <table className="flow-table usage-table" data-testid="usage-table">
        <thead>
          <tr>
            <th>{t("usage.quota")}</th>
            <th className="number">{t("usage.used")}</th>
            <th className="number">{t("usage.limit")}</th>
            <th aria-hidden="true"></th>
          </tr>
        </thead>
        <tbody>
          {quotas.map((quota) => {
            const share = quota.limit > 0 ? Math.min(1, quota.used / quota.limit) : 1;
            return (
              <tr key={quota.quota} data-testid={`usage-${quota.quota}`}>
                <td>{t(NAMES[quota.quota])}</td>
                <td className="number">{number(quota.used)}</td>
                <td className="number">
                  {number(quota.limit)} {quota.default && <span className="muted small">{t("usage.default")}</span>}
                </td>
                <td className="usage-bar-cell">
                  <span className={`usage-bar${share >= 0.9 ? " full" : ""}`}>
                    <span style={{ width: `${Math.round(share * 100)}%` }} />
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button type="button" onClick={() => void reread()} data-testid="usage-refresh">
        {t("usage.refresh")}
      </button>
    </div>
  );
}
