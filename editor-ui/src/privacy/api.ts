// Privacy through the API: the tenant's retention, and one person's data found, exported or
// erased. The person goes in the request's body, never in a URL.

import { send, V1 } from "../api";

export type SubjectKind = "phone" | "visitor" | "customer";

export interface Conversation {
  id: string;
  channel: "chat" | "phone";
  started_at: number;
  ended_at: number | null;
}

export interface Found {
  subject: { kind: SubjectKind; value: string };
  calls: number;
  chats: number;
  events: number;
  conversations: Conversation[];
}

export interface Erased {
  conversations: number;
  events: number;
  handoffs: number;
  widget_links: number;
  unheard_texts: number;
}

const subject = (kind: SubjectKind, value: string) => ({ [kind]: value.trim() });

export const privacyApi = {
  async retention(): Promise<number | null> {
    return (await send<{ retention_days: number | null }>("GET", `${V1}/privacy/retention`)).data.retention_days;
  },
  async setRetention(days: number | null): Promise<number | null> {
    const body = { retention_days: days };
    return (await send<{ retention_days: number | null }>("PUT", `${V1}/privacy/retention`, { body })).data.retention_days;
  },
  async find(kind: SubjectKind, value: string): Promise<Found> {
    return (await send<Found>("POST", `${V1}/privacy/subjects/search`, { body: subject(kind, value) })).data;
  },
  async exportData(kind: SubjectKind, value: string): Promise<unknown> {
    return (await send<unknown>("POST", `${V1}/privacy/subjects/export`, { body: subject(kind, value) })).data;
  },
  async erase(kind: SubjectKind, value: string): Promise<Erased> {
    return (await send<Erased>("POST", `${V1}/privacy/subjects/erase`, { body: subject(kind, value) })).data;
  },
};

/** The retention field's text as days: `null` for nothing valid (1 to 3650 whole days). */
export function retentionDays(text: string): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const days = Number(text.trim());
  return days >= 1 && days <= 3650 ? days : null;
}
