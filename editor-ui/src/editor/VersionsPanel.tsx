// Published versions: open one read-only on the canvas, or restore it into the draft.

import { useCallback, useEffect, useState } from "react";

import { api, type VersionSummary } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { formatTime, useI18n, type Translate } from "../i18n";

/** Who published, by the name people know: a person's, or an API key's. */
function publisherName(t: Translate, version: VersionSummary): string {
  // The first run publishes the example flows itself.
  if (version.created_by === "system") return t("versions.bySystem");
  const name = version.created_by_name;
  if (!name) return t("versions.byGone");
  return version.created_by.startsWith("key:") ? t("versions.byKey", { name }) : name;
}

interface VersionsPanelProps {
  flowId: string;
  publishedVersion: number | null;
  /** Bumped after a publish so the list is read again. */
  refreshKey: number;
  viewing: number | null;
  onView: (version: number) => void;
  onRestore: (version: number) => void;
}

export function VersionsPanel({ flowId, publishedVersion, refreshKey, viewing, onView, onRestore }: VersionsPanelProps) {
  const { t, lang } = useI18n();
  const [versions, setVersions] = useState<VersionSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setVersions(await api.listVersions(flowId));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [flowId]);

  useEffect(() => {
    void load();
  }, [load, refreshKey]);

  return (
    <div className="versions-panel">
      <p className="muted small">{t("versions.help")}</p>
      <ErrorAlert error={error} />
      {versions === null && !error && <p className="muted">{t("common.loading")}</p>}
      {versions?.length === 0 && <p className="muted" data-testid="versions-empty">{t("versions.none")}</p>}
      <ul className="version-list" data-testid="versions">
        {versions?.map((version) => (
          <li
            key={version.version}
            className={viewing === version.version ? "version-item viewing" : "version-item"}
            data-testid={`version-${version.version}`}
          >
            <div className="version-head">
              <strong>{t("versions.label", { n: version.version })}</strong>
              {publishedVersion === version.version && <span className="badge badge-ok">{t("versions.live")}</span>}
              <span className="muted small">{formatTime(lang, version.created_at)}</span>
            </div>
            <div className="version-note">{version.note || <span className="muted">{t("versions.noNote")}</span>}</div>
            <div className="muted small" data-testid={`version-by-${version.version}`}>
              {t("versions.by", { who: publisherName(t, version) })}
            </div>
            <div className="version-actions">
              <button type="button" onClick={() => onView(version.version)} data-testid={`version-view-${version.version}`} aria-pressed={viewing === version.version}>
                {t("versions.view")}
              </button>
              <button type="button" onClick={() => onRestore(version.version)} data-testid={`version-restore-${version.version}`}>
                {t("versions.restore")}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
