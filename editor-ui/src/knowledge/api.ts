// The knowledge-base part of the API client: bases, their entries, revisions, the "try a
// question" search, and spreadsheet import and export.

import { ApiError, enc, receiveFile, send, V1 } from "../api";

/** A time from the server: epoch milliseconds, or an RFC 3339 text. */
export type Instant = number | string;

export interface KnowledgeBase {
  key: string;
  name: string;
  language: string;
  revision: number;
  entries: number;
  enabled_entries?: number;
  updated_at?: Instant | null;
}

export interface KnowledgeEntry {
  id: string;
  question: string;
  alternatives: string[];
  answer: string;
  category: string;
  enabled: boolean;
  updated_at?: Instant | null;
}

/** What an entry is made of when it is written. */
export type EntryDraft = Omit<KnowledgeEntry, "id" | "updated_at">;

export interface EntryPage {
  items: KnowledgeEntry[];
  next_cursor?: string | null;
}

export interface EntryQuery {
  q?: string;
  category?: string;
  limit?: number;
  cursor?: string | null;
}

export interface KnowledgeRevision {
  revision: number;
  at: Instant;
  /** The name of whoever made it. */
  by: string;
  summary: string | Record<string, unknown>;
}

export type Decision = "answered" | "ambiguous" | "no_answer";

export interface SearchHit {
  entry: KnowledgeEntry;
  score: number;
}

export interface SearchAnswer {
  revision: number;
  decision: Decision;
  hits: SearchHit[];
}

export type ImportMode = "all_or_nothing" | "partial";
export type RowStatus = "created" | "updated" | "failed" | "unchanged";

export interface ImportRow {
  row: number;
  status: RowStatus;
  entry_id?: string | null;
  error?: { code: string; message: string } | null;
}

export interface ImportReport {
  created: number;
  updated: number;
  unchanged?: number;
  failed: number;
  rows: ImportRow[];
  /** True when nothing was written (all or nothing, and a row failed). */
  rejected: boolean;
}

export type ExportFormat = "csv" | "xlsx";

export { spreadsheetType, XLSX_TYPE } from "../files";

const base = (key: string) => `${V1}/knowledge-bases/${enc(key)}`;

function isImportReport(body: unknown): body is Omit<ImportReport, "rejected"> {
  return body !== null && typeof body === "object" && Array.isArray((body as { rows?: unknown }).rows);
}

export const knowledgeApi = {
  async list(signal?: AbortSignal): Promise<KnowledgeBase[]> {
    return (await send<{ items: KnowledgeBase[] }>("GET", `${V1}/knowledge-bases`, { signal })).data.items;
  },

  async get(key: string): Promise<KnowledgeBase> {
    return (await send<KnowledgeBase>("GET", base(key))).data;
  },

  async create(fields: { key: string; name: string; language: string }): Promise<KnowledgeBase> {
    return (await send<KnowledgeBase>("POST", `${V1}/knowledge-bases`, { body: fields })).data;
  },

  async rename(key: string, name: string): Promise<KnowledgeBase> {
    return (await send<KnowledgeBase>("PATCH", base(key), { body: { name } })).data;
  },

  async remove(key: string): Promise<void> {
    await send<void>("DELETE", base(key));
  },

  async entries(key: string, query: EntryQuery = {}, signal?: AbortSignal): Promise<EntryPage> {
    const params = new URLSearchParams();
    if (query.q?.trim()) params.set("q", query.q.trim());
    if (query.category) params.set("category", query.category);
    if (query.limit) params.set("limit", String(query.limit));
    if (query.cursor) params.set("cursor", query.cursor);
    const search = params.toString();
    const page = (await send<EntryPage>("GET", `${base(key)}/entries${search ? `?${search}` : ""}`, { signal })).data;
    return { items: page.items ?? [], next_cursor: page.next_cursor ?? null };
  },

  async createEntry(key: string, entry: EntryDraft): Promise<KnowledgeEntry> {
    return (await send<KnowledgeEntry>("POST", `${base(key)}/entries`, { body: entry })).data;
  },

  async saveEntry(key: string, id: string, entry: EntryDraft): Promise<KnowledgeEntry> {
    return (await send<KnowledgeEntry>("PUT", `${base(key)}/entries/${enc(id)}`, { body: entry })).data;
  },

  async deleteEntry(key: string, id: string): Promise<void> {
    await send<void>("DELETE", `${base(key)}/entries/${enc(id)}`);
  },

  async revisions(key: string): Promise<KnowledgeRevision[]> {
    return (await send<{ items: KnowledgeRevision[] }>("GET", `${base(key)}/revisions`)).data.items;
  },

  async search(key: string, question: string, limit = 5): Promise<SearchAnswer> {
    return (await send<SearchAnswer>("POST", `${base(key)}/search`, { body: { question, limit } })).data;
  },

  /**
   * Imports a CSV or XLSX file. An all-or-nothing import with a bad row is answered 422 with
   * the same per-row report; that comes back as a report with `rejected`, not as an error.
   */
  async importFile(key: string, file: Blob, type: string, mode: ImportMode): Promise<ImportReport> {
    try {
      const { data } = await send<Omit<ImportReport, "rejected">>("POST", `${base(key)}/import?mode=${mode}`, {
        raw: { data: file, type },
      });
      return { ...data, rejected: false };
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && isImportReport(error.body)) {
        return { ...error.body, rejected: true };
      }
      throw error;
    }
  },

  async exportFile(key: string, format: ExportFormat): Promise<{ blob: Blob; fileName: string | null }> {
    return receiveFile(`${base(key)}/export?format=${format}`);
  },
};
