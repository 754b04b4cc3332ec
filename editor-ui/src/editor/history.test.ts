import { describe, expect, it } from "vitest";

import type { FlowDocument } from "../flow/types";
import { historyReducer, initialHistory } from "./history";

const doc = (name: string): FlowDocument => ({ schema: 1, name, language: "zh-CN", start: "", nodes: [] });
const rename = (name: string) => (d: FlowDocument) => ({ ...d, name });

describe("historyReducer", () => {
  it("undoes and redoes changes", () => {
    let state = initialHistory(doc("a"));
    state = historyReducer(state, { type: "change", update: rename("b"), now: 1 });
    state = historyReducer(state, { type: "change", update: rename("c"), now: 5000 });
    expect(state.present.name).toBe("c");
    state = historyReducer(state, { type: "undo" });
    expect(state.present.name).toBe("b");
    state = historyReducer(state, { type: "undo" });
    expect(state.present.name).toBe("a");
    expect(historyReducer(state, { type: "undo" })).toBe(state);
    state = historyReducer(state, { type: "redo" });
    expect(state.present.name).toBe("b");
    state = historyReducer(state, { type: "change", update: rename("x"), now: 9000 });
    expect(state.future).toEqual([]);
  });

  it("makes quick changes with the same key one step", () => {
    let state = initialHistory(doc("a"));
    state = historyReducer(state, { type: "change", update: rename("ab"), coalesce: "name", now: 1000 });
    state = historyReducer(state, { type: "change", update: rename("abc"), coalesce: "name", now: 1500 });
    state = historyReducer(state, { type: "change", update: rename("abcd"), coalesce: "name", now: 5000 });
    expect(state.past.map((d) => d.name)).toEqual(["a", "abc"]);
  });

  it("makes one drag one step however long it takes", () => {
    let state = initialHistory(doc("a"));
    for (let i = 0; i < 5; i += 1) {
      state = historyReducer(state, { type: "change", update: rename(`m${i}`), coalesce: "drag:1", now: i * 10000 });
    }
    expect(state.past.map((d) => d.name)).toEqual(["a"]);
  });

  it("ignores changes that change nothing", () => {
    const state = initialHistory(doc("a"));
    expect(historyReducer(state, { type: "change", update: (d) => d, now: 1 })).toBe(state);
  });
});
