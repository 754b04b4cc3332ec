import { EditorView } from "@codemirror/view";
import { act, fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { describe, expect, it } from "vitest";

import type { LocatedDiagnostic } from "../../flow/diagnostics";
import type { FlowDocument, FlowNode } from "../../flow/types";
import { translate } from "../../i18n";
import { nodeNames } from "../../flow/names";
import { PanelHarness } from "./PanelHarness";

const base: FlowDocument = {
  schema: 1,
  name: "forms",
  language: "en-US",
  start: "greet",
  variables: { order_id: "" },
  nodes: [
    { id: "greet", type: "say", text: "Hello", next: "ask", position: { x: 0, y: 0 } },
    {
      id: "ask",
      type: "ask",
      prompt: "How can I help?",
      intents: [{ name: "track", examples: ["where is my order"], next: "bye" }],
      no_match: { prompts: ["Sorry?"], max: 2, next: "bye" },
      no_input: { max: 2, next: "bye" },
      position: { x: 280, y: 0 },
    },
    { id: "lookup", type: "http", method: "GET", url: "https://shop/orders", next: "bye", error: "bye" },
    { id: "bye", type: "end", outcome: "resolved", position: { x: 560, y: 0 } },
  ],
};

function setup(selected: string[], extra: Partial<ComponentProps<typeof PanelHarness>> = {}) {
  const docs: FlowDocument[] = [];
  const latest = () => docs[docs.length - 1];
  const utils = render(<PanelHarness base={base} selected={selected} onDoc={(d) => docs.push(d)} {...extra} />);
  return { ...utils, latest };
}

/** The CodeMirror view behind a field's content element. */
function editorOf(testId: string): EditorView {
  const content = screen.getByTestId(testId);
  const view = EditorView.findFromDOM(content);
  if (!view) throw new Error(`no editor for ${testId}`);
  return view;
}

describe("say form", () => {
  it("editing the text updates the node in the document", () => {
    const { latest } = setup(["greet"]);
    const view = editorOf("say-text");
    expect(view.state.doc.toString()).toBe("Hello");
    act(() => view.dispatch({ changes: { from: 5, insert: ", {{vars.order_id}}" } }));
    expect(latest().nodes[0]).toEqual({ ...base.nodes[0], text: "Hello, {{vars.order_id}}" });
  });

  it("inserts a variable at the cursor", async () => {
    const { latest } = setup(["greet"]);
    const view = editorOf("say-text");
    act(() => view.dispatch({ selection: { anchor: 0 } }));
    fireEvent.change(screen.getAllByTestId("insert-variable")[0], { target: { value: "vars.order_id" } });
    expect((latest().nodes[0] as { text: string }).text).toBe("{{vars.order_id}}Hello");
  });

  it("offers the customer the lookup found", async () => {
    const { latest } = setup(["greet"]);
    const view = editorOf("say-text");
    act(() => view.dispatch({ selection: { anchor: 0 } }));
    const insert = screen.getAllByTestId("insert-variable")[0];
    expect(within(insert).getByRole("option", { name: "customer.title" })).toBeTruthy();
    fireEvent.change(insert, { target: { value: "customer.title" } });
    expect((latest().nodes[0] as { text: string }).text).toBe("{{customer.title}}Hello");
  });

  it("chooses the next node with a select", async () => {
    const { latest } = setup(["greet"]);
    await userEvent.selectOptions(screen.getByTestId("port-next"), "bye");
    expect(latest().nodes[0]).toMatchObject({ next: "bye" });
    await userEvent.selectOptions(screen.getByTestId("port-next"), "");
    expect(latest().nodes[0]).toMatchObject({ next: "" });
  });

  it("leaves barge_in out while it is on (the default)", async () => {
    const { latest } = setup(["greet"]);
    const box = screen.getByLabelText("Caller may interrupt");
    await userEvent.click(box);
    expect(latest().nodes[0]).toMatchObject({ barge_in: false });
    await userEvent.click(box);
    expect(latest().nodes[0]).not.toHaveProperty("barge_in");
  });
});

describe("ask form", () => {
  it("adds an example phrase to an intent", async () => {
    const { latest } = setup(["ask"]);
    const intent = screen.getAllByTestId("intent")[0];
    await userEvent.click(within(intent).getByRole("button", { name: /Add example/ }));
    const input = within(intent).getByLabelText("Example 2");
    await userEvent.type(input, "track my parcel");
    expect((latest().nodes[1] as { intents: { examples: string[] }[] }).intents[0].examples).toEqual([
      "where is my order",
      "track my parcel",
    ]);
  });

  it("removes an example phrase, and the list once it is empty", async () => {
    const { latest } = setup(["ask"]);
    await userEvent.click(screen.getByRole("button", { name: "Remove Example 1" }));
    expect((latest().nodes[1] as { intents: object[] }).intents[0]).toEqual({ name: "track", next: "bye" });
  });

  it("adds an intent with its own port", async () => {
    const { latest } = setup(["ask"]);
    await userEvent.click(screen.getByTestId("add-intent"));
    const intents = (latest().nodes[1] as { intents: { name: string; next: string }[] }).intents;
    expect(intents).toEqual([{ name: "track", examples: ["where is my order"], next: "bye" }, { name: "intent_2", label: "Intent 2", next: "" }]);
  });

  it("edits the no-match reprompt count and target", async () => {
    const { latest } = setup(["ask"]);
    const section = screen.getByTestId("retry-no_match");
    const max = within(section).getByLabelText("Ask again at most");
    await userEvent.clear(max);
    await userEvent.type(max, "3");
    await userEvent.selectOptions(within(section).getByTestId("port-no_match-next"), "greet");
    expect((latest().nodes[1] as { no_match: unknown }).no_match).toEqual({ prompts: ["Sorry?"], max: 3, next: "greet" });
  });

  it("turns slot capture on with a variable and kind", async () => {
    const { latest } = setup(["ask"]);
    await userEvent.click(screen.getByLabelText("Collect a value from the answer"));
    await userEvent.type(screen.getByLabelText("Save into variable"), "order_id");
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "order_number");
    expect((latest().nodes[1] as { slot: unknown }).slot).toEqual({ var: "order_id", type: "order_number" });
  });

  it("offers date and amount slots; an amount keeps its range and currency variable, a date drops them", async () => {
    const { latest } = setup(["ask"]);
    await userEvent.click(screen.getByLabelText("Collect a value from the answer"));
    await userEvent.type(screen.getByLabelText("Save into variable"), "paid");
    const kind = screen.getByLabelText("Kind");
    expect(within(kind).getByRole("option", { name: "Date" })).toBeTruthy();
    await userEvent.selectOptions(kind, "amount");
    await userEvent.type(screen.getByLabelText("Maximum"), "5000");
    await userEvent.type(screen.getByLabelText("Save the currency into variable"), "currency");
    expect((latest().nodes[1] as { slot: unknown }).slot).toEqual({ var: "paid", type: "amount", max: 5000, currency_var: "currency" });
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "date");
    expect((latest().nodes[1] as { slot: unknown }).slot).toEqual({ var: "paid", type: "date" });
    expect(screen.queryByLabelText("Maximum")).toBeNull();
    expect(screen.getByText(/Weeks start on Monday/)).toBeTruthy();
  });
});

describe("http form", () => {
  it("adds a status port and connects it", async () => {
    const { latest } = setup(["lookup"]);
    const onStatus = screen.getByTestId("http-on-status");
    await userEvent.click(within(onStatus).getByRole("button", { name: /Add status/ }));
    expect((latest().nodes[2] as { on_status: unknown }).on_status).toEqual({ "404": "" });
    await userEvent.selectOptions(within(onStatus).getByRole("combobox"), "greet");
    expect((latest().nodes[2] as { on_status: unknown }).on_status).toEqual({ "404": "greet" });
  });

  it("adds a header", async () => {
    const { latest } = setup(["lookup"]);
    await userEvent.click(screen.getByRole("button", { name: /Add header/ }));
    await userEvent.type(screen.getAllByLabelText("Name")[0], "Accept");
    await userEvent.type(screen.getAllByLabelText("Value")[0], "application/json");
    expect((latest().nodes[2] as { headers: unknown }).headers).toEqual({ Accept: "application/json" });
  });
});

describe("node header and flow form", () => {
  it("renaming a node renames every link to it", async () => {
    const { latest } = setup(["bye"]);
    const id = screen.getByTestId("node-id");
    await userEvent.clear(id);
    await userEvent.type(id, "goodbye{Enter}");
    const doc = latest();
    expect(doc.nodes[3].id).toBe("goodbye");
    expect(doc.nodes[1]).toMatchObject({ intents: [{ next: "goodbye" }], no_match: { next: "goodbye" } });
  });

  it("refuses an id with spaces", async () => {
    const { latest } = setup(["bye"]);
    const id = screen.getByTestId("node-id");
    await userEvent.clear(id);
    await userEvent.type(id, "good bye{Enter}");
    expect(latest().nodes[3].id).toBe("bye");
    expect(screen.getByText(/Use only letters/)).toBeTruthy();
  });

  it("with nothing selected edits the flow itself: its name, never its key", async () => {
    const { latest } = setup([]);
    const name = screen.getByTestId("flow-name");
    await userEvent.clear(name);
    await userEvent.type(name, "Orders");
    await userEvent.selectOptions(screen.getByTestId("flow-start"), "ask");
    expect(latest()).toMatchObject({ name: "forms", title: "Orders", start: "ask" });
  });

  it("sends an angry caller to a node picked by its name, never its id, and turns it off", async () => {
    const { latest } = setup([]);
    const select = screen.getByTestId("flow-angry-caller");
    const shown = within(select)
      .getAllByRole("option")
      .map((option) => option.textContent);
    // Nodes without a label go by their kind's name.
    expect(shown).toEqual(["Nowhere (off)", "Say", "Ask a question", "Call an API", "End call"]);
    expect(shown.some((name) => ["greet", "ask", "lookup", "bye"].includes(name ?? ""))).toBe(false);
    await userEvent.selectOptions(select, "Call an API");
    expect(latest().angry_caller).toEqual({ next: "lookup" });
    await userEvent.type(screen.getByLabelText("How angry"), "0.7");
    expect(latest().angry_caller).toEqual({ next: "lookup", threshold: 0.7 });
    await userEvent.selectOptions(select, "Nowhere (off)");
    expect(latest().angry_caller).toBeUndefined();
  });

  it("names nodes that share a name with a number, handoffs included", () => {
    const nodes: FlowNode[] = [
      { id: "a", type: "handoff", label: "Agent", error: "a" },
      { id: "b", type: "handoff", label: " Agent ", error: "a" },
      { id: "c", type: "end", outcome: "resolved" },
    ];
    const names = nodeNames((key, params) => translate("en", key, params), nodes);
    expect([...names.values()]).toEqual(["Agent 1", "Agent 2", "End call"]);
  });

  it("marks a variable as a result, changes its kind, names it and removes it", async () => {
    const { latest } = setup([]);
    await userEvent.click(screen.getByTestId("flow-add-result"));
    expect(latest().settings?.results).toEqual([{ var: "order_id", kind: "score" }]);
    await userEvent.selectOptions(screen.getByTestId("flow-result-kind"), "choice");
    expect(latest().settings?.results).toEqual([{ var: "order_id", kind: "choice" }]);
    // The name reports show; emptied, it is left out and the variable's name shows again.
    await userEvent.type(screen.getByTestId("flow-result-label"), "订单号");
    expect(latest().settings?.results).toEqual([{ var: "order_id", label: "订单号", kind: "choice" }]);
    expect(within(screen.getByTestId("flow-result")).getByText("订单号")).toBeTruthy();
    await userEvent.clear(screen.getByTestId("flow-result-label"));
    expect(latest().settings?.results).toEqual([{ var: "order_id", kind: "choice" }]);
    const result = screen.getByTestId("flow-result");
    await userEvent.click(within(result).getByText("Remove result"));
    expect(latest().settings?.results ?? []).toEqual([]);
  });

  it("marks a variable sensitive and another as an address", async () => {
    const { latest } = setup([]);
    await userEvent.click(screen.getByTestId("flow-add-sensitive"));
    await userEvent.type(screen.getByTestId("flow-sensitive-var"), "id_card");
    expect(latest().settings?.sensitive).toEqual(["id_card"]);
    await userEvent.click(screen.getByTestId("flow-add-addresses"));
    await userEvent.type(screen.getByTestId("flow-addresses-var"), "ship_to");
    expect(latest().settings?.addresses).toEqual(["ship_to"]);
    await userEvent.click(within(screen.getByTestId("flow-sensitive")).getByText("Remove variable"));
    expect(latest().settings?.sensitive ?? []).toEqual([]);
    expect(latest().settings?.addresses).toEqual(["ship_to"]);
  });
});

describe("diagnostics in forms", () => {
  const diagnostic: LocatedDiagnostic = {
    severity: "error",
    code: "missing_port",
    node: "ask",
    field: "/nodes/1/intents/0/examples/0",
    message: "This example is odd.",
    owner: "ask",
    path: "/intents/0/examples/0",
  };

  it("shows a field's diagnostic beside it", () => {
    setup(["ask"], { diagnostics: [diagnostic] });
    expect(screen.getByText(/This example is odd/)).toBeTruthy();
  });

  it("focuses the field a problem points to", async () => {
    setup(["ask"], { diagnostics: [diagnostic], focus: { owner: "ask", path: "/intents/0/examples/0", seq: 1 } });
    await act(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
    expect(document.activeElement).toBe(screen.getByLabelText("Example 1"));
  });

  it("marks template diagnostics inside the editor", () => {
    setup(["greet"], {
      diagnostics: [{ ...diagnostic, node: "greet", owner: "greet", field: "/nodes/0/text", path: "/text", code: "template_syntax", line: 1, column: 1 }],
    });
    const field = screen.getByTestId("say-text").closest("[data-field]")!;
    expect(field.getAttribute("data-field")).toBe("/text");
    expect(field.className).toContain("has-error");
  });
});
