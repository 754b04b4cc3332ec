import { describe, expect, it } from "vitest";

import type { Diagnostic } from "../api";
import { countByOwner, locateDiagnostics, sortDiagnostics } from "./diagnostics";
import { FLOW_NODE_ID } from "./ports";
import type { FlowDocument } from "./types";

const doc: FlowDocument = {
  schema: 1,
  name: "d",
  language: "zh-CN",
  start: "a",
  nodes: [
    { id: "a", type: "say", text: "", next: "b" },
    { id: "b", type: "http", url: "", on_status: { "4/4": "" }, next: "", error: "" },
  ],
};

const diag = (field: string, severity: "error" | "warning" = "error", node?: string): Diagnostic => ({
  severity,
  code: "x",
  field,
  message: "m",
  node,
});

describe("locateDiagnostics", () => {
  it("maps /nodes/<i>/… to the node and the field below it", () => {
    const [first, second] = locateDiagnostics([diag("/nodes/1/on_status/4~14"), diag("/nodes/0/text", "warning", "a")], doc);
    expect(first).toMatchObject({ owner: "b", path: "/on_status/4~14" });
    expect(second).toMatchObject({ owner: "a", path: "/text" });
  });

  it("prefers the diagnostic's node id over the index", () => {
    expect(locateDiagnostics([diag("/nodes/0/next", "error", "renamed")], doc)[0].owner).toBe("renamed");
  });

  it("gives the flow's own fields to the flow", () => {
    expect(locateDiagnostics([diag("/start"), diag("/global_intents/0/next")], doc).map((d) => [d.owner, d.path])).toEqual([
      [FLOW_NODE_ID, "/start"],
      [FLOW_NODE_ID, "/global_intents/0/next"],
    ]);
  });

  it("counts and sorts", () => {
    const located = locateDiagnostics([diag("/nodes/1/url", "warning"), diag("/nodes/1/next"), diag("/nodes/0/next")], doc);
    expect(countByOwner(located).get("b")).toEqual({ errors: 1, warnings: 1 });
    expect(sortDiagnostics(located).map((d) => d.field)).toEqual(["/nodes/0/next", "/nodes/1/next", "/nodes/1/url"]);
  });
});
