import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, setRequestLanguage } from "../api";
import { stubFetch, type Call } from "../test/fetch";
import { knowledgeApi, spreadsheetType, XLSX_TYPE } from "./api";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json" } });

const headers = (call: Call) => call.init.headers as Record<string, string>;

afterEach(() => {
  vi.unstubAllGlobals();
  setRequestLanguage(null);
});

describe("knowledge API client", () => {
  it("lists entries with only the filters that are set, encoded", async () => {
    const calls = stubFetch(() => json(200, { items: [], next_cursor: null }));
    await knowledgeApi.entries("shop-faq", { q: " 退 款 ", category: "售后/退换", limit: 20, cursor: "abc=" });
    await knowledgeApi.entries("shop faq");
    expect(calls[0].url).toBe(
      "/api/v1/knowledge-bases/shop-faq/entries?q=%E9%80%80+%E6%AC%BE&category=%E5%94%AE%E5%90%8E%2F%E9%80%80%E6%8D%A2&limit=20&cursor=abc%3D",
    );
    expect(calls[1].url).toBe("/api/v1/knowledge-bases/shop%20faq/entries");
  });

  it("sends the editor's language so that the server's messages match it", async () => {
    const calls = stubFetch(() => json(200, { items: [] }));
    setRequestLanguage("zh-CN");
    await knowledgeApi.list();
    expect(headers(calls[0])["Accept-Language"]).toBe("zh-CN");
  });

  it("sends a sheet as it is, with its content type, the mode and the CSRF token", async () => {
    sessionStorage.setItem("callflow.csrf", "tok");
    const report = { created: 2, updated: 0, failed: 1, rows: [{ row: 2, status: "created" }, { row: 3, status: "failed", error: { code: "missing_answer", message: "x" } }] };
    const calls = stubFetch(() => json(200, report));
    const file = new Blob(["问题,答案\n"], { type: "text/csv" });
    const answer = await knowledgeApi.importFile("shop-faq", file, "text/csv", "partial");
    expect(calls[0].url).toBe("/api/v1/knowledge-bases/shop-faq/import?mode=partial");
    expect(calls[0].init.method).toBe("POST");
    expect(calls[0].init.body).toBe(file);
    expect(headers(calls[0])["Content-Type"]).toBe("text/csv");
    expect(headers(calls[0])["X-CSRF-Token"]).toBe("tok");
    expect(answer).toEqual({ ...report, rejected: false });
  });

  it("turns an all-or-nothing 422 with row results into a rejected report, other 422s into errors", async () => {
    const rows = [{ row: 4, status: "failed", error: { code: "missing_question", message: "no question" } }];
    stubFetch(() => json(422, { code: "import_failed", created: 0, updated: 0, failed: 1, rows }));
    const answer = await knowledgeApi.importFile("k", new Blob(["x"]), XLSX_TYPE, "all_or_nothing");
    expect(answer.rejected).toBe(true);
    expect(answer.rows).toEqual(rows);

    stubFetch(() => json(422, { code: "invalid_spreadsheet", detail: "not a workbook" }));
    const error = await knowledgeApi.importFile("k", new Blob(["x"]), XLSX_TYPE, "partial").catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "invalid_spreadsheet" });
  });

  it("downloads an export with the server's file name", async () => {
    const calls = stubFetch(
      () =>
        new Response("问题,答案\n", {
          status: 200,
          headers: { "Content-Type": "text/csv", "Content-Disposition": "attachment; filename=\"faq.csv\"; filename*=UTF-8''%E5%B8%B8%E8%A7%81%E9%97%AE%E9%A2%98.csv" },
        }),
    );
    const { blob, fileName } = await knowledgeApi.exportFile("shop-faq", "csv");
    expect(calls[0].url).toBe("/api/v1/knowledge-bases/shop-faq/export?format=csv");
    expect(fileName).toBe("常见问题.csv");
    expect(await blob.text()).toBe("问题,答案\n");
  });

  it("reports a refused export as a problem, not as a file", async () => {
    stubFetch(() => json(404, { code: "not_found", detail: "no such knowledge base" }));
    await expect(knowledgeApi.exportFile("gone", "xlsx")).rejects.toMatchObject({ status: 404, code: "not_found" });
  });

  it("writes entries as JSON: PUT to the entry, POST to the list", async () => {
    const calls = stubFetch(({ init }) => json(init.method === "POST" ? 201 : 200, { id: "e1" }));
    const draft = { question: "怎么退款", alternatives: ["退钱"], answer: "7 天内可退。", category: "退款", enabled: true };
    await knowledgeApi.createEntry("shop-faq", draft);
    await knowledgeApi.saveEntry("shop-faq", "e/1", draft);
    expect(calls[0].url).toBe("/api/v1/knowledge-bases/shop-faq/entries");
    expect(calls[1].url).toBe("/api/v1/knowledge-bases/shop-faq/entries/e%2F1");
    expect(calls[1].init.method).toBe("PUT");
    expect(JSON.parse(String(calls[1].init.body))).toEqual(draft);
  });
});

describe("spreadsheetType", () => {
  it("knows a sheet by its type or else its name", () => {
    expect(spreadsheetType({ name: "faq.XLSX", type: "" })).toBe(XLSX_TYPE);
    expect(spreadsheetType({ name: "faq.csv", type: "" })).toBe("text/csv");
    expect(spreadsheetType({ name: "faq", type: "text/csv" })).toBe("text/csv");
    expect(spreadsheetType({ name: "faq.xls", type: "application/vnd.ms-excel" })).toBeNull();
  });
});
