import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, setRequestLanguage } from "../api";
import { doNotCallApi } from "../donotcall/api";
import { XLSX_TYPE } from "../files";
import { stubFetch, type Call } from "../test/fetch";
import { contactsApi, pageQuery } from "./api";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json" } });

const headers = (call: Call) => call.init.headers as Record<string, string>;

afterEach(() => {
  vi.unstubAllGlobals();
  setRequestLanguage(null);
});

describe("pageQuery", () => {
  it("sends only what is set, the search trimmed and encoded", () => {
    expect(pageQuery({})).toBe("");
    expect(pageQuery({ search: "  ", offset: 0 })).toBe("");
    expect(pageQuery({ search: " 张 伟 ", offset: 50, limit: 50 })).toBe("?search=%E5%BC%A0+%E4%BC%9F&offset=50&limit=50");
    expect(pageQuery({ search: "+86" })).toBe("?search=%2B86");
  });
});

describe("contact lists API client", () => {
  it("reads a list's contacts page by page, its id encoded", async () => {
    const calls = stubFetch(() => json(200, { contacts: [], total: 0 }));
    await contactsApi.contacts("ctl/1", { search: "138", offset: 100, limit: 50 });
    expect(calls[0].url).toBe("/api/v1/contact-lists/ctl%2F1/contacts?search=138&offset=100&limit=50");
    expect(calls[0].init.method).toBe("GET");
  });

  it("creates and renames lists with the name trimmed, and deletes them", async () => {
    const calls = stubFetch(({ init }) => (init.method === "DELETE" ? new Response(null, { status: 204 }) : json(200, { id: "ctl_1", name: "会员" })));
    await contactsApi.createList("  会员 ");
    await contactsApi.renameList("ctl_1", " 老客户 ");
    await contactsApi.deleteList("ctl_1");
    expect(calls.map((call) => `${call.init.method} ${call.url}`)).toEqual([
      "POST /api/v1/contact-lists",
      "PATCH /api/v1/contact-lists/ctl_1",
      "DELETE /api/v1/contact-lists/ctl_1",
    ]);
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ name: "会员" });
    expect(JSON.parse(String(calls[1].init.body))).toEqual({ name: "老客户" });
  });

  it("sends a contact's change as JSON to the contact", async () => {
    const calls = stubFetch(() => json(200, { id: "con_1" }));
    await contactsApi.updateContact("ctl_1", "con_1", { fields: { birthday: "1990-03-08", vip: null } });
    expect(calls[0].url).toBe("/api/v1/contact-lists/ctl_1/contacts/con_1");
    expect(calls[0].init.method).toBe("PATCH");
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ fields: { birthday: "1990-03-08", vip: null } });
  });

  it("sends a sheet as it is, with its type, the CSRF token and the editor's language", async () => {
    sessionStorage.setItem("callflow.csrf", "tok");
    setRequestLanguage("zh-CN");
    const result = { rows: 3, created: 1, updated: 0, merged: 1, failed: 1, errors: [{ row: 3, column: "手机", message: "号码“12345”太短" }] };
    const calls = stubFetch(() => json(200, result));
    const file = new Blob(["手机,姓名\n"], { type: "text/csv" });
    expect(await contactsApi.importFile("ctl_1", file, "text/csv")).toEqual(result);
    expect(calls[0].url).toBe("/api/v1/contact-lists/ctl_1/import");
    expect(calls[0].init.body).toBe(file);
    expect(headers(calls[0])).toMatchObject({ "Content-Type": "text/csv", "X-CSRF-Token": "tok", "Accept-Language": "zh-CN" });
  });

  it("throws a refused file as a problem with the server's words", async () => {
    stubFetch(() => json(413, { code: "file_too_large", detail: "文件太大了：最多 16 MB。" }));
    const error = await contactsApi.importFile("ctl_1", new Blob(["x"]), XLSX_TYPE).catch((caught) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, code: "file_too_large", detail: "文件太大了：最多 16 MB。" });
  });
});

describe("do-not-call API client", () => {
  it("lists with a search and an offset", async () => {
    const calls = stubFetch(() => json(200, { entries: [], total: 0 }));
    await doNotCallApi.list({ search: "投诉", offset: 50, limit: 50 });
    expect(calls[0].url).toBe("/api/v1/do-not-call?search=%E6%8A%95%E8%AF%89&offset=50&limit=50");
  });

  it("adds a number with its note, trimmed", async () => {
    const calls = stubFetch(() => json(200, { phone: "+8613800138000", source: "manual", note: "客户来电要求", added_by: "user:u1", created_at: 1 }));
    await doNotCallApi.add(" 138 0013 8000 ", " 客户来电要求 ");
    expect(calls[0].init.method).toBe("POST");
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ phone: "138 0013 8000", note: "客户来电要求" });
  });

  it("removes a number with its plus kept a plus", async () => {
    const calls = stubFetch(() => new Response(null, { status: 204 }));
    await doNotCallApi.remove("+8613800138000");
    expect(calls[0].url).toBe("/api/v1/do-not-call/%2B8613800138000");
    expect(calls[0].init.method).toBe("DELETE");
  });

  it("imports a sheet to the import path and reports field problems as errors", async () => {
    const calls = stubFetch(() => json(200, { rows: 1, added: 1, already_listed: 0, failed: 0, errors: [] }));
    await doNotCallApi.importFile(new Blob(["电话\n13700137000\n"]), "text/csv");
    expect(calls[0].url).toBe("/api/v1/do-not-call/import");
    expect(headers(calls[0])["Content-Type"]).toBe("text/csv");

    stubFetch(() => json(422, { code: "invalid_do_not_call", detail: "x", errors: [{ field: "/phone", code: "invalid_phone", message: "号码太短" }] }));
    const error = await doNotCallApi.add("12", "").catch((caught) => caught);
    expect(error).toMatchObject({ status: 422, code: "invalid_do_not_call", errors: [{ field: "/phone" }] });
  });
});
