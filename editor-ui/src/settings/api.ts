// The shop's settings through the API: its profile, the telephony account and speech choices
// (secrets write-only), the connection test, the voice preview, and the phone numbers.

import { enc, receiveFile, send, V1 } from "../api";

export interface DisplayNames {
  "zh-CN": string;
  en: string;
}

export interface Profile {
  display_name: DisplayNames;
  time_zone: string;
  region: string | null;
  regions: string[];
  /** Said first on every outbound call, in the flow's language; null: nothing. */
  outbound_notice: DisplayNames | null;
}

export interface ProfileUpdate {
  display_name: DisplayNames;
  time_zone: string;
  region: string | null;
  outbound_notice: DisplayNames | null;
}

export type TtsProvider = "twilio" | "aura" | "espeak";
export type AsrProvider = "deepgram" | "twilio";
export type AsrFallback = "twilio" | "dtmf" | "handoff";

export interface SpeechSettings {
  asr: {
    provider: AsrProvider;
    model?: string;
    fallback: AsrFallback;
    fallback_handoff?: string;
    dtmf_prompt?: string;
  };
  tts: {
    provider: TtsProvider;
    voice?: string;
    fallback?: { provider: TtsProvider; voice?: string } | null;
  };
}

export interface TelephonyView {
  twilio: { account_sid: string; auth_token_set: boolean } | null;
  deepgram: { api_key_set: boolean } | null;
  speech: SpeechSettings;
  updated_at: number | null;
}

/** What `PUT /telephony` takes: a secret left out keeps the stored one. */
export interface TelephonyUpdate {
  twilio: { account_sid: string; auth_token?: string } | null;
  deepgram: { api_key?: string } | null;
  speech: SpeechSettings;
}

export type CheckStatus = "ok" | "failed" | "not_configured";

export interface ConnectionCheck {
  ok: boolean;
  twilio: { status: CheckStatus; message: string };
  deepgram: { status: CheckStatus; message: string };
}

export interface PreviewRequest {
  text?: string;
  language: string;
  provider: TtsProvider;
  voice?: string;
}

export type Mode = "webhook" | "stream";

export interface PhoneNumber {
  number: string;
  flow_id: string;
  version: number | null;
  mode: Mode;
  voice_url: string;
  status_callback_url: string;
  created_at: number;
  updated_at: number;
}

/** The update that keeps both secrets and changes nothing but `speech`. */
export function keepingSecrets(view: TelephonyView, speech: SpeechSettings): TelephonyUpdate {
  return {
    twilio: view.twilio ? { account_sid: view.twilio.account_sid } : null,
    deepgram: view.deepgram ? {} : null,
    speech,
  };
}

export type QuotaName = "concurrent_calls" | "concurrent_chats" | "turns_per_second" | "api_requests_per_minute" | "storage_mb";

/** One of the tenant's quotas: its limit (the operator's or the default) and the use now. */
export interface QuotaUse {
  quota: QuotaName;
  limit: number;
  default: boolean;
  used: number;
}

export const settingsApi = {
  async usage(signal?: AbortSignal): Promise<QuotaUse[]> {
    return (await send<{ quotas: QuotaUse[] }>("GET", `${V1}/tenant/usage`, { signal })).data.quotas;
  },
  async profile(signal?: AbortSignal): Promise<Profile> {
    return (await send<Profile>("GET", `${V1}/tenant/profile`, { signal })).data;
  },
  async saveProfile(update: ProfileUpdate): Promise<Profile> {
    return (await send<Profile>("PUT", `${V1}/tenant/profile`, { body: update })).data;
  },
  async telephony(signal?: AbortSignal): Promise<TelephonyView> {
    return (await send<TelephonyView>("GET", `${V1}/telephony`, { signal })).data;
  },
  async saveTelephony(update: TelephonyUpdate): Promise<TelephonyView> {
    return (await send<TelephonyView>("PUT", `${V1}/telephony`, { body: update })).data;
  },
  async testConnection(): Promise<ConnectionCheck> {
    return (await send<ConnectionCheck>("POST", `${V1}/telephony/test`)).data;
  },
  /** The sentence spoken, as a WAV file. */
  async preview(request: PreviewRequest): Promise<Blob> {
    return (await receiveFile(`${V1}/telephony/preview`, { body: request }, "POST")).blob;
  },
  async numbers(signal?: AbortSignal): Promise<PhoneNumber[]> {
    return (await send<PhoneNumber[]>("GET", `${V1}/phone-numbers`, { signal })).data;
  },
  async bind(number: string, flowId: string, mode: Mode): Promise<PhoneNumber> {
    return (await send<PhoneNumber>("PUT", `${V1}/phone-numbers/${enc(number)}`, { body: { flow_id: flowId, mode } })).data;
  },
  async release(number: string): Promise<void> {
    await send<unknown>("DELETE", `${V1}/phone-numbers/${enc(number)}`);
  },
};
