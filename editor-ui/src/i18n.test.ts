import { describe, expect, it } from "vitest";

import { ApiError } from "./api";
import { dictionaries, problemMessage, translate, type MessageKey } from "./i18n";
import { portLabel } from "./nodes/registry";
import { copyName } from "./files";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("dictionaries", () => {
  const keys = Object.keys(dictionaries["zh-CN"]) as MessageKey[];

  it("translate every text into both languages, with the same placeholders", () => {
    expect(Object.keys(dictionaries.en).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      expect(dictionaries["zh-CN"][key].trim(), key).not.toBe("");
      expect(dictionaries.en[key].trim(), key).not.toBe("");
      expect(placeholders(dictionaries.en[key]), key).toEqual(placeholders(dictionaries["zh-CN"][key]));
    }
  });

  it("name every node type in both languages", () => {
    expect(translate("zh-CN", "node.say.name")).toBe("播报");
    expect(translate("en", "node.say.name")).toBe("Say");
    expect(translate("zh-CN", "node.menu.name")).toBe("按键菜单");
    expect(translate("en", "node.ask.name")).toBe("Ask a question");
  });

  it("make English counts agree with their nouns", () => {
    expect(translate("en", "campaign.detractors", { n: 1 })).toBe("1 detractor");
    expect(translate("en", "campaign.detractors", { n: 2 })).toBe("2 detractors");
    expect(translate("en", "campaign.detractors", { n: 0 })).toBe("0 detractors");
    expect(translate("en", "node.issues", { errors: 1, warnings: 3 })).toBe("1 error, 3 warnings");
    expect(translate("en", "publish.blocked", { n: 1 })).toBe("The flow has 1 error; fix it before publishing (see “Problems” below).");
    expect(translate("zh-CN", "campaign.detractors", { n: 1 })).toBe("贬损者 1 人");
  });

  it("leave no plural form unresolved and none in Chinese", () => {
    const plural = /\{(\w+)\|[^|{}]*\|[^|{}]*\}/g;
    for (const key of keys) {
      expect(dictionaries["zh-CN"][key], key).not.toMatch(plural);
      // A plural form counts a placeholder the text has.
      for (const [, name] of dictionaries.en[key].matchAll(plural)) expect(placeholders(dictionaries.en[key]), key).toContain(name);
    }
  });

  it("fill in parameters", () => {
    expect(translate("en", "list.version", { n: 3 })).toBe("Version 3");
  });
});

describe("labels and errors", () => {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate("en", key, params);

  it("name ports in plain words", () => {
    expect(portLabel(t, "http", { id: "next", kind: "next", path: ["next"], optional: false, target: "" })).toBe("Success (2xx)");
    expect(portLabel(t, "menu", { id: "choice-0", kind: "choice", name: "1", path: [], optional: false, target: "" })).toBe("Key 1");
    expect(portLabel(t, "ask", { id: "no_input", kind: "no_input", path: [], optional: false, target: "" })).toBe("No response");
  });

  it("say what a known problem means, and show the server's words otherwise", () => {
    expect(problemMessage(t, new ApiError(409, { code: "flow_name_taken", detail: "x" }))).toMatch(/already exists/);
    expect(problemMessage(t, new ApiError(418, { code: "teapot", detail: "short and stout" }))).toBe("short and stout");
  });
});

describe("the language choice", () => {
  it("is shared with the dashboard pages through a cookie, which they may change", async () => {
    const { createElement } = await import("react");
    const { fireEvent, render, screen } = await import("@testing-library/react");
    const { I18nProvider, LanguageSwitch } = await import("./i18n");
    const view = render(createElement(I18nProvider, null, createElement(LanguageSwitch)));
    expect(screen.getByTestId("lang-switch").getAttribute("data-lang")).toBe("zh-CN");
    fireEvent.click(screen.getByTestId("lang-switch"));
    expect(document.cookie).toContain("callflow_lang=en");
    view.unmount();
    // The dashboard switched back to Chinese: the editor follows.
    document.cookie = "callflow_lang=zh-CN; path=/";
    localStorage.setItem("callflow.lang", "en");
    render(createElement(I18nProvider, null, createElement(LanguageSwitch)));
    expect(screen.getByTestId("lang-switch").getAttribute("data-lang")).toBe("zh-CN");
  });
});

describe("copyName", () => {
  it("names a copy in the page's language, numbering past names already taken", () => {
    const zh = (key: MessageKey, params?: Record<string, string | number>) => translate("zh-CN", key, params);
    const en = (key: MessageKey, params?: Record<string, string | number>) => translate("en", key, params);
    expect(copyName("订单查询", ["订单查询"], zh)).toBe("订单查询（副本）");
    expect(copyName("订单查询", ["订单查询", "订单查询（副本）", "订单查询（副本 2）"], zh)).toBe("订单查询（副本 3）");
    expect(copyName("Orders", ["Orders (copy)"], en)).toBe("Orders (copy 2)");
  });
});
