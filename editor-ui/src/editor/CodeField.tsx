// A CodeMirror 6 editor for a script, a condition or a text with templates, showing the
// validator's diagnostics for that field inline.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, syntaxHighlighting } from "@codemirror/language";
import { setDiagnostics, type Diagnostic as CmDiagnostic } from "@codemirror/lint";
import { lintGutter } from "@codemirror/lint";
import { Compartment, EditorState, Transaction, type Extension } from "@codemirror/state";
import { EditorView, keymap, placeholder as placeholderExtension } from "@codemirror/view";
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";

import type { Diagnostic } from "../api";
import { codeHighlight, rhaiLanguage, templateLanguage } from "./languages";

export type CodeMode = "template" | "rhai" | "expression";

export interface CodeFieldHandle {
  insert: (text: string) => void;
  focus: () => void;
}

interface CodeFieldProps {
  value: string;
  onChange: (value: string) => void;
  mode: CodeMode;
  multiline?: boolean;
  /** Diagnostics whose field is this one; `line`/`column` place them in the text. */
  diagnostics?: readonly Diagnostic[];
  labelledBy?: string;
  /** Pointer of the field, for focusing it from the problems list. */
  field?: string;
  readOnly?: boolean;
  placeholder?: string;
  testId?: string;
}

/** Diagnostics for CodeMirror: at their line and column when given, else the whole text. */
export function toEditorDiagnostics(text: string, diagnostics: readonly Diagnostic[]): CmDiagnostic[] {
  const lines = text.split("\n");
  const offsetOfLine = (line: number) => lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  return diagnostics.map((diagnostic) => {
    let from = 0;
    let to = text.length;
    if (diagnostic.line && diagnostic.line >= 1 && diagnostic.line <= lines.length) {
      const lineStart = offsetOfLine(diagnostic.line);
      const lineText = lines[diagnostic.line - 1];
      const column = Math.max(1, Math.min(diagnostic.column ?? 1, lineText.length + 1));
      from = lineStart + column - 1;
      // Underline the rest of the word at the position, at least one character.
      const rest = /^[^\s]*/.exec(lineText.slice(column - 1))?.[0].length ?? 0;
      to = Math.min(lineStart + lineText.length, from + Math.max(1, rest));
      if (to <= from) to = Math.min(text.length, from + 1);
    }
    return {
      from: Math.min(from, text.length),
      to: Math.max(Math.min(to, text.length), Math.min(from, text.length)),
      severity: diagnostic.severity === "error" ? "error" : "warning",
      message: diagnostic.message,
      source: diagnostic.code,
    };
  });
}

const singleLine = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || tr.newDoc.lines === 1) return tr;
  const flattened = tr.newDoc.toString().replace(/\r?\n/g, " ");
  return [
    tr,
    {
      changes: { from: 0, to: tr.newDoc.length, insert: flattened },
      sequential: true,
    },
  ];
});

const baseTheme = EditorView.theme({
  "&": { fontSize: "13px", border: "1px solid var(--border)", borderRadius: "6px", background: "var(--input-bg)" },
  "&.cm-focused": { outline: "2px solid var(--focus)", outlineOffset: "1px" },
  ".cm-content": { fontFamily: "var(--mono)", padding: "6px 4px", caretColor: "var(--text)" },
  ".cm-scroller": { lineHeight: "1.5" },
  ".cm-gutters": { background: "transparent", border: "none" },
});

export const CodeField = forwardRef<CodeFieldHandle, CodeFieldProps>(function CodeField(
  { value, onChange, mode, multiline = false, diagnostics = [], labelledBy, field, readOnly = false, placeholder, testId },
  ref,
) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const readOnlyCompartment = useRef(new Compartment());

  useEffect(() => {
    const extensions: Extension[] = [
      history(),
      keymap.of([...(multiline ? [indentWithTab] : []), ...defaultKeymap, ...historyKeymap]),
      mode === "template" ? templateLanguage : rhaiLanguage,
      syntaxHighlighting(codeHighlight),
      bracketMatching(),
      baseTheme,
      EditorView.lineWrapping,
      readOnlyCompartment.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
      EditorView.contentAttributes.of({
        ...(labelledBy ? { "aria-labelledby": labelledBy } : {}),
        "aria-multiline": multiline ? "true" : "false",
        ...(testId ? { "data-testid": testId } : {}),
      }),
      EditorView.updateListener.of((update) => {
        if (!update.docChanged) return;
        if (update.transactions.some((tr) => tr.annotation(Transaction.remote))) return;
        onChangeRef.current(update.state.doc.toString());
      }),
    ];
    if (mode === "rhai" && multiline) extensions.push(lintGutter());
    if (!multiline) extensions.push(singleLine);
    if (placeholder) extensions.push(placeholderExtension(placeholder));
    const created = new EditorView({
      parent: host.current!,
      state: EditorState.create({ doc: value, extensions }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The editor is made once; value, read-only and diagnostics follow below.
  }, [mode, multiline]);

  useEffect(() => {
    const current = view.current;
    if (!current) return;
    const text = current.state.doc.toString();
    if (text === value) return;
    const head = Math.min(current.state.selection.main.head, value.length);
    current.dispatch({
      changes: { from: 0, to: text.length, insert: value },
      selection: { anchor: head },
      annotations: Transaction.remote.of(true),
    });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({
      effects: readOnlyCompartment.current.reconfigure([
        EditorState.readOnly.of(readOnly),
        EditorView.editable.of(!readOnly),
      ]),
    });
  }, [readOnly]);

  useEffect(() => {
    const current = view.current;
    if (!current) return;
    current.dispatch(setDiagnostics(current.state, toEditorDiagnostics(current.state.doc.toString(), diagnostics)));
  }, [diagnostics, value]);

  useImperativeHandle(ref, () => ({
    insert(text: string) {
      const current = view.current;
      if (!current || readOnly) return;
      const { from, to } = current.state.selection.main;
      current.dispatch({ changes: { from, to, insert: text }, selection: { anchor: from + text.length } });
      current.focus();
    },
    focus() {
      view.current?.focus();
    },
  }));

  const hasError = diagnostics.some((d) => d.severity === "error");
  return (
    <div
      ref={host}
      className={`code-field code-${mode}${multiline ? " multiline" : ""}${hasError ? " has-error" : diagnostics.length ? " has-warning" : ""}`}
      data-field={field}
      data-code-field="true"
    />
  );
});
