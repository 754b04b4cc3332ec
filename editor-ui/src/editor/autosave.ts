// Saving the draft while the user works: a short pause after the last change saves it with
// `If-Match: <revision>`. A 412 means someone else saved first: saving stops until the user
// decides what to do, so nothing is ever overwritten silently.

import { useCallback, useEffect, useRef, useState } from "react";

import { api, ApiError, type FlowView } from "../api";
import type { FlowDocument } from "../flow/types";
import { SIGNED_IN_AGAIN } from "../session";

export type SaveStatus = "saved" | "pending" | "saving" | "error" | "conflict";

const SAVE_DELAY_MS = 800;
const RETRY_DELAY_MS = 5000;

export interface Autosave {
  status: SaveStatus;
  error: unknown;
  /** The draft revision the server has. */
  revision: () => number;
  /** Saves now if needed; true when the server has the current document. */
  flush: () => Promise<boolean>;
  /** After the draft was replaced on the server (reload, restore): this is saved now. */
  adopt: (view: FlowView, doc: FlowDocument) => void;
}

interface Options {
  flowId: string;
  doc: FlowDocument;
  initialRevision: number;
  initialSaved: FlowDocument;
  enabled: boolean;
  onSaved: (view: FlowView, doc: FlowDocument) => void;
}

export function useAutosave({ flowId, doc, initialRevision, initialSaved, enabled, onSaved }: Options): Autosave {
  const revision = useRef(initialRevision);
  const saved = useRef(initialSaved);
  const latest = useRef(doc);
  latest.current = doc;
  const inFlight = useRef<Promise<boolean> | null>(null);
  const onSavedRef = useRef(onSaved);
  onSavedRef.current = onSaved;
  const [status, setStatusState] = useState<SaveStatus>(doc === initialSaved ? "saved" : "pending");
  const statusRef = useRef(status);
  const setStatus = (next: SaveStatus) => {
    statusRef.current = next;
    setStatusState(next);
  };
  const [error, setError] = useState<unknown>(null);
  // Bumped after a save or a failure, to look again at whether a save is due.
  const [tick, setTick] = useState(0);
  const failed = useRef<{ doc: FlowDocument | null; error: unknown }>({ doc: null, error: null });

  const saveNow = useCallback(async (): Promise<boolean> => {
    while (inFlight.current) await inFlight.current;
    if (statusRef.current === "conflict") return false;
    const target = latest.current;
    if (target === saved.current) {
      setStatus("saved");
      return true;
    }
    setStatus("saving");
    const attempt = (async () => {
      try {
        const view = await api.saveFlow(flowId, target, revision.current);
        revision.current = view.revision;
        saved.current = target;
        setError(null);
        setStatus(latest.current === target ? "saved" : "pending");
        onSavedRef.current(view, target);
        return true;
      } catch (caught) {
        failed.current = { doc: target, error: caught };
        setError(caught);
        if (caught instanceof ApiError && caught.status === 412) setStatus("conflict");
        else setStatus("error");
        return false;
      } finally {
        inFlight.current = null;
        setTick((n) => n + 1);
      }
    })();
    inFlight.current = attempt;
    return attempt;
  }, [flowId]);

  useEffect(() => {
    if (!enabled) return;
    const current = statusRef.current;
    if (current === "conflict" || current === "saving") return;
    if (doc === saved.current) {
      if (current !== "saved") setStatus("saved");
      return;
    }
    let delay = SAVE_DELAY_MS;
    if (current === "error" && doc === failed.current.doc) {
      // A refused save (a taken or empty name) waits for the next change; a server that could
      // not be reached is tried again.
      const error = failed.current.error;
      const retriable = error instanceof ApiError && (error.status === 0 || error.status >= 500);
      if (!retriable) return;
      delay = RETRY_DELAY_MS;
    } else {
      setStatus("pending");
    }
    const timer = setTimeout(() => void saveNow(), delay);
    return () => clearTimeout(timer);
  }, [doc, enabled, saveNow, tick]);

  // A save refused because the login ran out goes through once the user has signed in again.
  useEffect(() => {
    const resume = () => {
      if (statusRef.current === "error" && latest.current !== saved.current) void saveNow();
    };
    window.addEventListener(SIGNED_IN_AGAIN, resume);
    return () => window.removeEventListener(SIGNED_IN_AGAIN, resume);
  }, [saveNow]);

  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (latest.current !== saved.current) {
        event.preventDefault();
        event.returnValue = "";
      }
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);

  const adopt = useCallback((view: FlowView, adopted: FlowDocument) => {
    revision.current = view.revision;
    saved.current = adopted;
    latest.current = adopted;
    setError(null);
    setStatus("saved");
  }, []);

  return {
    status,
    error,
    revision: useCallback(() => revision.current, []),
    flush: saveNow,
    adopt,
  };
}
