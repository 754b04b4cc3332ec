import { describe, expect, it } from "vitest";

import { fillPlaceholders, placeholdersOf } from "../nodes/http/HttpTester";
import { toEditorDiagnostics } from "./CodeField";

describe("toEditorDiagnostics", () => {
  it("places a diagnostic at its line and column", () => {
    const text = "let x = 1;\nlet y = ;";
    const [d] = toEditorDiagnostics(text, [{ severity: "error", code: "script_syntax", field: "/nodes/0/code", message: "m", line: 2, column: 9 }]);
    expect(text.slice(d.from, d.to)).toBe(";");
    expect(d.severity).toBe("error");
  });

  it("marks the whole text without a position", () => {
    const [d] = toEditorDiagnostics("hello", [{ severity: "warning", code: "x", field: "/f", message: "m" }]);
    expect([d.from, d.to, d.severity]).toEqual([0, 5, "warning"]);
  });

  it("stays inside the text whatever the position says", () => {
    const [d] = toEditorDiagnostics("ab", [{ severity: "error", code: "x", field: "/f", message: "m", line: 1, column: 40 }]);
    expect(d.from).toBeLessThanOrEqual(2);
    expect(d.to).toBeLessThanOrEqual(2);
  });
});

describe("http test placeholders", () => {
  it("finds each placeholder once and fills them", () => {
    const found = placeholdersOf(["{{tenant.api}}/orders/{{ vars.order_id }}", '{"id": {{ vars.order_id }}}', null]);
    expect(found).toEqual(["tenant.api", "vars.order_id"]);
    expect(fillPlaceholders("{{tenant.api}}/orders/{{ vars.order_id }}", { "tenant.api": "https://shop", "vars.order_id": "42" })).toBe(
      "https://shop/orders/42",
    );
    // Without a value, a placeholder stays for the server to fill (tenant.api from the shop).
    expect(fillPlaceholders("{{tenant.api}}/orders/{{ vars.order_id }}", { "vars.order_id": "42" })).toBe(
      "{{tenant.api}}/orders/42",
    );
  });
});
