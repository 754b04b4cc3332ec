import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, setRequestLanguage } from "../api";
import { dictionaries, I18nProvider, translate, type Lang } from "../i18n";
import { stubFetch, type Call } from "../test/fetch";
import { campaignsApi, resultQuery, type Campaign, type Progress, type Report, type Settings } from "./api";
import { CampaignForm } from "./CampaignForm";
import { allowedActions, CampaignPage, ProgressCard, ReportCard } from "./CampaignPage";
import { DEFAULT_SETTINGS, draftOfCampaign, inputOf, newDraft, serverProblems, unplacedProblems } from "./form";
import { attemptResultName, contactStatusName, finalStatusName, noteName, npsGroups, statusName } from "./words";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": status < 400 ? "application/json" : "application/problem+json" } });

afterEach(() => {
  vi.unstubAllGlobals();
  setRequestLanguage(null);
});

const settings: Settings = {
  filter: [
    { field: "vip", op: "equals", value: "金卡" },
    { field: "city", op: "present", value: "" },
  ],
  schedule: {
    start_date: "2026-12-08",
    end_date: "2026-12-31",
    windows: [
      { start: "09:30", end: "12:00" },
      { start: "14:00", end: "18:30" },
    ],
    weekdays: [1, 2, 3, 4, 5],
    skip_holidays: false,
    time_zone: "Asia/Hong_Kong",
    contact_time_zone: true,
    stop_margin_minutes: 5,
  },
  pacing: { max_concurrent: 8, calls_per_second: 0.5, carrier_calls_per_second: 2 },
  retries: {
    busy: { max: 3, delay_minutes: 15 },
    no_answer: { max: 1, delay_minutes: 60 },
    failed: { max: 0, delay_minutes: 5 },
    voicemail: { max: 2, delay_minutes: 300 },
    backoff: 1.5,
    max_attempts: 6,
  },
  cap: { calls: 1, days: 30 },
  machine: { action: "leave_message", message: "您好，这里是小店，稍后再联系您。" },
  trigger: { field: "birthday", kind: "lunar_birthday" },
  from: "+8613800138000",
};

const campaign: Campaign = {
  id: "cmp_1",
  name: "生日关怀",
  flow_id: "flw_1",
  flow_title: "满意度回访",
  flow_version: 3,
  list_id: "ctl_1",
  list_name: "会员",
  settings,
  status: "draft",
  kind: "date",
  created_at: 1,
  updated_at: 2,
};

describe("the campaign form's state", () => {
  it("sends back what it was given, every setting unchanged", () => {
    const { input, notNumbers } = inputOf(draftOfCampaign(campaign));
    expect(notNumbers).toEqual([]);
    expect(input).toEqual({ name: "生日关怀", flow_id: "flw_1", flow_version: 3, list_id: "ctl_1", settings });
  });

  it("starts a new campaign with the compliant defaults and no version, so the published one is used", () => {
    const draft = newDraft();
    expect(draft.windows).toEqual([{ start: "09:00", end: "20:00" }]);
    expect(draft.weekdays).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(draft.skipHolidays).toBe(true);
    const { input } = inputOf({ ...draft, name: " 回访 ", flowId: "flw_1", listId: "ctl_1" });
    expect(input).toEqual({ name: "回访", flow_id: "flw_1", list_id: "ctl_1", settings: DEFAULT_SETTINGS });
    expect("flow_version" in input).toBe(false);
  });

  it("names each field that is not a number by the server's pointer", () => {
    const draft = { ...newDraft(), maxConcurrent: "", capDays: "abc" };
    draft.retries = { ...draft.retries, busy: { max: "2", delay: " " } };
    expect(inputOf(draft).notNumbers).toEqual(["/settings/retries/busy/delay_minutes", "/settings/pacing/max_concurrent", "/settings/cap/days"]);
  });

  it("drops what the chosen kind and actions do not use", () => {
    const draft = { ...draftOfCampaign(campaign), kind: "list" as const, machineAction: "hang_up" as const };
    const { input } = inputOf(draft);
    expect(input.settings.trigger).toBeNull();
    expect(input.settings.machine).toEqual({ action: "hang_up", message: "" });
    expect(input.settings.filter[1]).toEqual({ field: "city", op: "present", value: "" });
  });

  it("places each of the server's field errors at its field, and keeps the others for the top", () => {
    const t = (key: Parameters<typeof translate>[1]) => translate("zh-CN", key);
    const error = new ApiError(422, {
      code: "invalid_campaign",
      errors: [
        { field: "/settings/pacing/max_concurrent", code: "out_of_range", message: "须在 1 到 100 之间" },
        { field: "/settings/schedule/windows/1/end", code: "invalid_value", message: "“25:00”不是时间" },
        { field: "/settings/something_new", code: "invalid_value", message: "别的问题" },
      ],
    });
    expect(serverProblems(t, error, "/settings/pacing/max_concurrent")).toEqual(["须在 1 到 100 之间"]);
    expect(serverProblems(t, error, "/settings/pacing/calls_per_second")).toEqual([]);
    expect(serverProblems(t, error, "/settings/schedule/windows")).toEqual(["“25:00”不是时间"]);
    expect(unplacedProblems(t, error)).toEqual(["别的问题"]);
  });
});

describe("campaign words", () => {
  const codes = {
    "status.": ["draft", "running", "paused", "stopped", "completed"],
    "final.": ["completed", "busy", "no_answer", "failed", "voicemail", "opted_out", "do_not_call", "schedule_ended", "not_reached", "stopped", "removed", "interrupted", "queued", "dialing"],
    "note.": ["outside_hours", "holiday", "weekday", "before_start", "after_end", "capped", "paced", "max_concurrent", "busy", "no_answer", "failed", "voicemail", "not_configured", "over_quota", "flow_not_published", "no_number", "invalid_call", "internal"],
    "attempt.": ["completed", "busy", "no_answer", "failed", "voicemail", "not_dialed", "interrupted"],
  };

  it("word every code the server sends in Chinese and in English", () => {
    for (const [prefix, names] of Object.entries(codes)) {
      for (const name of names) {
        const key = `${prefix}${name}`;
        expect(key in dictionaries["zh-CN"], key).toBe(true);
        expect(dictionaries["zh-CN"][key as keyof (typeof dictionaries)["zh-CN"]], key).toMatch(/[\u4e00-\u9fff]/);
        expect(dictionaries.en[key as keyof (typeof dictionaries)["en"]], key).not.toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it("word the audit log's contact, do-not-call and campaign actions", () => {
    const actions = ["contact_list.create", "contact_list.rename", "contact_list.delete", "contact_list.import", "contact.update", "contact.delete", "do_not_call.add", "do_not_call.remove", "do_not_call.import", ...["create", "update", "delete", "start", "pause", "resume", "stop"].map((one) => `campaign.${one}`)];
    for (const action of actions) {
      expect(`action.${action}` in dictionaries["zh-CN"], action).toBe(true);
      expect(`action.${action}` in dictionaries.en, action).toBe(true);
    }
  });

  it("never show a code, even one this editor does not know", () => {
    const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate("en", key, params);
    expect(statusName(t, "archived")).toBe("Other");
    expect(finalStatusName(t, "no_answer")).toBe("No answer");
    expect(noteName(t, "moon_phase")).toBe("Waiting");
    expect(attemptResultName(t, null)).toBe("on the call");
    expect(attemptResultName(t, "not_dialed")).toBe("Not dialed");
    expect(contactStatusName(t, { state: "queued", final_status: null, note: "not_configured" })).toBe("Waiting: No phone account is set up, so no call can be made (Settings › Telephony account)");
    expect(contactStatusName(t, { state: "done", final_status: "opted_out", note: "" })).toBe("Asked not to be called");
  });

  it("count promoters, passives and detractors of a 0–10 score", () => {
    const groups = npsGroups([
      { value: "10", count: 4 },
      { value: "9", count: 1 },
      { value: "8", count: 2 },
      { value: "6", count: 3 },
      { value: "0", count: 1 },
      { value: "11", count: 7 },
    ]);
    expect(groups).toEqual({ promoters: 5, passives: 2, detractors: 4 });
  });

  it("allow each status only its moves", () => {
    expect(allowedActions("draft")).toEqual(["start"]);
    expect(allowedActions("running")).toEqual(["pause", "stop"]);
    expect(allowedActions("paused")).toEqual(["resume", "stop"]);
    expect(allowedActions("stopped")).toEqual([]);
    expect(allowedActions("completed")).toEqual([]);
  });
});

describe("campaigns API client", () => {
  it("reads and writes campaigns at their addresses, ids encoded", async () => {
    const calls = stubFetch(({ init }) => (init.method === "DELETE" ? new Response(null, { status: 204 }) : json(200, campaign)));
    const input = inputOf(draftOfCampaign(campaign)).input;
    await campaignsApi.create(input);
    await campaignsApi.update("cmp/1", input);
    await campaignsApi.steer("cmp_1", "resume");
    await campaignsApi.remove("cmp_1");
    expect(calls.map((call) => `${call.init.method} ${call.url}`)).toEqual([
      "POST /api/v1/campaigns",
      "PUT /api/v1/campaigns/cmp%2F1",
      "POST /api/v1/campaigns/cmp_1/resume",
      "DELETE /api/v1/campaigns/cmp_1",
    ]);
    expect(JSON.parse(calls[0].init.body as string)).toEqual(input);
  });

  it("asks for a page of contacts' results by status", async () => {
    const calls = stubFetch(() => json(200, { contacts: [], total: 0, columns: [] }));
    await campaignsApi.contacts("cmp_1", { status: "no_answer", offset: 50, limit: 50 });
    expect(calls[0].url).toBe("/api/v1/campaigns/cmp_1/contacts?status=no_answer&offset=50&limit=50");
    expect(resultQuery({})).toBe("");
  });

  it("exports in the editor's language, with the file name the server gives", async () => {
    setRequestLanguage("en");
    const calls = stubFetch(() => new Response("Phone\n", { status: 200, headers: { "Content-Disposition": 'attachment; filename="cmp_1.csv"' } }));
    const { fileName } = await campaignsApi.exportFile("cmp_1", "csv");
    expect(calls[0].url).toBe("/api/v1/campaigns/cmp_1/export?format=csv");
    expect((calls[0].init.headers as Record<string, string>)["Accept-Language"]).toBe("en");
    expect(fileName).toBe("cmp_1.csv");
  });
});

function show(ui: React.ReactNode, lang: Lang = "zh-CN") {
  return render(<I18nProvider initial={lang}>{ui}</I18nProvider>);
}

/** Answers by method and path; anything else is a 404 problem. */
function serve(routes: Record<string, (call: Call) => Response>): Call[] {
  return stubFetch((call) => {
    const route = routes[`${call.init.method ?? "GET"} ${call.url.split("?")[0]}`];
    return route ? route(call) : json(404, { code: "not_found", detail: call.url });
  });
}

const progress: Progress = { contacts: 10, dialed: 6, answered: 4, completed: 3, opted_out: 1, remaining: 4, in_progress: 1, by_status: { completed: 3, no_answer: 2, opted_out: 1 }, calls_per_minute: 2.5, eta_ms: null };

describe("the campaign form", () => {
  it("offers only published flows by title and shows a server error beside its field", async () => {
    const calls = serve({
      "GET /api/v1/flows": () =>
        json(200, [
          { id: "flw_1", name: "satisfaction-survey", title: "满意度回访", revision: 1, published_version: 2, created_at: 1, updated_at: 1 },
          { id: "flw_2", name: "draft-only", title: "草稿流程", revision: 1, published_version: null, created_at: 1, updated_at: 1 },
        ]),
      "GET /api/v1/contact-lists": () => json(200, [{ id: "ctl_1", name: "会员", contacts: 2, created_at: 1, updated_at: 1 }]),
      "GET /api/v1/contact-lists/ctl_1/contacts": () => json(200, { contacts: [], total: 0 }),
      "POST /api/v1/campaigns": () =>
        json(422, { code: "invalid_campaign", detail: "外呼活动的设置有错误。", errors: [{ field: "/settings/pacing/max_concurrent", code: "out_of_range", message: "须在 1 到 100 之间" }] }),
    });
    show(<CampaignForm />);
    const flow = await screen.findByTestId("campaign-flow");
    const options = within(flow).getAllByRole("option").map((option) => option.textContent);
    expect(options).toEqual(["选择流程…", "满意度回访 · 第 2 版"]);
    fireEvent.change(screen.getByTestId("campaign-name"), { target: { value: "回访" } });
    fireEvent.change(flow, { target: { value: "flw_1" } });
    fireEvent.change(screen.getByTestId("campaign-list"), { target: { value: "ctl_1" } });
    fireEvent.change(screen.getByTestId("campaign-max-concurrent"), { target: { value: "0" } });
    fireEvent.click(screen.getByTestId("campaign-save"));
    const problem = await screen.findByText("须在 1 到 100 之间");
    expect(problem.closest("label")?.textContent).toContain("同时进行的通话最多");
    expect(screen.getByTestId("campaign-max-concurrent").getAttribute("aria-invalid")).toBe("true");
    const sent = JSON.parse(calls.find((call) => call.init.method === "POST")?.init.body as string);
    expect(sent.settings.pacing.max_concurrent).toBe(0);
  });

  it("does not send a form with a blank number, and says which", async () => {
    const calls = serve({
      "GET /api/v1/flows": () => json(200, []),
      "GET /api/v1/contact-lists": () => json(200, []),
    });
    show(<CampaignForm />, "en");
    fireEvent.change(await screen.findByTestId("campaign-cap-days"), { target: { value: "" } });
    fireEvent.click(screen.getByTestId("campaign-save"));
    expect(await screen.findByText("Enter a number.")).toBeTruthy();
    expect(screen.getByText("Enter the campaign's name.")).toBeTruthy();
    expect(calls.some((call) => call.init.method === "POST")).toBe(false);
  });
});

describe("a campaign's page", () => {
  it("tells an editor who is not an owner why they cannot start, and asks before stopping", async () => {
    serve({
      "GET /api/v1/campaigns/cmp_1": () => json(200, { ...campaign, status: "paused" }),
      "GET /api/v1/campaigns/cmp_1/progress": () => json(200, progress),
      "GET /api/v1/campaigns/cmp_1/report": () => json(200, { results: [] }),
      "GET /api/v1/campaigns/cmp_1/contacts": () => json(200, { contacts: [], total: 0, columns: [] }),
    });
    show(<CampaignPage campaignId="cmp_1" canEdit isOwner={false} />);
    const resume = await screen.findByTestId("campaign-resume");
    expect((resume as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId("campaign-owners-only").textContent).toContain("只有所有者可以开始或继续活动");
    expect(screen.getByTestId("campaign-status").textContent).toBe("已暂停");
    fireEvent.click(screen.getByTestId("campaign-stop"));
    expect(screen.getByTestId("campaign-stop-dialog").textContent).toContain("“生日关怀”停止后不能再继续");
  });

  it("shows a contact's calls, outcome and results in words, each result headed by its name", async () => {
    serve({
      "GET /api/v1/campaigns/cmp_1": () => json(200, { ...campaign, status: "completed", kind: "list" }),
      "GET /api/v1/campaigns/cmp_1/progress": () => json(200, progress),
      "GET /api/v1/campaigns/cmp_1/report": () => json(200, { results: [] }),
      "GET /api/v1/campaigns/cmp_1/contacts": () =>
        json(200, {
          total: 1,
          columns: [
            { var: "score", label: "满意度评分" },
            { var: "reason", label: "不满意的原因" },
          ],
          contacts: [
            {
              contact_id: "ctc_1",
              phone: "+8613800138000",
              name: "张伟",
              occurrence: "",
              state: "done",
              final_status: "completed",
              note: "",
              outcome: "resolved",
              results: { score: 9, reason: "物流很快" },
              attempts: [
                { attempt: 1, call_id: "c1", started_at: 1765000000000, result: "no_answer", consent_source: "", consent_at: null },
                { attempt: 2, call_id: "c2", started_at: 1765007200000, result: "completed", consent_source: "", consent_at: null },
              ],
              updated_at: 1,
            },
          ],
        }),
    });
    show(<CampaignPage campaignId="cmp_1" canEdit isOwner />, "en");
    const row = await screen.findByTestId("campaign-contact");
    expect(row.textContent).toContain("+86 138 0013 8000");
    expect(within(row).getByTestId("campaign-contact-status").textContent).toBe("Completed");
    expect(within(row).getByTestId("campaign-contact-attempts").textContent).toMatch(/#1 .*: No answer#2 .*: Answered/);
    expect(row.textContent).toContain("Resolved");
    expect(row.textContent).toContain("物流很快");
    const headings = [...screen.getByTestId("campaign-contacts").querySelectorAll("th[data-var]")].map((th) => th.textContent);
    expect(headings).toEqual(["满意度评分", "不满意的原因"]);
    expect(screen.queryByTestId("campaign-start")).toBeNull();
  });
});

describe("the progress and the report", () => {
  it("count the campaign's contacts and name the final statuses", () => {
    show(<ProgressCard progress={progress} running />, "en");
    expect(screen.getByTestId("progress-dialed").getAttribute("data-value")).toBe("6");
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("60");
    expect(screen.getByTestId("progress-by-status").textContent).toContain("No answer: 2");
    expect(screen.getByTestId("progress-eta").textContent).toContain("no estimate");
  });

  it("chart scores with their mean and NPS explained, and group reasons, each by its label", () => {
    const report: Report = {
      results: [
        { var: "score", label: "满意度评分", kind: "score", count: 4, distribution: [{ value: "2", count: 1 }, { value: "9", count: 1 }, { value: "10", count: 2 }], other: 0, mean: 7.75, nps: 25, groups: [] },
        { var: "reason", label: null, kind: "text", count: 3, distribution: [], other: 3, mean: null, nps: null, groups: [
            { text: "物流很快", count: 2, wordings: [{ text: "物流很快", count: 1 }, { text: "快递送得很快", count: 1 }] },
            { text: "包装破损", count: 1, wordings: [{ text: "包装破损", count: 1 }] },
          ],
        },
      ],
    };
    show(<ReportCard report={report} />);
    const [score, reason] = screen.getAllByTestId("report-variable");
    // Headed by the flow's name for the result; the variable only where it has none.
    expect(within(score).getByRole("heading", { level: 3 }).textContent).toBe("满意度评分");
    expect(within(reason).getByRole("heading", { level: 3 }).textContent).toBe("reason");
    expect(score.textContent).toContain("平均 7.8");
    expect(within(score).getByTestId("report-nps").textContent).toContain("净推荐值（NPS）25");
    expect(within(score).getByTestId("report-nps").textContent).toContain("推荐者 3 人");
    expect(within(score).getByTestId("report-nps").textContent).toContain("贬损者 1 人");
    expect(within(score).getByTestId("report-distribution").querySelectorAll("li")).toHaveLength(3);
    expect(within(reason).getByTestId("report-groups").textContent).toContain("物流很快2");
    // A group put more than one way lists its wordings; one put one way does not repeat it.
    const wordings = within(reason).getAllByTestId("report-wordings");
    expect(wordings).toHaveLength(1);
    expect(wordings[0].textContent).toBe("说法：物流很快 (1)、快递送得很快 (1)");
  });
});

describe("the campaigns list", () => {
  it("is reached by the navigation and names flows and lists", async () => {
    const { CampaignsPage } = await import("./CampaignsPage");
    serve({
      "GET /api/v1/campaigns": () => json(200, [{ ...campaign, status: "running" }]),
      "GET /api/v1/campaigns/cmp_1/progress": () => json(200, progress),
    });
    show(<CampaignsPage canEdit />);
    const row = await screen.findByTestId("campaign-row");
    expect(row.textContent).toContain("满意度回访");
    expect(row.textContent).toContain("会员");
    expect(row.textContent).toContain("按日期");
    await waitFor(() => expect(within(row).getByTestId("campaign-progress").textContent).toBe("已拨 6，接通 4，完成 3，剩余 4"));
  });
});

describe("campaign routes", () => {
  it("read the list, a new one, one and its settings from the address", async () => {
    const { campaignEditHref, campaignHref, parseRoute } = await import("../router");
    expect(parseRoute("#/campaigns")).toEqual({ name: "campaigns" });
    expect(parseRoute("#/campaigns/new")).toEqual({ name: "campaignNew" });
    expect(parseRoute(campaignHref("cmp/1"))).toEqual({ name: "campaign", campaignId: "cmp/1" });
    expect(parseRoute(campaignEditHref("cmp_1"))).toEqual({ name: "campaignEdit", campaignId: "cmp_1" });
  });
});
