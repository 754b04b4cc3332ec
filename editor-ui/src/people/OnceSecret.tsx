// A secret shown once (an invite link, an API key): in a read-only box with a copy button and
// the warning that it will not be shown again.

import { useState } from "react";

import { Dialog } from "../components/Dialog";
import { useI18n } from "../i18n";

export function OnceSecret({
  title,
  warning,
  caption,
  value,
  copyLabel,
  onClose,
  testId,
}: {
  title: string;
  warning: string;
  caption?: string;
  value: string;
  copyLabel: string;
  onClose: () => void;
  testId: string;
}) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const [copyError, setCopyError] = useState(false);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setCopyError(false);
    } catch {
      // Without clipboard access (a page over plain HTTP), the text is selected to copy by hand.
      setCopyError(true);
    }
  };

  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId={testId}
      wide
      footer={
        <button type="button" className="primary" onClick={onClose} data-testid="secret-close">
          {t("common.close")}
        </button>
      }
    >
      <div className="alert alert-info" role="status">
        {warning}
      </div>
      {caption && <p className="muted">{caption}</p>}
      <div className="once-secret">
        <input
          readOnly
          value={value}
          onFocus={(event) => event.currentTarget.select()}
          autoFocus={copyError}
          data-testid="secret-value"
        />
        <button type="button" onClick={() => void copy()} data-testid="secret-copy">
          {copied ? `✓ ${t("people.copied")}` : copyLabel}
        </button>
      </div>
    </Dialog>
  );
}
