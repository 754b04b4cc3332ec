import { EditorView } from "@codemirror/view";
import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { PanelHarness } from "../../editor/forms/PanelHarness";
import type { FlowDocument, HandoffNode, HandoffRoute } from "../../flow/types";
import { translate, type Lang } from "../../i18n";
import type { QueueChoice } from "../lookup";
import { conditionOf, newRoute, presetOf, withPreset, type PresetChoice } from "./routes";

const english = (choice: PresetChoice) =>
  choice.preset === "custom" ? "" : translate("en", `handoff.reason.${choice.preset}`, { intent: choice.value, level: choice.value || "1" });

describe("routing rule presets", () => {
  it("write the conditions a branch would, and read them back", () => {
    const cases: [PresetChoice, string][] = [
      [{ preset: "intent", value: "refund" }, 'call.intent == "refund"'],
      [{ preset: "angry", value: "" }, 'call.emotion == "angry"'],
      [{ preset: "vip", value: "3" }, "customer.vip_level >= 3"],
      [{ preset: "zh", value: "" }, 'call.language.starts_with("zh")'],
      [{ preset: "en", value: "" }, 'call.language.starts_with("en")'],
    ];
    for (const [choice, when] of cases) {
      expect(conditionOf(choice)).toBe(when);
      expect(presetOf(when)).toEqual(choice);
    }
  });

  it("quote an intent's name, and fall back to level 1 for a VIP level that is no number", () => {
    expect(conditionOf({ preset: "intent", value: ' say "hi" ' })).toBe('call.intent == "say \\"hi\\""');
    expect(presetOf('call.intent == "say \\"hi\\""')).toEqual({ preset: "intent", value: 'say "hi"' });
    expect(conditionOf({ preset: "vip", value: "lots" })).toBe("customer.vip_level >= 1");
  });

  it("take anything else as the author's own condition, kept as written", () => {
    for (const when of ["", "vars.amount > 500", 'call.intent == "a" || call.intent == "b"', "call.anger >= 0.7"]) {
      expect(presetOf(when)).toEqual({ preset: "custom", value: "" });
      expect(conditionOf({ preset: "custom", value: "" }, when)).toBe(when);
    }
  });

  it("label a rule with the preset's words, but never overwrite the author's", () => {
    const route = newRoute("complaints", english);
    expect(route).toEqual({ when: 'call.emotion == "angry"', queue: "complaints", label: "Caller is upset" });
    const refund = withPreset(route, { preset: "intent", value: "refund" }, english);
    expect(refund).toEqual({ when: 'call.intent == "refund"', queue: "complaints", label: "Intent: refund" });
    const own: HandoffRoute = { ...refund, label: "Money back" };
    expect(withPreset(own, { preset: "vip", value: "2" }, english)).toEqual({
      when: "customer.vip_level >= 2",
      queue: "complaints",
      label: "Money back",
    });
    // Back to a condition of one's own: the preset's words go, the condition stays.
    expect(withPreset(refund, { preset: "custom", value: "" }, english)).toEqual({ when: 'call.intent == "refund"', queue: "complaints" });
  });
});

const queues: QueueChoice[] = [
  { key: "after-sales", name: "售后", name_en: "After-sales" },
  { key: "complaints", name: "投诉", name_en: "Complaints" },
];

const base: FlowDocument = {
  schema: 1,
  name: "routing",
  language: "en-US",
  start: "ask",
  nodes: [
    {
      id: "ask",
      type: "ask",
      prompt: "How can I help?",
      intents: [{ name: "refund", examples: ["I want my money back"], next: "agent" }],
      no_match: { next: "agent" },
      no_input: { next: "agent" },
    },
    { id: "agent", type: "handoff", queue: "after-sales", error: "bye" },
    { id: "bye", type: "end", outcome: "resolved" },
  ],
};

function setup(lang: Lang = "en") {
  const docs: FlowDocument[] = [];
  render(<PanelHarness base={base} selected={["agent"]} queues={queues} lang={lang} onDoc={(d) => docs.push(d)} />);
  return () => docs[docs.length - 1].nodes[1] as HandoffNode;
}

const rules = () => screen.queryAllByTestId("handoff-route");

describe("handoff form: routing rules", () => {
  it("adds a rule from a preset, picks its queue and intent, orders and removes rules", async () => {
    const node = setup();
    expect(screen.queryByText("Everyone else goes to")).toBeNull();
    await userEvent.click(screen.getByTestId("add-route"));
    // With rules, the node's own queue is the one for everyone else.
    expect(screen.getByText("Everyone else goes to")).toBeTruthy();
    expect(node().routes).toEqual([{ when: 'call.emotion == "angry"', queue: "", label: "Caller is upset" }]);
    // The rule's queue is one of the tenant's, by name.
    const first = rules()[0];
    await userEvent.selectOptions(within(first).getByTestId("route-queue"), "complaints");
    expect(node().routes?.[0].queue).toBe("complaints");
    expect(within(first).getByRole("option", { name: "Complaints" })).toBeTruthy();

    await userEvent.click(screen.getByTestId("add-route"));
    const second = rules()[1];
    await userEvent.selectOptions(within(second).getByTestId("route-preset"), "intent");
    fireEvent.change(within(second).getByTestId("route-preset-value"), { target: { value: "refund" } });
    await userEvent.selectOptions(within(second).getByTestId("route-queue"), "after-sales");
    expect(node().routes?.[1]).toEqual({ when: 'call.intent == "refund"', queue: "after-sales", label: "Intent: refund" });
    // The condition field shows the same text, for editing by hand.
    const view = EditorView.findFromDOM(within(rules()[1]).getByTestId("route-when"));
    expect(view?.state.doc.toString()).toBe('call.intent == "refund"');

    await userEvent.click(within(rules()[1]).getByRole("button", { name: "Move Rule 2 up" }));
    expect(node().routes?.map((r) => r.queue)).toEqual(["after-sales", "complaints"]);
    await userEvent.click(within(rules()[0]).getByRole("button", { name: "Remove rule" }));
    expect(node().routes).toEqual([{ when: 'call.emotion == "angry"', queue: "complaints", label: "Caller is upset" }]);
    await userEvent.click(within(rules()[0]).getByRole("button", { name: "Remove rule" }));
    expect(node()).not.toHaveProperty("routes");
    expect(rules()).toHaveLength(0);
    // A dozen interactions with the whole property panel: more than the default 5 s when the
    // machine is busy.
  }, 30_000);

  it("speaks Chinese too", async () => {
    setup("zh-CN");
    await userEvent.click(screen.getByTestId("add-route"));
    expect(within(rules()[0]).getByText("规则 1")).toBeTruthy();
    expect(within(rules()[0]).getByRole("option", { name: "客户生气了" })).toBeTruthy();
    expect(screen.getByText("其他客户转到")).toBeTruthy();
  });
});
