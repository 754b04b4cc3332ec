// Reading the parts of a document that may not follow the schema: a document being edited often
// does not (a list that is not a list, a name that is not a string), and the editor still draws
// and edits it.

export function textOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

export function arrayOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
}

export function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
