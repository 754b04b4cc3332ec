import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { api, ApiError, type FlowView } from "../api";
import type { FlowDocument } from "../flow/types";
import { useAutosave } from "./autosave";

const doc = (name: string): FlowDocument => ({ schema: 1, name, language: "zh-CN", start: "", nodes: [] });
const view = (revision: number, draft: FlowDocument): FlowView => ({
  id: "flw_1",
  name: draft.name,
  revision,
  created_at: 0,
  updated_at: 0,
  draft,
  diagnostics: [],
});

describe("useAutosave", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  const start = (initial: FlowDocument) =>
    renderHook(({ current }) => useAutosave({ flowId: "flw_1", doc: current, initialRevision: 4, initialSaved: initial, enabled: true, onSaved: () => undefined }), {
      initialProps: { current: initial },
    });

  it("saves a pause after a change, with the revision it started from", async () => {
    const save = vi.spyOn(api, "saveFlow").mockImplementation(async (_id, d, revision) => view(revision + 1, d));
    const first = doc("a");
    const hook = start(first);
    expect(hook.result.current.status).toBe("saved");
    const second = doc("b");
    hook.rerender({ current: second });
    expect(hook.result.current.status).toBe("pending");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(save).toHaveBeenCalledTimes(1);
    expect(save).toHaveBeenCalledWith("flw_1", second, 4);
    expect(hook.result.current.status).toBe("saved");
    expect(hook.result.current.revision()).toBe(5);
    const third = doc("c");
    hook.rerender({ current: third });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(save).toHaveBeenLastCalledWith("flw_1", third, 5);
  });

  it("stops on a 412 and never overwrites", async () => {
    const save = vi.spyOn(api, "saveFlow").mockRejectedValue(new ApiError(412, { code: "revision_conflict" }));
    const hook = start(doc("a"));
    hook.rerender({ current: doc("b") });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(hook.result.current.status).toBe("conflict");
    hook.rerender({ current: doc("c") });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10000);
    });
    expect(save).toHaveBeenCalledTimes(1);
    expect(hook.result.current.status).toBe("conflict");
  });

  it("after a refused save waits for the next change", async () => {
    const save = vi.spyOn(api, "saveFlow").mockRejectedValue(new ApiError(409, { code: "flow_name_taken" }));
    const hook = start(doc("a"));
    hook.rerender({ current: doc("taken") });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(10000);
    });
    expect(save).toHaveBeenCalledTimes(1);
    expect(hook.result.current.status).toBe("error");
    save.mockImplementation(async (_id, d, revision) => view(revision + 1, d));
    hook.rerender({ current: doc("free") });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(save).toHaveBeenCalledTimes(2);
    expect(hook.result.current.status).toBe("saved");
  });

  it("tries again when the server could not be reached", async () => {
    const save = vi.spyOn(api, "saveFlow").mockRejectedValueOnce(new ApiError(0, { code: "network" }));
    save.mockImplementation(async (_id, d, revision) => view(revision + 1, d));
    const hook = start(doc("a"));
    hook.rerender({ current: doc("b") });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(hook.result.current.status).toBe("error");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(6000);
    });
    expect(save).toHaveBeenCalledTimes(2);
    expect(hook.result.current.status).toBe("saved");
  });

  it("flush saves at once", async () => {
    const save = vi.spyOn(api, "saveFlow").mockImplementation(async (_id, d, revision) => view(revision + 1, d));
    const hook = start(doc("a"));
    hook.rerender({ current: doc("b") });
    let ok = false;
    await act(async () => {
      ok = await hook.result.current.flush();
    });
    expect(ok).toBe(true);
    expect(save).toHaveBeenCalledTimes(1);
  });
});
