// The shop's settings, one section at a time: its profile (names in both languages, time zone,
// region), the telephony account (write-only secrets, a connection test), the phone numbers
// (bound to a flow by its name, with the addresses to paste into Twilio) and the speech and
// voice choices with a "listen" sample. Owners change them; everyone else looks.

import { useCallback, useEffect, useMemo, useState } from "react";

import { api, ApiError, isAbortError, type FlowSummary, type Me } from "../api";
import { ConfirmDialog } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useLoaded, useSubmission } from "../components/useLoaded";
import { flowsForPicking, flowTitle, flowTitleById } from "../flow/names";
import { useI18n, type MessageKey } from "../i18n";
import { navigate, SETTINGS_SECTIONS, settingsHref, type SettingsSection } from "../router";
import {
  keepingSecrets,
  settingsApi,
  type ConnectionCheck,
  type Mode,
  type PhoneNumber,
  type Profile,
  type SpeechSettings,
  type TelephonyUpdate,
  type TelephonyView,
  type TtsProvider,
} from "./api";
import "./style.css";
import { UsageSection } from "./Usage";

const TAB_KEYS: Record<SettingsSection, MessageKey> = {
  profile: "settings.tab.profile",
  telephony: "settings.tab.telephony",
  numbers: "settings.tab.numbers",
  voice: "settings.tab.voice",
  usage: "settings.tab.usage",
};

export function SettingsPage({ section, me, onProfileSaved }: { section: SettingsSection; me: Me; onProfileSaved: () => void }) {
  const { t } = useI18n();
  const isOwner = me.role === "owner";
  return (
    <div className="list-page settings-page" data-testid="settings-page">
      <div className="list-toolbar">
        <h1>{t("settings.title")}</h1>
      </div>
      <nav className="settings-tabs" aria-label={t("settings.tabs")}>
        {SETTINGS_SECTIONS.map((known) => (
          <a
            key={known}
            href={settingsHref(known)}
            className={known === section ? "active" : undefined}
            aria-current={known === section ? "page" : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate(settingsHref(known));
            }}
            data-testid={`settings-tab-${known}`}
          >
            {t(TAB_KEYS[known])}
          </a>
        ))}
      </nav>
      {!isOwner && (
        <p className="muted" data-testid="settings-read-only">
          {t("settings.readOnly")}
        </p>
      )}
      {section === "profile" && <ProfileSection canEdit={isOwner} onSaved={onProfileSaved} />}
      {section === "numbers" && <NumbersSection canEdit={isOwner} />}
      {(section === "telephony" || section === "voice") &&
        (isOwner ? <TelephonySections section={section} /> : <p className="empty">{t("settings.ownersOnly")}</p>)}
      {section === "usage" && (isOwner ? <UsageSection /> : <p className="empty">{t("usage.ownersOnly")}</p>)}
    </div>
  );
}

/** The messages of an API error's problems with `field`, shown beside that field. */
function FieldMessage({ error, field }: { error: unknown; field: string }) {
  if (!(error instanceof ApiError)) return null;
  const messages = error.errors.filter((item) => item.field === field).map((item) => item.message);
  if (messages.length === 0) return null;
  return (
    <span className="field-error small" role="alert" data-testid={`field-error-${field}`}>
      {messages.join("；")}
    </span>
  );
}

/** Whether the error names fields the form shows beside them (its headline alone is then enough). */
function headlineOnly(error: unknown): unknown {
  if (error instanceof ApiError && error.errors.length > 0) {
    return new ApiError(error.status, { ...error.body, errors: [] });
  }
  return error;
}

function SaveState({ busy, saved }: { busy: boolean; saved: boolean }) {
  const { t } = useI18n();
  if (busy) return <span className="muted">{t("settings.saving")}</span>;
  if (saved)
    return (
      <span className="muted" data-testid="settings-saved">
        {t("settings.saved")}
      </span>
    );
  return null;
}

/** `+08:00` for a time zone now. */
function utcOffset(zone: string): string {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
      .formatToParts(new Date())
      .find((piece) => piece.type === "timeZoneName");
    const offset = part?.value.replace("GMT", "") ?? "";
    return offset === "" ? "+00:00" : offset;
  } catch {
    return "";
  }
}

function timeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return zones.includes(current) ? zones : [current, ...zones];
}

function ProfileSection({ canEdit, onSaved }: { canEdit: boolean; onSaved: () => void }) {
  const { t, lang } = useI18n();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [zh, setZh] = useState("");
  const [en, setEn] = useState("");
  const [zone, setZone] = useState("Asia/Shanghai");
  const [region, setRegion] = useState("");
  const [noticeZh, setNoticeZh] = useState("");
  const [noticeEn, setNoticeEn] = useState("");
  const [loadError, setLoadError] = useState<unknown>(null);
  const { busy, done: saved, error, setError, run } = useSubmission();

  const show = useCallback((loaded: Profile) => {
    setProfile(loaded);
    setZh(loaded.display_name["zh-CN"]);
    setEn(loaded.display_name.en);
    setZone(loaded.time_zone);
    setRegion(loaded.region ?? "");
    setNoticeZh(loaded.outbound_notice?.["zh-CN"] ?? "");
    setNoticeEn(loaded.outbound_notice?.en ?? "");
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    settingsApi.profile(controller.signal).then(show, (caught: unknown) => {
      if (!isAbortError(caught)) setLoadError(caught);
    });
    return () => controller.abort();
  }, [show]);

  const regionNames = useMemo(() => {
    try {
      return new Intl.DisplayNames([lang], { type: "region" });
    } catch {
      return null;
    }
  }, [lang]);
  const zones = useMemo(() => timeZones(zone), [zone]);

  const save = (event: React.FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const notice = noticeZh.trim() || noticeEn.trim() ? { "zh-CN": noticeZh, en: noticeEn } : null;
      show(
        await settingsApi.saveProfile({
          display_name: { "zh-CN": zh, en },
          time_zone: zone,
          region: region || null,
          outbound_notice: notice,
        }),
      );
      onSaved();
    });
  };

  if (!profile) return loadError ? <ErrorAlert error={loadError} /> : <p className="muted">{t("common.loading")}</p>;
  return (
    <form className="card settings-card" onSubmit={save} data-testid="profile-form">
      <h2>{t("settings.tab.profile")}</h2>
      <p className="muted small">{t("profile.help")}</p>
      <ErrorAlert error={headlineOnly(error)} onDismiss={() => setError(null)} />
      <div className="settings-row">
        <label>
          {t("profile.nameZh")}
          <input value={zh} maxLength={100} disabled={!canEdit} onChange={(event) => setZh(event.target.value)} data-testid="profile-name-zh" />
          <FieldMessage error={error} field="/display_name/zh-CN" />
        </label>
        <label>
          {t("profile.nameEn")}
          <input value={en} maxLength={100} disabled={!canEdit} onChange={(event) => setEn(event.target.value)} data-testid="profile-name-en" />
          <FieldMessage error={error} field="/display_name/en" />
        </label>
      </div>
      <div className="settings-row">
        <label>
          {t("profile.timeZone")}
          <select value={zone} disabled={!canEdit} onChange={(event) => setZone(event.target.value)} data-testid="profile-time-zone">
            {zones.map((name) => (
              <option key={name} value={name}>
                {name} ({t("profile.utc", { offset: utcOffset(name) })})
              </option>
            ))}
          </select>
          <span className="muted small">{t("profile.timeZoneHelp")}</span>
          <FieldMessage error={error} field="/time_zone" />
        </label>
        <label>
          {t("profile.region")}
          <select value={region} disabled={!canEdit} onChange={(event) => setRegion(event.target.value)} data-testid="profile-region">
            <option value="">{t("profile.regionNone")}</option>
            {profile.regions.map((code) => (
              <option key={code} value={code}>
                {regionNames?.of(code) ?? code} ({code})
              </option>
            ))}
          </select>
          <span className="muted small">{t("profile.regionHelp")}</span>
          <FieldMessage error={error} field="/region" />
        </label>
      </div>
      <h3>{t("profile.notice")}</h3>
      <p className="muted small">{t("profile.noticeHelp")}</p>
      <div className="settings-row">
        <label>
          {t("profile.noticeZh")}
          <textarea
            value={noticeZh}
            maxLength={300}
            rows={2}
            disabled={!canEdit}
            onChange={(event) => setNoticeZh(event.target.value)}
            data-testid="profile-notice-zh"
          />
          <FieldMessage error={error} field="/outbound_notice/zh-CN" />
        </label>
        <label>
          {t("profile.noticeEn")}
          <textarea
            value={noticeEn}
            maxLength={300}
            rows={2}
            disabled={!canEdit}
            onChange={(event) => setNoticeEn(event.target.value)}
            data-testid="profile-notice-en"
          />
          <FieldMessage error={error} field="/outbound_notice/en" />
        </label>
      </div>
      {canEdit && (
        <div className="card-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="profile-save">
            {t("settings.save")}
          </button>
          <SaveState busy={busy} saved={saved} />
        </div>
      )}
    </form>
  );
}

/** The telephony account and the speech choices: one saved document, shown in two sections. */
function TelephonySections({ section }: { section: "telephony" | "voice" }) {
  const { t } = useI18n();
  const { value: view, setValue: setView, error } = useLoaded((signal) => settingsApi.telephony(signal));

  if (!view) return error ? <ErrorAlert error={error} /> : <p className="muted">{t("common.loading")}</p>;
  return section === "telephony" ? <AccountSection view={view} onSaved={setView} /> : <VoiceSection view={view} onSaved={setView} />;
}

/** A secret the server never shows: "set" and a replace button, or a field to enter it. */
function SecretField({
  label,
  isSet,
  value,
  onChange,
  field,
  error,
  testId,
}: {
  label: string;
  isSet: boolean;
  value: string | null;
  onChange: (value: string | null) => void;
  field: string;
  error: unknown;
  testId: string;
}) {
  const { t } = useI18n();
  const editing = value !== null || !isSet;
  return (
    <label>
      {label}
      {editing ? (
        <span className="secret-edit">
          <input
            type="password"
            autoComplete="off"
            value={value ?? ""}
            onChange={(event) => onChange(event.target.value)}
            data-testid={`${testId}-input`}
          />
          {isSet && (
            <button type="button" onClick={() => onChange(null)} data-testid={`${testId}-keep`}>
              {t("telephony.keep")}
            </button>
          )}
        </span>
      ) : (
        <span className="secret-set">
          <span className="secret-state" data-testid={`${testId}-state`}>
            ✓ {t("telephony.secretSet")}
          </span>
          <button type="button" onClick={() => onChange("")} data-testid={`${testId}-replace`}>
            {t("telephony.replace")}
          </button>
        </span>
      )}
      <FieldMessage error={error} field={field} />
    </label>
  );
}

function AccountSection({ view, onSaved }: { view: TelephonyView; onSaved: (view: TelephonyView) => void }) {
  const { t } = useI18n();
  const [useTwilio, setUseTwilio] = useState(view.twilio !== null);
  const [accountSid, setAccountSid] = useState(view.twilio?.account_sid ?? "");
  const [authToken, setAuthToken] = useState<string | null>(null);
  const [useDeepgram, setUseDeepgram] = useState(view.deepgram !== null);
  const [deepgramKey, setDeepgramKey] = useState<string | null>(null);
  const { busy, done: saved, error, setError, run } = useSubmission();
  const [check, setCheck] = useState<ConnectionCheck | null>(null);
  const [testing, setTesting] = useState(false);

  const save = (event: React.FormEvent) => {
    event.preventDefault();
    setCheck(null);
    const update: TelephonyUpdate = {
      twilio: useTwilio ? { account_sid: accountSid.trim(), ...(authToken !== null ? { auth_token: authToken } : {}) } : null,
      deepgram: useDeepgram ? (deepgramKey !== null ? { api_key: deepgramKey } : {}) : null,
      speech: view.speech,
    };
    void run(async () => {
      onSaved(await settingsApi.saveTelephony(update));
      setAuthToken(null);
      setDeepgramKey(null);
    });
  };

  const test = async () => {
    setTesting(true);
    setError(null);
    try {
      setCheck(await settingsApi.testConnection());
    } catch (caught) {
      setError(caught);
    } finally {
      setTesting(false);
    }
  };

  return (
    <form className="card settings-card" onSubmit={save} data-testid="telephony-form">
      <h2>{t("settings.tab.telephony")}</h2>
      <p className="muted small">{t("telephony.help")}</p>
      <ErrorAlert error={headlineOnly(error)} onDismiss={() => setError(null)} />
      <fieldset>
        <legend>
          <label className="inline-check">
            <input type="checkbox" checked={useTwilio} onChange={(event) => setUseTwilio(event.target.checked)} data-testid="telephony-use-twilio" />
            {t("telephony.useTwilio")}
          </label>
        </legend>
        {useTwilio && (
          <div className="settings-row">
            <label>
              {t("telephony.accountSid")}
              <input
                className="mono"
                value={accountSid}
                placeholder="AC…"
                onChange={(event) => setAccountSid(event.target.value)}
                data-testid="telephony-account-sid"
              />
              <span className="muted small">{t("telephony.accountSidHelp")}</span>
              <FieldMessage error={error} field="/twilio/account_sid" />
            </label>
            <SecretField
              label={t("telephony.authToken")}
              isSet={view.twilio?.auth_token_set === true && view.twilio.account_sid === accountSid.trim()}
              value={authToken}
              onChange={setAuthToken}
              field="/twilio/auth_token"
              error={error}
              testId="telephony-auth-token"
            />
          </div>
        )}
      </fieldset>
      <fieldset>
        <legend>
          <label className="inline-check">
            <input type="checkbox" checked={useDeepgram} onChange={(event) => setUseDeepgram(event.target.checked)} data-testid="telephony-use-deepgram" />
            {t("telephony.useDeepgram")}
          </label>
        </legend>
        {useDeepgram && (
          <div className="settings-row">
            <SecretField
              label={t("telephony.deepgramKey")}
              isSet={view.deepgram?.api_key_set === true}
              value={deepgramKey}
              onChange={setDeepgramKey}
              field="/deepgram/api_key"
              error={error}
              testId="telephony-deepgram-key"
            />
          </div>
        )}
      </fieldset>
      <div className="card-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="telephony-save">
          {t("settings.save")}
        </button>
        <SaveState busy={busy} saved={saved} />
        <div className="header-spacer" />
        <button type="button" disabled={testing || busy} onClick={() => void test()} title={t("telephony.testHelp")} data-testid="telephony-test">
          {testing ? t("telephony.testing") : t("telephony.test")}
        </button>
      </div>
      {check && (
        <ul className="connection-check" data-testid="connection-check" data-ok={check.ok}>
          {(["twilio", "deepgram"] as const).map((provider) => (
            <li key={provider} className={`check-${check[provider].status}`} data-testid={`check-${provider}`} data-status={check[provider].status}>
              <strong>{provider === "twilio" ? "Twilio" : "Deepgram"}</strong> <span className="check-status">{t(`telephony.check.${check[provider].status}`)}</span>{" "}
              <span>{check[provider].message}</span>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}

const PREVIEWABLE: TtsProvider[] = ["espeak", "aura"];

function VoiceSection({ view, onSaved }: { view: TelephonyView; onSaved: (view: TelephonyView) => void }) {
  const { t, lang } = useI18n();
  const [speech, setSpeech] = useState<SpeechSettings>(view.speech);
  const { busy, done: saved, error, setError, run } = useSubmission();
  const [listenLanguage, setListenLanguage] = useState(lang === "zh-CN" ? "zh-CN" : "en-US");
  const [listenText, setListenText] = useState("");
  const [sample, setSample] = useState<string | null>(null);
  const preview = useSubmission();

  useEffect(() => () => {
    if (sample) URL.revokeObjectURL(sample);
  }, [sample]);

  const asr = speech.asr;
  const tts = speech.tts;
  const setAsr = (change: Partial<SpeechSettings["asr"]>) => setSpeech((current) => ({ ...current, asr: { ...current.asr, ...change } }));
  const setTts = (change: Partial<SpeechSettings["tts"]>) => setSpeech((current) => ({ ...current, tts: { ...current.tts, ...change } }));

  const save = (event: React.FormEvent) => {
    event.preventDefault();
    const cleaned: SpeechSettings = {
      asr: { ...asr, fallback_handoff: asr.fallback === "handoff" ? asr.fallback_handoff?.trim() : undefined },
      tts: { ...tts, voice: tts.voice?.trim() || undefined },
    };
    void run(async () => {
      const changed = await settingsApi.saveTelephony(keepingSecrets(view, cleaned));
      onSaved(changed);
      setSpeech(changed.speech);
    });
  };

  const listen = () =>
    void preview.run(async () => {
      const blob = await settingsApi.preview({
        language: listenLanguage,
        provider: tts.provider,
        voice: tts.voice?.trim() || undefined,
        text: listenText.trim() || undefined,
      });
      setSample(URL.createObjectURL(blob));
    });

  const providers: TtsProvider[] = ["espeak", "aura", "twilio"];
  return (
    <form className="card settings-card" onSubmit={save} data-testid="voice-form">
      <h2>{t("settings.tab.voice")}</h2>
      <p className="muted small">{t("voice.help")}</p>
      <ErrorAlert error={headlineOnly(error)} onDismiss={() => setError(null)} />
      <fieldset>
        <legend>{t("voice.tts")}</legend>
        <div className="settings-row">
          <label>
            {t("voice.ttsProvider")}
            <select value={tts.provider} onChange={(event) => setTts({ provider: event.target.value as TtsProvider })} data-testid="voice-provider">
              {providers.map((provider) => (
                <option key={provider} value={provider}>
                  {t(`voice.tts.${provider}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("voice.voice")}
            <input className="mono" value={tts.voice ?? ""} onChange={(event) => setTts({ voice: event.target.value })} data-testid="voice-voice" />
            <span className="muted small">{t("voice.voiceHelp")}</span>
            <FieldMessage error={error} field="/speech/tts/voice" />
            <FieldMessage error={preview.error} field="/voice" />
          </label>
          <label>
            {t("voice.fallbackProvider")}
            <select
              value={tts.fallback?.provider ?? ""}
              onChange={(event) => setTts({ fallback: event.target.value ? { provider: event.target.value as TtsProvider } : null })}
              data-testid="voice-fallback"
            >
              <option value="">{t("voice.fallbackNone")}</option>
              {providers.map((provider) => (
                <option key={provider} value={provider}>
                  {t(`voice.tts.${provider}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="settings-row listen-row">
          <label>
            {t("voice.listenLanguage")}
            <select value={listenLanguage} onChange={(event) => setListenLanguage(event.target.value)} data-testid="voice-listen-language">
              <option value="zh-CN">{t("voice.lang.zh")}</option>
              <option value="en-US">{t("voice.lang.en")}</option>
            </select>
          </label>
          <label className="grow">
            {t("voice.listenText")}
            <input
              value={listenText}
              maxLength={200}
              placeholder={t("voice.listenTextPlaceholder")}
              onChange={(event) => setListenText(event.target.value)}
              data-testid="voice-listen-text"
            />
            <FieldMessage error={preview.error} field="/text" />
            <FieldMessage error={preview.error} field="/provider" />
            <FieldMessage error={preview.error} field="/language" />
          </label>
          <button
            type="button"
            disabled={preview.busy || !PREVIEWABLE.includes(tts.provider)}
            onClick={listen}
            data-testid="voice-listen"
          >
            🔊 {preview.busy ? t("voice.listening") : t("voice.listen")}
          </button>
        </div>
        <ErrorAlert error={headlineOnly(preview.error)} onDismiss={() => preview.setError(null)} />
        {sample && <audio controls autoPlay src={sample} aria-label={t("voice.player")} data-testid="voice-audio" />}
      </fieldset>
      <fieldset>
        <legend>{t("voice.asr")}</legend>
        <div className="settings-row">
          <label>
            {t("voice.asrProvider")}
            <select value={asr.provider} onChange={(event) => setAsr({ provider: event.target.value as SpeechSettings["asr"]["provider"] })} data-testid="voice-asr">
              <option value="deepgram">{t("voice.asr.deepgram")}</option>
              <option value="twilio">{t("voice.asr.twilio")}</option>
            </select>
          </label>
          <label>
            {t("voice.asrFallback")}
            <select value={asr.fallback} onChange={(event) => setAsr({ fallback: event.target.value as SpeechSettings["asr"]["fallback"] })} data-testid="voice-asr-fallback">
              <option value="twilio">{t("voice.fallback.twilio")}</option>
              <option value="dtmf">{t("voice.fallback.dtmf")}</option>
              <option value="handoff">{t("voice.fallback.handoff")}</option>
            </select>
          </label>
          {asr.fallback === "handoff" && (
            <label>
              {t("voice.handoffTarget")}
              <input className="mono" value={asr.fallback_handoff ?? ""} onChange={(event) => setAsr({ fallback_handoff: event.target.value })} data-testid="voice-handoff-target" />
              <span className="muted small">{t("voice.handoffTargetHelp")}</span>
              <FieldMessage error={error} field="/speech/asr/fallback_handoff" />
            </label>
          )}
        </div>
      </fieldset>
      <div className="card-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="voice-save">
          {t("settings.save")}
        </button>
        <SaveState busy={busy} saved={saved} />
      </div>
    </form>
  );
}

function NumbersSection({ canEdit }: { canEdit: boolean }) {
  const { t } = useI18n();
  const { value, setValue, error } = useLoaded((signal) => Promise.all([settingsApi.numbers(signal), api.listFlows("", signal)]));
  const [numbers, flows] = value ?? [null, []];
  const setNumbers = (change: (current: PhoneNumber[]) => PhoneNumber[]) => setValue((current) => current && [change(current[0]), current[1]]);

  const put = (saved: PhoneNumber) =>
    setNumbers((current) => {
      const others = current.filter((number) => number.number !== saved.number);
      return [...others, saved].sort((a, b) => a.number.localeCompare(b.number));
    });

  if (numbers === null) return error ? <ErrorAlert error={error} /> : <p className="muted">{t("common.loading")}</p>;
  return (
    <div data-testid="numbers-section">
      <p className="muted small">{t("numbers.help")}</p>
      {canEdit && <BindNumber flows={flows} onBound={put} />}
      {numbers.length === 0 ? (
        <p className="empty" data-testid="numbers-empty">
          {t("numbers.empty")}
        </p>
      ) : (
        numbers.map((number) => (
          <NumberCard
            key={number.number}
            number={number}
            flows={flows}
            canEdit={canEdit}
            onChanged={put}
            onReleased={() => setNumbers((current) => current.filter((item) => item.number !== number.number))}
          />
        ))
      )}
    </div>
  );
}

function FlowChoice({ flows, value, onChange, disabled, testId }: { flows: FlowSummary[]; value: string; onChange: (id: string) => void; disabled?: boolean; testId: string }) {
  const { t, lang } = useI18n();
  return (
    <select value={value} disabled={disabled} onChange={(event) => onChange(event.target.value)} data-testid={testId}>
      {!flows.some((flow) => flow.id === value) && <option value={value}>{t("numbers.missingFlow")}</option>}
      {flowsForPicking(flows, lang).map((flow) => (
        <option key={flow.id} value={flow.id}>
          {flow.published_version != null ? flowTitle(flow) : t("numbers.unpublished", { name: flowTitle(flow) })}
        </option>
      ))}
    </select>
  );
}

function ModeChoice({ value, onChange, disabled, testId }: { value: Mode; onChange: (mode: Mode) => void; disabled?: boolean; testId: string }) {
  const { t } = useI18n();
  return (
    <select value={value} disabled={disabled} onChange={(event) => onChange(event.target.value as Mode)} data-testid={testId}>
      <option value="webhook">{t("numbers.mode.webhook")}</option>
      <option value="stream">{t("numbers.mode.stream")}</option>
    </select>
  );
}

function BindNumber({ flows, onBound }: { flows: FlowSummary[]; onBound: (number: PhoneNumber) => void }) {
  const { t, lang } = useI18n();
  const [number, setNumber] = useState("");
  const [flowId, setFlowId] = useState("");
  const [mode, setMode] = useState<Mode>("webhook");
  const { busy, error, setError, run } = useSubmission();
  const ordered = flowsForPicking(flows, lang);
  const firstPublished = ordered.find((flow) => flow.published_version != null) ?? ordered[0];
  const chosen = flowId || firstPublished?.id || "";

  const bind = (event: React.FormEvent) => {
    event.preventDefault();
    void run(async () => {
      onBound(await settingsApi.bind(number.trim(), chosen, mode));
      setNumber("");
    });
  };

  if (flows.length === 0) return <p className="muted">{t("numbers.noFlows")}</p>;
  return (
    <form className="card settings-card" onSubmit={bind} data-testid="number-bind">
      <h2>{t("numbers.add")}</h2>
      <ErrorAlert error={headlineOnly(error)} onDismiss={() => setError(null)} />
      <div className="settings-row">
        <label>
          {t("numbers.number")}
          <input className="mono" value={number} placeholder="+8657188880000" onChange={(event) => setNumber(event.target.value)} data-testid="number-input" />
          <span className="muted small">{t("numbers.numberHelp")}</span>
          <FieldMessage error={error} field="number" />
        </label>
        <label>
          {t("numbers.flow")}
          <FlowChoice flows={flows} value={chosen} onChange={setFlowId} testId="number-flow" />
          <FieldMessage error={error} field="/flow_id" />
        </label>
        <label>
          {t("numbers.mode")}
          <ModeChoice value={mode} onChange={setMode} testId="number-mode" />
          <FieldMessage error={error} field="/mode" />
        </label>
      </div>
      <div className="card-actions">
        <button type="submit" className="primary" disabled={busy || !number.trim() || !chosen} data-testid="number-submit">
          ＋ {t("numbers.add")}
        </button>
      </div>
    </form>
  );
}

function CopyField({ label, value, testId }: { label: string; value: string; testId: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      // Without clipboard access the address stays selectable in its field.
    }
  };
  return (
    <label>
      {label}
      <span className="copy-field">
        <input className="mono" readOnly value={value} onFocus={(event) => event.target.select()} data-testid={testId} />
        <button type="button" onClick={() => void copy()} data-testid={`${testId}-copy`}>
          {copied ? `✓ ${t("numbers.copied")}` : t("numbers.copy")}
        </button>
      </span>
    </label>
  );
}

function NumberCard({
  number,
  flows,
  canEdit,
  onChanged,
  onReleased,
}: {
  number: PhoneNumber;
  flows: FlowSummary[];
  canEdit: boolean;
  onChanged: (number: PhoneNumber) => void;
  onReleased: () => void;
}) {
  const { t } = useI18n();
  const [flowId, setFlowId] = useState(number.flow_id);
  const [mode, setMode] = useState<Mode>(number.mode);
  const { busy, error, setError, run } = useSubmission();
  const [confirm, setConfirm] = useState(false);
  const flowName = flowTitleById(flows, number.flow_id) ?? t("numbers.missingFlow");
  const changed = flowId !== number.flow_id || mode !== number.mode;

  return (
    <div className="card settings-card" data-testid="number-card" data-number={number.number}>
      <h2>
        <span className="mono">{number.number}</span> <span className="muted small">· {flowName}</span>
      </h2>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      <div className="settings-row">
        <label>
          {t("numbers.flow")}
          <FlowChoice flows={flows} value={flowId} onChange={setFlowId} disabled={!canEdit} testId="number-card-flow" />
        </label>
        <label>
          {t("numbers.mode")}
          <ModeChoice value={mode} onChange={setMode} disabled={!canEdit} testId="number-card-mode" />
        </label>
      </div>
      <p className="small">{t("numbers.twilioSetup")}</p>
      <CopyField label={t("numbers.voiceUrl")} value={number.voice_url} testId="number-voice-url" />
      <CopyField label={t("numbers.statusUrl")} value={number.status_callback_url} testId="number-status-url" />
      {canEdit && (
        <div className="card-actions">
          <button
            type="button"
            className="primary"
            disabled={busy || !changed}
            onClick={() => void run(async () => onChanged(await settingsApi.bind(number.number, flowId, mode)))}
            data-testid="number-save"
          >
            {t("numbers.change")}
          </button>
          <div className="header-spacer" />
          <button type="button" className="danger-text" disabled={busy} onClick={() => setConfirm(true)} data-testid="number-unbind">
            {t("numbers.unbind")}
          </button>
        </div>
      )}
      {confirm && (
        <ConfirmDialog
          title={t("numbers.unbind")}
          message={t("numbers.unbindConfirm", { number: number.number })}
          confirmLabel={t("numbers.unbind")}
          danger
          busy={busy}
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            setConfirm(false);
            void run(async () => {
              await settingsApi.release(number.number);
              onReleased();
            });
          }}
        />
      )}
    </div>
  );
}
