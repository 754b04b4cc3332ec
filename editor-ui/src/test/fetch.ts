// A stand-in for `fetch` in unit tests: every request is recorded and answered by `respond`.

import { vi } from "vitest";

export interface Call {
  url: string;
  init: RequestInit;
}

export function stubFetch(respond: (call: Call) => Response): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      const call = { url, init };
      calls.push(call);
      return respond(call);
    }),
  );
  return calls;
}
