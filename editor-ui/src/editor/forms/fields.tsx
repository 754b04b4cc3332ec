// Form controls for the property panel. Each control carries `data-field` with the pointer of
// its field, so the problems list can focus it, and shows that field's diagnostics.

import { useEffect, useId, useRef, useState, type ReactNode } from "react";

import { FLOW_NODE_ID } from "../../flow/ports";
import { useI18n } from "../../i18n";
import { CodeField, type CodeFieldHandle, type CodeMode } from "../CodeField";
import { useForm, useIssues } from "./context";
import { nodeNames } from "../../flow/names";

export function Issues({ path, below = false }: { path: string; below?: boolean }) {
  const issues = useIssues(path, below);
  if (issues.length === 0) return null;
  return (
    <ul className="field-issues">
      {issues.map((issue, index) => (
        <li key={index} className={`issue issue-${issue.severity}`} data-testid="field-issue">
          {issue.severity === "error" ? "⛔" : "⚠️"} {issue.message}
        </li>
      ))}
    </ul>
  );
}

interface FieldShellProps {
  label: string;
  labelId?: string;
  htmlFor?: string;
  help?: string;
  path?: string;
  children: ReactNode;
  inline?: boolean;
}

export function FieldShell({ label, labelId, htmlFor, help, path, children, inline }: FieldShellProps) {
  return (
    <div className={inline ? "field field-inline" : "field"}>
      <label id={labelId} htmlFor={htmlFor}>
        {label}
      </label>
      {children}
      {help && <div className="field-help">{help}</div>}
      {path !== undefined && <Issues path={path} />}
    </div>
  );
}

interface TextInputProps {
  label: string;
  value: string | null | undefined;
  onChange: (value: string) => void;
  path?: string;
  help?: string;
  placeholder?: string;
  testId?: string;
  list?: string;
  required?: boolean;
  onBlur?: () => void;
}

export function TextInput({ label, value, onChange, path, help, placeholder, testId, list, required, onBlur }: TextInputProps) {
  const { readOnly } = useForm();
  const id = useId();
  const issues = useIssues(path);
  return (
    <FieldShell label={label} htmlFor={id} help={help} path={path}>
      <input
        id={id}
        type="text"
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value)}
        onBlur={onBlur}
        placeholder={placeholder}
        readOnly={readOnly}
        data-field={path}
        data-testid={testId}
        list={list}
        required={required}
        aria-invalid={issues.some((i) => i.severity === "error") || undefined}
      />
    </FieldShell>
  );
}

interface NumberInputProps {
  label: string;
  value: number | null | undefined;
  onChange: (value: number | undefined) => void;
  path?: string;
  help?: string;
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
}

export function NumberInput({ label, value, onChange, path, help, min, max, step, placeholder }: NumberInputProps) {
  const { readOnly } = useForm();
  const id = useId();
  const [text, setText] = useState(value === null || value === undefined ? "" : String(value));
  useEffect(() => {
    const parsed = text.trim() === "" ? undefined : Number(text);
    if (parsed !== (value ?? undefined)) setText(value === null || value === undefined ? "" : String(value));
    // Only outside changes (undo, another field) rewrite the text being typed.
  }, [value]);
  return (
    <FieldShell label={label} htmlFor={id} help={help} path={path}>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={text}
        min={min}
        max={max}
        step={step ?? "any"}
        placeholder={placeholder}
        readOnly={readOnly}
        data-field={path}
        onChange={(e) => {
          setText(e.target.value);
          const trimmed = e.target.value.trim();
          if (trimmed === "") onChange(undefined);
          else if (Number.isFinite(Number(trimmed))) onChange(Number(trimmed));
        }}
      />
    </FieldShell>
  );
}

interface SelectInputProps<T extends string> {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  path?: string;
  help?: string;
  testId?: string;
}

export function SelectInput<T extends string>({ label, value, options, onChange, path, help, testId }: SelectInputProps<T>) {
  const { readOnly } = useForm();
  const id = useId();
  const known = options.some((o) => o.value === value);
  return (
    <FieldShell label={label} htmlFor={id} help={help} path={path}>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as T)} disabled={readOnly} data-field={path} data-testid={testId}>
        {!known && <option value={value}>{value}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function Checkbox({
  label,
  checked,
  onChange,
  path,
  help,
  testId,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  path?: string;
  help?: string;
  testId?: string;
}) {
  const { readOnly } = useForm();
  return (
    <div className="field field-check">
      <label>
        <input
          type="checkbox"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
          disabled={readOnly}
          data-field={path}
          data-testid={testId}
        />
        <span>{label}</span>
      </label>
      {help && <div className="field-help">{help}</div>}
      {path !== undefined && <Issues path={path} />}
    </div>
  );
}

/** What the call, the last answer and the shop provide to templates and scripts. */
const BUILTIN_NAMES = {
  call: ["call.from", "call.to", "call.channel", "call.direction", "call.id", "call.language", "call.intent", "call.emotion", "call.anger"],
  input: ["input.text", "input.digits", "input.intent"],
  tenant: ["tenant.name", "tenant.api"],
  // What the demo shop's lookup answers; a shop's own lookup may answer other fields, which
  // flows reach the same way.
  customer: ["customer.name", "customer.title", "customer.vip_level", "customer.vip", "customer.recent_orders"],
} as const;

/** Inserts a variable at the cursor of a template or code field. */
function VariableInserter({ onInsert, template }: { onInsert: (text: string) => void; template: boolean }) {
  const { t } = useI18n();
  const { variables, readOnly } = useForm();
  const id = useId();
  if (readOnly) return null;
  const wrap = (name: string) => (template ? `{{${name}}}` : name);
  return (
    <span className="insert-variable">
      <label htmlFor={id} className="visually-hidden">
        {t("field.insertVariable")}
      </label>
      <select
        id={id}
        value=""
        data-testid="insert-variable"
        onChange={(e) => {
          if (e.target.value) onInsert(wrap(e.target.value));
          e.target.value = "";
        }}
      >
        <option value="">{`{x} ${t("field.insertVariable")}`}</option>
        <optgroup label={t("field.varsGroup")}>
          {variables.length === 0 && <option disabled>{t("field.noVariables")}</option>}
          {variables.map((name) => (
            <option key={name} value={`vars.${name}`}>{`vars.${name}`}</option>
          ))}
        </optgroup>
        <optgroup label={t("field.callGroup")}>
          {BUILTIN_NAMES.call.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </optgroup>
        <optgroup label={t("field.inputGroup")}>
          {BUILTIN_NAMES.input.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </optgroup>
        <optgroup label={t("field.tenantGroup")}>
          {BUILTIN_NAMES.tenant.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </optgroup>
        <optgroup label={t("field.customerGroup")}>
          {BUILTIN_NAMES.customer.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </optgroup>
      </select>
    </span>
  );
}

interface CodeInputProps {
  label: string;
  value: string | null | undefined;
  onChange: (value: string) => void;
  path: string;
  mode: CodeMode;
  multiline?: boolean;
  help?: string;
  placeholder?: string;
  testId?: string;
}

/** A template (`{{ expr }}` in text), a condition or a script, with "insert variable". */
export function CodeInput({ label, value, onChange, path, mode, multiline, help, placeholder, testId }: CodeInputProps) {
  const { readOnly } = useForm();
  const labelId = useId();
  const editor = useRef<CodeFieldHandle>(null);
  const issues = useIssues(path);
  return (
    <div className="field">
      <div className="field-label-row">
        <label id={labelId} onClick={() => editor.current?.focus()}>
          {label}
        </label>
        <VariableInserter template={mode === "template"} onInsert={(text) => editor.current?.insert(text)} />
      </div>
      <CodeField
        ref={editor}
        value={value ?? ""}
        onChange={onChange}
        mode={mode}
        multiline={multiline}
        diagnostics={issues}
        labelledBy={labelId}
        field={path}
        readOnly={readOnly}
        placeholder={placeholder}
        testId={testId}
      />
      {help && <div className="field-help">{help}</div>}
      <Issues path={path} />
    </div>
  );
}

export const TemplateInput = (props: Omit<CodeInputProps, "mode">) => <CodeInput {...props} mode="template" />;

interface StringListProps {
  label: string;
  items: readonly string[] | undefined;
  onChange: (items: string[]) => void;
  path: string;
  addLabel: string;
  placeholder?: string;
  help?: string;
  /** Items are templates (reprompts) rather than plain words. */
  template?: boolean;
  itemLabel: (index: number) => string;
  testId?: string;
}

export function StringList({ label, items = [], onChange, path, addLabel, placeholder, help, template, itemLabel, testId }: StringListProps) {
  const { t } = useI18n();
  const { readOnly } = useForm();
  const labelId = useId();
  const listRef = useRef<HTMLUListElement>(null);
  const focusLast = useRef(false);
  useEffect(() => {
    if (!focusLast.current) return;
    focusLast.current = false;
    const inputs = listRef.current?.querySelectorAll<HTMLElement>("input, .cm-content");
    inputs?.[inputs.length - 1]?.focus();
  }, [items.length]);
  return (
    <fieldset className="field list-field" data-field={path} data-testid={testId}>
      <legend id={labelId}>{label}</legend>
      {help && <div className="field-help">{help}</div>}
      <ul ref={listRef}>
        {items.map((item, index) => (
          <li key={index} className="list-row">
            {template ? (
              <div className="grow">
                <CodeInput
                  label={itemLabel(index)}
                  value={item}
                  onChange={(value) => onChange(items.map((old, i) => (i === index ? value : old)))}
                  path={`${path}/${index}`}
                  mode="template"
                  multiline
                />
              </div>
            ) : (
              <>
                <label className="visually-hidden" htmlFor={`${labelId}-${index}`}>
                  {itemLabel(index)}
                </label>
                <input
                  id={`${labelId}-${index}`}
                  type="text"
                  className="grow"
                  value={item}
                  placeholder={placeholder}
                  readOnly={readOnly}
                  data-field={`${path}/${index}`}
                  onChange={(e) => onChange(items.map((old, i) => (i === index ? e.target.value : old)))}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && !readOnly) {
                      e.preventDefault();
                      focusLast.current = true;
                      onChange([...items, ""]);
                    }
                  }}
                />
              </>
            )}
            {!readOnly && (
              <button
                type="button"
                className="icon-button"
                aria-label={t("field.removeItem", { item: itemLabel(index) })}
                title={t("common.remove")}
                onClick={() => onChange(items.filter((_, i) => i !== index))}
              >
                ×
              </button>
            )}
            {!template && <Issues path={`${path}/${index}`} />}
          </li>
        ))}
      </ul>
      {!readOnly && (
        <button
          type="button"
          className="add-button"
          onClick={() => {
            focusLast.current = true;
            onChange([...items, ""]);
          }}
        >
          ＋ {addLabel}
        </button>
      )}
      <Issues path={path} />
    </fieldset>
  );
}

interface PortSelectProps {
  label: string;
  value: string | null | undefined;
  onChange: (target: string | null) => void;
  path: string;
  help?: string;
  /** The node the port belongs to, left out of the choices unless it already is the target. */
  ownerId?: string;
  testId?: string;
}

/** Where a port leads, chosen from the flow's nodes: the keyboard way to draw a connection. */
export function PortSelect({ label, value, onChange, path, help, ownerId, testId }: PortSelectProps) {
  const { t } = useI18n();
  const { doc, readOnly } = useForm();
  const id = useId();
  const current = value ?? "";
  const exists = current === "" || doc.nodes.some((node) => node.id === current);
  const names = nodeNames(t, doc.nodes);
  return (
    <FieldShell label={label} htmlFor={id} help={help} path={path} inline>
      <select
        id={id}
        className="port-select"
        value={current}
        disabled={readOnly}
        data-field={path}
        data-testid={testId}
        onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)}
      >
        <option value="">{t("port.notConnected")}</option>
        {!exists && <option value={current}>{t("port.missingNode", { id: current })}</option>}
        {doc.nodes
          .filter((node) => node.id !== FLOW_NODE_ID && (node.id !== ownerId || node.id === current))
          .map((node) => (
            <option key={node.id} value={node.id}>
              {names.get(node.id)}
            </option>
          ))}
      </select>
    </FieldShell>
  );
}

interface KeyValueListProps {
  label: string;
  value: Record<string, string> | undefined;
  onChange: (value: Record<string, string>) => void;
  path: string;
  keyLabel: string;
  valueLabel: string;
  addLabel: string;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  help?: string;
  /** How values are edited: plain text, a template, or a connection to a node. */
  valueKind?: "text" | "template" | "port";
  ownerId?: string;
  testId?: string;
  /** A new row's key, e.g. a status code not used yet. */
  newKey?: (taken: string[]) => string;
}

type Row = [string, string];

function rowsToObject(rows: readonly Row[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of rows) if (!(key in result)) result[key] = value;
  return result;
}

function sameObject(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && a[key] === b[key]);
}

/** A map of names to values (headers, saved fields, status ports…), kept in its order. */
export function KeyValueList(props: KeyValueListProps) {
  const { label, value = {}, onChange, path, keyLabel, valueLabel, addLabel, keyPlaceholder, valuePlaceholder, help, valueKind = "text", ownerId, testId, newKey } = props;
  const { t } = useI18n();
  const { readOnly } = useForm();
  const baseId = useId();
  const [rows, setRows] = useState<Row[]>(() => Object.entries(value));
  useEffect(() => {
    if (!sameObject(rowsToObject(rows), value)) setRows(Object.entries(value));
  }, [value]);
  const update = (next: Row[]) => {
    setRows(next);
    onChange(rowsToObject(next));
  };
  const duplicate = (index: number) => rows.findIndex(([key]) => key === rows[index][0]) !== index;
  const itemPath = (key: string) => `${path}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;

  return (
    <fieldset className="field kv-field" data-field={path} data-testid={testId}>
      <legend>{label}</legend>
      {help && <div className="field-help">{help}</div>}
      {rows.length > 0 && (
        <div className="kv-header" aria-hidden="true">
          <span>{keyLabel}</span>
          <span>{valueLabel}</span>
        </div>
      )}
      <ul>
        {rows.map(([key, rowValue], index) => (
          <li key={index} className="kv-row">
            <label className="visually-hidden" htmlFor={`${baseId}-k${index}`}>
              {keyLabel}
            </label>
            <input
              id={`${baseId}-k${index}`}
              type="text"
              value={key}
              placeholder={keyPlaceholder}
              readOnly={readOnly}
              data-field={`${itemPath(key)}#key`}
              aria-invalid={duplicate(index) || undefined}
              onChange={(e) => update(rows.map((row, i) => (i === index ? [e.target.value, row[1]] : row)))}
            />
            {valueKind === "port" ? (
              <PortSelect label={valueLabel} value={rowValue} path={itemPath(key)} ownerId={ownerId} onChange={(target) => update(rows.map((row, i) => (i === index ? [row[0], target ?? ""] : row)))} />
            ) : valueKind === "template" ? (
              <div className="grow">
                <CodeInput
                  label={valueLabel}
                  value={rowValue}
                  path={itemPath(key)}
                  mode="template"
                  placeholder={valuePlaceholder}
                  onChange={(next) => update(rows.map((row, i) => (i === index ? [row[0], next] : row)))}
                />
              </div>
            ) : (
              <>
                <label className="visually-hidden" htmlFor={`${baseId}-v${index}`}>
                  {valueLabel}
                </label>
                <input
                  id={`${baseId}-v${index}`}
                  type="text"
                  value={rowValue}
                  placeholder={valuePlaceholder}
                  readOnly={readOnly}
                  data-field={itemPath(key)}
                  onChange={(e) => update(rows.map((row, i) => (i === index ? [row[0], e.target.value] : row)))}
                />
              </>
            )}
            {!readOnly && (
              <button
                type="button"
                className="icon-button"
                aria-label={t("field.removeItem", { item: key || keyLabel })}
                title={t("common.remove")}
                onClick={() => update(rows.filter((_, i) => i !== index))}
              >
                ×
              </button>
            )}
            {duplicate(index) && <div className="issue issue-error">{t("field.duplicateKey", { key })}</div>}
            {valueKind !== "port" && <Issues path={itemPath(key)} />}
          </li>
        ))}
      </ul>
      {!readOnly && (
        <button
          type="button"
          className="add-button"
          onClick={() => update([...rows, [newKey ? newKey(rows.map(([key]) => key)) : "", ""]])}
        >
          ＋ {addLabel}
        </button>
      )}
      <Issues path={path} />
    </fieldset>
  );
}

export function Section({ title, children, open = true, testId }: { title: string; children: ReactNode; open?: boolean; testId?: string }) {
  return (
    <details className="form-section" open={open} data-testid={testId}>
      <summary>{title}</summary>
      <div className="form-section-body">{children}</div>
    </details>
  );
}
