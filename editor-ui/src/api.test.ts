import { afterEach, describe, expect, it, vi } from "vitest";

import { api, ApiError, fileNameOf } from "./api";
import { stubFetch } from "./test/fetch";

const json = (status: number, body: unknown, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });

afterEach(() => vi.unstubAllGlobals());

describe("api", () => {
  it("keeps the CSRF token from the login and sends it on writes only", async () => {
    const calls = stubFetch(({ url }) =>
      url.endsWith("/auth/login")
        ? json(200, { csrf_token: "tok123", user: { id: "u", email: "a@b", display_name: "A", role: "owner", tenant_id: "t" } })
        : json(200, url.includes("validate") ? { valid: true, diagnostics: [] } : []),
    );
    await api.login("a@b", "pw");
    await api.listFlows("订单");
    await api.validate({ schema: 1, name: "x", language: "zh-CN", start: "", nodes: [] });
    const headers = (i: number) => calls[i].init.headers as Record<string, string>;
    expect(headers(0)["X-CSRF-Token"]).toBeUndefined();
    expect(calls[1].url).toBe("/api/v1/flows?search=%E8%AE%A2%E5%8D%95");
    expect(headers(1)["X-CSRF-Token"]).toBeUndefined();
    expect(headers(2)["X-CSRF-Token"]).toBe("tok123");
    expect(sessionStorage.getItem("callflow.csrf")).toBe("tok123");
  });

  it("saves with If-Match and turns a 412 problem into an ApiError", async () => {
    const calls = stubFetch(() =>
      json(412, { type: "https://callflow.dev/problems/revision-conflict", title: "Precondition Failed", status: 412, code: "revision_conflict", detail: "the flow was saved by someone else" }, "application/problem+json"),
    );
    const error = await api.saveFlow("flw_1", { schema: 1, name: "x", language: "zh-CN", start: "", nodes: [] }, 7).catch((e) => e);
    expect((calls[0].init.headers as Record<string, string>)["If-Match"]).toBe('"7"');
    expect(calls[0].init.method).toBe("PUT");
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 412, code: "revision_conflict", detail: "the flow was saved by someone else" });
  });

  it("keeps the field errors of a validation problem", async () => {
    stubFetch(() =>
      json(422, { status: 422, code: "flow_invalid", detail: "2 errors", errors: [{ field: "/nodes/0/next", code: "missing_port", message: "empty", node: "a" }] }),
    );
    const error = (await api.publish("f", "note", 3).catch((e) => e)) as ApiError;
    expect(error.errors).toEqual([{ field: "/nodes/0/next", code: "missing_port", message: "empty", node: "a" }]);
  });

  it("reports an unreachable server as a network error", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api.me()).rejects.toMatchObject({ status: 0, code: "network" });
  });

  it("treats a server without templates as having none", async () => {
    stubFetch(() => json(404, { status: 404, code: "not_found", detail: "GET /api/v1/templates was not found" }));
    expect(await api.listTemplates()).toEqual([]);
  });

  it("starts draft sessions and sends events", async () => {
    const calls = stubFetch(() => json(200, { id: "s1" }));
    await api.startSession("flw_1");
    await api.sendEvent("s1", { type: "digits", digits: "12#" });
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ flow_id: "flw_1", version: "draft" });
    expect(calls[1].url).toBe("/api/v1/sessions/s1/events");
    expect(JSON.parse(String(calls[1].init.body))).toEqual({ type: "digits", digits: "12#" });
  });
});

describe("fileNameOf", () => {
  it("prefers the UTF-8 name", () => {
    expect(fileNameOf(`attachment; filename="order-status.json"`)).toBe("order-status.json");
    expect(fileNameOf(`attachment; filename="____.json"; filename*=UTF-8''%E8%AE%A2%E5%8D%95.json`)).toBe("订单.json");
    expect(fileNameOf(null)).toBeNull();
  });
});
