import { describe, expect, it } from "vitest";

import { parseRoute } from "../router";
import { retentionDays } from "./api";

describe("the privacy page", () => {
  it("has a route of its own", () => {
    expect(parseRoute("#/privacy")).toEqual({ name: "privacy" });
    expect(parseRoute("#/privacy/")).toEqual({ name: "privacy" });
  });

  it("takes whole days from 1 to 3650 and nothing else as a retention", () => {
    expect(retentionDays(" 30 ")).toBe(30);
    expect(retentionDays("3650")).toBe(3650);
    for (const text of ["", "0", "3651", "1.5", "-3", "三十"]) expect(retentionDays(text)).toBeNull();
  });
});
