// Outbound campaigns through the API: their definitions, the moves between statuses, live
// progress, each contact's results, the survey report and the export. Field errors come back
// as JSON pointers (`/settings/pacing/max_concurrent`) in the editor's language.

import { enc, receiveFile, send, V1 } from "../api";

export type CampaignStatus = "draft" | "running" | "paused" | "stopped" | "completed";
export type Action = "start" | "pause" | "resume" | "stop";
export type ConditionOp = "equals" | "not_equals" | "contains" | "present" | "absent";
export type MachineAction = "hang_up" | "leave_message" | "run_flow";
export type TriggerKind = "birthday" | "lunar_birthday" | "anniversary";

export interface Condition {
  field: string;
  op: ConditionOp;
  value: string;
}

export interface Retry {
  max: number;
  delay_minutes: number;
}

export const RETRY_RESULTS = ["busy", "no_answer", "failed", "voicemail"] as const;
export type RetryResult = (typeof RETRY_RESULTS)[number];

/** As server/src/campaigns/settings.rs documents it; what is left out takes its default. */
export interface Settings {
  filter: Condition[];
  schedule: {
    start_date: string | null;
    end_date: string | null;
    windows: { start: string; end: string }[];
    weekdays: number[];
    skip_holidays: boolean;
    time_zone: string;
    contact_time_zone: boolean;
    stop_margin_minutes: number;
  };
  pacing: { max_concurrent: number; calls_per_second: number; carrier_calls_per_second: number };
  retries: Record<RetryResult, Retry> & { backoff: number; max_attempts: number };
  cap: { calls: number; days: number };
  machine: { action: MachineAction; message: string };
  trigger: { field: string; kind: TriggerKind } | null;
  from?: string | null;
}

export interface Campaign {
  id: string;
  name: string;
  flow_id: string;
  flow_title: string;
  flow_version: number;
  list_id: string;
  list_name: string;
  settings: Settings;
  status: CampaignStatus;
  /** `list`: the list once; `date`: every day, those whose date is today. */
  kind: "list" | "date";
  created_at: number;
  updated_at: number;
}

export interface CampaignInput {
  name: string;
  flow_id: string;
  flow_version?: number | null;
  list_id: string;
  settings: Settings;
}

export interface Progress {
  contacts: number;
  dialed: number;
  answered: number;
  completed: number;
  opted_out: number;
  remaining: number;
  in_progress: number;
  /** Done contacts by final status. */
  by_status: Record<string, number>;
  calls_per_minute: number;
  eta_ms: number | null;
}

export interface Attempt {
  attempt: number;
  call_id: string;
  started_at: number;
  /** None while the call is in progress. */
  result: string | null;
  consent_source: string;
  consent_at: number | null;
}

export type ResultValue = string | number | boolean | null;

export interface ContactResult {
  contact_id: string;
  phone: string;
  name: string;
  /** For a date-triggered campaign, the date called for. */
  occurrence: string;
  state: "queued" | "dialing" | "done";
  final_status: string | null;
  /** Why it waits, while queued. */
  note: string;
  outcome: string | null;
  results: Record<string, ResultValue>;
  attempts: Attempt[];
  updated_at: number;
}

/** A result column of the contacts table: the variable `results` are keyed by, and its heading. */
export interface ResultColumn {
  var: string;
  /** The result's label in the campaign's flow version, else the variable's name. */
  label: string;
}

export interface ContactResultPage {
  contacts: ContactResult[];
  total: number;
  /** The results the page's contacts have, in the order the flow marks them. */
  columns: ResultColumn[];
}

export interface VariableReport {
  var: string;
  /** What the flow calls the result: its label, else the variable's name. */
  label: string | null;
  kind: "score" | "number" | "choice" | "text" | string;
  count: number;
  distribution: { value: string; count: number }[];
  other: number;
  mean: number | null;
  nps: number | null;
  /** Answers grouped by meaning: the most given wording, and every wording of the group. */
  groups: { text: string; count: number; wordings: { text: string; count: number }[] }[];
}

export interface Report {
  results: VariableReport[];
}

export interface ResultQuery {
  status?: string;
  offset?: number;
  limit?: number;
}

/** `?status=…&offset=…&limit=…` with only what is set. */
export function resultQuery(query: ResultQuery): string {
  const params = new URLSearchParams();
  if (query.status) params.set("status", query.status);
  if (query.offset) params.set("offset", String(query.offset));
  if (query.limit) params.set("limit", String(query.limit));
  const text = params.toString();
  return text ? `?${text}` : "";
}

const one = (id: string) => `${V1}/campaigns/${enc(id)}`;

export const campaignsApi = {
  async list(signal?: AbortSignal): Promise<Campaign[]> {
    return (await send<Campaign[]>("GET", `${V1}/campaigns`, { signal })).data;
  },

  async get(id: string, signal?: AbortSignal): Promise<Campaign> {
    return (await send<Campaign>("GET", one(id), { signal })).data;
  },

  async create(input: CampaignInput): Promise<Campaign> {
    return (await send<Campaign>("POST", `${V1}/campaigns`, { body: input })).data;
  },

  async update(id: string, input: CampaignInput): Promise<Campaign> {
    return (await send<Campaign>("PUT", one(id), { body: input })).data;
  },

  async remove(id: string): Promise<void> {
    await send<void>("DELETE", one(id));
  },

  async steer(id: string, action: Action): Promise<Campaign> {
    return (await send<Campaign>("POST", `${one(id)}/${action}`)).data;
  },

  async progress(id: string, signal?: AbortSignal): Promise<Progress> {
    return (await send<Progress>("GET", `${one(id)}/progress`, { signal })).data;
  },

  async contacts(id: string, query: ResultQuery = {}, signal?: AbortSignal): Promise<ContactResultPage> {
    return (await send<ContactResultPage>("GET", `${one(id)}/contacts${resultQuery(query)}`, { signal })).data;
  },

  async report(id: string, signal?: AbortSignal): Promise<Report> {
    return (await send<Report>("GET", `${one(id)}/report`, { signal })).data;
  },

  /** The results file, headed in the editor's language, and the name the server suggests. */
  async exportFile(id: string, format: "csv" | "xlsx"): Promise<{ blob: Blob; fileName: string | null }> {
    return receiveFile(`${one(id)}/export?format=${format}`);
  },
};
