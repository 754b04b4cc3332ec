// Live validation: a short pause after the last change sends the document to
// `POST /flows/validate`; nothing is saved by it.

import { useEffect, useMemo, useState } from "react";

import { api, type Diagnostic } from "../api";
import { locateDiagnostics, type LocatedDiagnostic } from "../flow/diagnostics";
import type { FlowDocument } from "../flow/types";

const VALIDATE_DELAY_MS = 400;

export interface Validation {
  diagnostics: LocatedDiagnostic[];
  /** A newer document than the one the diagnostics are for is being checked. */
  validating: boolean;
  error: unknown;
}

export function useValidation(doc: FlowDocument, initial: { doc: FlowDocument; diagnostics: Diagnostic[] }, enabled: boolean): Validation {
  const [result, setResult] = useState(initial);
  const [validating, setValidating] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!enabled || doc === result.doc) {
      setValidating(false);
      return;
    }
    setValidating(true);
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      try {
        const answer = await api.validate(doc, controller.signal);
        setResult({ doc, diagnostics: answer.diagnostics });
        setError(null);
      } catch (caught) {
        if (controller.signal.aborted) return;
        setError(caught);
      } finally {
        if (!controller.signal.aborted) setValidating(false);
      }
    }, VALIDATE_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [doc, enabled]);

  const diagnostics = useMemo(() => locateDiagnostics(result.diagnostics, result.doc), [result]);
  return { diagnostics, validating, error };
}
