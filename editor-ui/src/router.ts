// A small hash router: `#/` is the flow list, `#/flows/<id>` the editor of one flow,
// `#/knowledge` the knowledge bases and `#/knowledge/<key>` one of them, `#/widget` the chat
// widget's channels, `#/privacy` retention and personal-data requests, `#/settings/<section>`
// the shop's settings. Hash routes need
// nothing from the server that serves the built files.

import { useEffect, useState } from "react";

export type Route =
  | { name: "flows" }
  | { name: "editor"; flowId: string }
  | { name: "knowledge" }
  | { name: "knowledgeBase"; key: string }
  | { name: "widget" }
  | { name: "privacy" }
  | { name: "settings"; section: SettingsSection };

export const SETTINGS_SECTIONS = ["profile", "telephony", "numbers", "voice"] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

function decoded(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

export function parseRoute(hash: string): Route {
  const flow = /^#\/flows\/([^/?#]+)/.exec(hash);
  const flowId = flow && decoded(flow[1]);
  if (flowId) return { name: "editor", flowId };
  const base = /^#\/knowledge\/([^/?#]+)/.exec(hash);
  const key = base && decoded(base[1]);
  if (key) return { name: "knowledgeBase", key };
  if (/^#\/knowledge\/?$/.test(hash)) return { name: "knowledge" };
  if (/^#\/widget\/?$/.test(hash)) return { name: "widget" };
  if (/^#\/privacy\/?$/.test(hash)) return { name: "privacy" };
  const settings = /^#\/settings(?:\/([a-z]+))?\/?$/.exec(hash);
  if (settings) {
    const section = SETTINGS_SECTIONS.find((known) => known === settings[1]) ?? "profile";
    return { name: "settings", section };
  }
  return { name: "flows" };
}

export const KNOWLEDGE_HREF = "#/knowledge";
export const WIDGET_HREF = "#/widget";
export const PRIVACY_HREF = "#/privacy";
export const SETTINGS_HREF = "#/settings";

export function settingsHref(section: SettingsSection): string {
  return `${SETTINGS_HREF}/${section}`;
}

export function knowledgeHref(key: string): string {
  return `${KNOWLEDGE_HREF}/${encodeURIComponent(key)}`;
}

export function flowHref(flowId: string): string {
  return `#/flows/${encodeURIComponent(flowId)}`;
}

export function navigate(href: string): void {
  if (window.location.hash !== href) window.location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
