import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { PanelHarness } from "../../editor/forms/PanelHarness";
import type { AnswerNode, FlowDocument } from "../../flow/types";
import type { Lang } from "../../i18n";
import { lookupOf, type KnowledgeBaseChoice } from "../lookup";
import { nodePorts, summaryOf } from "../registry";

const faq: AnswerNode = {
  id: "faq",
  type: "answer",
  knowledge_base: "shop-faq",
  answered: "bye",
  no_answer: "agent",
};

const base: FlowDocument = {
  schema: 1,
  name: "faq",
  language: "zh-CN",
  start: "faq",
  nodes: [faq, { id: "bye", type: "end", outcome: "resolved" }, { id: "agent", type: "end", outcome: "handoff" }],
};

const BASES: KnowledgeBaseChoice[] = [
  { key: "shop-faq", name: "商城常见问题", language: "zh-CN" },
  { key: "shop-faq-en", name: "Shop FAQ", language: "en" },
];

function setup(bases: KnowledgeBaseChoice[] | null = BASES, lang: Lang = "en") {
  const docs: FlowDocument[] = [];
  render(<PanelHarness base={base} selected={["faq"]} onDoc={(d) => docs.push(d)} knowledgeBases={bases} lang={lang} />);
  return () => docs[docs.length - 1].nodes[0] as AnswerNode;
}

describe("answer form", () => {
  it("picks the knowledge base by its name and stores its key", async () => {
    const latest = setup();
    const picker = screen.getByTestId("answer-knowledge-base") as HTMLSelectElement;
    const labels = Array.from(picker.options).map((o) => o.textContent);
    expect(labels).toEqual(["Choose a knowledge base…", "商城常见问题", "Shop FAQ"]);
    expect(picker.value).toBe("shop-faq");
    await userEvent.selectOptions(picker, "shop-faq-en");
    expect(latest().knowledge_base).toBe("shop-faq-en");
  });

  it("keeps a key the tenant does not have, marked, in Chinese too", () => {
    setup([BASES[1]], "zh-CN");
    const picker = screen.getByTestId("answer-knowledge-base") as HTMLSelectElement;
    expect(picker.value).toBe("shop-faq");
    expect(picker.selectedOptions[0].textContent).toBe("shop-faq（找不到这个知识库）");
    expect(screen.getByText("知识库")).toBeTruthy();
  });

  it("lets the key be typed when the list cannot be had", async () => {
    const latest = setup(null);
    const input = screen.getByTestId("answer-knowledge-base") as HTMLInputElement;
    expect(input.tagName).toBe("INPUT");
    await userEvent.clear(input);
    await userEvent.type(input, "returns");
    expect(latest().knowledge_base).toBe("returns");
  });

  it("confirm on asks whether it helped; off leaves both fields out", async () => {
    const latest = setup();
    expect(screen.queryByTestId("answer-confirm-prompt")).toBeNull();
    await userEvent.click(screen.getByTestId("answer-confirm"));
    expect(latest().confirm).toBe(true);
    expect(screen.getByTestId("answer-confirm-prompt")).toBeTruthy();
    await userEvent.click(screen.getByTestId("answer-confirm"));
    expect(latest()).not.toHaveProperty("confirm");
    expect(latest()).not.toHaveProperty("confirm_prompt");
  });

  it("disambiguation is on by default and stored only when off", async () => {
    const latest = setup();
    const box = screen.getByTestId("answer-disambiguate") as HTMLInputElement;
    expect(box.checked).toBe(true);
    await userEvent.click(box);
    expect(latest().disambiguate).toBe(false);
    await userEvent.click(box);
    expect(latest()).not.toHaveProperty("disambiguate");
  });

  it("silence handling adds no_input with its port, and connects the ports", async () => {
    const latest = setup();
    expect(nodePorts(latest()).map((p) => p.id)).toEqual(["answered", "no_answer", "unresolved"]);
    await userEvent.click(screen.getByTestId("answer-silence"));
    expect(latest().no_input).toEqual({ prompts: [], max: 2, next: "" });
    expect(nodePorts(latest()).map((p) => p.id)).toEqual(["answered", "no_answer", "unresolved", "no_input"]);
    await userEvent.selectOptions(screen.getByTestId("port-unresolved"), "agent");
    expect(latest().unresolved).toBe("agent");
    await userEvent.selectOptions(screen.getByTestId("port-no_input-next"), "bye");
    expect(latest().no_input?.next).toBe("bye");
  });
});

describe("answer summary", () => {
  it("names the knowledge base, or shows its key until the names are known", () => {
    const t = (key: string) => key;
    expect(summaryOf(t as never, faq, lookupOf(BASES))).toBe("商城常见问题");
    expect(summaryOf(t as never, faq, lookupOf([]))).toBe("shop-faq");
    expect(summaryOf(t as never, faq)).toBe("shop-faq");
    expect(summaryOf(t as never, { ...faq, knowledge_base: "" }, lookupOf(BASES))).toBe("");
  });
});
