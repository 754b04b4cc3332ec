// A contact's edit form and what it sends: only what changed, custom fields removed with `null`,
// numbers kept numbers (flows compare them as numbers), the consent time as epoch milliseconds.

import type { Contact, ContactPatch, FieldValue } from "./api";

/** A custom field as the form holds it. */
export interface FieldRow {
  name: string;
  value: string;
}

export interface ContactDraft {
  phone: string;
  name: string;
  fields: FieldRow[];
  consentSource: string;
  /** A `datetime-local` value (local time), or "" for none. */
  consentAt: string;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Epoch milliseconds as a `datetime-local` value in the browser's time zone. */
export function localInput(ms: number | null | undefined): string {
  if (ms == null) return "";
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value as epoch milliseconds; null for "" or nonsense. */
export function fromLocalInput(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

export function draftOf(contact: Contact): ContactDraft {
  return {
    phone: contact.phone,
    name: contact.name,
    fields: Object.entries(contact.fields).map(([name, value]) => ({ name, value: String(value) })),
    consentSource: contact.consent_source,
    consentAt: localInput(contact.consent_at),
  };
}

/** The value to send: a number where the contact had one and the text still is one. */
function valueOf(text: string, before: FieldValue | undefined): FieldValue {
  const trimmed = text.trim();
  if (typeof before === "number" && trimmed !== "" && Number.isFinite(Number(trimmed))) return Number(trimmed);
  return trimmed;
}

/** The change from `contact` to `draft`, or null when nothing changed. */
export function contactPatch(contact: Contact, draft: ContactDraft): ContactPatch | null {
  const patch: ContactPatch = {};
  if (draft.phone.trim() !== contact.phone) patch.phone = draft.phone.trim();
  if (draft.name.trim() !== contact.name) patch.name = draft.name.trim();
  if (draft.consentSource.trim() !== contact.consent_source) patch.consent_source = draft.consentSource.trim();
  const consentAt = fromLocalInput(draft.consentAt);
  if (draft.consentAt !== localInput(contact.consent_at)) patch.consent_at = consentAt;
  const fields: Record<string, FieldValue | null> = {};
  const kept = new Set<string>();
  for (const row of draft.fields) {
    const name = row.name.trim();
    if (!name) continue;
    kept.add(name);
    const value = valueOf(row.value, contact.fields[name]);
    if (contact.fields[name] !== value) fields[name] = value;
  }
  for (const name of Object.keys(contact.fields)) if (!kept.has(name)) fields[name] = null;
  if (Object.keys(fields).length > 0) patch.fields = fields;
  return Object.keys(patch).length > 0 ? patch : null;
}

/** Custom-field names the form holds twice: one would silently replace the other. Whether a
 * name can be a variable is the server's to say (it names the field). */
export function repeatedFieldNames(draft: ContactDraft): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const row of draft.fields) {
    const name = row.name.trim();
    if (!name) continue;
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated];
}

/** The custom-field names of a page of contacts, as columns: in the order they first come. */
export function fieldColumns(contacts: Contact[]): string[] {
  const names = new Set<string>();
  for (const contact of contacts) for (const name of Object.keys(contact.fields)) names.add(name);
  return [...names];
}
