// JSON pointers (RFC 6901) and immutable updates along a path of keys.

export type PathKey = string | number;

export function escapeSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

export function toPointer(path: readonly PathKey[]): string {
  return path.map((key) => "/" + escapeSegment(String(key))).join("");
}

/** The segments of a pointer, unescaped; `""` is the whole document. */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.replace(/^\//, "").split("/").map(unescapeSegment);
}

export function getAt(value: unknown, path: readonly PathKey[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[String(key)];
  }
  return current;
}

function shallowCopy(value: unknown, nextKey: PathKey): Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return value.slice();
  if (value !== null && typeof value === "object") return { ...(value as Record<string, unknown>) };
  return typeof nextKey === "number" ? [] : {};
}

/** A copy of `value` with `path` set to `next`; objects along the way are copied, not changed. */
export function setAt<T>(value: T, path: readonly PathKey[], next: unknown): T {
  if (path.length === 0) return next as T;
  const [key, ...rest] = path;
  const copy = shallowCopy(value, key) as Record<string, unknown>;
  copy[String(key)] = setAt(copy[String(key)], rest, next);
  return copy as T;
}

/** A copy of `value` without the field at `path` (an array element is spliced out). */
export function removeAt<T>(value: T, path: readonly PathKey[]): T {
  if (path.length === 0) return value;
  const [key, ...rest] = path;
  if (value === null || typeof value !== "object") return value;
  if (rest.length === 0) {
    if (Array.isArray(value)) {
      const copy = value.slice();
      copy.splice(Number(key), 1);
      return copy as T;
    }
    if (!(String(key) in (value as object))) return value;
    const copy = { ...(value as Record<string, unknown>) };
    delete copy[String(key)];
    return copy as T;
  }
  const child = (value as Record<string, unknown>)[String(key)];
  if (child === undefined) return value;
  const copy = shallowCopy(value, key) as Record<string, unknown>;
  copy[String(key)] = removeAt(child, rest);
  return copy as T;
}
