import { describe, expect, it } from "vitest";

import { addedByName, sourceName } from "../donotcall/DoNotCallPage";
import { SOURCES } from "../donotcall/api";
import * as doNotCallTexts from "../donotcall/messages";
import { translate, type MessageKey } from "../i18n";
import { contactListHref, parseRoute } from "../router";
import type { Contact } from "./api";
import { listNameProblem } from "./ContactListsPage";
import { contactPatch, draftOf, fieldColumns, fromLocalInput, localInput, repeatedFieldNames } from "./edit";
import * as contactsTexts from "./messages";
import { formatPhone } from "./phone";

const zh = (key: MessageKey, params?: Record<string, string | number>) => translate("zh-CN", key, params);
const en = (key: MessageKey, params?: Record<string, string | number>) => translate("en", key, params);

const zhang: Contact = {
  id: "con_1",
  list_id: "ctl_1",
  phone: "+8613800138000",
  name: "张伟",
  fields: { birthday: "1990-03-08", orders: 3 },
  consent_source: "门店登记",
  consent_at: Date.UTC(2026, 0, 2, 4, 30),
  created_at: 1,
  updated_at: 2,
};

describe("routes", () => {
  it("know the contact lists, one list and the do-not-call list", () => {
    expect(parseRoute("#/contacts")).toEqual({ name: "contacts" });
    expect(parseRoute("#/contacts/")).toEqual({ name: "contacts" });
    expect(parseRoute(contactListHref("ctl/1 2"))).toEqual({ name: "contactList", listId: "ctl/1 2" });
    expect(parseRoute("#/do-not-call")).toEqual({ name: "doNotCall" });
  });
});

describe("formatPhone", () => {
  it("groups the digits as people write them", () => {
    expect(formatPhone("+8613800138000")).toBe("+86 138 0013 8000");
    expect(formatPhone("+14155550188")).toBe("+1 415 555 0188");
    expect(formatPhone("+861012345678")).toBe("+86 1012 3456 78");
    expect(formatPhone("+447911123456")).toBe("+44 7911 1234 56");
  });

  it("shows what is not E.164 as it is", () => {
    expect(formatPhone("13800138000")).toBe("13800138000");
    expect(formatPhone("")).toBe("");
  });
});

describe("a contact's change", () => {
  it("is nothing when nothing changed", () => {
    expect(contactPatch(zhang, draftOf(zhang))).toBeNull();
  });

  it("sends only what changed, numbers kept numbers and removed fields as null", () => {
    const draft = draftOf(zhang);
    draft.name = " 张伟伟 ";
    draft.fields = [
      { name: "orders", value: " 4 " },
      { name: "last_order", value: "SO-2" },
      { name: "", value: "ignored" },
    ];
    expect(contactPatch(zhang, draft)).toEqual({ name: "张伟伟", fields: { orders: 4, last_order: "SO-2", birthday: null } });
  });

  it("keeps a text a text even when it looks like a number", () => {
    const draft = draftOf(zhang);
    draft.fields = [
      { name: "birthday", value: "19900308" },
      { name: "orders", value: "three" },
    ];
    expect(contactPatch(zhang, draft)?.fields).toEqual({ birthday: "19900308", orders: "three" });
  });

  it("sends the consent time as epoch milliseconds, or null when cleared", () => {
    const draft = draftOf(zhang);
    expect(fromLocalInput(draft.consentAt)).toBe(zhang.consent_at);
    draft.consentAt = "";
    expect(contactPatch(zhang, draft)).toEqual({ consent_at: null });
    draft.consentAt = localInput(Date.UTC(2026, 5, 1, 0, 0));
    expect(contactPatch(zhang, draft)).toEqual({ consent_at: Date.UTC(2026, 5, 1, 0, 0) });
  });

  it("finds a field named twice", () => {
    const draft = draftOf(zhang);
    draft.fields.push({ name: " birthday ", value: "x" });
    expect(repeatedFieldNames(draft)).toEqual(["birthday"]);
    expect(repeatedFieldNames(draftOf(zhang))).toEqual([]);
  });

  it("shows every custom field of a page as a column, in the order they first come", () => {
    const li = { ...zhang, id: "con_2", fields: { last_order: "SO-1", birthday: "1988-02-29" } };
    expect(fieldColumns([zhang, li])).toEqual(["birthday", "orders", "last_order"]);
  });
});

describe("a list's name", () => {
  it("is required and at most 100 characters", () => {
    expect(listNameProblem("  ")).toBe("contacts.nameRequired");
    expect(listNameProblem("会".repeat(101))).toBe("contacts.nameTooLong");
    expect(listNameProblem("会".repeat(100))).toBeNull();
  });
});

describe("the message catalogues", () => {
  for (const [name, texts] of [
    ["contacts", contactsTexts],
    ["do-not-call", doNotCallTexts],
  ] as const) {
    it(`of ${name} word every key in both languages, with the same placeholders`, () => {
      const keys = Object.keys(texts.zh).sort();
      expect(Object.keys(texts.en).sort()).toEqual(keys);
      const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const key of keys) {
        const chinese = (texts.zh as Record<string, string>)[key];
        const english = (texts.en as Record<string, string>)[key];
        expect(chinese.trim(), key).not.toBe("");
        expect(english.trim(), key).not.toBe("");
        expect(english, key).not.toBe(chinese);
        expect(placeholders(english), key).toEqual(placeholders(chinese));
      }
    });

    it(`of ${name} say nothing in English on the Chinese page but file formats and column names`, () => {
      const allowed = new Set(["CSV", "XLSX", "UTF", "GBK", "API", "MB"]);
      for (const [key, text] of Object.entries(texts.zh)) {
        const words = (text.replace(/\{\w+\}|\b\w+_\w+\b/g, " ").match(/[A-Za-z]{3,}/g) ?? []).filter((word) => !allowed.has(word));
        expect(words, key).toEqual([]);
      }
    });
  }

  it("name every do-not-call source in both languages, and an unknown one as other", () => {
    for (const source of SOURCES) {
      expect(sourceName(zh, source)).not.toBe(source);
      expect(sourceName(en, source)).not.toBe(source);
    }
    expect(sourceName(zh, "flow")).toBe("通话中要求不再来电");
    expect(sourceName(en, "flow")).toBe("Opted out on a call");
    expect(sourceName(zh, "carrier")).toBe("其他");
  });

  it("name who added an entry, never by an id", () => {
    expect(addedByName(zh, { added_by: "user:u1", added_by_name: "王店长" })).toBe("王店长");
    expect(addedByName(zh, { added_by: "system" })).toBe("系统");
    expect(addedByName(en, { added_by: "key:k1" })).toBe("A former member");
  });
});
