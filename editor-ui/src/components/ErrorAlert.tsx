import { ApiError } from "../api";
import { problemMessage, useI18n } from "../i18n";

/** An error for people: what went wrong in their words, then the server's own detail. */
export function ErrorAlert({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  const { t } = useI18n();
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  const headline = problemMessage(t, error);
  const detail = apiError?.detail && apiError.detail !== headline ? apiError.detail : null;
  return (
    <div className="alert alert-error" role="alert" data-testid="error-alert" data-code={apiError?.code}>
      <div className="alert-text">
        <strong>{headline}</strong>
        {detail && <div className="alert-detail">{detail}</div>}
        {apiError && apiError.errors.length > 0 && (
          <ul className="alert-list">
            {apiError.errors.map((item, index) => (
              <li key={index}>
                {item.node ? <code>{item.node}</code> : null} {item.field && <code>{item.field}</code>} {item.message}
              </li>
            ))}
          </ul>
        )}
        {apiError && apiError.code && <div className="alert-code">{t("error.code", { code: apiError.code })}</div>}
      </div>
      {onDismiss && (
        <button type="button" className="icon-button" onClick={onDismiss} aria-label={t("common.dismiss")}>
          ×
        </button>
      )}
    </div>
  );
}
