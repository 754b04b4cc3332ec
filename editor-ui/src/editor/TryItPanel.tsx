// "Try it": a conversation with the draft through the sessions API, as a caller would have it,
// with a keypad, silence and hang-up. The canvas follows along.

import { useEffect, useRef, useState, type FormEvent } from "react";

import { api, type Emotion, type KnowledgeStep, type SessionEvent, type SessionView } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import type { FlowDocument } from "../flow/types";
import { hasKey, outcomeName, useI18n, type Translate } from "../i18n";
import { intentNameOf, nodeNames } from "../flow/names";
import { queueLabel, type QueueChoice } from "../nodes/lookup";
import type { Trace } from "./view";

type Entry =
  | { who: "bot"; text: string; node: string }
  | { who: "caller"; text: string; kind: SessionEvent["type"] }
  | { who: "system"; text: string }
  | { who: "knowledge"; text: string; kind: KnowledgeStep["type"] };

/**
 * The call variables typed in, as the flow declares them: a variable whose initial value is a
 * number or yes/no gets one when the text reads as one. Empty fields keep the initial value.
 */
export function typedVars(typed: Record<string, string>, doc: FlowDocument): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(typed)) {
    if (text.trim() === "") continue;
    const initial = doc.variables?.[name];
    if (typeof initial === "number" && Number.isFinite(Number(text))) result[name] = Number(text);
    else if (typeof initial === "boolean" && (text === "true" || text === "false")) result[name] = text === "true";
    else result[name] = text;
  }
  return result;
}

/** How the caller sounded, when it is worth a note: angry or unhappy, with the anger. */
export function emotionNote(t: Translate, emotion: Emotion | null | undefined): string | null {
  if (emotion?.label !== "angry" && emotion?.label !== "negative") return null;
  return t(`tryit.emotion.${emotion.label}`, { anger: emotion.anger.toFixed(2) });
}

/**
 * The scripts that failed in a turn, as system lines. The server words them (in the editor's
 * language, the node by its name), so that the line reads the same as in the call's transcript.
 */
export function scriptErrorEntries(view: Pick<SessionView, "script_errors">): { who: "system"; text: string }[] {
  return (view.script_errors ?? []).map((failure) => ({ who: "system", text: failure.text }));
}

/**
 * The line saying the turn passed an opt_out node: on a phone call the other party's number then
 * goes on the do-not-call list.
 */
export function optOutEntries(t: Translate, view: Pick<SessionView, "opted_out">): { who: "system"; text: string }[] {
  return view.opted_out ? [{ who: "system", text: t("tryit.optedOut") }] : [];
}

/** A knowledge base's step as a line of the conversation, the entry named by its question. */
export function knowledgeLine(t: Translate, step: KnowledgeStep): string {
  switch (step.type) {
    case "kb_answered":
      return t("tryit.kb.answered", {
        question: step.question || t("tryit.kb.someEntry"),
        score: Math.round(step.score * 100),
      });
    case "kb_feedback":
      return t(step.helpful ? "tryit.kb.helpful" : "tryit.kb.notHelpful", {
        question: step.question || t("tryit.kb.someEntry"),
      });
    case "kb_missed":
      return t("tryit.kb.missed", { text: step.text });
  }
}

const KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"] as const;
/** Keys typed and then left alone this long are sent, like a phone's inter-digit timeout. */
const DIGIT_PAUSE_MS = 2000;

interface TryItPanelProps {
  flowId: string;
  doc: FlowDocument;
  revision: number;
  /** Saves pending changes; false when the draft could not be saved. */
  ensureSaved: () => Promise<boolean>;
  onTrace: (trace: Trace | null) => void;
  onShowNode: (id: string) => void;
  /** The tenant's agent queues, to name a transfer's queue by its name; `null` while loading. */
  queues?: readonly QueueChoice[] | null;
}

export function TryItPanel({ flowId, doc, revision, ensureSaved, onTrace, onShowNode, queues = null }: TryItPanelProps) {
  const { t, lang } = useI18n();
  const [session, setSession] = useState<SessionView | null>(null);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [path, setPath] = useState<string[]>([]);
  const [text, setText] = useState("");
  const [digits, setDigits] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [callVars, setCallVars] = useState<Record<string, string>>({});
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const digitTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const log = useRef<HTMLOListElement>(null);
  const onTraceRef = useRef(onTrace);
  onTraceRef.current = onTrace;

  useEffect(() => () => onTraceRef.current(null), []);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView?.({ block: "end" });
  }, [entries]);
  useEffect(() => () => {
    if (digitTimer.current) clearTimeout(digitTimer.current);
  }, []);

  const names = nodeNames(t, doc.nodes);
  const labelOf = (id: string) => names.get(id) ?? t("problems.unknownNode");

  const absorb = (view: SessionView, previousPath: string[]) => {
    const nextPath = [...previousPath, ...view.path];
    // A turn's knowledge-base steps come before what the bot then says (the answer, or what it
    // says when the base has none).
    const added: Entry[] = (view.knowledge ?? []).map((step) => ({ who: "knowledge", text: knowledgeLine(t, step), kind: step.type }));
    added.push(...scriptErrorEntries(view));
    added.push(...view.messages.map((m): Entry => ({ who: "bot", text: m.text, node: m.node })));
    added.push(...optOutEntries(t, view));
    if (view.transfer) {
      added.push({
        who: "system",
        text: t("tryit.transfer", {
          type: transferTypeName(t, view.transfer.type),
          target: transferTargetName(view.transfer.type, view.transfer.target, queues, lang),
          summary: view.transfer.summary,
        }),
      });
    }
    if (view.ended) added.push({ who: "system", text: t("tryit.ended", { outcome: outcomeName(t, view.outcome) }) });
    setSession(view);
    setPath(nextPath);
    setEntries((old) => [...old, ...added]);
    onTrace({ current: view.ended ? null : (view.node ?? null), path: nextPath });
  };

  const start = async () => {
    setBusy(true);
    setError(null);
    setDigits("");
    try {
      if (!(await ensureSaved())) {
        setError(new Error(t("tryit.saveFirst")));
        return;
      }
      const view = await api.startSession(flowId, { vars: typedVars(callVars, doc), from: from.trim(), to: to.trim() });
      setEntries([]);
      absorb(view, []);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const send = async (event: SessionEvent, shown: string) => {
    if (!session || session.ended) return;
    if (digitTimer.current) clearTimeout(digitTimer.current);
    setBusy(true);
    setError(null);
    setEntries((old) => [...old, { who: "caller", text: shown, kind: event.type }]);
    try {
      absorb(await api.sendEvent(session.id, event), path);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  const sendDigits = (keys: string) => {
    if (!keys) return;
    setDigits("");
    void send({ type: "digits", digits: keys }, t("tryit.pressed", { keys }));
  };

  const press = (key: string) => {
    const keys = digits + key;
    const listen = session?.listen;
    const finished = listen?.finish_on_key ? key === listen.finish_on_key : false;
    const full = listen?.max_digits ? keys.replace(/[#*]$/, "").length >= listen.max_digits : false;
    if (digitTimer.current) clearTimeout(digitTimer.current);
    if (finished || full) {
      sendDigits(keys);
      return;
    }
    setDigits(keys);
    digitTimer.current = setTimeout(() => sendDigits(keys), DIGIT_PAUSE_MS);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) {
      const line = text.trim();
      setText("");
      void send({ type: "text", text: line }, line);
    } else if (digits) {
      sendDigits(digits);
    }
  };

  const active = session !== null && !session.ended;
  const stale = session !== null && session.draft_revision != null && session.draft_revision !== revision;
  const listen = session?.listen;

  return (
    <div className="tryit" data-testid="tryit">
      <div className="tryit-actions">
        <button type="button" className="primary" onClick={() => void start()} disabled={busy} data-testid={session ? "tryit-restart" : "tryit-start"}>
          {session ? `↻ ${t("tryit.restart")}` : `▶ ${t("tryit.start")}`}
        </button>
        <button type="button" onClick={() => void send({ type: "hangup" }, t("tryit.hungUp"))} disabled={!active || busy} data-testid="tryit-hangup">
          📵 {t("tryit.hangup")}
        </button>
      </div>
      {!session && <p className="muted small">{t("tryit.help")}</p>}
      <details className="form-section" data-testid="tryit-call">
        <summary>{t("tryit.callSetup")}</summary>
        <p className="field-help">{t("tryit.callSetupHelp")}</p>
        <div className="field-row">
          <label className="field">
            <span>{t("tryit.from")}</span>
            <input type="text" value={from} onChange={(e) => setFrom(e.target.value)} placeholder="+8613800138000" />
          </label>
          <label className="field">
            <span>{t("tryit.to")}</span>
            <input type="text" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
        </div>
        {Object.entries(doc.variables ?? {}).map(([name, initial]) => (
          <label key={name} className="field field-inline">
            <code>vars.{name}</code>
            <input
              type="text"
              value={callVars[name] ?? ""}
              placeholder={typeof initial === "string" ? initial : JSON.stringify(initial)}
              onChange={(e) => setCallVars({ ...callVars, [name]: e.target.value })}
            />
          </label>
        ))}
      </details>
      {stale && (
        <div className="alert alert-info small" role="status">
          {t("tryit.stale")}
        </div>
      )}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />

      <ol className="chat" ref={log} aria-live="polite" data-testid="tryit-log">
        {entries.map((entry, index) =>
          entry.who === "bot" ? (
            <li key={index} className="chat-bot" data-testid="tryit-message" data-node={entry.node}>
              <button type="button" className="chat-node" onClick={() => onShowNode(entry.node)} title={t("tryit.showNode")}>
                {labelOf(entry.node)}
              </button>
              <div className="bubble">{entry.text}</div>
            </li>
          ) : entry.who === "caller" ? (
            <li key={index} className={`chat-caller kind-${entry.kind}`} data-testid="tryit-caller-message">
              <div className="bubble">{entry.text}</div>
            </li>
          ) : entry.who === "knowledge" ? (
            <li key={index} className="chat-system chat-knowledge" data-testid="tryit-knowledge" data-kind={entry.kind}>
              📚 {entry.text}
            </li>
          ) : (
            <li key={index} className="chat-system" data-testid="tryit-system-message">
              {entry.text}
            </li>
          ),
        )}
      </ol>

      {session && (
        <div className="tryit-status muted small" data-testid="tryit-status" data-ended={session.ended || undefined}>
          {session.ended
            ? t("tryit.statusEnded")
            : listen
              ? t("tryit.statusListening", {
                  node: labelOf(session.node ?? ""),
                  modes: listen.modes.map((m) => t(`tryit.mode.${m === "dtmf" ? "dtmf" : "speech"}`)).join(" / "),
                })
              : t("tryit.statusWaiting")}
          {session.intent && <span> · {t("tryit.intent", { intent: intentNameOf(doc, session.intent) })}</span>}
          {emotionNote(t, session.emotion) && (
            <span data-testid="tryit-emotion" data-label={session.emotion?.label}>
              {" · "}
              {emotionNote(t, session.emotion)}
            </span>
          )}
        </div>
      )}

      <form className="tryit-input" onSubmit={submit}>
        <label htmlFor="tryit-text" className="visually-hidden">
          {t("tryit.inputLabel")}
        </label>
        <input
          id="tryit-text"
          type="text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={active ? t("tryit.placeholder") : t("tryit.placeholderIdle")}
          disabled={!active}
          data-testid="tryit-input"
          autoComplete="off"
        />
        <button type="submit" className="primary" disabled={!active || busy || (!text.trim() && !digits)} data-testid="tryit-send">
          {t("tryit.send")}
        </button>
      </form>

      <div className="keypad-row">
        <div className="keypad" role="group" aria-label={t("tryit.keypad")}>
          {KEYPAD.map((key) => (
            <button key={key} type="button" onClick={() => press(key)} disabled={!active || busy} data-testid={`key-${key}`} aria-label={t("tryit.key", { key })}>
              {key}
            </button>
          ))}
        </div>
        <div className="keypad-side">
          <div className="digits" data-testid="tryit-digits" aria-live="polite">
            {digits ? t("tryit.typed", { keys: digits }) : listen?.finish_on_key ? t("tryit.finishHint", { key: listen.finish_on_key }) : ""}
          </div>
          <button type="button" onClick={() => sendDigits(digits)} disabled={!active || busy || !digits} data-testid="tryit-send-keys">
            {t("tryit.sendKeys")}
          </button>
          <button type="button" onClick={() => void send({ type: "no_input" }, t("tryit.silent"))} disabled={!active || busy} data-testid="tryit-silence">
            🤫 {t("tryit.silence")}
          </button>
        </div>
      </div>

      {session && (
        <details className="form-section" open>
          <summary>{t("tryit.vars")}</summary>
          <table className="vars-table" data-testid="tryit-vars">
            <tbody>
              {Object.entries(session.vars).map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">
                    <code>vars.{name}</code>
                  </th>
                  <td>
                    <code>{JSON.stringify(value)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}

/** "queue", "phone" or "sip" in the reader's words. */
export function transferTypeName(t: Translate, type: string): string {
  const key = `tryit.target.${type}`;
  return hasKey(key) ? t(key) : type;
}

/** A queue by its name when the tenant has one for it; numbers and addresses as they are. */
export function transferTargetName(type: string, target: string, queues: readonly QueueChoice[] | null, lang: string): string {
  const queue = type === "queue" ? queues?.find((q) => q.key === target) : undefined;
  return queue ? queueLabel(queue, lang) : target;
}
