// Undo and redo over whole documents. Changes that belong together (typing in one field,
// one drag) share a key and become one step.

import { useCallback, useReducer } from "react";

import type { FlowDocument } from "../flow/types";

const LIMIT = 200;
/** Typing in the same field within this time is one step. */
const COALESCE_MS = 1200;

export interface ChangeOptions {
  /** Changes with the same key in quick succession are undone together. */
  coalesce?: string;
}

export interface HistoryState {
  past: FlowDocument[];
  present: FlowDocument;
  future: FlowDocument[];
  lastKey: string | null;
  lastTime: number;
}

export type HistoryAction =
  | { type: "change"; update: (doc: FlowDocument) => FlowDocument; coalesce?: string; now: number }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "reset"; doc: FlowDocument };

export function initialHistory(doc: FlowDocument): HistoryState {
  return { past: [], present: doc, future: [], lastKey: null, lastTime: 0 };
}

export function historyReducer(state: HistoryState, action: HistoryAction): HistoryState {
  switch (action.type) {
    case "change": {
      const next = action.update(state.present);
      if (next === state.present) return state;
      const key = action.coalesce ?? null;
      const sameStep =
        key !== null && key === state.lastKey && (key.startsWith("drag:") || action.now - state.lastTime < COALESCE_MS);
      if (sameStep) return { ...state, present: next, future: [], lastTime: action.now };
      return {
        past: [...state.past, state.present].slice(-LIMIT),
        present: next,
        future: [],
        lastKey: key,
        lastTime: action.now,
      };
    }
    case "undo": {
      if (state.past.length === 0) return state;
      const previous = state.past[state.past.length - 1];
      return {
        past: state.past.slice(0, -1),
        present: previous,
        future: [state.present, ...state.future],
        lastKey: null,
        lastTime: 0,
      };
    }
    case "redo": {
      if (state.future.length === 0) return state;
      const [next, ...rest] = state.future;
      return { past: [...state.past, state.present], present: next, future: rest, lastKey: null, lastTime: 0 };
    }
    case "reset":
      return initialHistory(action.doc);
  }
}

export interface History {
  doc: FlowDocument;
  canUndo: boolean;
  canRedo: boolean;
  change: (update: (doc: FlowDocument) => FlowDocument, options?: ChangeOptions) => void;
  undo: () => void;
  redo: () => void;
  reset: (doc: FlowDocument) => void;
}

export function useHistory(initial: FlowDocument): History {
  const [state, dispatch] = useReducer(historyReducer, initial, initialHistory);
  const change = useCallback(
    (update: (doc: FlowDocument) => FlowDocument, options: ChangeOptions = {}) =>
      dispatch({ type: "change", update, coalesce: options.coalesce, now: Date.now() }),
    [],
  );
  const undo = useCallback(() => dispatch({ type: "undo" }), []);
  const redo = useCallback(() => dispatch({ type: "redo" }), []);
  const reset = useCallback((doc: FlowDocument) => dispatch({ type: "reset", doc }), []);
  return {
    doc: state.present,
    canUndo: state.past.length > 0,
    canRedo: state.future.length > 0,
    change,
    undo,
    redo,
    reset,
  };
}
