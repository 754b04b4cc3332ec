// Highlighting for Rhai (scripts and conditions) and for texts with `{{ expr }}` templates.

import { HighlightStyle, StreamLanguage, type StreamParser, type StringStream } from "@codemirror/language";
import { tags } from "@lezer/highlight";

const KEYWORDS = new Set([
  "let", "const", "if", "else", "switch", "do", "while", "until", "loop", "for", "in", "break",
  "continue", "return", "throw", "try", "catch", "fn", "private", "this", "is_def_var", "is_def_fn",
]);
const ATOMS = new Set(["true", "false", "()"]);
/** What scripts and templates see: the flow's variables, the call, the last input, the shop. */
export const SCOPE_NAMES = new Set(["vars", "call", "input", "tenant"]);
export const HELPERS = [
  "regex_match", "regex_find", "regex_captures", "regex_replace", "json_parse", "to_json",
  "format_date", "date_parts", "days_between", "digits_only", "mask",
];
const HELPER_SET = new Set(HELPERS);

interface RhaiState {
  inBlockComment: boolean;
  inString: '"' | "`" | null;
}

/** One Rhai token; `closing` stops at `}}` (the end of a template expression). */
function rhaiToken(stream: StringStream, state: RhaiState, closing: boolean): string | null {
  if (state.inBlockComment) {
    if (stream.skipTo("*/")) {
      stream.match("*/");
      state.inBlockComment = false;
    } else stream.skipToEnd();
    return "comment";
  }
  if (state.inString) {
    const quote = state.inString;
    let escaped = false;
    while (!stream.eol()) {
      const ch = stream.next();
      if (ch === quote && !escaped) {
        state.inString = null;
        return "string";
      }
      escaped = !escaped && ch === "\\";
    }
    if (quote === '"') state.inString = null;
    return "string";
  }
  if (stream.eatSpace()) return null;
  if (closing && stream.match("}}", false)) return null;
  if (stream.match("//")) {
    stream.skipToEnd();
    return "comment";
  }
  if (stream.match("/*")) {
    state.inBlockComment = true;
    return rhaiToken(stream, state, closing) ?? "comment";
  }
  const ch = stream.peek();
  if (ch === '"' || ch === "`") {
    stream.next();
    state.inString = ch;
    return rhaiToken(stream, state, closing) ?? "string";
  }
  if (ch === "'") {
    stream.match(/^'(\\.|[^'\\])'/) || stream.next();
    return "string";
  }
  if (stream.match(/^(0x[0-9a-fA-F_]+|0b[01_]+|\d[\d_]*(\.\d+)?([eE][+-]?\d+)?)/)) return "number";
  if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
    const word = stream.current();
    if (KEYWORDS.has(word)) return "keyword";
    if (ATOMS.has(word)) return "atom";
    if (SCOPE_NAMES.has(word)) return "variableName.special";
    if (HELPER_SET.has(word)) return "variableName.function";
    if (stream.peek() === "(") return "variableName.function";
    return "variableName";
  }
  if (stream.match(/^(==|!=|<=|>=|&&|\|\||\?\?|\+=|-=|\*=|\/=|[-+*/%<>=!&|^~?])/)) return "operator";
  if (stream.match(/^[()[\]{}]/)) return "bracket";
  if (stream.match(/^[.,;:#]/)) return "punctuation";
  stream.next();
  return null;
}

const rhaiParser: StreamParser<RhaiState> = {
  name: "rhai",
  startState: () => ({ inBlockComment: false, inString: null }),
  token: (stream, state) => rhaiToken(stream, state, false),
  languageData: { commentTokens: { line: "//", block: { open: "/*", close: "*/" } } },
};

interface TemplateState extends RhaiState {
  inExpression: boolean;
}

const templateParser: StreamParser<TemplateState> = {
  name: "template",
  startState: () => ({ inBlockComment: false, inString: null, inExpression: false }),
  token(stream, state) {
    if (!state.inExpression) {
      if (stream.match("{{")) {
        state.inExpression = true;
        return "meta";
      }
      if (!stream.skipTo("{{")) stream.skipToEnd();
      return "content";
    }
    if (!state.inString && !state.inBlockComment && stream.match("}}")) {
      state.inExpression = false;
      return "meta";
    }
    return rhaiToken(stream, state, true);
  },
};

export const rhaiLanguage = StreamLanguage.define(rhaiParser);
export const templateLanguage = StreamLanguage.define(templateParser);

export const codeHighlight = HighlightStyle.define([
  { tag: tags.keyword, color: "#8b2fc9", fontWeight: "600" },
  { tag: tags.atom, color: "#b0430b" },
  { tag: tags.number, color: "#0b6e99" },
  { tag: tags.string, color: "#237a2b" },
  { tag: tags.comment, color: "#6b7280", fontStyle: "italic" },
  { tag: tags.operator, color: "#a4346b" },
  { tag: tags.function(tags.variableName), color: "#0f5bd8" },
  { tag: tags.special(tags.variableName), color: "#b45309", fontWeight: "600" },
  { tag: tags.meta, color: "#b45309", fontWeight: "700" },
  { tag: tags.bracket, color: "#4b5563" },
]);
