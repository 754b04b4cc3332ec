// A small hash router: `#/` is the flow list, `#/flows/<id>` the editor of one flow,
// `#/knowledge` the knowledge bases and `#/knowledge/<key>` one of them, `#/widget` the chat
// widget's channels, `#/privacy` retention and personal-data requests, `#/contacts` the contact
// lists and `#/contacts/<id>` one of them, `#/do-not-call` the do-not-call list, `#/campaigns`
// the outbound campaigns, `#/campaigns/new` a new one, `#/campaigns/<id>` one and
// `#/campaigns/<id>/edit` its settings,
// `#/settings/<section>`
// the shop's settings, `#/people`, `#/api-keys` and `#/audit?<filters>` the tenant's people, keys
// and audit log, `#/invite/<token>` a one-time link's page (signed out). Hash routes need
// nothing from the server that serves the built files.

import { useEffect, useState } from "react";

import { NO_FILTER, type AuditFilter } from "./people/api";

export type Route =
  | { name: "flows" }
  | { name: "editor"; flowId: string }
  | { name: "knowledge" }
  | { name: "knowledgeBase"; key: string }
  | { name: "widget" }
  | { name: "privacy" }
  | { name: "contacts" }
  | { name: "contactList"; listId: string }
  | { name: "doNotCall" }
  | { name: "campaigns" }
  | { name: "campaignNew" }
  | { name: "campaign"; campaignId: string }
  | { name: "campaignEdit"; campaignId: string }
  | { name: "settings"; section: SettingsSection }
  | { name: "people" }
  | { name: "apiKeys" }
  | { name: "audit"; filter: AuditFilter }
  | { name: "invite"; token: string };

export const SETTINGS_SECTIONS = ["profile", "telephony", "numbers", "voice", "usage"] as const;
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
  const contactList = /^#\/contacts\/([^/?#]+)/.exec(hash);
  const listId = contactList && decoded(contactList[1]);
  if (listId) return { name: "contactList", listId };
  if (/^#\/contacts\/?$/.test(hash)) return { name: "contacts" };
  if (/^#\/do-not-call\/?$/.test(hash)) return { name: "doNotCall" };
  if (/^#\/campaigns\/new\/?$/.test(hash)) return { name: "campaignNew" };
  const campaign = /^#\/campaigns\/([^/?#]+)(\/edit)?\/?$/.exec(hash);
  const campaignId = campaign && decoded(campaign[1]);
  if (campaignId) return campaign[2] ? { name: "campaignEdit", campaignId } : { name: "campaign", campaignId };
  if (/^#\/campaigns\/?$/.test(hash)) return { name: "campaigns" };
  const settings = /^#\/settings(?:\/([a-z]+))?\/?$/.exec(hash);
  if (settings) {
    const section = SETTINGS_SECTIONS.find((known) => known === settings[1]) ?? "profile";
    return { name: "settings", section };
  }
  if (/^#\/people\/?$/.test(hash)) return { name: "people" };
  if (/^#\/api-keys\/?$/.test(hash)) return { name: "apiKeys" };
  const audit = /^#\/audit\/?(?:\?(.*))?$/.exec(hash);
  if (audit) return { name: "audit", filter: auditFilterOf(audit[1] ?? "") };
  const invite = /^#\/invite\/([^/?#]+)/.exec(hash);
  const token = invite && decoded(invite[1]);
  if (token) return { name: "invite", token };
  return { name: "flows" };
}

export const KNOWLEDGE_HREF = "#/knowledge";
export const WIDGET_HREF = "#/widget";
export const PRIVACY_HREF = "#/privacy";
export const CONTACTS_HREF = "#/contacts";
export const DO_NOT_CALL_HREF = "#/do-not-call";
export const CAMPAIGNS_HREF = "#/campaigns";
export const NEW_CAMPAIGN_HREF = "#/campaigns/new";

export function campaignHref(campaignId: string): string {
  return `${CAMPAIGNS_HREF}/${encodeURIComponent(campaignId)}`;
}

export function campaignEditHref(campaignId: string): string {
  return `${campaignHref(campaignId)}/edit`;
}

export function contactListHref(listId: string): string {
  return `${CONTACTS_HREF}/${encodeURIComponent(listId)}`;
}
export const SETTINGS_HREF = "#/settings";

export function settingsHref(section: SettingsSection): string {
  return `${SETTINGS_HREF}/${section}`;
}

export const PEOPLE_HREF = "#/people";
export const API_KEYS_HREF = "#/api-keys";

function auditFilterOf(query: string): AuditFilter {
  const params = new URLSearchParams(query);
  const filter = { ...NO_FILTER };
  for (const name of Object.keys(NO_FILTER) as (keyof AuditFilter)[]) filter[name] = params.get(name) ?? "";
  return filter;
}

/** The audit page with these filters (blank ones left out). */
export function auditHref(filter: Partial<AuditFilter> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) params.set(name, value);
  const query = params.toString();
  return query ? `#/audit?${query}` : "#/audit";
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
