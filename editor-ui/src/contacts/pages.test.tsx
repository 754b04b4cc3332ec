import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { DoNotCallPage } from "../donotcall/DoNotCallPage";
import { I18nProvider, type Lang } from "../i18n";
import type { Contact, ContactList } from "./api";
import { ContactListPage } from "./ContactListPage";
import { ContactListsPage } from "./ContactListsPage";

interface Call {
  method: string;
  url: string;
  body: unknown;
}

type Handler = (call: Call) => Response | undefined;

/** A fake server: the first handler that answers wins; anything else is a 404 problem. */
function serve(...handlers: Handler[]): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      const body = typeof init.body === "string" ? JSON.parse(init.body) : init.body;
      const call = { method: init.method ?? "GET", url, body };
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
const on = (method: string, path: string, answer: (call: Call) => Response): Handler => (call) =>
  call.method === method && call.url.split("?")[0] === path ? answer(call) : undefined;

const members: ContactList = { id: "ctl_1", name: "会员", contacts: 2, created_at: 1, updated_at: 1764700000000 };
const zhang: Contact = {
  id: "con_1",
  list_id: "ctl_1",
  phone: "+8613800138000",
  name: "张伟",
  fields: { birthday: "1990-03-08" },
  consent_source: "门店登记",
  consent_at: 1767312000000,
  created_at: 1,
  updated_at: 2,
};

function show(ui: React.ReactNode, lang: Lang = "zh-CN") {
  return render(<I18nProvider initial={lang}>{ui}</I18nProvider>);
}

afterEach(() => vi.unstubAllGlobals());

describe("the contact lists page", () => {
  it("asks before deleting a list, naming it and its contacts", async () => {
    const calls = serve(
      on("GET", "/api/v1/contact-lists", () => json(200, [members])),
      on("DELETE", "/api/v1/contact-lists/ctl_1", () => new Response(null, { status: 204 })),
    );
    show(<ContactListsPage canEdit />);
    fireEvent.click(await screen.findByTestId("contact-list-delete"));
    const dialog = screen.getByTestId("contact-list-delete-dialog");
    expect(dialog.textContent).toContain("名单“会员”和其中的 2 位联系人会被永久删除");
    fireEvent.click(within(dialog).getByTestId("confirm-ok"));
    await waitFor(() => expect(calls.some((call) => call.method === "DELETE")).toBe(true));
  });

  it("shows a viewer the lists without create, rename or delete", async () => {
    serve(on("GET", "/api/v1/contact-lists", () => json(200, [members])));
    show(<ContactListsPage canEdit={false} />, "en");
    await screen.findByTestId("contact-list-row");
    expect(screen.queryByTestId("contacts-create")).toBeNull();
    expect(screen.queryByTestId("contact-list-rename")).toBeNull();
    expect(screen.queryByTestId("contact-list-delete")).toBeNull();
    expect(screen.getByText("Your role can only look at contacts; editors and owners can change them.")).toBeTruthy();
  });

  it("shows the server's problem with a new list's name under the field", async () => {
    serve(
      on("GET", "/api/v1/contact-lists", () => json(200, [])),
      on("POST", "/api/v1/contact-lists", () =>
        json(422, { code: "invalid_contact", detail: "x", errors: [{ field: "/name", code: "invalid_name", message: "名单名称已被使用。" }] }),
      ),
    );
    show(<ContactListsPage canEdit />);
    fireEvent.click(await screen.findByTestId("contacts-create"));
    fireEvent.change(screen.getByTestId("contact-list-name"), { target: { value: "会员" } });
    fireEvent.click(screen.getByTestId("contact-list-name-submit"));
    const problem = await screen.findByText("名单名称已被使用。");
    expect(problem.closest("label")?.textContent).toContain("名单名称");
  });
});

describe("a contact list's page", () => {
  const list = [
    on("GET", "/api/v1/contact-lists/ctl_1", () => json(200, members)),
    on("GET", "/api/v1/contact-lists/ctl_1/contacts", () => json(200, { contacts: [zhang], total: 1 })),
  ];

  it("shows contacts with the number formatted, custom fields as columns and the consent", async () => {
    serve(...list);
    show(<ContactListPage listId="ctl_1" canEdit />);
    const row = await screen.findByTestId("contact-row");
    expect(within(row).getByTestId("contact-phone").textContent).toBe("+86 138 0013 8000");
    expect(screen.getByTestId("contacts-field-column").textContent).toBe("birthday");
    expect(within(row).getByTestId("contact-field").textContent).toBe("1990-03-08");
    expect(row.textContent).toContain("门店登记");
  });

  it("imports a sheet and lists each failed row with its column and why", async () => {
    const calls = serve(
      ...list,
      on("POST", "/api/v1/contact-lists/ctl_1/import", () =>
        json(200, { rows: 3, created: 1, updated: 0, merged: 1, failed: 1, errors: [{ row: 4, column: "手机", message: "“12345”不是有效的电话号码。" }] }),
      ),
    );
    show(<ContactListPage listId="ctl_1" canEdit />);
    const input = (await screen.findByTestId("contacts-import-input")) as HTMLInputElement;
    const file = new File(["手机,姓名\n"], "会员.csv", { type: "text/csv" });
    fireEvent.change(input, { target: { files: [file] } });
    fireEvent.click(screen.getByTestId("contacts-import-submit"));
    const summary = await screen.findByTestId("contacts-import-summary");
    expect(summary.textContent).toBe("读取 3 行：新增 1 位，更新 0 位，文件内合并 1 行，失败 1 行。");
    const failed = screen.getByTestId("contacts-import-error");
    expect(failed.getAttribute("data-row")).toBe("4");
    expect(failed.textContent).toContain("手机");
    expect(failed.textContent).toContain("“12345”不是有效的电话号码。");
    const sent = calls.find((call) => call.method === "POST");
    expect(sent?.body).toBe(file);
  });

  it("explains a refused file next to the file, in the server's words", async () => {
    serve(...list, on("POST", "/api/v1/contact-lists/ctl_1/import", () => json(415, { code: "unsupported_media_type", detail: "Only CSV or XLSX files can be imported." })));
    show(<ContactListPage listId="ctl_1" canEdit />, "en");
    fireEvent.change(await screen.findByTestId("contacts-import-input"), { target: { files: [new File(["x"], "members.xlsx", { type: "" })] } });
    fireEvent.click(screen.getByTestId("contacts-import-submit"));
    const refused = await screen.findByTestId("contacts-import-refused");
    expect(refused.textContent).toBe("This file cannot be importedOnly CSV or XLSX files can be imported.");
    expect(screen.getByTestId("contacts-import").contains(refused)).toBe(true);
  });

  it("takes a file dropped on the import card, and explains a file too large in the server's words", async () => {
    const calls = serve(on("GET", "/api/v1/do-not-call", () => json(200, { entries: [], total: 0 })), on("POST", "/api/v1/do-not-call/import", () => json(413, { code: "file_too_large", detail: "文件有 17 MB，最多 16 MB。" })));
    show(<DoNotCallPage canEdit />);
    const card = await screen.findByTestId("dnc-import");
    const file = new File(["电话\n"], "免打扰.csv", { type: "text/csv" });
    fireEvent.dragOver(card, { dataTransfer: { types: ["Files"], files: [file] } });
    expect(card.className).toContain("drag-over");
    fireEvent.drop(card, { dataTransfer: { types: ["Files"], files: [file] } });
    expect(screen.getByTestId("dnc-import-file-name").textContent).toBe("免打扰.csv");
    fireEvent.click(screen.getByTestId("dnc-import-submit"));
    const refused = await screen.findByTestId("dnc-import-refused");
    expect(refused.textContent).toBe("无法导入这个文件文件有 17 MB，最多 16 MB。");
    expect(calls.find((call) => call.method === "POST")?.body).toBe(file);
  });

  it("refuses a file that is no sheet before sending it", async () => {
    const calls = serve(...list);
    show(<ContactListPage listId="ctl_1" canEdit />);
    fireEvent.change(await screen.findByTestId("contacts-import-input"), { target: { files: [new File(["x"], "会员.xls", { type: "application/vnd.ms-excel" })] } });
    expect(screen.getByTestId("contacts-import-problem").textContent).toBe("只能导入 .csv 或 .xlsx 文件。");
    expect((screen.getByTestId("contacts-import-submit") as HTMLButtonElement).disabled).toBe(true);
    expect(calls.some((call) => call.method === "POST")).toBe(false);
  });

  it("saves a custom field's change and shows a field's problem next to it", async () => {
    const calls = serve(
      ...list,
      on("PATCH", "/api/v1/contact-lists/ctl_1/contacts/con_1", () =>
        json(422, { code: "invalid_contact", detail: "x", errors: [{ field: "/phone", code: "invalid_phone", message: "号码“12”太短。" }] }),
      ),
    );
    show(<ContactListPage listId="ctl_1" canEdit />);
    fireEvent.click(await screen.findByTestId("contact-edit"));
    fireEvent.change(screen.getByTestId("contact-field-value"), { target: { value: "1990-03-09" } });
    fireEvent.change(screen.getByTestId("contact-phone-input"), { target: { value: "12" } });
    fireEvent.click(screen.getByTestId("contact-save"));
    const problem = await screen.findByText("号码“12”太短。");
    expect(problem.closest("label")?.textContent).toContain("电话");
    expect(calls.find((call) => call.method === "PATCH")?.body).toEqual({ phone: "12", fields: { birthday: "1990-03-09" } });
  });

  it("shows a viewer a contact's details without import, delete or save", async () => {
    serve(...list);
    show(<ContactListPage listId="ctl_1" canEdit={false} />);
    fireEvent.click(await screen.findByTestId("contact-edit"));
    expect(screen.queryByTestId("contact-save")).toBeNull();
    expect((screen.getByTestId("contact-name-input") as HTMLInputElement).closest("fieldset")?.disabled).toBe(true);
    expect(screen.queryByTestId("contacts-import")).toBeNull();
    expect(screen.queryByTestId("contact-delete")).toBeNull();
  });
});

describe("the do-not-call page", () => {
  const entries = [
    { phone: "+8613900139000", source: "flow", call_id: "cal_1", note: "", added_by: "system", created_at: 1764700000000 },
    { phone: "+8613700137000", source: "import", note: "投诉", added_by: "user:u1", added_by_name: "王店长", created_at: 1764600000000 },
  ];
  const page = on("GET", "/api/v1/do-not-call", () => json(200, { entries, total: 2 }));

  it("names each entry's source and who added it, never a code or an id", async () => {
    serve(page);
    show(<DoNotCallPage canEdit />);
    const rows = await screen.findAllByTestId("dnc-row");
    expect(rows.map((row) => within(row).getByTestId("dnc-source").textContent)).toEqual(["通话中要求不再来电查看通话", "表格导入"]);
    expect(rows.map((row) => within(row).getByTestId("dnc-added-by").textContent)).toEqual(["系统", "王店长"]);
    expect(within(rows[0]).getByTestId("dnc-call").getAttribute("href")).toBe("/dashboard/calls/cal_1");
    expect(document.body.textContent).not.toContain("user:u1");
  });

  it("shows the server's problem with a number under the number", async () => {
    serve(
      page,
      on("POST", "/api/v1/do-not-call", () =>
        json(422, { code: "invalid_do_not_call", detail: "x", errors: [{ field: "/phone", code: "invalid_phone", message: "“12” is too short to be a phone number." }] }),
      ),
    );
    show(<DoNotCallPage canEdit />, "en");
    await screen.findAllByTestId("dnc-row");
    fireEvent.change(screen.getByTestId("dnc-add-phone"), { target: { value: "12" } });
    fireEvent.click(screen.getByTestId("dnc-add-submit"));
    const problem = await screen.findByText("“12” is too short to be a phone number.");
    expect(problem.closest("label")?.textContent).toContain("Phone number");
  });

  it("asks before removing a number, naming it", async () => {
    const calls = serve(page, on("DELETE", "/api/v1/do-not-call/%2B8613700137000", () => new Response(null, { status: 204 })));
    show(<DoNotCallPage canEdit />);
    const rows = await screen.findAllByTestId("dnc-row");
    fireEvent.click(within(rows[1]).getByTestId("dnc-remove"));
    const dialog = screen.getByTestId("dnc-remove-dialog");
    expect(dialog.textContent).toContain("+86 137 0013 7000 移出后");
    fireEvent.click(within(dialog).getByTestId("confirm-ok"));
    await waitFor(() => expect(calls.some((call) => call.method === "DELETE")).toBe(true));
  });

  it("shows a viewer the list without add, import or remove", async () => {
    serve(page);
    show(<DoNotCallPage canEdit={false} />);
    await screen.findAllByTestId("dnc-row");
    expect(screen.queryByTestId("dnc-add")).toBeNull();
    expect(screen.queryByTestId("dnc-import")).toBeNull();
    expect(screen.queryByTestId("dnc-remove")).toBeNull();
  });
});
