// The editor's dialogs: publishing, and what to do when someone else saved first.

import { useState } from "react";

import { ConfirmDialog, Dialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { hasKey, useI18n } from "../i18n";
import { typeName } from "../nodes/registry";
import { hasChanges, type DraftDiff, type NodeChange } from "./draftDiff";

/** What publishing changes against the live version, with nodes by their names. */
function PublishChanges({ diff, live, nodes }: { diff: DraftDiff | null; live: number | null; nodes: number }) {
  const { t } = useI18n();
  if (live === null) return <p data-testid="publish-changes" data-state="first">{t("publish.first", { n: nodes })}</p>;
  if (diff === null) return <p className="muted" data-testid="publish-changes" data-state="loading">{t("common.loading")}</p>;
  if (!hasChanges(diff)) {
    return (
      <p className="muted" data-testid="publish-changes" data-state="same">
        {t("publish.noChanges", { n: live })}
      </p>
    );
  }
  // Nodes by the names people know, never by id.
  const name = (node: NodeChange) => node.name ?? node.label ?? typeName(t, node.type);
  const groups: [string, string, NodeChange[]][] = [
    ["added", t("publish.added", { n: diff.added.length }), diff.added],
    ["removed", t("publish.removed", { n: diff.removed.length }), diff.removed],
    ["changed", t("publish.changedNodes", { n: diff.changed.length }), diff.changed],
  ];
  const fieldName = (field: string) => {
    const key = `diff.field.${field}`;
    return hasKey(key) ? t(key) : field;
  };
  return (
    <div className="publish-changes" data-testid="publish-changes" data-state="changed">
      <p>{t("publish.changes", { n: live })}</p>
      <ul>
        {groups
          .filter(([, , nodes]) => nodes.length > 0)
          .map(([kind, title, nodes]) => (
            <li key={kind} data-testid={`publish-${kind}`}>
              {t("publish.group", { title, items: nodes.map(name).join(t("publish.separator")) })}
            </li>
          ))}
        {diff.fields.length > 0 && (
          <li data-testid="publish-fields">
            {t("publish.group", { title: t("publish.fields"), items: diff.fields.map(fieldName).join(t("publish.separator")) })}
          </li>
        )}
      </ul>
    </div>
  );
}

export function PublishDialog({
  errors,
  diff,
  live,
  nodes,
  onPublish,
  onClose,
}: {
  errors: number;
  /** The draft against the live version (`null` while the live version loads). */
  diff: DraftDiff | null;
  live: number | null;
  nodes: number;
  onPublish: (note: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const publish = async () => {
    setBusy(true);
    setError(null);
    try {
      await onPublish(note.trim());
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={t("publish.title")}
      onClose={onClose}
      testId="publish-dialog"
      footer={
        <>
          <button type="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="button" className="primary" onClick={() => void publish()} disabled={busy || errors > 0} data-testid="publish-confirm">
            {busy ? t("publish.publishing") : t("publish.confirm")}
          </button>
        </>
      }
    >
      <p>{t("publish.help")}</p>
      <PublishChanges diff={diff} live={live} nodes={nodes} />
      {errors > 0 && (
        <div className="alert alert-error" role="alert" data-testid="publish-blocked">
          {t("publish.blocked", { n: errors })}
        </div>
      )}
      <label className="field">
        <span>{t("publish.note")}</span>
        <textarea
          rows={3}
          maxLength={500}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder={t("publish.notePlaceholder")}
          data-testid="publish-note"
          data-autofocus
        />
      </label>
      <ErrorAlert error={error} />
    </Dialog>
  );
}

export function ConflictDialog({
  name,
  onReload,
  onKeepCopy,
}: {
  name: string;
  onReload: () => Promise<unknown>;
  onKeepCopy: () => Promise<unknown>;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState<"reload" | "copy" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (which: "reload" | "copy") => {
    setBusy(which);
    setError(null);
    try {
      await (which === "reload" ? onReload() : onKeepCopy());
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  };
  return (
    <Dialog title={t("conflict.title")} testId="conflict-dialog">
      <p>{t("conflict.message")}</p>
      <div className="conflict-choices">
        <button type="button" onClick={() => void run("reload")} disabled={busy !== null} data-testid="conflict-reload">
          <strong>{t("conflict.reload")}</strong>
          <span className="muted small">{t("conflict.reloadHelp")}</span>
        </button>
        <button type="button" className="primary" onClick={() => void run("copy")} disabled={busy !== null} data-testid="conflict-keep-copy">
          <strong>{t("conflict.keepCopy")}</strong>
          <span className="small">{t("conflict.keepCopyHelp", { name: t("list.copyName", { name }) })}</span>
        </button>
      </div>
      <ErrorAlert error={error} />
    </Dialog>
  );
}

export function RestoreDialog({ version, onConfirm, onCancel }: { version: number; onConfirm: () => Promise<unknown>; onCancel: () => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <ConfirmDialog
      title={t("restore.title", { n: version })}
      message={t("restore.message", { n: version })}
      confirmLabel={t("restore.confirm")}
      busy={busy}
      testId="restore-dialog"
      onCancel={onCancel}
      onConfirm={async () => {
        setBusy(true);
        setError(null);
        try {
          await onConfirm();
        } catch (caught) {
          setError(caught);
          setBusy(false);
        }
      }}
    >
      <ErrorAlert error={error} />
    </ConfirmDialog>
  );
}
