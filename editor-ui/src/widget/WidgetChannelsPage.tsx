// The chat widget's channels: a manager creates one for a flow, lists the sites allowed to use
// it, copies the snippet for the shop's pages, sees how to sign in the shop's customers (the
// identity secret, shown once), switches it off, makes a new key or secret, or deletes it.

import { useState } from "react";

import { api, type FlowSummary } from "../api";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded } from "../components/useLoaded";
import { flowsForPicking, flowTitle, flowTitleById } from "../flow/names";
import { useI18n } from "../i18n";
import { originLines, widgetApi, type ChannelSettings, type WidgetChannel } from "./api";
import "./style.css";

export function WidgetChannelsPage({ canEdit }: { canEdit: boolean }) {
  const { t } = useI18n();
  const { value, setValue, error, setError } = useLoaded((signal) => Promise.all([widgetApi.list(signal), api.listFlows("", signal)]));
  const [channels, flows] = value ?? [null, []];
  const setChannels = (change: (current: WidgetChannel[]) => WidgetChannel[]) => setValue((current) => current && [change(current[0]), current[1]]);

  const replace = (changed: WidgetChannel) => setChannels((current) => current.map((channel) => (channel.id === changed.id ? changed : channel)));

  return (
    <div className="list-page" data-testid="widget-page">
      <div className="list-toolbar">
        <h1>{t("widget.title")}</h1>
      </div>
      <p className="drop-hint">{t("widget.help")}</p>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {canEdit && (
        <CreateChannel
          flows={flows}
          onCreated={(channel) => setChannels((current) => [...current, channel])}
          onError={setError}
        />
      )}
      {channels === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : channels && channels.length === 0 ? (
        <p className="empty" data-testid="widget-empty">
          {t("widget.empty")}
        </p>
      ) : (
        channels?.map((channel) => (
          <ChannelCard
            key={channel.id}
            channel={channel}
            flowName={flowTitleById(flows, channel.flow_id) ?? t("widget.missingFlow")}
            canEdit={canEdit}
            onChanged={replace}
            onDeleted={() => setChannels((current) => current.filter((c) => c.id !== channel.id))}
            onError={setError}
          />
        ))
      )}
    </div>
  );
}

function CreateChannel({
  flows,
  onCreated,
  onError,
}: {
  flows: FlowSummary[];
  onCreated: (channel: WidgetChannel) => void;
  onError: (error: unknown) => void;
}) {
  const { t, lang } = useI18n();
  const published = flowsForPicking(
    flows.filter((flow) => flow.published_version != null),
    lang,
  );
  const [flowId, setFlowId] = useState("");
  const [name, setName] = useState("");
  const [origins, setOrigins] = useState("");
  const { busy, run } = useAction(onError);
  const chosen = flowId || published[0]?.id || "";

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!chosen || !name.trim()) return;
    await run(async () => {
      const settings: ChannelSettings = { name: name.trim(), allowed_origins: originLines(origins), enabled: true, language: lang };
      onCreated(await widgetApi.create(chosen, settings));
      setName("");
      setOrigins("");
    });
  };

  if (published.length === 0) return <p className="muted">{t("widget.noFlows")}</p>;
  return (
    <form className="card widget-create" onSubmit={(event) => void create(event)} data-testid="widget-create">
      <h2>{t("widget.create")}</h2>
      <label>
        {t("widget.flow")}
        <select value={chosen} onChange={(event) => setFlowId(event.target.value)} data-testid="widget-create-flow">
          {published.map((flow) => (
            <option key={flow.id} value={flow.id}>
              {flowTitle(flow)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("widget.name")}
        <input
          value={name}
          required
          maxLength={100}
          placeholder={t("widget.namePlaceholder")}
          onChange={(event) => setName(event.target.value)}
          data-testid="widget-create-name"
        />
      </label>
      <label>
        {t("widget.origins")}
        <textarea rows={2} value={origins} onChange={(event) => setOrigins(event.target.value)} data-testid="widget-create-origins" />
        <span className="muted small">{t("widget.originsHelp")}</span>
      </label>
      <div className="card-actions">
        <button type="submit" className="primary" disabled={busy || !name.trim()} data-testid="widget-create-submit">
          ＋ {t("widget.create")}
        </button>
      </div>
    </form>
  );
}

function ChannelCard({
  channel,
  flowName,
  canEdit,
  onChanged,
  onDeleted,
  onError,
}: {
  channel: WidgetChannel;
  flowName: string;
  canEdit: boolean;
  onChanged: (channel: WidgetChannel) => void;
  onDeleted: () => void;
  onError: (error: unknown) => void;
}) {
  const { t } = useI18n();
  const [origins, setOrigins] = useState(channel.allowed_origins.join("\n"));
  const [enabled, setEnabled] = useState(channel.enabled);
  const [language, setLanguage] = useState(channel.language);
  const { busy, run: runAction } = useAction(onError);
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
  const [confirm, setConfirm] = useState<"rotate" | "identity" | "delete" | null>(null);
  const confirmTitle = { rotate: t("widget.rotate"), identity: t("widget.rotateIdentity"), delete: t("widget.delete") };
  const confirmMessage = {
    rotate: t("widget.rotateConfirm"),
    identity: t("widget.rotateIdentityConfirm"),
    delete: t("widget.deleteConfirm", { name: channel.name }),
  };

  /** Any action on the channel: "saved" stays only until the next one starts. */
  const run = (work: () => Promise<void>) => {
    setSaved(false);
    return runAction(work);
  };

  const save = (event: React.FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const settings: ChannelSettings = { name: channel.name, allowed_origins: originLines(origins), enabled, language };
      const changed = await widgetApi.update(channel.id, settings);
      setOrigins(changed.allowed_origins.join("\n"));
      onChanged(changed);
      setSaved(true);
    });
  };

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(channel.script_tag);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch (caught) {
      onError(caught);
    }
  };

  return (
    <form className="card widget-channel" onSubmit={save} data-testid="widget-channel" data-key={channel.key}>
      <h2>
        {channel.name} <span className="muted small">· {flowName}</span>
        {!channel.enabled && <span className="widget-off">{t("widget.disabled")}</span>}
      </h2>
      <label>
        {t("widget.scriptTag")}
        <textarea className="mono" rows={2} readOnly value={channel.script_tag} data-testid="widget-script-tag" onFocus={(e) => e.target.select()} />
      </label>
      <div className="card-actions">
        <button type="button" onClick={() => void copy()} data-testid="widget-copy">
          {copied ? `✓ ${t("widget.copied")}` : t("widget.copy")}
        </button>
      </div>
      <fieldset className="widget-identity" data-testid="widget-identity">
        <legend>{t("widget.identity")}</legend>
        <span className="muted small">{t("widget.identityHelp")}</span>
        <code className="mono small">{t("widget.identityExample")}</code>
        {channel.identity_secret ? (
          <label>
            {t("widget.identitySecret")}
            <input className="mono" readOnly value={channel.identity_secret} onFocus={(e) => e.target.select()} data-testid="widget-identity-secret" />
            <span className="small widget-once">{t("widget.identitySecretOnce")}</span>
          </label>
        ) : (
          <span className="small" data-testid="widget-identity-state">
            {t("widget.identitySecret")}: {channel.identity_secret_set ? t("widget.identitySecretSet") : t("widget.identitySecretMissing")}
          </span>
        )}
        {canEdit && (
          <div className="card-actions">
            <button
              type="button"
              disabled={busy}
              onClick={() => (channel.identity_secret_set ? setConfirm("identity") : void run(async () => onChanged(await widgetApi.rotateIdentitySecret(channel.id))))}
              data-testid="widget-rotate-identity"
            >
              {channel.identity_secret_set ? t("widget.rotateIdentity") : t("widget.makeIdentity")}
            </button>
          </div>
        )}
      </fieldset>
      <label>
        {t("widget.origins")}
        <textarea rows={3} value={origins} disabled={!canEdit} onChange={(event) => setOrigins(event.target.value)} data-testid="widget-origins" />
        <span className="muted small">{t("widget.originsHelp")}</span>
      </label>
      <div className="widget-row">
        <label>
          {t("widget.language")}
          <select value={language} disabled={!canEdit} onChange={(event) => setLanguage(event.target.value as "zh-CN" | "en")} data-testid="widget-language">
            <option value="zh-CN">{t("language.zh-CN")}</option>
            <option value="en">{t("language.en")}</option>
          </select>
          <span className="muted small">{t("widget.languageHelp")}</span>
        </label>
        <label className="widget-switch">
          <input type="checkbox" checked={enabled} disabled={!canEdit} onChange={(event) => setEnabled(event.target.checked)} data-testid="widget-enabled" />
          {t("widget.enabled")}
        </label>
      </div>
      {canEdit && (
        <div className="card-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="widget-save">
            {t("widget.save")}
          </button>
          {saved && (
            <span className="muted" data-testid="widget-saved">
              {t("widget.saved")}
            </span>
          )}
          <div className="header-spacer" />
          <button type="button" disabled={busy} onClick={() => setConfirm("rotate")} data-testid="widget-rotate">
            {t("widget.rotate")}
          </button>
          <button type="button" className="danger-text" disabled={busy} onClick={() => setConfirm("delete")} data-testid="widget-delete">
            {t("widget.delete")}
          </button>
        </div>
      )}
      {confirm && (
        <ConfirmDialog
          title={confirmTitle[confirm]}
          message={confirmMessage[confirm]}
          confirmLabel={confirmTitle[confirm]}
          danger={confirm === "delete"}
          busy={busy}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const action = confirm;
            setConfirm(null);
            void run(async () => {
              if (action === "rotate") onChanged(await widgetApi.rotate(channel.id));
              else if (action === "identity") onChanged(await widgetApi.rotateIdentitySecret(channel.id));
              else {
                await widgetApi.remove(channel.id);
                onDeleted();
              }
            });
          }}
        />
      )}
    </form>
  );
}
