import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AnalyticsStrip } from "../editor/canvasNodes";
import { I18nProvider, type Lang } from "../i18n";
import { stubFetch, type Call } from "../test/fetch";
import type { Funnel } from "./api";
import { AnalyticsBar } from "./AnalyticsBar";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const versions = [1, 2, 3].map((version) => ({ version, note: "", draft_revision: version, created_at: 0, created_by: "me" }));
// The shop's last seven days, which need not be the browser's.
const funnel: Funnel = {
  from: "2026-11-24",
  to: "2026-11-30",
  nodes: [{ node: "ask_need", reached: 1234, entered: 1300, ended: 10, abandoned: 617, no_match: 5, no_input: 0 }],
  steps: [],
};

function show(ui: React.ReactNode, lang: Lang = "zh-CN") {
  return render(<I18nProvider initial={lang}>{ui}</I18nProvider>);
}

function serve(answer: (call: Call) => Response | undefined): Call[] {
  return stubFetch((call) => {
    if (call.url === "/api/v1/flows/f1/versions") return json(200, versions);
    return answer(call) ?? json(404, { code: "not_found", detail: call.url });
  });
}

const funnelCalls = (calls: Call[]) =>
  calls.filter((c) => c.url.startsWith("/api/v1/analytics/funnel")).map((c) => Object.fromEntries(new URL(c.url, "http://x").searchParams));

afterEach(() => vi.unstubAllGlobals());

describe("the analytics bar", () => {
  it("asks for the live version over the shop's last seven days, then for the version and days chosen", async () => {
    const calls = serve((call) => (call.url.startsWith("/api/v1/analytics/funnel") ? json(200, funnel) : undefined));
    const onFunnel = vi.fn();
    show(<AnalyticsBar flowId="f1" publishedVersion={2} refreshKey={0} onFunnel={onFunnel} onClose={() => {}} />);
    await waitFor(() => expect(onFunnel).toHaveBeenLastCalledWith(funnel));
    // The server counts the last seven days in the shop's time zone, and the days it names
    // are shown.
    await waitFor(() => expect((screen.getByTestId("analytics-from") as HTMLInputElement).value).toBe(funnel.from));
    expect((screen.getByTestId("analytics-to") as HTMLInputElement).value).toBe(funnel.to);
    expect(funnelCalls(calls).every((asked) => !("from" in asked) && !("to" in asked))).toBe(true);
    expect(funnelCalls(calls)[0]).toEqual({ flow_id: "f1", version: "2" });

    fireEvent.change(screen.getByTestId("analytics-version"), { target: { value: "1" } });
    await waitFor(() => expect(funnelCalls(calls).at(-1)).toEqual({ flow_id: "f1", version: "1" }));

    fireEvent.change(screen.getByTestId("analytics-from"), { target: { value: "2026-11-01" } });
    await waitFor(() => expect(funnelCalls(calls).at(-1)).toEqual({ flow_id: "f1", version: "1", from: "2026-11-01", to: funnel.to }));
    fireEvent.change(screen.getByTestId("analytics-to"), { target: { value: "2026-11-30" } });
    await waitFor(() => expect(funnelCalls(calls).at(-1)).toEqual({ flow_id: "f1", version: "1", from: "2026-11-01", to: "2026-11-30" }));
    await waitFor(() => expect(onFunnel).toHaveBeenLastCalledWith(funnel));
    // A first day after the last is not asked about, and nothing is drawn.
    const asked = funnelCalls(calls).length;
    fireEvent.change(screen.getByTestId("analytics-from"), { target: { value: "2026-12-01" } });
    expect((await screen.findByTestId("analytics-bad-range")).textContent).toBe("开始日期不能晚于结束日期。");
    expect(funnelCalls(calls)).toHaveLength(asked);
    expect(onFunnel).toHaveBeenLastCalledWith(null);
  });

  it("says when the version had no calls, in both languages", async () => {
    serve((call) => (call.url.startsWith("/api/v1/analytics/funnel") ? json(200, { nodes: [], steps: [] }) : undefined));
    const { unmount } = show(<AnalyticsBar flowId="f1" publishedVersion={3} refreshKey={0} onFunnel={() => {}} onClose={() => {}} />);
    expect((await screen.findByTestId("analytics-empty")).textContent).toBe("这段时间内版本 3 没有通话。");
    unmount();
    show(<AnalyticsBar flowId="f1" publishedVersion={3} refreshKey={0} onFunnel={() => {}} onClose={() => {}} />, "en");
    expect((await screen.findByTestId("analytics-empty")).textContent).toBe("No calls in this period for version 3.");
  });

  it("shows the server's message when the count fails", async () => {
    serve((call) =>
      call.url.startsWith("/api/v1/analytics/funnel")
        ? json(400, { code: "invalid_parameter", detail: "“to” 早于 “from”。", errors: [{ field: "to", code: "invalid", message: "x" }] })
        : undefined,
    );
    const onFunnel = vi.fn();
    show(<AnalyticsBar flowId="f1" publishedVersion={3} refreshKey={0} onFunnel={onFunnel} onClose={() => {}} />);
    expect((await screen.findByTestId("error-alert")).textContent).toContain("“to” 早于 “from”。");
    expect(onFunnel).not.toHaveBeenCalledWith(expect.objectContaining({ nodes: expect.anything() }));
  });
});

describe("a node's badge strip", () => {
  const stats = { reached: 1234, hungUp: 617, hangupShare: 0.5, noMatch: 5, noInput: 0, mostHangups: true };

  it("shows calls reached, hang-ups with their share, and the non-zero counts, formatted for the language", () => {
    show(<AnalyticsStrip nodeId="ask_need" stats={stats} />, "en");
    const strip = screen.getByTestId("analytics-ask_need");
    expect(strip.dataset.reached).toBe("1234");
    expect(strip.querySelector(".stat-reached")?.textContent).toBe("👥 1,234");
    expect(strip.querySelector(".stat-hungup")?.textContent).toBe("📵 617 · 50%");
    expect(strip.querySelector(".stat-nomatch")?.textContent).toBe("❓ 5");
    expect(strip.querySelector(".stat-noinput")).toBeNull();
    expect(strip.textContent).toContain("617 hung up here (50%)");
  });

  it("reads in Chinese, and shows zero for a node nobody reached", () => {
    show(
      <>
        <AnalyticsStrip nodeId="ask_need" stats={stats} />
        <AnalyticsStrip nodeId="say_bye" stats={null} />
      </>,
    );
    expect(screen.getByTestId("analytics-ask_need").textContent).toContain("617 通在此挂断（50%）");
    expect(screen.getByTestId("analytics-say_bye").dataset.reached).toBe("0");
    expect(screen.getByTestId("analytics-say_bye").title).toBe("这段时间没有通话到达");
  });
});
