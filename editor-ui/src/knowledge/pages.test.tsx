import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { I18nProvider, translate, type Lang, type MessageKey } from "../i18n";
import { parseRoute } from "../router";
import type { KnowledgeBase, KnowledgeEntry } from "./api";
import { alternativesOf } from "./EntriesPanel";
import { KnowledgeBasePage } from "./KnowledgeBasePage";
import { checkNewBase, KnowledgeListPage } from "./KnowledgeListPage";
import { summaryText } from "./RevisionsPanel";

interface Call {
  method: string;
  url: string;
  body: unknown;
  headers: Record<string, string>;
}

type Handler = (call: Call) => Response | undefined;

/** A fake server: the first handler that answers wins; anything else is a 404 problem. */
function serve(...handlers: Handler[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      const body = typeof init.body === "string" ? JSON.parse(init.body) : init.body;
      const call = { method: init.method ?? "GET", url, body, headers: init.headers as Record<string, string> };
      calls.push(call);
      for (const handler of handlers) {
        const answer = handler(call);
        if (answer) return answer;
      }
      return json(404, { code: "not_found", detail: `${call.method} ${url}` });
    }),
  );
  return calls;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const on = (method: string, path: string | RegExp, answer: (call: Call) => Response): Handler => (call) => {
  const url = call.url.split("?")[0];
  const matches = typeof path === "string" ? url === path : path.test(url);
  return call.method === method && matches ? answer(call) : undefined;
};

const faq: KnowledgeBase = { key: "shop-faq", name: "商城常见问题", language: "zh-CN", revision: 7, entries: 2, enabled_entries: 1, updated_at: 1764700000000 };
const refund: KnowledgeEntry = { id: "e1", question: "怎么退款", alternatives: ["退钱", "我要退款"], answer: "收到退货后 3 天内退款到原支付账户。", category: "退款", enabled: true };
const invoice: KnowledgeEntry = { id: "e2", question: "怎么开发票", alternatives: [], answer: "在订单详情里申请电子发票，{{vars.email}} 会收到。", category: "发票", enabled: false };

function show(ui: React.ReactNode, lang: Lang = "zh-CN") {
  return render(<I18nProvider initial={lang}>{ui}</I18nProvider>);
}

afterEach(() => vi.unstubAllGlobals());

describe("routes", () => {
  it("know the knowledge pages", () => {
    expect(parseRoute("#/knowledge")).toEqual({ name: "knowledge" });
    expect(parseRoute("#/knowledge/")).toEqual({ name: "knowledge" });
    expect(parseRoute("#/knowledge/shop-faq")).toEqual({ name: "knowledgeBase", key: "shop-faq" });
    expect(parseRoute("#/knowledge/%E5%B8%B8")).toEqual({ name: "knowledgeBase", key: "常" });
    expect(parseRoute("#/knowledge/%E5")).toEqual({ name: "flows" });
    expect(parseRoute("#/flows/f1")).toEqual({ name: "editor", flowId: "f1" });
  });
});

describe("knowledge base list", () => {
  it("lists bases by name with language, entry count, revision and time", async () => {
    serve(on("GET", "/api/v1/knowledge-bases", () => json(200, { items: [faq] })));
    show(<KnowledgeListPage canEdit />);
    const row = await screen.findByTestId("kb-row");
    expect(within(row).getByTestId("kb-open").textContent).toBe("商城常见问题");
    expect(row.textContent).toContain("中文 (zh-CN)");
    expect(row.textContent).toContain("2 条");
    expect(row.textContent).toContain("1 条启用");
    expect(row.textContent).toContain("第 7 版");
    expect(row.textContent).toMatch(/2025/);
  });

  it("checks a new base's key and name in the user's language before sending", async () => {
    const calls = serve(on("GET", "/api/v1/knowledge-bases", () => json(200, { items: [] })));
    show(<KnowledgeListPage canEdit />, "en");
    await userEvent.click(await screen.findByTestId("kb-create"));
    await userEvent.type(screen.getByTestId("kb-create-key"), "Shop FAQ");
    await userEvent.click(screen.getByTestId("kb-create-submit"));
    const problems = screen.getAllByTestId("field-problem").map((node) => node.textContent);
    expect(problems).toEqual(["Please fill this in.", expect.stringMatching(/^Only lowercase letters/)]);
    expect(calls.filter((call) => call.method === "POST")).toHaveLength(0);
    expect(checkNewBase({ key: "shop-faq-2", name: "x" })).toEqual({});
    expect(checkNewBase({ key: "-x", name: "x".repeat(101) })).toEqual({ key: "kb.keyInvalid", name: "kb.nameTooLong" });
    expect(checkNewBase({ key: "faq-", name: "x" })).toEqual({ key: "kb.keyInvalid" });
    expect(checkNewBase({ key: "a", name: "x" })).toEqual({});
  });

  it("shows a taken key at the key field and opens the base it created", async () => {
    let taken = true;
    const calls = serve(
      on("GET", "/api/v1/knowledge-bases", () => json(200, { items: [] })),
      on("POST", "/api/v1/knowledge-bases", () =>
        taken
          ? json(409, { code: "key_taken", detail: "已有键为“shop-faq”的知识库，请换一个键。", errors: [{ field: "/key", code: "key_taken", message: "shop-faq" }] }) : json(201, { ...faq, key: "shop-faq-2" }),
      ),
    );
    show(<KnowledgeListPage canEdit />);
    await userEvent.click(await screen.findByTestId("kb-create"));
    await userEvent.type(screen.getByTestId("kb-create-name"), "商城常见问题");
    await userEvent.type(screen.getByTestId("kb-create-key"), "shop-faq");
    await userEvent.click(screen.getByTestId("kb-create-submit"));
    const keyField = screen.getByTestId("kb-create-key").closest(".field")!;
    await waitFor(() => expect(keyField.textContent).toContain("已经有这个标识的知识库了"));
    expect(screen.getAllByTestId("field-problem").map((node) => node.textContent)).toEqual(["已经有这个标识的知识库了，请换一个。"]);
    expect(screen.getByTestId("kb-create-key").getAttribute("aria-invalid")).toBe("true");
    expect(calls.at(-1)!.body).toEqual({ key: "shop-faq", name: "商城常见问题", language: "zh-CN" });

    taken = false;
    await userEvent.clear(screen.getByTestId("kb-create-key"));
    await userEvent.type(screen.getByTestId("kb-create-key"), "shop-faq-2");
    await userEvent.click(screen.getByTestId("kb-create-submit"));
    await waitFor(() => expect(window.location.hash).toBe("#/knowledge/shop-faq-2"));
  });

  it("says in words why a base in use cannot be deleted", async () => {
    serve(
      on("GET", "/api/v1/knowledge-bases", () => json(200, { items: [faq] })),
      on("DELETE", "/api/v1/knowledge-bases/shop-faq", () =>
        json(409, { code: "in_use", detail: "used by published flows: returns-refunds" }),
      ),
    );
    show(<KnowledgeListPage canEdit />);
    await userEvent.click(await screen.findByTestId("kb-delete"));
    expect(screen.getByTestId("delete-dialog").textContent).toContain("“商城常见问题”和它的全部 2 个条目");
    await userEvent.click(screen.getByTestId("confirm-ok"));
    const alert = await screen.findByTestId("error-alert");
    expect(alert.getAttribute("data-code")).toBe("in_use");
    expect(alert.textContent).toContain("已发布的流程正在使用这个知识库，不能删除");
    expect(screen.getByTestId("kb-row")).toBeTruthy();
  });

  it("renames with PATCH and shows the new name", async () => {
    let name = faq.name;
    const calls = serve(
      on("GET", "/api/v1/knowledge-bases", () => json(200, { items: [{ ...faq, name }] })),
      on("PATCH", "/api/v1/knowledge-bases/shop-faq", (call) => {
        name = (call.body as { name: string }).name;
        return json(200, { ...faq, name });
      }),
    );
    show(<KnowledgeListPage canEdit />);
    await userEvent.click(await screen.findByTestId("kb-rename"));
    await userEvent.clear(screen.getByTestId("kb-rename-name"));
    await userEvent.type(screen.getByTestId("kb-rename-name"), "售后政策");
    await userEvent.click(screen.getByTestId("kb-rename-submit"));
    await waitFor(() => expect(screen.getByTestId("kb-open").textContent).toBe("售后政策"));
    expect(calls.find((call) => call.method === "PATCH")!.body).toEqual({ name: "售后政策" });
  });

  it("offers no changes to a viewer", async () => {
    serve(on("GET", "/api/v1/knowledge-bases", () => json(200, { items: [faq] })));
    show(<KnowledgeListPage canEdit={false} />);
    await screen.findByTestId("kb-row");
    expect(screen.queryByTestId("kb-create")).toBeNull();
    expect(screen.queryByTestId("kb-delete")).toBeNull();
  });
});

describe("a knowledge base's page", () => {
  const basics = (entries: KnowledgeEntry[] = [refund, invoice]): Handler[] => [
    on("GET", "/api/v1/knowledge-bases/shop-faq", () => json(200, faq)),
    on("GET", "/api/v1/knowledge-bases/shop-faq/entries", (call) => {
      const params = new URL(call.url, "http://x").searchParams;
      const category = params.get("category");
      const items = entries.filter((entry) => !category || entry.category === category);
      if (params.get("cursor") === "p2") return json(200, { items: [invoice], next_cursor: null });
      return json(200, { items, next_cursor: params.get("limit") && items.length > 1 && !category ? "p2" : null });
    }),
  ];

  it("lists entries, filters by category and pages with the cursor", async () => {
    const calls = serve(...basics());
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />);
    await waitFor(() => expect(screen.getAllByTestId("entry-row")).toHaveLength(2));
    expect(screen.getByTestId("kb-name").textContent).toBe("商城常见问题");
    expect(screen.getAllByTestId("entry-row")[0].textContent).toContain("另有 2 种问法");
    expect(screen.getAllByTestId("entry-row")[1].textContent).toContain("停用");

    fireEvent.change(screen.getByTestId("entry-category-filter"), { target: { value: "发票" } });
    await waitFor(() => expect(screen.getAllByTestId("entry-row")).toHaveLength(1));
    expect(calls.at(-1)!.url).toContain("category=%E5%8F%91%E7%A5%A8");

    fireEvent.change(screen.getByTestId("entry-category-filter"), { target: { value: "" } });
    await waitFor(() => expect(screen.getAllByTestId("entry-row")).toHaveLength(2));
    await userEvent.click(screen.getByTestId("entry-next"));
    await waitFor(() => expect(screen.getByTestId("entry-page").textContent).toBe("第 2 页"));
    expect(calls.at(-1)!.url).toContain("cursor=p2");
    await waitFor(() => expect(screen.getAllByTestId("entry-row")).toHaveLength(1));
  });

  it("edits an entry: alternatives one per line, and a server problem shown at its field", async () => {
    let rejectAnswer = true;
    const calls = serve(
      on("PUT", "/api/v1/knowledge-bases/shop-faq/entries/e1", () =>
        rejectAnswer
          ? json(422, { code: "invalid_entry", detail: "the entry cannot be saved", errors: [{ field: "answer", code: "invalid_template", message: "答案中的模板无法解析（第 1 行第 3 列）：缺少 }}" }] })
          : json(200, refund),
      ),
      ...basics(),
    );
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />);
    await userEvent.click((await screen.findAllByTestId("entry-edit"))[0]);
    const dialog = screen.getByTestId("entry-dialog");
    expect((within(dialog).getByTestId("entry-alternatives") as HTMLTextAreaElement).value).toBe("退钱\n我要退款");
    expect(dialog.textContent).toContain("{{vars.x}}");
    fireEvent.change(within(dialog).getByTestId("entry-alternatives"), { target: { value: "退钱\n\n  钱怎么退 \n" } });
    fireEvent.change(within(dialog).getByTestId("entry-answer-input"), { target: { value: "{{vars.name 您好" } });
    await userEvent.click(within(dialog).getByTestId("entry-save"));
    const answerField = within(dialog).getByTestId("entry-answer-input").closest(".field")!;
    await waitFor(() => expect(answerField.textContent).toContain("答案中的模板无法解析（第 1 行第 3 列）"));
    // The details are at the field; above the buttons only the headline.
    expect(within(dialog).getByTestId("error-alert").textContent).toBe("条目有些内容不符合要求，请看标出的地方。");
    expect(calls.find((call) => call.method === "PUT")!.body).toEqual({
      question: "怎么退款",
      alternatives: ["退钱", "钱怎么退"],
      answer: "{{vars.name 您好",
      category: "退款",
      enabled: true,
    });

    rejectAnswer = false;
    await userEvent.click(within(dialog).getByTestId("entry-save"));
    await waitFor(() => expect(screen.queryByTestId("entry-dialog")).toBeNull());
    // The base is loaded again after the change, for its new revision.
    expect(calls.filter((call) => call.url === "/api/v1/knowledge-bases/shop-faq").length).toBeGreaterThanOrEqual(2);
  });

  it("needs a question and an answer before adding an entry", async () => {
    const calls = serve(...basics([]));
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />, "en");
    await screen.findByTestId("entry-list-empty");
    await userEvent.click(screen.getByTestId("entry-add"));
    await userEvent.click(screen.getByTestId("entry-save"));
    expect(screen.getAllByTestId("field-problem").map((node) => node.textContent)).toEqual(["Please fill this in.", "Please fill this in."]);
    expect(calls.some((call) => call.method === "POST")).toBe(false);
  });

  it("imports the valid rows of a sheet and lists each row's result", async () => {
    const calls = serve(
      on("POST", "/api/v1/knowledge-bases/shop-faq/import", () =>
        json(200, {
          created: 2,
          updated: 0,
          failed: 2,
          rows: [
            { row: 2, status: "created", entry_id: "e9" },
            { row: 3, status: "failed", error: { code: "empty_answer", message: "答案不能为空。" } },
            { row: 4, status: "created", entry_id: "e10" },
            { row: 5, status: "failed", error: { code: "invalid_enabled", message: "" } },
            { row: 6, status: "unchanged", entry_id: "e1" },
          ],
        }),
      ),
      ...basics(),
    );
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />);
    await userEvent.click(await screen.findByTestId("kb-tab-import"));
    const file = new File(["x"], "常见问题.xlsx", { type: "" });
    await userEvent.upload(screen.getByTestId("kb-import-input"), file);
    expect(screen.getByTestId("kb-import-file-name").textContent).toBe("常见问题.xlsx");
    await userEvent.click(screen.getByTestId("kb-import-mode-partial"));
    await userEvent.click(screen.getByTestId("kb-import-submit"));
    const rows = await screen.findAllByTestId("kb-import-row");
    expect(rows.map((row) => row.textContent)).toEqual([
      "2已新增",
      "3失败答案不能为空。",
      "4已新增",
      // Without the server's words, the code is named.
      "5失败“启用”一栏只能填 是/否、true/false 或 1/0。",
      "6没有变化",
    ]);
    expect(screen.getByTestId("kb-import-summary").textContent).toBe("新增 2 条，更新 0 条，没有变化 1 条，失败 2 条。");
    const post = calls.find((call) => call.method === "POST")!;
    expect(post.url).toBe("/api/v1/knowledge-bases/shop-faq/import?mode=partial");
    expect(post.headers["Content-Type"]).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  });

  it("says that nothing was written when all or nothing met a bad row", async () => {
    serve(
      on("POST", "/api/v1/knowledge-bases/shop-faq/import", () =>
        json(422, { created: 0, updated: 0, failed: 1, rows: [{ row: 5, status: "failed", error: { code: "something_new", message: "第 5 行：答案太长" } }] }),
      ),
      ...basics(),
    );
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />);
    await userEvent.click(await screen.findByTestId("kb-tab-import"));
    await userEvent.upload(screen.getByTestId("kb-import-input"), new File(["问题,答案"], "faq.csv", { type: "text/csv" }));
    await userEvent.click(screen.getByTestId("kb-import-submit"));
    expect((await screen.findByTestId("kb-import-rejected")).textContent).toContain("这次什么也没有写入");
    expect(screen.getByTestId("kb-import-row-message").textContent).toBe("第 5 行：答案太长");
  });

  it("refuses a file that is not a sheet before sending it", async () => {
    const calls = serve(...basics());
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />, "en");
    await userEvent.click(await screen.findByTestId("kb-tab-import"));
    await userEvent.upload(screen.getByTestId("kb-import-input"), new File(["x"], "faq.xls", { type: "application/vnd.ms-excel" }), {
      applyAccept: false,
    });
    expect(screen.getByTestId("field-problem").textContent).toBe("Only .xlsx or .csv files can be imported.");
    expect(calls.some((call) => call.url.includes("/import"))).toBe(false);
  });

  it("tries a question and shows the decision in words and the matches with scores", async () => {
    const calls = serve(
      on("POST", "/api/v1/knowledge-bases/shop-faq/search", () =>
        json(200, { revision: 7, decision: "ambiguous", hits: [{ entry: refund, score: 0.8123 }, { entry: invoice, score: 0.77 }] }),
      ),
      ...basics(),
    );
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />, "en");
    await userEvent.click(await screen.findByTestId("kb-tab-try"));
    await userEvent.type(screen.getByTestId("kb-try-input"), "钱什么时候退回来");
    await userEvent.click(screen.getByTestId("kb-try-submit"));
    const hits = await screen.findAllByTestId("kb-try-hit");
    expect(hits.map((hit) => hit.getAttribute("data-question"))).toEqual(["怎么退款", "怎么开发票"]);
    expect(screen.getAllByTestId("kb-try-score").map((node) => node.textContent)).toEqual(["0.81", "0.77"]);
    expect(screen.getByTestId("kb-try-decision").textContent).toMatch(/^Several answers are close/);
    expect(screen.getByTestId("kb-try-asked").textContent).toBe("钱什么时候退回来");
    expect(calls.at(-1)!.body).toEqual({ question: "钱什么时候退回来", limit: 5 });
  });

  it("lists revisions by who, when and what", async () => {
    serve(
      on("GET", "/api/v1/knowledge-bases/shop-faq/revisions", () =>
        json(200, { items: [{ revision: 7, at: "2026-12-03T09:30:00Z", by: "王小明", summary: "导入 12 条" }] }),
      ),
      ...basics(),
    );
    show(<KnowledgeBasePage baseKey="shop-faq" canEdit role="owner" />);
    await userEvent.click(await screen.findByTestId("kb-tab-revisions"));
    const row = await screen.findByTestId("kb-revision-row");
    expect(within(row).getByTestId("kb-revision-by").textContent).toBe("王小明");
    expect(row.textContent).toContain("第 7 版");
    expect(row.textContent).toContain("导入 12 条");
    expect(row.textContent).toMatch(/2026/);
  });
});

describe("summaryText", () => {
  const zhT = (key: MessageKey, params?: Record<string, string | number>) => translate("zh-CN", key, params);
  const enT = (key: MessageKey, params?: Record<string, string | number>) => translate("en", key, params);

  it("names a structured summary's kind and counts in the user's language", () => {
    expect(summaryText(zhT, { kind: "import", created: 5, updated: 0 })).toBe("导入表格，新增 5 条，更新 0 条");
    expect(summaryText(enT, { kind: "entry_updated" })).toBe("Changed an entry");
  });

  it("keeps the server's sentence, and shows what it cannot name as it is", () => {
    expect(summaryText(enT, "Imported 12 rows")).toBe("Imported 12 rows");
    expect(summaryText(enT, { kind: "merged", moved: 2 })).toBe("merged, moved: 2");
  });
});

describe("alternativesOf", () => {
  it("keeps one question per non-blank line", () => {
    expect(alternativesOf(" a \n\nb\r\n")).toEqual(["a", "b"]);
  });
});
