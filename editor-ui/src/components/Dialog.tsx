import { useEffect, useId, useRef, type ReactNode } from "react";

import { useI18n } from "../i18n";

interface DialogProps {
  title: string;
  /** Without it the dialog cannot be dismissed: a choice must be made. */
  onClose?: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  wide?: boolean;
}

/** A modal dialog: focus moves into it, Escape and the × close it, focus returns afterwards. */
export function Dialog({ title, onClose, children, footer, testId, wide }: DialogProps) {
  const { t } = useI18n();
  const titleId = useId();
  const panel = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = panel.current?.querySelector<HTMLElement>(
      "[data-autofocus], input:not([disabled]), textarea:not([disabled]), select:not([disabled]), button:not([disabled])",
    );
    (first ?? panel.current)?.focus();
    return () => previous?.focus?.();
  }, []);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      close.current?.();
    }
    if (event.key === "Tab" && panel.current) {
      const focusable = [...panel.current.querySelectorAll<HTMLElement>(
        "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])",
      )];
      if (focusable.length === 0) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  };

  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose?.()}>
      <div
        ref={panel}
        className={wide ? "dialog dialog-wide" : "dialog"}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          {onClose && (
            <button type="button" className="icon-button" onClick={onClose} aria-label={t("common.close")}>
              ×
            </button>
          )}
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-footer">{footer}</footer>}
      </div>
    </div>
  );
}

interface ConfirmProps {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  testId?: string;
  children?: ReactNode;
}

export function ConfirmDialog({ title, message, confirmLabel, danger, busy, onConfirm, onCancel, testId, children }: ConfirmProps) {
  const { t } = useI18n();
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      testId={testId}
      footer={
        <>
          <button type="button" onClick={onCancel} data-testid="confirm-cancel">
            {t("common.cancel")}
          </button>
          <button
            type="button"
            className={danger ? "danger" : "primary"}
            onClick={onConfirm}
            disabled={busy}
            data-testid="confirm-ok"
          >
            {confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-message">{message}</div>
      {children}
    </Dialog>
  );
}

/** The buttons under a form in a dialog: cancel, and submit the form. */
export function FormButtons({ submitLabel, busy, onCancel, submitTestId }: { submitLabel: string; busy?: boolean; onCancel: () => void; submitTestId?: string }) {
  const { t } = useI18n();
  return (
    <div className="dialog-footer">
      <button type="button" onClick={onCancel}>
        {t("common.cancel")}
      </button>
      <button type="submit" className="primary" disabled={busy} data-testid={submitTestId}>
        {submitLabel}
      </button>
    </div>
  );
}
