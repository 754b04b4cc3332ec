import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import type { FlowView, Me } from "../api";
import type { FlowDocument } from "../flow/types";
import { I18nProvider } from "../i18n";
import { EditorPage } from "../pages/EditorPage";
import { stubFetch } from "../test/fetch";
import { lastSevenDays } from "./funnel";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

const draft = {
  name: "查订单",
  start: "ask_need",
  nodes: [
    { id: "ask_need", type: "ask", prompt: "请问您想办理什么？", intents: [{ name: "agent", examples: ["转人工"], next: "handoff_agent" }], position: { x: 0, y: 0 } },
    { id: "handoff_agent", type: "handoff", target: "queue:agents", position: { x: 300, y: 0 } },
    { id: "end", type: "end", position: { x: 600, y: 0 } },
  ],
} as unknown as FlowDocument;

const view: FlowView = { id: "f1", name: "查订单", revision: 4, published_version: 2, created_at: 0, updated_at: 0, draft, diagnostics: [] };
const me: Me = { tenant_id: "t", tenant_name: "Shop", role: "viewer", actor: "me" };

beforeAll(() => {
  // React Flow measures nodes; jsdom has no layout.
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      unobserve() {}
      disconnect() {}
    },
  );
});

afterEach(() => vi.unstubAllGlobals());

describe("the analytics overlay in the editor", () => {
  it("is off until the toolbar's toggle, then counts the live version over the shop's last seven days onto the nodes", async () => {
    const calls = stubFetch((call) => {
      if (call.url === "/api/v1/flows/f1") return json(200, view);
      if (call.url === "/api/v1/flows/f1/versions") return json(200, [1, 2].map((version) => ({ version, note: "", draft_revision: 1, created_at: 0, created_by: "me" })));
      if (call.url.startsWith("/api/v1/analytics/funnel"))
        return json(200, {
          nodes: [{ node: "ask_need", reached: 3, entered: 3, ended: 1, abandoned: 1, no_match: 0, no_input: 2 }],
          steps: [{ from: "ask_need", to: "handoff_agent", calls: 2 }],
        });
      if (call.url === "/api/v1/flows") return json(200, []);
      if (call.url === "/api/v1/flows/validate") return json(200, { valid: true, diagnostics: [] });
      return json(404, { code: "not_found", detail: call.url });
    });
    render(
      <I18nProvider initial="zh-CN">
        <EditorPage flowId="f1" me={me} />
      </I18nProvider>,
    );
    await screen.findByTestId("node-ask_need");
    expect(screen.queryByTestId("analytics-ask_need")).toBeNull();
    expect(calls.some((c) => c.url.includes("/analytics/"))).toBe(false);

    const toggle = screen.getByTestId("toolbar-analytics");
    expect(toggle.textContent).toContain("数据");
    fireEvent.click(toggle);
    const strip = await screen.findByTestId("analytics-ask_need");
    expect(strip.dataset.reached).toBe("3");
    expect(strip.dataset.noInput).toBe("2");
    const asked = calls.filter((c) => c.url.startsWith("/api/v1/analytics/funnel")).map((c) => c.url);
    // The server's default days: the last seven in the shop's time zone.
    expect(asked).toEqual(["/api/v1/analytics/funnel?flow_id=f1&version=2"]);
    expect((screen.getByTestId("analytics-from") as HTMLInputElement).value).toBe(lastSevenDays().from);
    // Nobody reached the handoff's neighbour: dimmed; the node with the hang-up is marked.
    expect(screen.getByTestId("node-end").className).toContain("analytics-unreached");
    expect(screen.getByTestId("node-ask_need").className).toContain("analytics-top-hangups");

    fireEvent.click(toggle);
    await waitFor(() => expect(screen.queryByTestId("analytics-ask_need")).toBeNull());
    expect(screen.getByTestId("node-end").className).not.toContain("analytics-unreached");
  });
});
