// Contact lists through the API: the lists, their contacts page by page, one contact's changes,
// and a CSV or XLSX file imported into a list. The server words row errors in the editor's
// language (`Accept-Language`, which `send` adds).

import { enc, send, V1 } from "../api";

export interface ContactList {
  id: string;
  name: string;
  /** How many contacts it holds. */
  contacts: number;
  created_at: number;
  updated_at: number;
}

/** A custom field's value, as flows read it. */
export type FieldValue = string | number;

export interface Contact {
  id: string;
  list_id: string;
  /** E.164. */
  phone: string;
  name: string;
  fields: Record<string, FieldValue>;
  consent_source: string;
  consent_at?: number | null;
  created_at: number;
  updated_at: number;
}

export interface ContactPage {
  contacts: Contact[];
  /** Contacts that match, over all pages. */
  total: number;
}

/** What a change sends: left out stays; in `fields`, `null` removes a field. */
export interface ContactPatch {
  phone?: string;
  name?: string;
  fields?: Record<string, FieldValue | null>;
  consent_source?: string;
  consent_at?: number | null;
}

/** A row an import left out, with the column and why. */
export interface RowError {
  /** As the spreadsheet numbers it: the header is row 1. */
  row: number;
  column: string;
  message: string;
}

export interface ContactImportResult {
  rows: number;
  created: number;
  updated: number;
  merged: number;
  failed: number;
  errors: RowError[];
}

export interface PageQuery {
  search?: string;
  offset?: number;
  limit?: number;
}

export const PAGE_SIZE = 50;

/** `?search=…&offset=…&limit=…` with only what is set; blank searches and offset 0 left out. */
export function pageQuery(query: PageQuery): string {
  const params = new URLSearchParams();
  if (query.search?.trim()) params.set("search", query.search.trim());
  if (query.offset) params.set("offset", String(query.offset));
  if (query.limit) params.set("limit", String(query.limit));
  const text = params.toString();
  return text ? `?${text}` : "";
}

const list = (id: string) => `${V1}/contact-lists/${enc(id)}`;

export const contactsApi = {
  async lists(signal?: AbortSignal): Promise<ContactList[]> {
    return (await send<ContactList[]>("GET", `${V1}/contact-lists`, { signal })).data;
  },

  async getList(id: string): Promise<ContactList> {
    return (await send<ContactList>("GET", list(id))).data;
  },

  async createList(name: string): Promise<ContactList> {
    return (await send<ContactList>("POST", `${V1}/contact-lists`, { body: { name: name.trim() } })).data;
  },

  async renameList(id: string, name: string): Promise<ContactList> {
    return (await send<ContactList>("PATCH", list(id), { body: { name: name.trim() } })).data;
  },

  async deleteList(id: string): Promise<void> {
    await send<void>("DELETE", list(id));
  },

  async contacts(id: string, query: PageQuery = {}, signal?: AbortSignal): Promise<ContactPage> {
    return (await send<ContactPage>("GET", `${list(id)}/contacts${pageQuery(query)}`, { signal })).data;
  },

  async getContact(id: string, contactId: string): Promise<Contact> {
    return (await send<Contact>("GET", `${list(id)}/contacts/${enc(contactId)}`)).data;
  },

  async updateContact(id: string, contactId: string, patch: ContactPatch): Promise<Contact> {
    return (await send<Contact>("PATCH", `${list(id)}/contacts/${enc(contactId)}`, { body: patch })).data;
  },

  async deleteContact(id: string, contactId: string): Promise<void> {
    await send<void>("DELETE", `${list(id)}/contacts/${enc(contactId)}`);
  },

  /** Sends the file as it is, with its content type; bad rows come back in the result. */
  async importFile(id: string, file: Blob, type: string): Promise<ContactImportResult> {
    return (await send<ContactImportResult>("POST", `${list(id)}/import`, { raw: { data: file, type } })).data;
  },
};
