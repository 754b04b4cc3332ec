// The property forms of each node type.

import { useEffect, useState } from "react";

import { removeAt, setAt, type PathKey } from "../../flow/pointer";
import type {
  AskNode,
  Assignment,
  BranchNode,
  EndNode,
  FlowNode,
  HandoffNode,
  HttpMethod,
  HttpNode,
  InputMode,
  JsonValue,
  MenuNode,
  Outcome,
  Retry,
  SayNode,
  ScriptNode,
  SetNode,
  Slot,
  SlotType,
  SubflowNode,
} from "../../flow/types";
import { useI18n } from "../../i18n";
import { useForm } from "./context";
import { DTMF_KEYS, moveIndex, removeIndex, replaceAt, withDefaultTrue, withList, withMap, withOptional } from "./edit";
import { Checkbox, CodeInput, Issues, KeyValueList, NumberInput, PortSelect, Section, SelectInput, StringList, TemplateInput, TextInput } from "./fields";
import { HttpTester } from "./HttpTester";
import { IntentsEditor } from "./IntentsEditor";

export type NodeChange = (patch: (node: FlowNode) => FlowNode, coalesce?: string) => void;

interface FormProps<T extends FlowNode> {
  node: T;
  change: (patch: (node: T) => T, field?: string) => void;
}

/** A port's select: connects (sets the field) or disconnects (empties or removes it). */
function Port<T extends FlowNode>({
  node,
  change,
  label,
  path,
  optional = false,
  help,
}: FormProps<T> & { label: string; path: PathKey[]; optional?: boolean; help?: string }) {
  let value: unknown = node;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[String(key)];
  const pointer = "/" + path.join("/");
  return (
    <PortSelect
      label={label}
      value={typeof value === "string" ? value : ""}
      path={pointer}
      help={help}
      ownerId={node.id}
      testId={`port-${path.join("-")}`}
      onChange={(target) =>
        change((n) => (target !== null ? setAt(n, path, target) : optional ? removeAt(n, path) : setAt(n, path, "")), pointer)
      }
    />
  );
}

export function NodeForm({ node, onChange }: { node: FlowNode; onChange: NodeChange }) {
  const { t } = useI18n();
  const change = (patch: (node: never) => FlowNode, field?: string) =>
    onChange(patch as (node: FlowNode) => FlowNode, field ? `${node.id}:${field}` : undefined);
  switch (node.type) {
    case "say":
      return <SayForm node={node as SayNode} change={change} />;
    case "ask":
      return <AskForm node={node as AskNode} change={change} />;
    case "menu":
      return <MenuForm node={node as MenuNode} change={change} />;
    case "branch":
      return <BranchForm node={node as BranchNode} change={change} />;
    case "set":
      return <SetForm node={node as SetNode} change={change} />;
    case "script":
      return <ScriptForm node={node as ScriptNode} change={change} />;
    case "http":
      return <HttpForm node={node as HttpNode} change={change} />;
    case "handoff":
      return <HandoffForm node={node as HandoffNode} change={change} />;
    case "subflow":
      return <SubflowForm node={node as SubflowNode} change={change} />;
    case "end":
      return <EndForm node={node as EndNode} change={change} />;
    default:
      return (
        <div className="alert alert-info">
          {t("form.unknownType", { type: node.type })}
          <pre className="json-preview">{JSON.stringify(node, null, 2)}</pre>
        </div>
      );
  }
}

function SayForm({ node, change }: FormProps<SayNode>) {
  const { t } = useI18n();
  return (
    <>
      <TemplateInput
        label={t("say.text")}
        help={t("say.textHelp")}
        value={node.text}
        path="/text"
        multiline
        testId="say-text"
        onChange={(text) => change((n) => ({ ...n, text }), "text")}
      />
      <Port node={node} change={change} label={t("port.next")} path={["next"]} />
      <Section title={t("form.advanced")} open={false}>
        <TemplateInput
          label={t("say.audio")}
          help={t("say.audioHelp")}
          value={node.audio}
          path="/audio"
          onChange={(audio) => change((n) => withOptional(n, "audio", audio), "audio")}
        />
        <TextInput label={t("form.voice")} help={t("form.voiceHelp")} value={node.voice} path="/voice" onChange={(voice) => change((n) => withOptional(n, "voice", voice), "voice")} />
        <Checkbox
          label={t("form.bargeIn")}
          help={t("form.bargeInHelp")}
          checked={node.barge_in !== false}
          path="/barge_in"
          onChange={(on) => change((n) => withDefaultTrue(n, "barge_in", on))}
        />
      </Section>
    </>
  );
}

function RetryEditor<T extends AskNode | MenuNode>({
  node,
  change,
  which,
}: FormProps<T> & { which: "no_match" | "no_input" }) {
  const { t } = useI18n();
  const retry: Retry = node[which] ?? { next: "" };
  const set = (next: Retry, field: string) => change((n) => ({ ...n, [which]: next }), `${which}/${field}`);
  return (
    <Section title={which === "no_match" ? t("retry.noMatchTitle") : t("retry.noInputTitle")} testId={`retry-${which}`}>
      <p className="field-help">{which === "no_match" ? t("retry.noMatchHelp") : t("retry.noInputHelp")}</p>
      <StringList
        label={t("retry.prompts")}
        items={retry.prompts}
        path={`/${which}/prompts`}
        template
        addLabel={t("retry.addPrompt")}
        itemLabel={(i) => t("retry.prompt", { n: i + 1 })}
        onChange={(prompts) => set(withList(retry, "prompts", prompts), "prompts")}
      />
      <NumberInput
        label={t("retry.max")}
        help={t("retry.maxHelp")}
        value={retry.max ?? 2}
        min={0}
        max={10}
        step={1}
        path={`/${which}/max`}
        onChange={(max) => set({ ...retry, max: max ?? 2 }, "max")}
      />
      <Port node={node} change={change} label={t("retry.then")} path={[which, "next"]} />
    </Section>
  );
}

const SLOT_TYPES: SlotType[] = ["digits", "number", "order_number", "phone_number", "yes_no"];

function AskForm({ node, change }: FormProps<AskNode>) {
  const { t } = useI18n();
  const intents = node.intents ?? [];
  const slot = node.slot ?? null;
  const modes: InputMode[] = node.input ?? ["speech", "dtmf"];
  const setModes = (mode: InputMode, on: boolean) =>
    change((n) => {
      const current: InputMode[] = n.input ?? ["speech", "dtmf"];
      const next = (["speech", "dtmf"] as InputMode[]).filter((m) => (m === mode ? on : current.includes(m)));
      const copy = { ...n };
      if (next.length === 2) delete copy.input;
      else copy.input = next;
      return copy;
    });
  const setSlot = (next: Slot | null, field = "slot") => change((n) => withOptional(n, "slot", next), field);
  return (
    <>
      <TemplateInput
        label={t("ask.prompt")}
        help={t("ask.promptHelp")}
        value={node.prompt}
        path="/prompt"
        multiline
        testId="ask-prompt"
        onChange={(prompt) => change((n) => ({ ...n, prompt }), "prompt")}
      />
      <Section title={t("ask.intents")} testId="section-intents">
        <p className="field-help">{t("ask.intentsHelp")}</p>
        <IntentsEditor
          intents={intents}
          path="/intents"
          ownerId={node.id}
          onChange={(next, field) => change((n) => withList(n, "intents", next), field ?? "intents")}
        />
      </Section>
      <Section title={t("ask.slot")} open={slot !== null}>
        <Checkbox
          label={t("ask.slotEnabled")}
          help={t("ask.slotHelp")}
          checked={slot !== null}
          path="/slot"
          onChange={(on) => setSlot(on ? { var: "", type: "digits" } : null)}
        />
        {slot && (
          <>
            <TextInput label={t("ask.slotVar")} value={slot.var} path="/slot/var" onChange={(v) => setSlot({ ...slot, var: v }, "slot/var")} />
            <SelectInput
              label={t("ask.slotType")}
              value={slot.type}
              path="/slot/type"
              options={SLOT_TYPES.map((type) => ({ value: type, label: t(`slot.${type}`) }))}
              onChange={(type) => setSlot({ ...slot, type })}
            />
            {(slot.type === "digits" || slot.type === "order_number") && (
              <TextInput
                label={t("ask.slotPattern")}
                help={t("ask.slotPatternHelp")}
                value={slot.pattern}
                path="/slot/pattern"
                placeholder="\d{8,12}"
                onChange={(pattern) => setSlot(withOptional(slot, "pattern", pattern), "slot/pattern")}
              />
            )}
            {slot.type === "number" && (
              <div className="field-row">
                <NumberInput label={t("ask.slotMin")} value={slot.min} path="/slot/min" onChange={(min) => setSlot(withOptional(slot, "min", min), "slot/min")} />
                <NumberInput label={t("ask.slotMax")} value={slot.max} path="/slot/max" onChange={(max) => setSlot(withOptional(slot, "max", max), "slot/max")} />
              </div>
            )}
          </>
        )}
        <TextInput
          label={t("ask.saveAs")}
          help={t("ask.saveAsHelp")}
          value={node.save_as}
          path="/save_as"
          onChange={(name) => change((n) => withOptional(n, "save_as", name), "save_as")}
        />
      </Section>
      <Port
        node={node}
        change={change}
        label={slot ? t("port.ask.captured") : t("port.ask.answered")}
        help={intents.length > 0 && !slot ? t("ask.nextIgnored") : t("ask.nextHelp")}
        path={["next"]}
        optional
      />
      <RetryEditor node={node} change={change} which="no_match" />
      <RetryEditor node={node} change={change} which="no_input" />
      <Section title={t("form.advanced")} open={false}>
        <fieldset className="field">
          <legend>{t("ask.input")}</legend>
          <Checkbox label={t("ask.inputSpeech")} checked={modes.includes("speech")} path="/input" onChange={(on) => setModes("speech", on)} />
          <Checkbox label={t("ask.inputDtmf")} checked={modes.includes("dtmf")} onChange={(on) => setModes("dtmf", on)} />
        </fieldset>
        <div className="field-row">
          <NumberInput
            label={t("ask.maxDigits")}
            value={node.dtmf?.max_digits}
            min={1}
            step={1}
            path="/dtmf/max_digits"
            onChange={(max) => change((n) => withDtmf(n, "max_digits", max), "dtmf/max_digits")}
          />
          <SelectInput
            label={t("ask.finishOnKey")}
            value={node.dtmf?.finish_on_key ?? ""}
            path="/dtmf/finish_on_key"
            options={[{ value: "", label: t("ask.finishDefault") }, { value: "#", label: "#" }, { value: "*", label: "*" }]}
            onChange={(key) => change((n) => withDtmf(n, "finish_on_key", key))}
          />
        </div>
        <NumberInput
          label={t("form.timeout")}
          help={t("form.timeoutHelp")}
          value={node.timeout_ms}
          min={0}
          step={500}
          path="/timeout_ms"
          onChange={(ms) => change((n) => withOptional(n, "timeout_ms", ms), "timeout_ms")}
        />
        <StringList
          label={t("ask.hints")}
          help={t("ask.hintsHelp")}
          items={node.hints}
          path="/hints"
          addLabel={t("ask.addHint")}
          itemLabel={(i) => t("ask.hint", { n: i + 1 })}
          onChange={(hints) => change((n) => withList(n, "hints", hints), "hints")}
        />
        <NumberInput
          label={t("ask.threshold")}
          help={t("ask.thresholdHelp")}
          value={node.threshold}
          min={0}
          max={1}
          step={0.05}
          path="/threshold"
          onChange={(value) => change((n) => withOptional(n, "threshold", value), "threshold")}
        />
        <ListeningOptions node={node} change={change} />
      </Section>
    </>
  );
}

/** What ask and menu nodes share about listening: global intents, barge-in, the voice. */
function ListeningOptions<T extends AskNode | MenuNode>({ node, change }: FormProps<T>) {
  const { t } = useI18n();
  return (
    <>
      <Checkbox
        label={t("form.globalIntents")}
        help={t("form.globalIntentsHelp")}
        checked={node.global_intents !== false}
        path="/global_intents"
        onChange={(on) => change((n) => withDefaultTrue(n, "global_intents", on))}
      />
      <Checkbox label={t("form.bargeIn")} checked={node.barge_in !== false} path="/barge_in" onChange={(on) => change((n) => withDefaultTrue(n, "barge_in", on))} />
      <TextInput label={t("form.voice")} value={node.voice} path="/voice" onChange={(voice) => change((n) => withOptional(n, "voice", voice), "voice")} />
    </>
  );
}

function withDtmf(node: AskNode, key: "max_digits" | "finish_on_key", value: unknown): AskNode {
  const rules = withOptional({ ...(node.dtmf ?? {}) }, key, value);
  return Object.keys(rules).length === 0 ? withOptional(node, "dtmf", null) : { ...node, dtmf: rules };
}

function MenuForm({ node, change }: FormProps<MenuNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const choices = node.choices ?? [];
  const setChoices = (next: MenuNode["choices"], field = "choices") => change((n) => ({ ...n, choices: next }), field);
  const freeKey = () => DTMF_KEYS.find((key) => !choices.some((c) => c.key === key)) ?? "1";
  return (
    <>
      <TemplateInput
        label={t("menu.prompt")}
        help={t("menu.promptHelp")}
        value={node.prompt}
        path="/prompt"
        multiline
        onChange={(prompt) => change((n) => ({ ...n, prompt }), "prompt")}
      />
      <Section title={t("menu.choices")}>
        {choices.map((choice, index) => (
          <fieldset key={index} className="card" data-testid="menu-choice">
            <legend>{t("menu.choice", { key: choice.key })}</legend>
            <div className="field-row">
              <SelectInput
                label={t("menu.key")}
                value={choice.key}
                path={`/choices/${index}/key`}
                options={DTMF_KEYS.map((key) => ({ value: key, label: key }))}
                onChange={(key) => setChoices(replaceAt(choices, index, { ...choice, key }))}
              />
              <TextInput
                label={t("menu.label")}
                help={t("menu.labelHelp")}
                value={choice.label}
                path={`/choices/${index}/label`}
                onChange={(label) => setChoices(replaceAt(choices, index, withOptional(choice, "label", label)), `choices/${index}/label`)}
              />
            </div>
            <PortSelect
              label={t("menu.next")}
              value={choice.next}
              path={`/choices/${index}/next`}
              ownerId={node.id}
              onChange={(target) => setChoices(replaceAt(choices, index, { ...choice, next: target ?? "" }))}
            />
            {!readOnly && (
              <div className="card-actions">
                <button type="button" className="danger-text" onClick={() => setChoices(removeIndex(choices, index))}>
                  {t("menu.remove")}
                </button>
              </div>
            )}
          </fieldset>
        ))}
        {!readOnly && (
          <button type="button" className="add-button" data-testid="add-choice" onClick={() => setChoices([...choices, { key: freeKey(), next: "" }])}>
            ＋ {t("menu.add")}
          </button>
        )}
        <Issues path="/choices" />
      </Section>
      <RetryEditor node={node} change={change} which="no_match" />
      <RetryEditor node={node} change={change} which="no_input" />
      <Section title={t("form.advanced")} open={false}>
        <NumberInput
          label={t("form.timeout")}
          help={t("form.timeoutHelp")}
          value={node.timeout_ms}
          min={0}
          step={500}
          path="/timeout_ms"
          onChange={(ms) => change((n) => withOptional(n, "timeout_ms", ms), "timeout_ms")}
        />
        <ListeningOptions node={node} change={change} />
      </Section>
    </>
  );
}

function BranchForm({ node, change }: FormProps<BranchNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const cases = node.cases ?? [];
  const setCases = (next: BranchNode["cases"], field = "cases") => change((n) => ({ ...n, cases: next }), field);
  return (
    <>
      <p className="field-help">{t("branch.help")}</p>
      {cases.map((branchCase, index) => (
        <fieldset key={index} className="card" data-testid="branch-case">
          <legend>{t("branch.case", { n: index + 1 })}</legend>
          <CodeInput
            label={t("branch.when")}
            help={index === 0 ? t("branch.whenHelp") : undefined}
            value={branchCase.when}
            path={`/cases/${index}/when`}
            mode="expression"
            placeholder='vars.status == "shipped"'
            onChange={(when) => setCases(replaceAt(cases, index, { ...branchCase, when }), `cases/${index}/when`)}
          />
          <PortSelect
            label={t("branch.then")}
            value={branchCase.next}
            path={`/cases/${index}/next`}
            ownerId={node.id}
            onChange={(target) => setCases(replaceAt(cases, index, { ...branchCase, next: target ?? "" }))}
          />
          {!readOnly && (
            <div className="card-actions">
              <button type="button" onClick={() => setCases(moveIndex(cases, index, -1))} disabled={index === 0} aria-label={t("common.moveUpItem", { item: String(index + 1) })}>
                ↑
              </button>
              <button
                type="button"
                onClick={() => setCases(moveIndex(cases, index, 1))}
                disabled={index === cases.length - 1}
                aria-label={t("common.moveDownItem", { item: String(index + 1) })}
              >
                ↓
              </button>
              <button type="button" className="danger-text" onClick={() => setCases(removeIndex(cases, index))}>
                {t("branch.remove")}
              </button>
            </div>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <button type="button" className="add-button" data-testid="add-case" onClick={() => setCases([...cases, { when: "", next: "" }])}>
          ＋ {t("branch.add")}
        </button>
      )}
      <Issues path="/cases" />
      <Port node={node} change={change} label={t("port.else")} help={t("branch.elseHelp")} path={["else"]} />
    </>
  );
}

type ValueKind = "text" | "number" | "boolean" | "json";

function kindOf(value: JsonValue): ValueKind {
  if (typeof value === "string") return "text";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "json";
}

/** A JSON value edited as text (a template), a number, yes/no, or raw JSON. */
export function ValueEditor({ value, onChange, path, label }: { value: JsonValue; onChange: (value: JsonValue, field?: string) => void; path: string; label: string }) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const kind = kindOf(value);
  const [jsonText, setJsonText] = useState(() => JSON.stringify(value));
  const [jsonError, setJsonError] = useState<string | null>(null);
  useEffect(() => {
    if (kind !== "json") return;
    try {
      if (JSON.stringify(JSON.parse(jsonText)) === JSON.stringify(value)) return;
    } catch {
      // the text being typed is not JSON yet
    }
    setJsonText(JSON.stringify(value));
  }, [value]);
  const convert = (next: ValueKind) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    let converted: JsonValue;
    switch (next) {
      case "text":
        converted = text;
        break;
      case "number":
        converted = text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : 0;
        break;
      case "boolean":
        converted = value === true || text === "true";
        break;
      case "json":
        converted = value !== null && typeof value === "object" ? value : null;
        setJsonText(JSON.stringify(converted));
        setJsonError(null);
        break;
    }
    onChange(converted);
  };
  return (
    <div className="value-editor">
      <SelectInput
        label={t("value.kind", { label })}
        value={kind}
        options={[
          { value: "text", label: t("value.text") },
          { value: "number", label: t("value.number") },
          { value: "boolean", label: t("value.boolean") },
          { value: "json", label: t("value.json") },
        ]}
        onChange={convert}
      />
      {kind === "text" && <TemplateInput label={label} value={value as string} path={path} onChange={(text) => onChange(text, path)} />}
      {kind === "number" && <NumberInput label={label} value={value as number} path={path} onChange={(n) => onChange(n ?? 0, path)} />}
      {kind === "boolean" && (
        <SelectInput
          label={label}
          value={value ? "true" : "false"}
          path={path}
          options={[
            { value: "true", label: t("value.true") },
            { value: "false", label: t("value.false") },
          ]}
          onChange={(v) => onChange(v === "true")}
        />
      )}
      {kind === "json" && (
        <div className="field">
          <label>
            {label}
            <textarea
              className="mono"
              rows={3}
              value={jsonText}
              readOnly={readOnly}
              data-field={path}
              onChange={(e) => {
                setJsonText(e.target.value);
                try {
                  onChange(JSON.parse(e.target.value) as JsonValue, path);
                  setJsonError(null);
                } catch (error) {
                  setJsonError(error instanceof Error ? error.message : String(error));
                }
              }}
            />
          </label>
          {jsonError && <div className="issue issue-error">{t("value.badJson", { error: jsonError })}</div>}
          <Issues path={path} />
        </div>
      )}
    </div>
  );
}

function SetForm({ node, change }: FormProps<SetNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const assign = node.assign ?? [];
  const setAssign = (next: Assignment[], field = "assign") => change((n) => ({ ...n, assign: next }), field);
  return (
    <>
      <p className="field-help">{t("set.help")}</p>
      {assign.map((assignment, index) => (
        <fieldset key={index} className="card" data-testid="assignment">
          <legend>{t("set.assignment", { n: index + 1 })}</legend>
          <TextInput
            label={t("set.var")}
            value={assignment.var}
            path={`/assign/${index}/var`}
            onChange={(name) => setAssign(replaceAt(assign, index, { ...assignment, var: name }), `assign/${index}/var`)}
          />
          <ValueEditor
            label={t("set.value")}
            value={assignment.value}
            path={`/assign/${index}/value`}
            onChange={(value, field) => setAssign(replaceAt(assign, index, { ...assignment, value }), field ?? `assign/${index}/value`)}
          />
          {!readOnly && (
            <div className="card-actions">
              <button type="button" className="danger-text" onClick={() => setAssign(removeIndex(assign, index))}>
                {t("set.remove")}
              </button>
            </div>
          )}
        </fieldset>
      ))}
      {!readOnly && (
        <button type="button" className="add-button" data-testid="add-assignment" onClick={() => setAssign([...assign, { var: "", value: "" }])}>
          ＋ {t("set.add")}
        </button>
      )}
      <Issues path="/assign" />
      <Port node={node} change={change} label={t("port.next")} path={["next"]} />
    </>
  );
}

function ScriptForm({ node, change }: FormProps<ScriptNode>) {
  const { t } = useI18n();
  return (
    <>
      <CodeInput
        label={t("script.code")}
        help={t("script.codeHelp")}
        value={node.code}
        path="/code"
        mode="rhai"
        multiline
        testId="script-code"
        onChange={(code) => change((n) => ({ ...n, code }), "code")}
      />
      <Port node={node} change={change} label={t("port.script.next")} path={["next"]} />
      <Port node={node} change={change} label={t("port.script.error")} help={t("script.errorHelp")} path={["error"]} />
    </>
  );
}

const METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

function HttpForm({ node, change }: FormProps<HttpNode>) {
  const { t } = useI18n();
  return (
    <>
      <div className="field-row">
        <SelectInput
          label={t("http.method")}
          value={node.method ?? "GET"}
          path="/method"
          testId="http-method"
          options={METHODS.map((method) => ({ value: method, label: method }))}
          onChange={(method) => change((n) => ({ ...n, method }))}
        />
        <NumberInput
          label={t("http.timeout")}
          help={t("http.timeoutHelp")}
          value={node.timeout_ms}
          min={1}
          max={10000}
          step={500}
          path="/timeout_ms"
          onChange={(ms) => change((n) => withOptional(n, "timeout_ms", ms), "timeout_ms")}
        />
      </div>
      <TemplateInput
        label={t("http.url")}
        help={t("http.urlHelp")}
        value={node.url}
        path="/url"
        placeholder="{{tenant.api}}/orders/{{vars.order_id}}"
        testId="http-url"
        onChange={(url) => change((n) => ({ ...n, url }), "url")}
      />
      <KeyValueList
        label={t("http.headers")}
        value={node.headers}
        path="/headers"
        keyLabel={t("http.headerName")}
        valueLabel={t("http.headerValue")}
        keyPlaceholder="Accept"
        valuePlaceholder="application/json"
        addLabel={t("http.addHeader")}
        onChange={(headers) => change((n) => withMap(n, "headers", headers), "headers")}
      />
      <TemplateInput
        label={t("http.body")}
        help={t("http.bodyHelp")}
        value={node.body}
        path="/body"
        multiline
        onChange={(body) => change((n) => withOptional(n, "body", body), "body")}
      />
      <KeyValueList
        label={t("http.save")}
        help={t("http.saveHelp")}
        value={node.save}
        path="/save"
        keyLabel={t("http.saveVar")}
        valueLabel={t("http.savePath")}
        keyPlaceholder="status"
        valuePlaceholder="body.status"
        addLabel={t("http.addSave")}
        onChange={(save) => change((n) => withMap(n, "save", save), "save")}
      />
      <KeyValueList
        label={t("http.onStatus")}
        help={t("http.onStatusHelp")}
        value={node.on_status}
        path="/on_status"
        keyLabel={t("http.status")}
        valueLabel={t("http.statusNext")}
        keyPlaceholder="404"
        addLabel={t("http.addStatus")}
        valueKind="port"
        ownerId={node.id}
        testId="http-on-status"
        newKey={(taken) => ["404", "409", "4xx", "5xx", "400", "401", "403", "422", "500"].find((code) => !taken.includes(code)) ?? ""}
        onChange={(onStatus) => change((n) => withMap(n, "on_status", onStatus), "on_status")}
      />
      <Port node={node} change={change} label={t("port.http.next")} path={["next"]} />
      <Port node={node} change={change} label={t("port.http.error")} help={t("http.errorHelp")} path={["error"]} />
      <HttpTester node={node} />
    </>
  );
}

type HandoffTarget = "queue" | "phone" | "sip";

function HandoffForm({ node, change }: FormProps<HandoffNode>) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const kind: HandoffTarget = node.phone != null ? "phone" : node.sip != null ? "sip" : "queue";
  const setKind = (next: HandoffTarget) =>
    change((n) => {
      const value = n[kind] ?? "";
      const copy = { ...n };
      delete copy.queue;
      delete copy.phone;
      delete copy.sip;
      return { ...copy, [next]: value };
    });
  return (
    <>
      <fieldset className="field">
        <legend>{t("handoff.target")}</legend>
        <div className="radio-row" role="radiogroup">
          {(["queue", "phone", "sip"] as HandoffTarget[]).map((option) => (
            <label key={option}>
              <input type="radio" name={`handoff-${node.id}`} checked={kind === option} disabled={readOnly} onChange={() => setKind(option)} />
              {t(`handoff.${option}`)}
            </label>
          ))}
        </div>
      </fieldset>
      <TemplateInput
        label={t(`handoff.${kind}Value`)}
        help={t(`handoff.${kind}Help`)}
        value={node[kind] ?? ""}
        path={`/${kind}`}
        testId="handoff-target"
        onChange={(value) => change((n) => ({ ...n, [kind]: value }), kind)}
      />
      <TemplateInput
        label={t("handoff.message")}
        help={t("handoff.messageHelp")}
        value={node.message}
        path="/message"
        multiline
        onChange={(message) => change((n) => withOptional(n, "message", message), "message")}
      />
      <TemplateInput
        label={t("handoff.summary")}
        help={t("handoff.summaryHelp")}
        value={node.summary}
        path="/summary"
        multiline
        testId="handoff-summary"
        onChange={(summary) => change((n) => withOptional(n, "summary", summary), "summary")}
      />
      <Port node={node} change={change} label={t("port.handoff.next")} help={t("handoff.nextHelp")} path={["next"]} optional />
      <Port node={node} change={change} label={t("port.no_answer")} help={t("handoff.defaultsToError")} path={["no_answer"]} optional />
      <Port node={node} change={change} label={t("port.busy")} help={t("handoff.defaultsToError")} path={["busy"]} optional />
      <Port node={node} change={change} label={t("port.handoff.error")} path={["error"]} />
    </>
  );
}

function SubflowForm({ node, change }: FormProps<SubflowNode>) {
  const { t } = useI18n();
  const { flowNames } = useForm();
  return (
    <>
      <TextInput
        label={t("subflow.flow")}
        help={t("subflow.flowHelp")}
        value={node.flow}
        path="/flow"
        list="subflow-names"
        onChange={(flow) => change((n) => ({ ...n, flow }), "flow")}
      />
      <datalist id="subflow-names">
        {flowNames.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <KeyValueList
        label={t("subflow.inputs")}
        help={t("subflow.inputsHelp")}
        value={node.inputs}
        path="/inputs"
        keyLabel={t("subflow.childVar")}
        valueLabel={t("subflow.inputValue")}
        addLabel={t("subflow.addInput")}
        valueKind="template"
        onChange={(inputs) => change((n) => withMap(n, "inputs", inputs), "inputs")}
      />
      <KeyValueList
        label={t("subflow.outputs")}
        help={t("subflow.outputsHelp")}
        value={node.outputs}
        path="/outputs"
        keyLabel={t("subflow.parentVar")}
        valueLabel={t("subflow.childVar")}
        addLabel={t("subflow.addOutput")}
        onChange={(outputs) => change((n) => withMap(n, "outputs", outputs), "outputs")}
      />
      <Port node={node} change={change} label={t("port.subflow.next")} path={["next"]} />
      <Port node={node} change={change} label={t("port.subflow.error")} help={t("subflow.errorHelp")} path={["error"]} optional />
    </>
  );
}

const OUTCOMES: Outcome[] = ["resolved", "handoff", "abandoned", "failed"];

function EndForm({ node, change }: FormProps<EndNode>) {
  const { t } = useI18n();
  return (
    <>
      <SelectInput
        label={t("end.outcome")}
        value={node.outcome}
        path="/outcome"
        testId="end-outcome"
        options={OUTCOMES.map((outcome) => ({ value: outcome, label: t(`outcome.${outcome}`) }))}
        onChange={(outcome) => change((n) => ({ ...n, outcome }))}
      />
      {OUTCOMES.includes(node.outcome) && <p className="field-help">{t(`outcomeHelp.${node.outcome}`)}</p>}
    </>
  );
}
