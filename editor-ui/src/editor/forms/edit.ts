// Small helpers for editing node fields the way the flow format stores them: optional fields
// that are empty (or at their default) are left out.

/** Sets `key`, or removes it when `value` is empty (undefined, null or ""). */
export function withOptional<T extends object>(node: T, key: string, value: unknown): T {
  const copy = { ...node } as Record<string, unknown>;
  if (value === undefined || value === null || value === "") delete copy[key];
  else copy[key] = value;
  return copy as T;
}

/** Sets a list, or removes it when empty. */
export function withList<T extends object>(node: T, key: string, value: readonly unknown[]): T {
  const copy = { ...node } as Record<string, unknown>;
  if (value.length === 0) delete copy[key];
  else copy[key] = value;
  return copy as T;
}

/** Sets a map, or removes it when empty. */
export function withMap<T extends object>(node: T, key: string, value: object): T {
  const copy = { ...node } as Record<string, unknown>;
  if (Object.keys(value).length === 0) delete copy[key];
  else copy[key] = value;
  return copy as T;
}

/** Sets a flag that defaults to true: true is left out. */
export function withDefaultTrue<T extends object>(node: T, key: string, value: boolean): T {
  const copy = { ...node } as Record<string, unknown>;
  if (value) delete copy[key];
  else copy[key] = false;
  return copy as T;
}

export function replaceAt<T>(items: readonly T[], index: number, item: T): T[] {
  return items.map((old, i) => (i === index ? item : old));
}

export function removeIndex<T>(items: readonly T[], index: number): T[] {
  return items.filter((_, i) => i !== index);
}

export function moveIndex<T>(items: readonly T[], index: number, by: number): T[] {
  const target = index + by;
  if (target < 0 || target >= items.length) return items.slice();
  const copy = items.slice();
  const [item] = copy.splice(index, 1);
  copy.splice(target, 0, item);
  return copy;
}

/** The values of a union the schema defines, in the order given: the type checker refuses a list that misses one. */
export function everyValue<T extends string>(values: Record<T, true>): T[] {
  return Object.keys(values) as T[];
}

export const DTMF_KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#"] as const;
