import { describe, expect, it } from "vitest";

import { translate } from "../i18n";
import { auditHref, parseRoute } from "../router";
import { auditQuery, linkUrl, nextDay, NO_FILTER } from "./api";
import { actionText, actorText, areaText, AUDIT_AREAS } from "./audit";

const zh = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate("zh-CN", key, params);
const en = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate("en", key, params);

describe("the audit log's query", () => {
  it("leaves blank filters out and takes the whole last day", () => {
    expect(auditQuery(NO_FILTER)).toBe("");
    expect(auditQuery({ ...NO_FILTER, actor: "user:usr_1", action: "user.", from: "2026-12-01", to: "2026-12-31" }, "abc")).toBe(
      "?actor=user%3Ausr_1&action=user.&from=2026-12-01&to=2027-01-01&cursor=abc",
    );
  });

  it("finds the next day across months and leap days", () => {
    expect(nextDay("2028-02-28")).toBe("2028-02-29");
    expect(nextDay("2026-02-28")).toBe("2026-03-01");
  });
});

describe("routes of the people pages", () => {
  it("reads the audit filters and an invite's token from the address", () => {
    expect(parseRoute("#/people")).toEqual({ name: "people" });
    expect(parseRoute("#/api-keys")).toEqual({ name: "apiKeys" });
    expect(parseRoute("#/invite/abc123")).toEqual({ name: "invite", token: "abc123" });
    expect(parseRoute(auditHref({ object: "usr_9", from: "2026-12-01" }))).toEqual({
      name: "audit",
      filter: { ...NO_FILTER, object: "usr_9", from: "2026-12-01" },
    });
    expect(auditHref()).toBe("#/audit");
    expect(parseRoute("#/audit")).toEqual({ name: "audit", filter: NO_FILTER });
  });

  it("makes the full one-time link from the server's path", () => {
    expect(linkUrl("/#/invite/t0k", "https://cs.shop.example")).toBe("https://cs.shop.example/#/invite/t0k");
  });
});

describe("audit entries in words", () => {
  it("names every action in both languages, and unknown ones inside a sentence", () => {
    expect(actionText(zh, "user.set_role")).toBe("更改了角色");
    expect(actionText(en, "user.set_role")).toBe("changed a role");
    expect(actionText(zh, "robot.dance")).toBe("其他操作（robot.dance）");
    for (const area of AUDIT_AREAS) {
      expect(areaText(zh, area)).not.toBe(area);
      expect(areaText(en, area)).not.toBe(area);
    }
  });

  it("names the actor, the system, or one that is gone", () => {
    expect(actorText(zh, { actor: "user:usr_1", actor_name: "王店长" })).toBe("王店长");
    expect(actorText(zh, { actor: "system", actor_name: null })).toBe("系统");
    expect(actorText(en, { actor: "key:key_1", actor_name: null })).toBe("A deleted user or key");
  });
});
