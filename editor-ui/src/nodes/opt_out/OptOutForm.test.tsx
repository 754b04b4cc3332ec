import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { PanelHarness } from "../../editor/forms/PanelHarness";
import type { FlowDocument, OptOutNode } from "../../flow/types";
import { translate, type Lang, type Translate } from "../../i18n";
import { createNode, nodePorts, summaryOf, typeName } from "../registry";

const stop: OptOutNode = { id: "stop", type: "opt_out", label: "登记不再来电", next: "bye" };

const base: FlowDocument = {
  schema: 1,
  name: "care",
  language: "zh-CN",
  start: "stop",
  nodes: [stop, { id: "bye", type: "end", label: "再见", outcome: "resolved" }],
};

function setup(lang: Lang = "zh-CN") {
  render(<PanelHarness base={base} selected={["stop"]} onDoc={() => {}} lang={lang} />);
}

const zh: Translate = (key, params) => translate("zh-CN", key, params);
const en: Translate = (key, params) => translate("en", key, params);

describe("the opt_out node", () => {
  it("is named in both languages and goes on through next", () => {
    expect(typeName(zh, "opt_out")).toBe("不再来电");
    expect(typeName(en, "opt_out")).toBe("Do not call again");
    expect(nodePorts(stop).map((port) => [port.kind, port.target])).toEqual([["next", "bye"]]);
    const created = createNode("opt_out", { id: "n", position: { x: 0, y: 0 } });
    expect(created).toEqual({ id: "n", position: { x: 0, y: 0 }, type: "opt_out", next: "" });
  });

  it("shows its confirmation on the canvas, else what it does", () => {
    expect(summaryOf(zh, stop)).toBe("登记到不再来电名单");
    expect(summaryOf(en, stop)).toBe("Adds the number to the do-not-call list");
    expect(summaryOf(zh, { ...stop, prompt: "好的，以后不会再打扰您。" })).toBe("好的，以后不会再打扰您。");
  });

  it("explains the list beside its confirmation field", () => {
    setup();
    expect(screen.getByTestId("opt-out-explain").textContent).toContain("不再来电名单");
    expect(screen.getByTestId("opt-out-prompt")).toBeTruthy();
    expect(screen.getByText("确认语（可选）")).toBeTruthy();
  });

  it("explains itself in English in the English editor", () => {
    setup("en");
    expect(screen.getByTestId("opt-out-explain").textContent).toContain("do-not-call list");
  });
});
