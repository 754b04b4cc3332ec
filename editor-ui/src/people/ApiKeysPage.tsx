// The tenant's API keys, for its owners: making one (its secret shown once), the list without
// secrets, and revoking one after a confirmation.

import { useState, type FormEvent } from "react";

import { ConfirmDialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded } from "../components/useLoaded";
import { formatTime, useI18n } from "../i18n";
import { peopleApi, ROLES, type ApiKey, type Role } from "./api";
import { OnceSecret } from "./OnceSecret";
import { roleKey } from "./PeoplePage";
import "./style.css";

export function ApiKeysPage() {
  const { t, lang } = useI18n();
  const { value: keys, setValue: setKeys, error, setError, refresh } = useLoaded((signal) => peopleApi.listKeys(signal));
  const { busy, run } = useAction(setError);
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const [created, setCreated] = useState<{ key: ApiKey; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    await run(async () => {
      const made = await peopleApi.createKey(name.trim(), role);
      setCreated(made);
      setKeys((current) => [made.key, ...(current ?? [])]);
      setName("");
    });
  };

  const revoke = async (key: ApiKey) => {
    await run(async () => {
      await peopleApi.revokeKey(key.id);
      await refresh();
    });
    setRevoking(null);
  };

  return (
    <div className="list-page" data-testid="keys-page">
      <div className="list-toolbar">
        <h1>{t("keys.title")}</h1>
      </div>
      <p className="drop-hint">{t("keys.help")}</p>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      <form className="card audit-filters" onSubmit={(event) => void create(event)} data-testid="key-create">
        <label>
          {t("keys.name")}
          <input
            required
            maxLength={100}
            value={name}
            placeholder={t("keys.namePlaceholder")}
            onChange={(event) => setName(event.target.value)}
            data-testid="key-name"
          />
        </label>
        <label>
          {t("keys.role")}
          <select value={role} onChange={(event) => setRole(event.target.value as Role)} data-testid="key-role">
            {ROLES.map((choice) => (
              <option key={choice} value={choice}>
                {t(roleKey(choice))}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="key-submit">
          {t("keys.create")}
        </button>
      </form>
      {keys === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : keys && keys.length === 0 ? (
        <p className="empty">{t("keys.empty")}</p>
      ) : (
        <table className="flow-table" data-testid="keys-table">
          <thead>
            <tr>
              <th>{t("keys.name")}</th>
              <th>{t("keys.role")}</th>
              <th>{t("keys.prefix")}</th>
              <th>{t("keys.created")}</th>
              <th>{t("keys.lastUsed")}</th>
              <th>{t("keys.status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys?.map((key) => (
              <tr key={key.id} className={key.revoked_at ? "row-disabled" : undefined} data-testid="key-row" data-name={key.name}>
                <td>{key.name}</td>
                <td>{t(roleKey(key.role))}</td>
                <td>
                  <code>cf_{key.prefix}_…</code>
                </td>
                <td>{formatTime(lang, key.created_at)}</td>
                <td>{key.last_used_at ? formatTime(lang, key.last_used_at) : t("keys.neverUsed")}</td>
                <td data-testid="key-status">{key.revoked_at ? t("keys.revoked") : t("keys.active")}</td>
                <td>
                  {!key.revoked_at && (
                    <button type="button" className="danger" disabled={busy} onClick={() => setRevoking(key)} data-testid="key-revoke">
                      {t("keys.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {created && (
        <OnceSecret
          title={t("keys.createdTitle")}
          warning={t("keys.once")}
          caption={created.key.name}
          value={created.token}
          copyLabel={t("keys.copy")}
          onClose={() => setCreated(null)}
          testId="key-secret-dialog"
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={t("keys.revoke")}
          message={t("keys.revokeConfirm", { name: revoking.name })}
          confirmLabel={t("keys.revoke")}
          danger
          busy={busy}
          onConfirm={() => void revoke(revoking)}
          onCancel={() => setRevoking(null)}
          testId="key-revoke-confirm"
        />
      )}
    </div>
  );
}
