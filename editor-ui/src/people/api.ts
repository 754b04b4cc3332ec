// People, API keys and the audit log through the API, and the public side of a one-time link
// (looking it up, accepting it).

import { enc, send, setCsrfToken, V1 } from "../api";
import type { Lang } from "../i18n";

export type Role = "owner" | "editor" | "viewer" | "agent";
export const ROLES: Role[] = ["owner", "editor", "viewer", "agent"];

export interface Person {
  id: string;
  email: string;
  display_name: string;
  role: Role;
  status: "active" | "disabled";
  created_at: number;
  last_sign_in_at?: number | null;
  is_you: boolean;
}

export interface Invite {
  id: string;
  kind: "invite" | "password_reset";
  email: string;
  display_name: string;
  role: Role;
  created_at: number;
  expires_at: number;
}

export interface CreatedLink {
  invite: Invite;
  token: string;
  /** `/#/invite/<token>`, to put after the server's address. */
  path: string;
}

export interface LinkInfo {
  kind: "invite" | "password_reset";
  email: string;
  display_name: string;
  role: Role;
  tenant_names: Partial<Record<Lang, string>>;
  expires_at: number;
}

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: number;
  last_used_at?: number | null;
  revoked_at?: number | null;
}

export interface AuditEntry {
  id: string;
  at: number;
  actor: string;
  actor_name?: string | null;
  action: string;
  object: string;
  object_name?: string | null;
  detail: Record<string, unknown>;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor?: string | null;
}

/** What the audit page filters by; blank parts let everything through. */
export interface AuditFilter {
  actor: string;
  action: string;
  object: string;
  /** `YYYY-MM-DD`, days in the shop's time zone. */
  from: string;
  to: string;
}

export const NO_FILTER: AuditFilter = { actor: "", action: "", object: "", from: "", to: "" };

/** The query string of `GET /audit-log` for a filter and a page. The `to` day is included. */
export function auditQuery(filter: AuditFilter, cursor?: string | null): string {
  const params = new URLSearchParams();
  for (const name of ["actor", "action", "object", "from"] as const) {
    const value = filter[name].trim();
    if (value) params.set(name, value);
  }
  if (filter.to) params.set("to", nextDay(filter.to));
  if (cursor) params.set("cursor", cursor);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The day after a `YYYY-MM-DD` date, so that a range ending on a day takes all of it. */
export function nextDay(date: string): string {
  const [year, month, day] = date.split("-").map(Number);
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return next.toISOString().slice(0, 10);
}

/** The full one-time link from the path the server gives. */
export function linkUrl(path: string, origin: string = window.location.origin): string {
  return `${origin}${path}`;
}

export const peopleApi = {
  async list(signal?: AbortSignal): Promise<{ users: Person[]; invites: Invite[] }> {
    return (await send<{ users: Person[]; invites: Invite[] }>("GET", `${V1}/users`, { signal })).data;
  },
  async invite(email: string, displayName: string, role: Role): Promise<CreatedLink> {
    return (await send<CreatedLink>("POST", `${V1}/users/invites`, { body: { email, display_name: displayName, role } })).data;
  },
  async withdraw(id: string): Promise<void> {
    await send<unknown>("DELETE", `${V1}/users/invites/${enc(id)}`);
  },
  async setRole(id: string, role: Role, confirmOwn = false): Promise<Person> {
    return (await send<Person>("PUT", `${V1}/users/${enc(id)}/role`, { body: { role, confirm_own: confirmOwn } })).data;
  },
  async setDisabled(id: string, disabled: boolean, confirmOwn = false): Promise<Person> {
    return (await send<Person>("PUT", `${V1}/users/${enc(id)}/disabled`, { body: { disabled, confirm_own: confirmOwn } })).data;
  },
  async resetLink(id: string): Promise<CreatedLink> {
    return (await send<CreatedLink>("POST", `${V1}/users/${enc(id)}/password-reset`)).data;
  },
  async signOutUser(id: string): Promise<number> {
    return (await send<{ ended: number }>("POST", `${V1}/users/${enc(id)}/sessions/revoke`)).data.ended;
  },
  async signOutEverywhere(): Promise<void> {
    try {
      await send<unknown>("POST", `${V1}/auth/sessions/revoke`);
    } finally {
      setCsrfToken(null);
    }
  },
  async lookUp(token: string): Promise<LinkInfo> {
    return (await send<LinkInfo>("POST", `${V1}/invites/look-up`, { body: { token } })).data;
  },
  async accept(token: string, password: string, displayName?: string): Promise<void> {
    const body: Record<string, string> = { token, password };
    if (displayName) body.display_name = displayName;
    const { data } = await send<{ csrf_token: string }>("POST", `${V1}/invites/accept`, { body });
    setCsrfToken(data.csrf_token);
  },
  async listKeys(signal?: AbortSignal): Promise<ApiKey[]> {
    return (await send<ApiKey[]>("GET", `${V1}/api-keys`, { signal })).data;
  },
  async createKey(name: string, role: Role): Promise<{ key: ApiKey; token: string }> {
    return (await send<{ key: ApiKey; token: string }>("POST", `${V1}/api-keys`, { body: { name, role } })).data;
  },
  async revokeKey(id: string): Promise<void> {
    await send<unknown>("DELETE", `${V1}/api-keys/${enc(id)}`);
  },
  async audit(filter: AuditFilter, cursor?: string | null, signal?: AbortSignal): Promise<AuditPage> {
    return (await send<AuditPage>("GET", `${V1}/audit-log${auditQuery(filter, cursor)}`, { signal })).data;
  },
};
