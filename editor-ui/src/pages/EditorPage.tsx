// The flow editor: palette, canvas, problems, and the side panel (properties, versions,
// "Try it"), with autosave, undo and redo, copy and paste, publishing and version history.

import { ReactFlowProvider, useReactFlow, useStoreApi, type Edge } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { AnalyticsBar } from "../analytics/AnalyticsBar";
import type { Funnel } from "../analytics/api";
import { api, canWrite, type FlowView, type Me, type VersionView } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAutosave, type SaveStatus } from "../editor/autosave";
import { Canvas } from "../editor/Canvas";
import { ConflictDialog, PublishDialog, RestoreDialog } from "../editor/dialogs";
import { diffFlows, hasChanges } from "../editor/draftDiff";
import { useHistory } from "../editor/history";
import { Palette } from "../editor/Palette";
import { ProblemsPanel } from "../editor/ProblemsPanel";
import { PropertyPanel, type FocusRequest } from "../editor/PropertyPanel";
import { TryItPanel } from "../editor/TryItPanel";
import { fitReadably, ViewControls } from "../editor/ViewControls";
import { useValidation } from "../editor/validation";
import { VersionsPanel } from "../editor/VersionsPanel";
import type { Trace, ViewNode } from "../editor/view";
import { copyName } from "../files";
import { countByOwner, type LocatedDiagnostic } from "../flow/diagnostics";
import { FLOW_NODE_ID } from "../flow/ports";
import { flowTitle, newNodeLabel, nodeNames } from "../flow/names";
import type { FlowDocument, FlowNode, NodeType } from "../flow/types";
import { addNode, copyNodes, deleteNodes, isClipboard, newNode, pasteNodes, renameNode, updateNode } from "../graph/ops";
import { lacksPositions, layoutDocument, placeMissing, type Size } from "../graph/layout";
import { useI18n } from "../i18n";
import { knowledgeApi } from "../knowledge/api";
import { flowHref, navigate } from "../router";
import { lookupOf, SummaryLookupContext, type FlowChoice, type KnowledgeBaseChoice, type QueueChoice } from "../nodes/lookup";

const CLIPBOARD_KEY = "callflow.clipboard";

/** The first place at or below `wanted` where a new node does not cover another one. */
function freeSpot(doc: FlowDocument, wanted: { x: number; y: number }, sizes: ReadonlyMap<string, Size>) {
  const width = 240;
  const height = 120;
  const boxes = doc.nodes
    .filter((node) => node.position)
    .map((node) => ({ ...node.position!, ...(sizes.get(node.id) ?? { width: 240, height: 140 }) }));
  let spot = { x: Math.round(wanted.x), y: Math.round(wanted.y) };
  for (let tries = 0; tries < 40; tries += 1) {
    const hit = boxes.find((b) => spot.x < b.x + b.width + 20 && b.x < spot.x + width + 20 && spot.y < b.y + b.height + 20 && b.y < spot.y + height + 20);
    if (!hit) return spot;
    spot = { x: spot.x, y: hit.y + hit.height + 40 };
  }
  return spot;
}

/** A loaded draft ready for the canvas: laid out when it has no positions. */
function prepare(draft: FlowDocument): FlowDocument {
  if (!Array.isArray(draft.nodes)) return { ...draft, nodes: [] };
  if (lacksPositions(draft)) return layoutDocument(draft);
  return placeMissing(draft);
}

export function EditorPage({ flowId, me }: { flowId: string; me: Me }) {
  const { t } = useI18n();
  const [loaded, setLoaded] = useState<FlowView | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    api.getFlow(flowId).then(
      (view) => !cancelled && setLoaded(view),
      (caught) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [flowId]);

  if (error) {
    return (
      <div className="page-center">
        <ErrorAlert error={error} />
        <a href="#/">{t("editor.backToList")}</a>
      </div>
    );
  }
  if (!loaded) return <div className="page-center muted">{t("common.loading")}</div>;
  return (
    <ReactFlowProvider>
      <Editor flowId={flowId} initial={loaded} me={me} />
    </ReactFlowProvider>
  );
}

type Tab = "properties" | "versions" | "tryit";

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.closest(".cm-editor") !== null;
}

function Editor({ flowId, initial, me }: { flowId: string; initial: FlowView; me: Me }) {
  const { t, lang } = useI18n();
  const flow = useReactFlow<ViewNode, Edge>();
  const flowStore = useStoreApi<ViewNode, Edge>();
  const canEdit = canWrite(me);
  const initialDoc = useMemo(() => prepare(initial.draft), [initial]);
  const history = useHistory(initialDoc);
  const doc = history.doc;
  const [meta, setMeta] = useState({ name: initial.name, publishedVersion: initial.published_version ?? null, revision: initial.revision });
  const [selected, setSelected] = useState<string[]>([]);
  const [tab, setTab] = useState<Tab>("properties");
  const [viewing, setViewing] = useState<VersionView | null>(null);
  const [viewError, setViewError] = useState<unknown>(null);
  const [focus, setFocus] = useState<FocusRequest | null>(null);
  const [trace, setTrace] = useState<Trace | null>(null);
  const [analyticsOn, setAnalyticsOn] = useState(false);
  const [funnel, setFunnel] = useState<Funnel | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [restoring, setRestoring] = useState<number | null>(null);
  const [versionsKey, setVersionsKey] = useState(0);
  const [toast, setToast] = useState<string | null>(null);
  const [flowNames, setFlowNames] = useState<FlowChoice[]>([]);
  const [knowledgeBases, setKnowledgeBases] = useState<KnowledgeBaseChoice[] | null>(null);
  const [queues, setQueues] = useState<QueueChoice[] | null>(null);
  const lookup = useMemo(() => lookupOf(knowledgeBases ?? [], queues ?? [], lang, flowNames), [knowledgeBases, queues, lang, flowNames]);
  const sizes = useRef(new Map<string, Size>());
  const canvasBox = useRef<HTMLDivElement>(null);
  const pasteCount = useRef(0);
  const memoryClipboard = useRef<string | null>(null);
  const focusSeq = useRef(0);

  // The live version's document, to tell the draft's unpublished changes (null: none, or loading).
  const [live, setLive] = useState<{ version: number; doc: FlowDocument } | null>(null);
  useEffect(() => {
    const version = meta.publishedVersion;
    if (!version || live?.version === version) return;
    let cancelled = false;
    api.getVersion(flowId, version).then(
      (view) => !cancelled && setLive({ version, doc: prepare(view.document) }),
      () => {
        // Without the live version the marker stays off; publishing still works.
      },
    );
    return () => {
      cancelled = true;
    };
  }, [flowId, meta.publishedVersion, live?.version]);
  const draftDiff = useMemo(
    () => (live && live.version === meta.publishedVersion ? diffFlows(live.doc, doc, (d) => nodeNames(t, d.nodes)) : null),
    [live, meta.publishedVersion, doc, t],
  );
  const unpublished = draftDiff !== null && hasChanges(draftDiff);

  const onSaved = useCallback((view: FlowView) => {
    setMeta({ name: view.name, publishedVersion: view.published_version ?? null, revision: view.revision });
  }, []);
  const autosave = useAutosave({
    flowId,
    doc,
    initialRevision: initial.revision,
    initialSaved: initial.draft,
    enabled: canEdit,
    onSaved,
  });
  const validation = useValidation(doc, { doc: initial.draft, diagnostics: initial.diagnostics }, true);
  const readOnly = !canEdit || viewing !== null;
  const shownDoc = useMemo(() => (viewing ? prepare(viewing.document) : doc), [viewing, doc]);
  const shownDiagnostics = viewing ? [] : validation.diagnostics;
  const issues = useMemo(() => countByOwner(shownDiagnostics), [shownDiagnostics]);
  const errorCount = validation.diagnostics.filter((d) => d.severity === "error").length;
  const selectedSet = useMemo(() => new Set(selected), [selected]);

  useEffect(() => {
    document.title = `${doc.name || t("app.title")} · Callflow`;
  }, [doc.name, t]);

  useEffect(() => {
    api.listFlows().then(
      (flows) => setFlowNames(flows.filter((f) => f.name !== doc.name).map((f) => ({ name: f.name, title: f.title }))),
      () => setFlowNames([]),
    );
    // The names of the other flows, once, for subflow nodes.
  }, []);

  useEffect(() => {
    // The knowledge bases, once, for answer nodes: their names on the canvas and in the picker.
    // Without them (no access, an older server) keys are shown and typed as they are.
    knowledgeApi.list().then(setKnowledgeBases, () => setKnowledgeBases(null));
    // The agent queues, likewise for handoff nodes.
    api.listQueues().then(setQueues, () => setQueues(null));
  }, []);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), 4000);
    return () => clearTimeout(timer);
  }, [toast]);

  // Forget selections of nodes that are gone (undo, delete, another version).
  useEffect(() => {
    const ids = new Set([FLOW_NODE_ID, ...shownDoc.nodes.map((n) => n.id)]);
    if (selected.some((id) => !ids.has(id))) setSelected(selected.filter((id) => ids.has(id)));
  }, [shownDoc, selected]);

  const change = history.change;

  const addFromPalette = useCallback(
    (type: NodeType) => {
      const box = canvasBox.current?.getBoundingClientRect();
      const center = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
      const node = newNode(doc, type, freeSpot(doc, { x: center.x - 120, y: center.y - 60 }, sizes.current), newNodeLabel(t, type, doc.nodes));
      change((d) => addNode(d, node));
      setSelected([node.id]);
      setTab("properties");
    },
    [change, doc, flow],
  );

  const copySelection = useCallback(() => {
    const ids = selected.filter((id) => id !== FLOW_NODE_ID);
    if (ids.length === 0) return false;
    const clipboard = copyNodes(doc, ids);
    const text = JSON.stringify(clipboard);
    try {
      localStorage.setItem(CLIPBOARD_KEY, text);
    } catch {
      // Without storage the copy cannot outlive the page; pasting in this tab still works below.
    }
    memoryClipboard.current = text;
    pasteCount.current = 0;
    setToast(t("editor.copied", { n: ids.length }));
    return true;
  }, [doc, selected, t]);

  const paste = useCallback(() => {
    let text: string | null = null;
    try {
      text = localStorage.getItem(CLIPBOARD_KEY);
    } catch {
      text = null;
    }
    text ??= memoryClipboard.current;
    if (!text) return false;
    let clipboard: unknown;
    try {
      clipboard = JSON.parse(text);
    } catch {
      return false;
    }
    if (!isClipboard(clipboard)) return false;
    const copied = clipboard;
    pasteCount.current += 1;
    const offset = { x: 40 * pasteCount.current, y: 40 * pasteCount.current };
    const pasted = pasteNodes(doc, copied, offset);
    change((d) => (d === doc ? pasted.doc : pasteNodes(d, copied, offset).doc));
    setSelected(pasted.ids);
    return true;
  }, [change, doc]);

  const deleteSelected = useCallback(
    (ids: string[]) => {
      change((d) => deleteNodes(d, ids));
      setSelected([]);
    },
    [change],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (document.querySelector("[role='dialog']")) return;
      if (isEditable(event.target)) return;
      const mod = event.ctrlKey || event.metaKey;
      if (!mod || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey && !readOnly) {
        event.preventDefault();
        history.undo();
      } else if (((key === "z" && event.shiftKey) || key === "y") && !readOnly) {
        event.preventDefault();
        history.redo();
      } else if (key === "c") {
        if (copySelection()) event.preventDefault();
      } else if (key === "v" && !readOnly) {
        if (paste()) event.preventDefault();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [copySelection, history, paste, readOnly]);

  const fit = () => {
    const { width, height } = flowStore.getState();
    fitReadably(flow, { width, height }, 300);
  };

  const autoLayout = () => {
    change((d) => layoutDocument(d, sizes.current));
    setTimeout(fit, 60);
  };

  const showNode = useCallback(
    (id: string) => {
      setSelected([id]);
      void flow.fitView({ nodes: [{ id }], duration: 300, maxZoom: 1, padding: 0.6 });
    },
    [flow],
  );

  // The canvas follows a "Try it" conversation to the node where it waits.
  useEffect(() => {
    const id = trace?.current;
    if (!id) return;
    const node = flow.getNode(id);
    if (!node) return;
    const width = node.measured?.width ?? 240;
    const height = node.measured?.height ?? 120;
    void flow.setCenter(node.position.x + width / 2, node.position.y + height / 2, { zoom: Math.max(flow.getZoom(), 0.7), duration: 300 });
  }, [trace?.current, flow]);

  const pickProblem = (diagnostic: LocatedDiagnostic) => {
    setViewing(null);
    setTab("properties");
    if (diagnostic.owner === FLOW_NODE_ID) setSelected([]);
    else if (doc.nodes.some((n) => n.id === diagnostic.owner)) showNode(diagnostic.owner);
    focusSeq.current += 1;
    setFocus({ owner: diagnostic.owner, path: diagnostic.path, seq: focusSeq.current });
  };

  const onRename = (from: string, to: string): string | null => {
    if (doc.nodes.some((n) => n.id === to)) return t("panel.idTaken", { id: to });
    change((d) => renameNode(d, from, to));
    setSelected([to]);
    return null;
  };

  const onNodeChange = useCallback(
    (id: string, patch: (node: FlowNode) => FlowNode, coalesce?: string) => change((d) => updateNode(d, id, patch), { coalesce }),
    [change],
  );
  const onDocChange = useCallback(
    (patch: (doc: FlowDocument) => FlowDocument, coalesce?: string) => change(patch, { coalesce }),
    [change],
  );

  const viewVersion = async (version: number) => {
    setViewError(null);
    if (viewing?.version === version) {
      setViewing(null);
      return;
    }
    try {
      setViewing(await api.getVersion(flowId, version));
      setSelected([]);
      setTimeout(() => {
      const { width, height } = flowStore.getState();
      fitReadably(flow, { width, height }, 300);
    }, 60);
    } catch (caught) {
      setViewError(caught);
    }
  };

  const restore = async (version: number) => {
    if (!(await autosave.flush())) throw autosave.error ?? new Error(t("editor.saveBeforeRestore"));
    const view = await api.restoreVersion(flowId, version, autosave.revision());
    const restored = prepare(view.draft);
    autosave.adopt(view, view.draft);
    change(() => restored);
    setMeta({ name: view.name, publishedVersion: view.published_version ?? null, revision: view.revision });
    setViewing(null);
    setRestoring(null);
    setToast(t("restore.done", { n: version }));
  };

  const publish = async (note: string) => {
    if (!(await autosave.flush())) throw autosave.error ?? new Error(t("editor.saveBeforePublish"));
    const version = await api.publish(flowId, note, autosave.revision());
    setMeta((m) => ({ ...m, publishedVersion: version.version }));
    setVersionsKey((k) => k + 1);
    setPublishing(false);
    setToast(t("publish.done", { n: version.version }));
  };

  const reloadServerCopy = async () => {
    const view = await api.getFlow(flowId);
    autosave.adopt(view, view.draft);
    history.reset(prepare(view.draft));
    setMeta({ name: view.name, publishedVersion: view.published_version ?? null, revision: view.revision });
    setSelected([]);
    setToast(t("conflict.reloaded"));
  };

  const keepMyCopy = async () => {
    const names = (await api.listFlows()).map((f) => f.name);
    const created = await api.createFlow({ ...doc, name: copyName(doc.name, names, t) });
    navigate(flowHref(created.id));
  };

  const ensureSaved = useCallback(() => autosave.flush(), [autosave]);

  return (
    <SummaryLookupContext.Provider value={lookup}>
      <div className="editor">
        <div className="editor-topbar">
          <a href="#/" className="back-link">
            ← {t("editor.backToList")}
          </a>
          <h1 className="flow-title" title={flowTitle(doc)} data-testid="flow-title">
            {flowTitle(doc) || t("editor.untitled")}
          </h1>
          {meta.publishedVersion ? (
            <>
              <span
                className="badge badge-ok"
                data-testid="published-version"
                data-draft={draftDiff === null ? "unknown" : unpublished ? "changed" : "same"}
              >
                {t("editor.live", { n: meta.publishedVersion })}
              </span>
              {unpublished && (
                <span className="badge badge-warn" data-testid="unpublished-changes" title={t("editor.unpublishedTitle")}>
                  {t("editor.unpublished")}
                </span>
              )}
            </>
          ) : (
            <span className="badge">{t("list.draftOnly")}</span>
          )}
          <SaveIndicator status={canEdit ? autosave.status : "saved"} onRetry={() => void autosave.flush()} readOnly={!canEdit} />
          <div className="header-spacer" />
          <div className="toolbar" role="toolbar" aria-label={t("editor.toolbar")}>
            <button type="button" onClick={history.undo} disabled={!history.canUndo || readOnly} title="Ctrl+Z" data-testid="toolbar-undo">
              ↶ {t("editor.undo")}
            </button>
            <button type="button" onClick={history.redo} disabled={!history.canRedo || readOnly} title="Ctrl+Shift+Z" data-testid="toolbar-redo">
              ↷ {t("editor.redo")}
            </button>
            <button type="button" onClick={fit} title={t("editor.fitHelp")} data-testid="toolbar-fit">
              ⤢ {t("editor.fit")}
            </button>
            <button type="button" onClick={autoLayout} disabled={readOnly} data-testid="toolbar-layout">
              ⊞ {t("editor.layout")}
            </button>
            <button
              type="button"
              onClick={() => setAnalyticsOn((on) => !on)}
              aria-pressed={analyticsOn}
              className={analyticsOn ? "active" : undefined}
              title={t("analytics.toggleTitle")}
              data-testid="toolbar-analytics"
            >
              📊 {t("analytics.toggle")}
            </button>
          </div>
          <button type="button" className="primary" onClick={() => setPublishing(true)} disabled={!canEdit} data-testid="publish-button">
            🚀 {t("publish.button")}
          </button>
        </div>

        {toast && (
          <div className="toast" role="status" data-testid="toast">
            {toast}
          </div>
        )}
        {canEdit && autosave.status === "error" && (
          <div className="editor-alert">
            <ErrorAlert error={autosave.error} />
          </div>
        )}
        {!canEdit && <div className="alert alert-info editor-alert">{t("editor.viewerOnly", { role: me.role })}</div>}
        {viewing && (
          <div className="version-banner" role="status" data-testid="version-banner">
            <span>{t("versions.viewing", { n: viewing.version, note: viewing.note || t("versions.noNote") })}</span>
            {canEdit && (
              <button type="button" onClick={() => setRestoring(viewing.version)} data-testid="version-banner-restore">
                {t("versions.restore")}
              </button>
            )}
            <button type="button" className="primary" onClick={() => setViewing(null)} data-testid="version-back">
              {t("versions.back")}
            </button>
          </div>
        )}
        {viewError ? <ErrorAlert error={viewError} onDismiss={() => setViewError(null)} /> : null}

        <div className="editor-body">
          <div className="editor-left">
            <Palette onAdd={addFromPalette} disabled={readOnly} />
            <ViewControls />
          </div>
          <div className="editor-center" ref={canvasBox}>
            {analyticsOn && (
              <AnalyticsBar
                flowId={flowId}
                publishedVersion={meta.publishedVersion}
                refreshKey={versionsKey}
                onFunnel={setFunnel}
                onClose={() => setAnalyticsOn(false)}
              />
            )}
            <Canvas
              doc={shownDoc}
              readOnly={readOnly}
              selected={selectedSet}
              onSelect={setSelected}
              issues={issues}
              trace={viewing ? null : trace}
              change={change}
              sizes={sizes}
              funnel={analyticsOn ? funnel : null}
            />
            {!viewing && (
              <ProblemsPanel doc={doc} diagnostics={validation.diagnostics} validating={validation.validating} error={validation.error} onPick={pickProblem} />
            )}
          </div>
          <aside className="sidebar" aria-label={t("editor.sidebar")}>
            <div className="tabs" role="tablist">
              {(["properties", "versions", "tryit"] as Tab[]).map((name) => (
                <button
                  key={name}
                  type="button"
                  role="tab"
                  id={`tab-${name}`}
                  aria-selected={tab === name}
                  aria-controls={`tabpanel-${name}`}
                  className={tab === name ? "tab active" : "tab"}
                  onClick={() => setTab(name)}
                  data-testid={`tab-${name}`}
                >
                  {t(`editor.tab.${name}`)}
                </button>
              ))}
            </div>
            <div role="tabpanel" id="tabpanel-properties" aria-labelledby="tab-properties" hidden={tab !== "properties"} className="tabpanel">
              <PropertyPanel
                doc={shownDoc}
                selected={selected}
                diagnostics={shownDiagnostics}
                readOnly={readOnly}
                flowNames={flowNames}
                knowledgeBases={knowledgeBases}
                queues={queues}
                focus={focus}
                onNodeChange={onNodeChange}
                onDocChange={onDocChange}
                onRename={onRename}
                onDelete={deleteSelected}
                flowId={flowId}
                flushDraft={autosave.flush}
              />
            </div>
            <div role="tabpanel" id="tabpanel-versions" aria-labelledby="tab-versions" hidden={tab !== "versions"} className="tabpanel">
              <VersionsPanel
                flowId={flowId}
                publishedVersion={meta.publishedVersion}
                refreshKey={versionsKey}
                viewing={viewing?.version ?? null}
                onView={(n) => void viewVersion(n)}
                onRestore={(n) => setRestoring(n)}
              />
            </div>
            <div role="tabpanel" id="tabpanel-tryit" aria-labelledby="tab-tryit" hidden={tab !== "tryit"} className="tabpanel">
              {canEdit ? (
                <TryItPanel flowId={flowId} doc={doc} revision={meta.revision} ensureSaved={ensureSaved} onTrace={setTrace} onShowNode={showNode} queues={queues} />
              ) : (
                <p className="muted">{t("tryit.notAllowed")}</p>
              )}
            </div>
          </aside>
        </div>

        {publishing && (
          <PublishDialog
            errors={errorCount}
            diff={draftDiff}
            live={meta.publishedVersion}
            nodes={doc.nodes.length}
            onPublish={publish}
            onClose={() => setPublishing(false)}
          />
        )}
        {restoring !== null && <RestoreDialog version={restoring} onConfirm={() => restore(restoring)} onCancel={() => setRestoring(null)} />}
        {canEdit && autosave.status === "conflict" && <ConflictDialog name={flowTitle(doc)} onReload={reloadServerCopy} onKeepCopy={keepMyCopy} />}
      </div>
    </SummaryLookupContext.Provider>
  );
}

function SaveIndicator({ status, onRetry, readOnly }: { status: SaveStatus; onRetry: () => void; readOnly: boolean }) {
  const { t } = useI18n();
  if (readOnly) return null;
  return (
    <span className={`save-status save-${status}`} data-testid="save-status" data-state={status} role="status" aria-live="polite">
      {t(`save.${status}`)}
      {status === "error" && (
        <button type="button" className="link-button" onClick={onRetry} data-testid="save-retry">
          {t("common.retry")}
        </button>
      )}
    </span>
  );
}
