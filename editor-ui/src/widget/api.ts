// The chat widget's channels through the API: a flow's publishable key, the sites allowed to
// use it, its switch and language, and the identity secret that signs signed-in customers.

import { enc, send, V1 } from "../api";

export interface WidgetChannel {
  id: string;
  flow_id: string;
  name: string;
  key: string;
  allowed_origins: string[];
  enabled: boolean;
  language: "zh-CN" | "en";
  script_tag: string;
  identity_secret_set: boolean;
  /** Only in the answer that made it (creating the channel, or a new secret). */
  identity_secret?: string;
  created_at: number;
  updated_at: number;
}

export interface ChannelSettings {
  name: string;
  allowed_origins: string[];
  enabled: boolean;
  language: "zh-CN" | "en";
}

const BASE = `${V1}/widget-channels`;

export const widgetApi = {
  async list(signal?: AbortSignal): Promise<WidgetChannel[]> {
    return (await send<WidgetChannel[]>("GET", BASE, { signal })).data;
  },
  async create(flowId: string, settings: ChannelSettings): Promise<WidgetChannel> {
    return (await send<WidgetChannel>("POST", BASE, { body: { flow_id: flowId, ...settings } })).data;
  },
  async update(id: string, settings: ChannelSettings): Promise<WidgetChannel> {
    return (await send<WidgetChannel>("PUT", `${BASE}/${enc(id)}`, { body: settings })).data;
  },
  async rotate(id: string): Promise<WidgetChannel> {
    return (await send<WidgetChannel>("POST", `${BASE}/${enc(id)}/rotate-key`)).data;
  },
  async rotateIdentitySecret(id: string): Promise<WidgetChannel> {
    return (await send<WidgetChannel>("POST", `${BASE}/${enc(id)}/rotate-identity-secret`)).data;
  },
  async remove(id: string): Promise<void> {
    await send<unknown>("DELETE", `${BASE}/${enc(id)}`);
  },
};

/** The origins written one a line, as the API takes them. */
export function originLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}
