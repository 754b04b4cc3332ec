// The campaign form's state and its translation to and from the API's JSON. Numbers are kept
// as the text typed so that a half-typed value is not lost; what is not a number is named at
// its field before anything is sent. Every field is known by the JSON pointer the server names
// it by (`/settings/pacing/max_concurrent`), so the server's field errors land beside it.

import type { ApiError } from "../api";
import { codeMessage } from "../components/problems";
import type { Translate } from "../i18n";
import { RETRY_RESULTS, type Campaign, type CampaignInput, type Condition, type MachineAction, type RetryResult, type Settings, type TriggerKind } from "./api";

export interface Draft {
  name: string;
  flowId: string;
  listId: string;
  /** `list`: call the list once; `date`: every day, the contacts whose date is today. */
  kind: "list" | "date";
  triggerField: string;
  triggerKind: TriggerKind;
  filter: Condition[];
  startDate: string;
  endDate: string;
  windows: { start: string; end: string }[];
  weekdays: number[];
  skipHolidays: boolean;
  /** Empty: the shop's time zone. */
  timeZone: string;
  contactTimeZone: boolean;
  stopMargin: string;
  maxConcurrent: string;
  callsPerSecond: string;
  carrierCallsPerSecond: string;
  retries: Record<RetryResult, { max: string; delay: string }>;
  backoff: string;
  maxAttempts: string;
  capCalls: string;
  capDays: string;
  machineAction: MachineAction;
  machineMessage: string;
  /** Kept as it was: the form does not change the number calls come from. */
  from: string | null;
  /** Kept as it was: an edit calls with the version the campaign has. */
  flowVersion: number | null;
}

/** The compliant defaults of server/src/campaigns/settings.rs, as a new campaign starts. */
export const DEFAULT_SETTINGS: Settings = {
  filter: [],
  schedule: {
    start_date: null,
    end_date: null,
    windows: [{ start: "09:00", end: "20:00" }],
    weekdays: [1, 2, 3, 4, 5, 6, 7],
    skip_holidays: true,
    time_zone: "",
    contact_time_zone: false,
    stop_margin_minutes: 1,
  },
  pacing: { max_concurrent: 5, calls_per_second: 1, carrier_calls_per_second: 1 },
  retries: {
    busy: { max: 2, delay_minutes: 30 },
    no_answer: { max: 2, delay_minutes: 120 },
    failed: { max: 1, delay_minutes: 10 },
    voicemail: { max: 1, delay_minutes: 240 },
    backoff: 2,
    max_attempts: 4,
  },
  cap: { calls: 2, days: 7 },
  machine: { action: "hang_up", message: "" },
  trigger: null,
  from: null,
};

function draftOf(name: string, flowId: string, flowVersion: number | null, listId: string, settings: Settings): Draft {
  const s = settings;
  const retries = {} as Draft["retries"];
  for (const result of RETRY_RESULTS) retries[result] = { max: String(s.retries[result].max), delay: String(s.retries[result].delay_minutes) };
  return {
    name,
    flowId,
    listId,
    kind: s.trigger ? "date" : "list",
    triggerField: s.trigger?.field ?? "",
    triggerKind: s.trigger?.kind ?? "birthday",
    filter: s.filter.map((condition) => ({ ...condition })),
    startDate: s.schedule.start_date ?? "",
    endDate: s.schedule.end_date ?? "",
    windows: s.schedule.windows.map((window) => ({ ...window })),
    weekdays: [...s.schedule.weekdays],
    skipHolidays: s.schedule.skip_holidays,
    timeZone: s.schedule.time_zone,
    contactTimeZone: s.schedule.contact_time_zone,
    stopMargin: String(s.schedule.stop_margin_minutes),
    maxConcurrent: String(s.pacing.max_concurrent),
    callsPerSecond: String(s.pacing.calls_per_second),
    carrierCallsPerSecond: String(s.pacing.carrier_calls_per_second),
    retries,
    backoff: String(s.retries.backoff),
    maxAttempts: String(s.retries.max_attempts),
    capCalls: String(s.cap.calls),
    capDays: String(s.cap.days),
    machineAction: s.machine.action,
    machineMessage: s.machine.message,
    from: s.from ?? null,
    flowVersion,
  };
}

export function newDraft(): Draft {
  return draftOf("", "", null, "", DEFAULT_SETTINGS);
}

export function draftOfCampaign(campaign: Campaign): Draft {
  return draftOf(campaign.name, campaign.flow_id, campaign.flow_version, campaign.list_id, campaign.settings);
}

/** What the form would send: the input, or the pointers of fields that are not numbers. */
export function inputOf(draft: Draft): { input: CampaignInput; notNumbers: string[] } {
  const notNumbers: string[] = [];
  const number = (text: string, pointer: string): number => {
    const value = Number(text.trim());
    if (text.trim() === "" || !Number.isFinite(value)) {
      notNumbers.push(pointer);
      return 0;
    }
    return value;
  };
  const retries = {} as Settings["retries"];
  for (const result of RETRY_RESULTS) {
    retries[result] = {
      max: number(draft.retries[result].max, `/settings/retries/${result}/max`),
      delay_minutes: number(draft.retries[result].delay, `/settings/retries/${result}/delay_minutes`),
    };
  }
  retries.backoff = number(draft.backoff, "/settings/retries/backoff");
  retries.max_attempts = number(draft.maxAttempts, "/settings/retries/max_attempts");
  const settings: Settings = {
    filter: draft.filter.map((condition) => ({ field: condition.field, op: condition.op, value: condition.op === "present" || condition.op === "absent" ? "" : condition.value })),
    schedule: {
      start_date: draft.startDate || null,
      end_date: draft.endDate || null,
      windows: draft.windows.map((window) => ({ start: window.start.trim(), end: window.end.trim() })),
      weekdays: [...draft.weekdays].sort((a, b) => a - b),
      skip_holidays: draft.skipHolidays,
      time_zone: draft.timeZone.trim(),
      contact_time_zone: draft.contactTimeZone,
      stop_margin_minutes: number(draft.stopMargin, "/settings/schedule/stop_margin_minutes"),
    },
    pacing: {
      max_concurrent: number(draft.maxConcurrent, "/settings/pacing/max_concurrent"),
      calls_per_second: number(draft.callsPerSecond, "/settings/pacing/calls_per_second"),
      carrier_calls_per_second: number(draft.carrierCallsPerSecond, "/settings/pacing/carrier_calls_per_second"),
    },
    retries,
    cap: { calls: number(draft.capCalls, "/settings/cap/calls"), days: number(draft.capDays, "/settings/cap/days") },
    machine: { action: draft.machineAction, message: draft.machineAction === "leave_message" ? draft.machineMessage : "" },
    trigger: draft.kind === "date" ? { field: draft.triggerField, kind: draft.triggerKind } : null,
    from: draft.from,
  };
  const input: CampaignInput = { name: draft.name.trim(), flow_id: draft.flowId, list_id: draft.listId, settings };
  if (draft.flowVersion !== null) input.flow_version = draft.flowVersion;
  return { input, notNumbers };
}

/** Whether the server's field `field` belongs at `pointer` (itself or a part of it). */
export function under(field: string, pointer: string): boolean {
  return field === pointer || field.startsWith(`${pointer}/`);
}

/** The pointers the form shows problems at; a problem under none of them is shown at the top. */
export const PLACED = [
  "/name",
  "/flow_id",
  "/flow_version",
  "/list_id",
  "/settings/trigger",
  "/settings/filter",
  "/settings/schedule/start_date",
  "/settings/schedule/end_date",
  "/settings/schedule/windows",
  "/settings/schedule/weekdays",
  "/settings/schedule/time_zone",
  "/settings/schedule/stop_margin_minutes",
  "/settings/pacing/max_concurrent",
  "/settings/pacing/calls_per_second",
  "/settings/pacing/carrier_calls_per_second",
  ...RETRY_RESULTS.flatMap((result) => [`/settings/retries/${result}/max`, `/settings/retries/${result}/delay_minutes`]),
  "/settings/retries/backoff",
  "/settings/retries/max_attempts",
  "/settings/cap/calls",
  "/settings/cap/days",
  "/settings/machine",
] as const;

/** The server's field errors under `pointer`, in the user's language. */
export function serverProblems(t: Translate, error: ApiError | null, pointer: string): string[] {
  if (!error) return [];
  return error.errors.filter((item) => under(item.field ?? "", pointer)).map((item) => codeMessage(t, item));
}

/** The server's field errors the form has no place for. */
export function unplacedProblems(t: Translate, error: ApiError | null): string[] {
  if (!error) return [];
  return error.errors.filter((item) => !PLACED.some((pointer) => under(item.field ?? "", pointer))).map((item) => codeMessage(t, item));
}
