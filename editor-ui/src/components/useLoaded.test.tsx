import { act, renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api";
import { useAction, useLoaded } from "./useLoaded";

/** A promise the test settles when it wants, as a slow server would. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A load that answers only when told, and fails with an AbortError when called off, as fetch does. */
function slowLoads<T>() {
  const pending: { answer: ReturnType<typeof deferred<T>>; signal: AbortSignal }[] = [];
  const load = vi.fn((signal: AbortSignal) => {
    const answer = deferred<T>();
    signal.addEventListener("abort", () => answer.reject(new DOMException("The operation was aborted.", "AbortError")));
    pending.push({ answer, signal });
    return answer.promise;
  });
  return { load, pending };
}

describe("useLoaded", () => {
  it("shows what the load brought, and the load's failure as the error", async () => {
    const first = renderHook(() => useLoaded(async () => ["会员", "老客户"]));
    expect(first.result.current.value).toBeNull();
    await waitFor(() => expect(first.result.current.value).toEqual(["会员", "老客户"]));
    expect(first.result.current.error).toBeNull();

    const failure = new ApiError(503, { code: "unavailable", detail: "数据库暂时不可用" });
    const second = renderHook(() => useLoaded(() => Promise.reject(failure)));
    await waitFor(() => expect(second.result.current.error).toBe(failure));
    expect(second.result.current.value).toBeNull();
  });

  it("calls the load off when the page goes away", () => {
    const { load, pending } = slowLoads<string[]>();
    const hook = renderHook(() => useLoaded(load));
    expect(load).toHaveBeenCalledTimes(1);
    expect(pending[0].signal.aborted).toBe(false);
    hook.unmount();
    expect(pending[0].signal.aborted).toBe(true);
  });

  it("a load called off for a newer one fails with an AbortError, and that is no error", async () => {
    const { load, pending } = slowLoads<string>();
    const hook = renderHook(({ search }) => useLoaded((signal) => load(signal), [search]), { initialProps: { search: "" } });
    hook.rerender({ search: "李" });
    expect(pending[0].signal.aborted).toBe(true);
    await act(async () => {
      await pending[0].answer.promise.catch(() => undefined);
    });
    expect(hook.result.current.error).toBeNull();
    await act(async () => pending[1].answer.resolve("李娜"));
    expect(hook.result.current.value).toBe("李娜");
    expect(hook.result.current.error).toBeNull();
  });

  it("loads again when a key changes, and never shows the answer to the old key", async () => {
    // This load ignores its signal: the answer for the old key still comes, late.
    const answers = new Map([
      ["", deferred<string>()],
      ["张", deferred<string>()],
    ]);
    const hook = renderHook(({ search }) => useLoaded(() => answers.get(search)!.promise, [search]), { initialProps: { search: "" } });
    hook.rerender({ search: "张" });
    await act(async () => {
      answers.get("张")!.resolve("张伟");
    });
    expect(hook.result.current.value).toBe("张伟");
    await act(async () => {
      answers.get("")!.resolve("全部");
    });
    expect(hook.result.current.value).toBe("张伟");
    expect(hook.result.current.error).toBeNull();
  });

  it("refresh loads again, keeping the old value on show until the new one is there", async () => {
    const { load, pending } = slowLoads<number>();
    const hook = renderHook(() => useLoaded(load));
    await act(async () => pending[0].answer.resolve(2));
    expect(hook.result.current.value).toBe(2);

    let refreshed: Promise<boolean> = Promise.resolve(false);
    act(() => {
      refreshed = hook.result.current.refresh();
    });
    expect(load).toHaveBeenCalledTimes(2);
    expect(hook.result.current.value).toBe(2);
    await act(async () => pending[1].answer.resolve(3));
    expect(await refreshed).toBe(true);
    expect(hook.result.current.value).toBe(3);
  });

  it("a refresh calls off the load still under way; only the newer answer counts", async () => {
    const { load, pending } = slowLoads<number>();
    const hook = renderHook(() => useLoaded(load));
    let refreshed: Promise<boolean> = Promise.resolve(false);
    act(() => {
      refreshed = hook.result.current.refresh();
    });
    expect(pending[0].signal.aborted).toBe(true);
    await act(async () => pending[1].answer.resolve(7));
    expect(await refreshed).toBe(true);
    expect(hook.result.current.value).toBe(7);
    expect(hook.result.current.error).toBeNull();
  });

  it("a failed refresh keeps the old value and says why", async () => {
    const { load, pending } = slowLoads<number>();
    const hook = renderHook(() => useLoaded(load));
    await act(async () => pending[0].answer.resolve(1));
    const failure = new ApiError(0, { code: "network" });
    let refreshed: Promise<boolean> = Promise.resolve(true);
    act(() => {
      refreshed = hook.result.current.refresh();
    });
    await act(async () => pending[1].answer.reject(failure));
    expect(await refreshed).toBe(false);
    expect(hook.result.current.value).toBe(1);
    expect(hook.result.current.error).toBe(failure);
  });
});

describe("useAction", () => {
  it("is busy while the action runs and clears the last error when it starts", async () => {
    const setError = vi.fn();
    const hook = renderHook(() => useAction(setError));
    const action = deferred<void>();
    let ran: Promise<void> = Promise.resolve();
    act(() => {
      ran = hook.result.current.run(() => action.promise);
    });
    expect(hook.result.current.busy).toBe(true);
    expect(setError).toHaveBeenLastCalledWith(null);
    await act(async () => {
      action.resolve();
      await ran;
    });
    expect(hook.result.current.busy).toBe(false);
    expect(hook.result.current.done).toBe(true);
    expect(setError).toHaveBeenCalledTimes(1);
  });

  it("reports a failure where it is shown and does not throw it", async () => {
    const setError = vi.fn();
    const hook = renderHook(() => useAction(setError));
    const failure = new ApiError(409, { code: "conflict", detail: "名单已被删除" });
    await act(async () => {
      await hook.result.current.run(() => Promise.reject(failure));
    });
    expect(setError).toHaveBeenLastCalledWith(failure);
    expect(hook.result.current.busy).toBe(false);
    expect(hook.result.current.done).toBe(false);
  });
});
