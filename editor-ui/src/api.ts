// A typed client for the Callflow server API (`/api/v1`, same origin). Errors come back as
// RFC 9457 problem documents and are thrown as `ApiError`.

import type { FlowDocument } from "./flow/types";
import type { QueueChoice } from "./nodes/lookup";
import type { Lang } from "./i18n";

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  code: string;
  node?: string | null;
  /** JSON pointer from the document root, e.g. `/nodes/3/next`. */
  field: string;
  message: string;
  line?: number | null;
  column?: number | null;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
  node?: string | null;
}

export interface User {
  id: string;
  email: string;
  display_name: string;
  role: string;
  tenant_id: string;
}

export interface LoginResponse {
  user: User;
  csrf_token: string;
}

export interface Me {
  tenant_id: string;
  tenant_name: string;
  /** The tenant's name in each language of the editor: its display name there, else its name. */
  tenant_names?: Partial<Record<Lang, string>>;
  role: string;
  actor: string;
  /** For a cookie login: the token writes must send (so that a new tab can write too). */
  csrf_token?: string;
}

/** Whether the login may change flows and knowledge bases; other roles only look. */
export function canWrite(me: Me): boolean {
  return me.role === "owner" || me.role === "editor";
}

export interface FlowSummary {
  id: string;
  /** The flow's stable key, which subflow nodes call. */
  name: string;
  /** What people call the flow; show `name` when absent (editor/flow/names.ts flowTitle). */
  title?: string | null;
  revision: number;
  published_version?: number | null;
  created_at: number;
  updated_at: number;
}

export interface FlowView extends FlowSummary {
  draft: FlowDocument;
  diagnostics: Diagnostic[];
}

export interface Validation {
  valid: boolean;
  diagnostics: Diagnostic[];
}

export type ImportStatus = "created" | "published" | "invalid" | "conflict" | "rejected" | "skipped";

export interface ImportResult {
  index: number;
  name?: string | null;
  status: ImportStatus;
  id?: string | null;
  version?: number | null;
  diagnostics: Diagnostic[];
}

export interface VersionSummary {
  version: number;
  note: string;
  draft_revision: number;
  created_at: number;
  created_by: string;
  /** The person's display name or the API key's name; absent when they are gone. */
  created_by_name?: string;
}

export interface VersionView extends VersionSummary {
  document: FlowDocument;
}

export interface Template {
  name: string;
  title: string;
  description: string;
  document: FlowDocument;
}

export interface HttpTestRequest {
  method: string;
  url: string;
  headers: [string, string][];
  body?: string;
  timeout_ms?: number;
}

/** How a listening node of the draft understands a sentence (`POST /flows/{id}/draft/try-intent`). */
export interface TriedIntent {
  /** The intent a call would take, or null for a no-match. */
  intent: string | null;
  confidence: number;
  ranking: { intent: string; confidence: number }[];
  threshold: number;
}

export interface HttpTestResponse {
  status: number;
  headers: [string, string][];
  body: string;
  elapsed_ms: number;
}

export interface Message {
  text: string;
  node: string;
}

export interface Listen {
  modes: string[];
  timeout_ms: number;
  max_digits?: number | null;
  finish_on_key?: string | null;
}

export interface Transfer {
  type: string;
  target: string;
  summary: string;
}

/** The emotion of what the caller said: anger 0–1 and the call's anger so far (`trend`). */
export interface Emotion {
  anger: number;
  label: "angry" | "negative" | "neutral" | "positive";
  trend: number;
}

export interface SessionView {
  id: string;
  call_id: string;
  flow_id: string;
  version?: number | null;
  draft_revision?: number | null;
  turn: number;
  node?: string | null;
  ended: boolean;
  outcome?: string | null;
  messages: Message[];
  path: string[];
  intent?: string | null;
  /** How the caller sounded in the latest turn, when they said something. */
  emotion?: Emotion | null;
  vars: Record<string, unknown>;
  listen?: Listen | null;
  transfer?: Transfer | null;
  /** What knowledge bases did in the latest turn, in order. */
  knowledge?: KnowledgeStep[];
  /** Scripts that failed in the latest turn, worded by the server in the editor's language. */
  script_errors?: ScriptErrorView[];
  /** Whether the latest turn passed an opt_out node (the customer asked not to be called again). */
  opted_out?: boolean;
}

/** A script that failed: its node's id and "脚本出错（节点名）：原因". */
export interface ScriptErrorView {
  node: string;
  text: string;
}

/** A knowledge base's part in a turn; entries are named by their question. */
export type KnowledgeStep =
  | { type: "kb_answered"; knowledge_base: string; entry: string; question: string; score: number }
  | { type: "kb_feedback"; knowledge_base: string; entry: string; question: string; helpful: boolean }
  | { type: "kb_missed"; knowledge_base: string; text: string };

export type SessionEvent =
  | { type: "text"; text: string }
  | { type: "digits"; digits: string }
  | { type: "no_input" }
  | { type: "hangup" };

/** An error answer (problem+json), or a failure to reach the server (`status` 0, code `network`). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    const detail = typeof body.detail === "string" ? body.detail : "";
    super(detail || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
    this.code = typeof body.code === "string" ? body.code : status === 0 ? "network" : `http_${status}`;
    this.title = typeof body.title === "string" ? body.title : "";
    this.detail = detail;
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
  }
}

/**
 * Whether a request failed only because its caller called it off (its `AbortSignal`): a page
 * that went away, or a newer request that took its place. Nobody waits for that answer any
 * more, so it is not an error to show.
 */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

const CSRF_KEY = "callflow.csrf";

export function csrfToken(): string | null {
  try {
    return sessionStorage.getItem(CSRF_KEY);
  } catch {
    return null;
  }
}

export function setCsrfToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(CSRF_KEY);
    else sessionStorage.setItem(CSRF_KEY, token);
  } catch {
    // Storage may be disabled; the token then lasts as long as the page.
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called whenever the server says the login is gone (401), so the app can show the login page. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

interface RequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is, e.g. a spreadsheet, with its content type. */
  raw?: { data: Blob; type: string };
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Answer<T> {
  data: T;
  response: Response;
}

let requestLanguage: string | null = null;

/** The editor's language, sent as `Accept-Language` so that the server's messages match it. */
export function setRequestLanguage(lang: string | null): void {
  requestLanguage = lang;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A successful response, still unread; an error answer is thrown as an `ApiError`. */
async function request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json", ...options.headers };
  if (requestLanguage && !headers["Accept-Language"]) headers["Accept-Language"] = requestLanguage;
  let body: BodyInit | undefined;
  if (options.raw) {
    headers["Content-Type"] = options.raw.type;
    body = options.raw.data;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  if (method !== "GET" && method !== "HEAD") {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", body, signal: options.signal });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiError(0, { code: "network", detail: error instanceof Error ? error.message : String(error) });
  }
  if (!response.ok) {
    const text = await response.text();
    const parsed = parseJson(text);
    const problem =
      parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { detail: text.slice(0, 500) };
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && !path.endsWith("/auth/login")) {
      unauthorizedListeners.forEach((listener) => listener());
    }
    throw error;
  }
  return response;
}

/** A JSON answer. */
export async function send<T>(method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
  const response = await request(method, path, options);
  return { data: parseJson(await response.text()) as T, response };
}

/** A file answer (an export, a voice sample): its bytes and the file name the server suggests. */
export async function receiveFile(
  path: string,
  options: RequestOptions = {},
  method = "GET",
): Promise<{ blob: Blob; fileName: string | null }> {
  const response = await request(method, path, { ...options, headers: { Accept: "*/*", ...options.headers } });
  return { blob: await response.blob(), fileName: fileNameOf(response.headers.get("Content-Disposition")) };
}

export const V1 = "/api/v1";
export const enc = encodeURIComponent;
const ifMatch = (revision: number) => ({ "If-Match": `"${revision}"` });

export const api = {
  async login(email: string, password: string): Promise<LoginResponse> {
    const { data } = await send<LoginResponse>("POST", `${V1}/auth/login`, { body: { email, password } });
    setCsrfToken(data.csrf_token);
    return data;
  },

  async logout(): Promise<void> {
    try {
      await send<void>("POST", `${V1}/auth/logout`);
    } finally {
      setCsrfToken(null);
    }
  },

  forgetLogin(): void {
    setCsrfToken(null);
  },

  async me(): Promise<Me> {
    const me = (await send<Me>("GET", `${V1}/auth/me`)).data;
    if (me.csrf_token) setCsrfToken(me.csrf_token);
    return me;
  },

  /** The tenant's agent queues, which handoff nodes name. */
  async listQueues(): Promise<QueueChoice[]> {
    return (await send<QueueChoice[]>("GET", `${V1}/queues`)).data;
  },

  async listFlows(search = "", signal?: AbortSignal): Promise<FlowSummary[]> {
    const query = search.trim() ? `?search=${enc(search.trim())}` : "";
    return (await send<FlowSummary[]>("GET", `${V1}/flows${query}`, { signal })).data;
  },

  async getFlow(id: string): Promise<FlowView> {
    return (await send<FlowView>("GET", `${V1}/flows/${enc(id)}`)).data;
  },

  async createFlow(doc: FlowDocument): Promise<FlowView> {
    return (await send<FlowView>("POST", `${V1}/flows`, { body: doc })).data;
  },

  async saveFlow(id: string, doc: FlowDocument, revision: number): Promise<FlowView> {
    return (await send<FlowView>("PUT", `${V1}/flows/${enc(id)}`, { body: doc, headers: ifMatch(revision) })).data;
  },

  async deleteFlow(id: string): Promise<void> {
    await send<void>("DELETE", `${V1}/flows/${enc(id)}`);
  },

  /** The draft as the server exports it, and the file name it suggests. */
  async exportFlow(id: string): Promise<{ document: FlowDocument; fileName: string | null }> {
    const { data, response } = await send<FlowDocument>("GET", `${V1}/flows/${enc(id)}/export`);
    return { document: data, fileName: fileNameOf(response.headers.get("Content-Disposition")) };
  },

  async importFlows(flows: unknown[]): Promise<ImportResult[]> {
    return (await send<{ results: ImportResult[] }>("POST", `${V1}/flows/import`, { body: { flows } })).data.results;
  },

  async validate(doc: FlowDocument, signal?: AbortSignal): Promise<Validation> {
    return (await send<Validation>("POST", `${V1}/flows/validate`, { body: doc, signal })).data;
  },

  async publish(id: string, note: string, revision?: number): Promise<VersionSummary> {
    return (
      await send<VersionSummary>("POST", `${V1}/flows/${enc(id)}/publish`, {
        body: { note },
        headers: revision !== undefined ? ifMatch(revision) : {},
      })
    ).data;
  },

  async listVersions(id: string): Promise<VersionSummary[]> {
    return (await send<VersionSummary[]>("GET", `${V1}/flows/${enc(id)}/versions`)).data;
  },

  async getVersion(id: string, version: number): Promise<VersionView> {
    return (await send<VersionView>("GET", `${V1}/flows/${enc(id)}/versions/${version}`)).data;
  },

  async restoreVersion(id: string, version: number, revision: number): Promise<FlowView> {
    return (
      await send<FlowView>("POST", `${V1}/flows/${enc(id)}/versions/${version}/restore`, { headers: ifMatch(revision) })
    ).data;
  },

  /** The example flows to start from; an empty list when the server offers none. */
  async listTemplates(): Promise<Template[]> {
    try {
      const { data } = await send<Template[]>("GET", `${V1}/templates`);
      return Array.isArray(data) ? data : [];
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501)) return [];
      throw error;
    }
  },

  async tryIntent(flowId: string, node: string, text: string): Promise<TriedIntent> {
    return (await send<TriedIntent>("POST", `${V1}/flows/${enc(flowId)}/draft/try-intent`, { body: { node, text } })).data;
  },

  async testHttp(request: HttpTestRequest): Promise<HttpTestResponse> {
    return (await send<HttpTestResponse>("POST", `${V1}/http/test`, { body: request })).data;
  },

  /** A conversation with the draft; `vars` override the flow's initial values. */
  async startSession(flowId: string, call: { vars?: Record<string, unknown>; from?: string; to?: string } = {}): Promise<SessionView> {
    const body: Record<string, unknown> = { flow_id: flowId, version: "draft" };
    if (call.vars && Object.keys(call.vars).length > 0) body.vars = call.vars;
    if (call.from) body.from = call.from;
    if (call.to) body.to = call.to;
    return (await send<SessionView>("POST", `${V1}/sessions`, { body })).data;
  },

  async sendEvent(sessionId: string, event: SessionEvent): Promise<SessionView> {
    return (await send<SessionView>("POST", `${V1}/sessions/${enc(sessionId)}/events`, { body: event })).data;
  },
};

/** The file name of a `Content-Disposition` header, preferring the UTF-8 `filename*`. */
export function fileNameOf(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? (plain[1] ?? plain[2]).trim() : null;
}
