// The right-hand form for what is selected: one node, several nodes, or the flow itself.

import { useEffect, useMemo, useRef, useState } from "react";

import type { LocatedDiagnostic } from "../flow/diagnostics";
import { FLOW_NODE_ID } from "../flow/ports";
import type { FlowDocument, FlowNode } from "../flow/types";
import { useI18n } from "../i18n";
import { iconOf, typeHelp, typeName } from "../nodes/registry";
import { nodeName } from "../flow/names";
import { FormContext, useForm, useIssues } from "./forms/context";
import { withOptional } from "./forms/edit";
import { Issues } from "./forms/fields";
import { FlowForm } from "./forms/FlowForm";
import { NodeForm } from "./forms/NodeForm";
import { flowVariables } from "./variables";
import type { FlowChoice, KnowledgeBaseChoice, QueueChoice } from "../nodes/lookup";

export interface FocusRequest {
  owner: string;
  path: string;
  /** Bumped for every request, so the same field can be asked for twice. */
  seq: number;
}

interface PropertyPanelProps {
  doc: FlowDocument;
  selected: readonly string[];
  diagnostics: readonly LocatedDiagnostic[];
  readOnly: boolean;
  flowNames: readonly FlowChoice[];
  /** The tenant's knowledge bases; `null` (the default) while loading or unavailable. */
  knowledgeBases?: readonly KnowledgeBaseChoice[] | null;
  /** The tenant's agent queues; `null` (the default) while loading or unavailable. */
  queues?: readonly QueueChoice[] | null;
  focus: FocusRequest | null;
  onNodeChange: (id: string, patch: (node: FlowNode) => FlowNode, coalesce?: string) => void;
  onDocChange: (patch: (doc: FlowDocument) => FlowDocument, coalesce?: string) => void;
  /** Renames a node; answers why not when the id cannot be used. */
  onRename: (from: string, to: string) => string | null;
  onDelete: (ids: string[]) => void;
  /** The flow being edited and a way to save it now, for the "try a sentence" box. */
  flowId?: string;
  flushDraft?: () => Promise<boolean>;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Focuses the control of a field, or of the nearest field above it, opening folded sections. */
export function focusField(container: HTMLElement, path: string): boolean {
  let pointer = path;
  for (;;) {
    const escaped = pointer.replace(/["\\]/g, "\\$&");
    const target = container.querySelector<HTMLElement>(`[data-field="${escaped}"]`);
    if (target) {
      for (let el: HTMLElement | null = target; el && el !== container; el = el.parentElement) {
        if (el instanceof HTMLDetailsElement) el.open = true;
      }
      const control =
        target.dataset.codeField === "true"
          ? target.querySelector<HTMLElement>(".cm-content")
          : target.matches("input, select, textarea, button")
            ? target
            : target.querySelector<HTMLElement>("input, select, textarea, .cm-content, button");
      (control ?? target).scrollIntoView?.({ block: "center" });
      control?.focus();
      return true;
    }
    if (pointer === "") return false;
    pointer = pointer.slice(0, Math.max(0, pointer.lastIndexOf("/")));
  }
}

export function PropertyPanel(props: PropertyPanelProps) {
  const { doc, selected, diagnostics, readOnly, flowNames, focus, onNodeChange, onDocChange, onRename, onDelete, flowId, flushDraft } = props;
  const knowledgeBases = props.knowledgeBases ?? null;
  const queues = props.queues ?? null;
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const steps = selected.filter((id) => id !== FLOW_NODE_ID);
  const node = steps.length === 1 ? doc.nodes.find((n) => n.id === steps[0]) : undefined;
  const owner = steps.length === 0 ? FLOW_NODE_ID : node?.id;
  const ownDiagnostics = diagnostics.filter((d) => d.owner === owner);
  const variables = useMemo(() => flowVariables(doc), [doc]);

  useEffect(() => {
    if (!focus || !container.current || focus.owner !== owner) return;
    const frame = requestAnimationFrame(() => container.current && focusField(container.current, focus.path));
    return () => cancelAnimationFrame(frame);
  }, [focus, owner]);

  let body: React.ReactNode;
  if (steps.length > 1) {
    body = (
      <div className="panel-section">
        <p>{t("panel.manySelected", { n: steps.length })}</p>
        {!readOnly && (
          <button type="button" className="danger" onClick={() => onDelete(steps)}>
            {t("panel.deleteSelected", { n: steps.length })}
          </button>
        )}
      </div>
    );
  } else if (node) {
    body = (
      <>
        <NodeHeader node={node} readOnly={readOnly} onRename={onRename} onDelete={() => onDelete([node.id])} onLabel={(label) => onNodeChange(node.id, (n) => withOptional(n, "label", label), `${node.id}:label`)} />
        <Issues path="" />
        {/* One form per node: fields keep no undo history or typing state across nodes. */}
        <NodeForm key={node.id} node={node} onChange={(patch, coalesce) => onNodeChange(node.id, patch, coalesce)} />
      </>
    );
  } else if (steps.length === 1) {
    body = <p className="muted">{t("panel.missingNode")}</p>;
  } else {
    body = (
      <>
        <header className="panel-title">
          <span className="node-icon" aria-hidden="true">📞</span>
          <div>
            <h2>{t("panel.flowTitle")}</h2>
            <p className="muted small">{t("panel.flowHelp")}</p>
          </div>
        </header>
        <FlowForm doc={doc} onChange={onDocChange} />
      </>
    );
  }

  return (
    <FormContext.Provider value={{ doc, readOnly, diagnostics: ownDiagnostics, variables, flowNames, knowledgeBases, queues, flowId, flushDraft }}>
      <div ref={container} className="property-panel" data-testid="property-panel" data-owner={owner ?? ""}>
        {readOnly && <div className="alert alert-info small">{t("panel.readOnly")}</div>}
        <fieldset className="plain-fieldset" disabled={readOnly}>
          {body}
        </fieldset>
      </div>
    </FormContext.Provider>
  );
}

function NodeHeader({
  node,
  readOnly,
  onRename,
  onDelete,
  onLabel,
}: {
  node: FlowNode;
  readOnly: boolean;
  onRename: (from: string, to: string) => string | null;
  onDelete: () => void;
  onLabel: (label: string) => void;
}) {
  const { t } = useI18n();
  const { doc } = useForm();
  const idIssues = useIssues("/id");
  const [id, setId] = useState(node.id);
  const [idError, setIdError] = useState<string | null>(null);
  useEffect(() => {
    setId(node.id);
    setIdError(null);
  }, [node.id]);

  const commitId = () => {
    const wanted = id.trim();
    if (wanted === node.id) return;
    if (!ID_PATTERN.test(wanted)) {
      setIdError(t("panel.idInvalid"));
      return;
    }
    const problem = onRename(node.id, wanted);
    setIdError(problem);
  };

  return (
    <div className="panel-section">
      <header className="panel-title">
        <span className="node-icon" aria-hidden="true">
          {iconOf(node.type)}
        </span>
        <div className="grow">
          <h2>{typeName(t, node.type)}</h2>
          <p className="muted small">{typeHelp(t, node.type)}</p>
        </div>
        {!readOnly && (
          <button type="button" className="danger-text" onClick={onDelete} data-testid="delete-node">
            {t("panel.deleteNode")}
          </button>
        )}
      </header>
      <div className="field">
        <label htmlFor="node-label">{t("panel.label")}</label>
        <input
          id="node-label"
          type="text"
          value={node.label ?? ""}
          placeholder={nodeName(t, doc, node.id)}
          data-field="/label"
          data-testid="node-label"
          onChange={(e) => onLabel(e.target.value)}
        />
        <Issues path="/label" />
      </div>
      {/* The id is what connections and call records hold; people never need it, so it waits
          behind a fold that opens by itself when the id has a problem. */}
      <details className="advanced" open={idError !== null || idIssues.length > 0 || undefined} data-testid="node-advanced">
        <summary>{t("panel.advanced")}</summary>
        <div className="field">
          <label htmlFor="node-id">{t("panel.id")}</label>
          <input
            id="node-id"
            type="text"
            value={id}
            data-field="/id"
            data-testid="node-id"
            aria-invalid={idError ? true : undefined}
            onChange={(e) => setId(e.target.value)}
            onBlur={commitId}
            onKeyDown={(e) => {
              if (e.key === "Enter") commitId();
              if (e.key === "Escape") setId(node.id);
            }}
          />
          {idError && <div className="issue issue-error">{idError}</div>}
          <Issues path="/id" />
        </div>
        <p className="field-help">{t("panel.idHelp")}</p>
      </details>
    </div>
  );
}
