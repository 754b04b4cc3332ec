// The tenant's do-not-call list through the API: paged with a search, a number added or removed,
// a CSV or XLSX file of numbers imported.

import { enc, send, V1 } from "../api";
import { pageQuery, type PageQuery, type RowError } from "../contacts/api";

/** How a number came on the list. */
export const SOURCES = ["manual", "api", "import", "flow"] as const;
export type Source = (typeof SOURCES)[number];

export interface DoNotCallEntry {
  /** E.164. */
  phone: string;
  /** One of `SOURCES`; a newer server may know more. */
  source: string;
  /** The call in which the callee asked (source `flow`). */
  call_id?: string | null;
  note: string;
  /** `user:<id>`, `key:<id>` or `system`: for telling entries apart, never to show. */
  added_by: string;
  /** The person's or the API key's name; absent for the system and for those who are gone. */
  added_by_name?: string;
  created_at: number;
}

export interface DoNotCallPage {
  entries: DoNotCallEntry[];
  total: number;
}

export interface DoNotCallImportResult {
  rows: number;
  added: number;
  already_listed: number;
  failed: number;
  errors: RowError[];
}

export const doNotCallApi = {
  async list(query: PageQuery = {}, signal?: AbortSignal): Promise<DoNotCallPage> {
    return (await send<DoNotCallPage>("GET", `${V1}/do-not-call${pageQuery(query)}`, { signal })).data;
  },

  async add(phone: string, note: string): Promise<DoNotCallEntry> {
    return (await send<DoNotCallEntry>("POST", `${V1}/do-not-call`, { body: { phone: phone.trim(), note: note.trim() } })).data;
  },

  /** `phone` as the entry has it (E.164); its `+` is encoded so that it stays a plus. */
  async remove(phone: string): Promise<void> {
    await send<void>("DELETE", `${V1}/do-not-call/${enc(phone)}`);
  },

  async importFile(file: Blob, type: string): Promise<DoNotCallImportResult> {
    return (await send<DoNotCallImportResult>("POST", `${V1}/do-not-call/import`, { raw: { data: file, type } })).data;
  },
};
