// What a page reads from the server and what it asks the server to do: a value loaded when the
// page opens (and again when asked), and actions that show they are under way and say why they
// failed. Every list page works this way; here it is written once.

import { useCallback, useEffect, useRef, useState, type DependencyList, type Dispatch, type SetStateAction } from "react";

export interface Loaded<T> {
  /** What was loaded; `null` until the first load arrives. A reload keeps it until the next. */
  value: T | null;
  /** For a page that changes what it shows after an action, without loading it all again. */
  setValue: Dispatch<SetStateAction<T | null>>;
  /** Why the last load failed, or what the page put there itself (its actions share it). */
  error: unknown;
  setError: (error: unknown) => void;
  /** Loads again; `true` once the new value is there, `false` when it failed or was called off. */
  refresh: () => Promise<boolean>;
}

/**
 * Loads a value when the page opens and again whenever one of `keys` changes (a list's id, a
 * search, a page), and aborts the load under way when the page goes away, a key changes or
 * `refresh` starts another: only the latest answer is shown, never one that comes too late.
 * `load` may change from render to render; the latest one is used.
 */
export function useLoaded<T>(load: (signal: AbortSignal) => Promise<T>, keys: DependencyList = []): Loaded<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const underWay = useRef<AbortController | null>(null);

  const refresh = useCallback(async () => {
    underWay.current?.abort();
    const controller = new AbortController();
    underWay.current = controller;
    // Once called off (the page went away, a key changed, a newer load began), nobody waits
    // for this load: the AbortError fetch then throws is no error, and an answer from a load
    // that ignores its signal comes too late to show.
    try {
      const loaded = await latestLoad.current(controller.signal);
      if (controller.signal.aborted) return false;
      setValue(() => loaded);
      return true;
    } catch (caught) {
      if (controller.signal.aborted) return false;
      setError(caught);
      return false;
    }
  }, []);

  // `keys` are the caller's: when one changes, the page shows something else and loads it.
  useEffect(() => {
    void refresh();
    return () => underWay.current?.abort();
  }, [refresh, ...keys]);

  return { value, setValue, error, setError, refresh };
}

export interface Action {
  /** An action is under way: its buttons wait (and a person cannot send it twice). */
  busy: boolean;
  /** The last action went through. */
  done: boolean;
  /**
   * Runs an action: busy while it runs, the old error cleared when it starts (it may no longer
   * hold) and the new one reported when it fails. Never throws, so that the caller can close
   * its confirmation after it either way.
   */
  run: (action: () => Promise<void>) => Promise<void>;
}

/** Actions whose failures are shown where `setError` puts them: the page's error, most often. */
export function useAction(setError: (error: unknown) => void): Action {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const run = useCallback(
    async (action: () => Promise<void>) => {
      setBusy(true);
      setDone(false);
      setError(null);
      try {
        await action();
        setDone(true);
      } catch (caught) {
        setError(caught);
      } finally {
        setBusy(false);
      }
    },
    [setError],
  );
  return { busy, done, run };
}

/** A form's submission: an action with an error of its own, shown in the form. */
export function useSubmission(): Action & { error: unknown; setError: (error: unknown) => void } {
  const [error, setError] = useState<unknown>(null);
  return { ...useAction(setError), error, setError };
}
