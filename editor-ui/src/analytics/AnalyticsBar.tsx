// The analytics overlay's bar above the canvas: which published version and which days, a
// legend, and the state of the count (loading, an error, no calls).

import { useEffect, useState } from "react";

import { api, type VersionSummary } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { useI18n } from "../i18n";
import { analyticsApi, type Funnel } from "./api";
import { lastSevenDays } from "./funnel";
import "./style.css";

interface AnalyticsBarProps {
  flowId: string;
  publishedVersion: number | null;
  /** Bumped after a publish so the versions are read again. */
  refreshKey: number;
  /** The funnel to draw, or null while there is none (loading, an error, no version). */
  onFunnel: (funnel: Funnel | null) => void;
  onClose: () => void;
}

export function AnalyticsBar({ flowId, publishedVersion, refreshKey, onFunnel, onClose }: AnalyticsBarProps) {
  const { t } = useI18n();
  const [versions, setVersions] = useState<VersionSummary[] | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  // The days shown start as the browser's last seven; until they are changed the server is
  // asked for its own default, the last seven days in the shop's time zone, and the days it
  // names in its answer are shown instead (the shop's today may not be the browser's).
  const [range, setRange] = useState(() => ({ ...lastSevenDays(), chosen: false }));
  const [funnel, setFunnel] = useState<Funnel | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    api.listVersions(flowId).then(
      (list) => {
        if (cancelled) return;
        const sorted = [...list].sort((a, b) => b.version - a.version);
        setVersions(sorted);
        setVersion((current) =>
          current !== null && sorted.some((v) => v.version === current)
            ? current
            : (sorted.find((v) => v.version === publishedVersion)?.version ?? sorted[0]?.version ?? null),
        );
      },
      (caught) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [flowId, publishedVersion, refreshKey]);

  useEffect(() => {
    if (version === null || !range.from || !range.to || range.from > range.to) {
      setFunnel(null);
      onFunnel(null);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    onFunnel(null);
    const days = range.chosen ? { from: range.from, to: range.to } : {};
    analyticsApi.funnel({ flowId, version, ...days }, controller.signal).then(
      (answer) => {
        setFunnel(answer);
        setLoading(false);
        onFunnel(answer);
        if (!range.chosen && answer.from && answer.to) {
          setRange((r) =>
            r.chosen || (r.from === answer.from && r.to === answer.to)
              ? r
              : { from: answer.from, to: answer.to, chosen: false },
          );
        }
      },
      (caught) => {
        if (controller.signal.aborted) return;
        setFunnel(null);
        setLoading(false);
        setError(caught);
      },
    );
    return () => controller.abort();
  }, [flowId, version, range, onFunnel]);

  const empty = funnel !== null && !loading && funnel.nodes.every((n) => n.reached === 0);

  return (
    <div className="analytics-bar" role="region" aria-label={t("analytics.bar")} data-testid="analytics-bar">
      <div className="analytics-controls">
        <strong>{t("analytics.bar")}</strong>
        <label>
          {t("analytics.version")}{" "}
          <select
            value={version ?? ""}
            onChange={(event) => setVersion(Number(event.target.value))}
            disabled={!versions || versions.length === 0}
            data-testid="analytics-version"
          >
            {versions?.map((v) => (
              <option key={v.version} value={v.version}>
                {t("analytics.versionN", { n: v.version })}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("analytics.from")}{" "}
          <input
            type="date"
            value={range.from}
            max={range.to}
            onChange={(event) => setRange((r) => ({ ...r, from: event.target.value, chosen: true }))}
            data-testid="analytics-from"
          />
        </label>
        <label>
          {t("analytics.to")}{" "}
          <input
            type="date"
            value={range.to}
            min={range.from}
            onChange={(event) => setRange((r) => ({ ...r, to: event.target.value, chosen: true }))}
            data-testid="analytics-to"
          />
        </label>
        {!range.chosen && <span className="muted small">{t("analytics.shopDays")}</span>}
        <ul className="analytics-legend" aria-label={t("analytics.bar")}>
          <li>
            <span className="stat stat-reached">👥</span> {t("analytics.legendReached")}
          </li>
          <li>
            <span className="stat stat-hungup">📵</span> {t("analytics.legendHungUp")}
          </li>
          <li>
            <span className="stat stat-nomatch">❓</span> {t("analytics.legendNoMatch")}
          </li>
          <li>
            <span className="stat stat-noinput">🔇</span> {t("analytics.legendNoInput")}
          </li>
          <li>
            <span className="legend-edge" aria-hidden="true" /> {t("analytics.legendEdge")}
          </li>
          <li>
            <span className="legend-top" aria-hidden="true" /> {t("analytics.legendTop")}
          </li>
        </ul>
        <button type="button" className="link-button" onClick={onClose} data-testid="analytics-close">
          {t("analytics.close")}
        </button>
      </div>
      {versions?.length === 0 && (
        <p className="muted small" data-testid="analytics-no-versions">
          {t("analytics.noVersions")}
        </p>
      )}
      {range.from > range.to && (
        <p className="muted small" role="status" data-testid="analytics-bad-range">
          {t("analytics.badRange")}
        </p>
      )}
      {loading && (
        <p className="muted small" role="status" data-testid="analytics-loading">
          {t("analytics.loading")}
        </p>
      )}
      {error ? <ErrorAlert error={error} /> : null}
      {empty && version !== null && (
        <p className="muted small" role="status" data-testid="analytics-empty">
          {t("analytics.empty", { n: version })}
        </p>
      )}
    </div>
  );
}
