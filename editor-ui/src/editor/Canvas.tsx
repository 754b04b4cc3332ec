// The flow on a React Flow canvas. The document stays the truth: every gesture becomes a
// document change (connect, move, delete), and the canvas is drawn again from the document.

import {
  Background,
  MarkerType,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
  type OnConnectEnd,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";

import type { Funnel } from "../analytics/api";
import { formatCount } from "../analytics/format";
import { edgeWidth, overlayOf } from "../analytics/funnel";
import type { IssueCount } from "../flow/diagnostics";
import { FLOW_NODE_ID } from "../flow/ports";
import type { FlowDocument, Position } from "../flow/types";
import { documentToGraph, type GraphEdge } from "../graph/convert";
import { addNode, deleteNodes, moveNodes, newNode, setPort } from "../graph/ops";
import type { Size } from "../graph/layout";
import { newNodeLabel, nodeNames } from "../flow/names";
import { useI18n } from "../i18n";
import { isNodeType } from "../nodes/registry";
import { nodeTypes } from "./canvasNodes";
import type { ChangeOptions } from "./history";
import type { Trace, ViewNode } from "./view";
import { fitReadably } from "./ViewControls";

export const PALETTE_MIME = "application/x-callflow-node";

interface CanvasProps {
  doc: FlowDocument;
  readOnly: boolean;
  selected: ReadonlySet<string>;
  onSelect: (ids: string[]) => void;
  issues: ReadonlyMap<string, IssueCount>;
  trace: Trace | null;
  change: (update: (doc: FlowDocument) => FlowDocument, options?: ChangeOptions) => void;
  /** Measured node sizes, for the auto-layout. */
  sizes: React.MutableRefObject<Map<string, Size>>;
  /** The analytics overlay: its funnel, or null while the overlay is off. */
  funnel?: Funnel | null;
}

/** Edges a conversation took: from each node of the path to the next. */
function traversed(trace: Trace | null, edges: readonly GraphEdge[]): Set<string> {
  const ids = new Set<string>();
  if (!trace) return ids;
  for (let i = 0; i + 1 < trace.path.length; i += 1) {
    const from = trace.path[i];
    const to = trace.path[i + 1];
    const edge = edges.find((e) => e.source === from && e.target === to);
    if (edge) ids.add(edge.id);
  }
  const first = trace.path[0];
  const entry = edges.find((e) => e.source === FLOW_NODE_ID && e.sourceHandle === "start" && e.target === first);
  if (entry) ids.add(entry.id);
  return ids;
}

export function Canvas({ doc, readOnly, selected, onSelect, issues, trace, change, sizes, funnel = null }: CanvasProps) {
  const { t, lang } = useI18n();
  const flow = useReactFlow<ViewNode, Edge>();
  const [flowNodePosition, setFlowNodePosition] = useState<Position | undefined>(undefined);
  const [measured, setMeasured] = useState<Map<string, { width: number; height: number }>>(() => new Map());
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(() => new Set());
  const dragSeq = useRef(0);
  const dragging = useRef(false);
  const reconnected = useRef(true);
  const wrapper = useRef<HTMLDivElement>(null);
  const nodesInitialized = useNodesInitialized();
  const placedView = useRef(false);

  const graph = useMemo(() => documentToGraph(doc, { flowNodePosition }), [doc, flowNodePosition]);
  const visited = useMemo(() => new Set(trace?.path ?? []), [trace]);
  const traversedEdges = useMemo(() => traversed(trace, graph.edges), [trace, graph.edges]);
  const overlay = useMemo(() => {
    if (!funnel) return null;
    const docIds = new Map(graph.nodes.map((n) => [n.id, n.data.kind === "step" ? n.data.node.id : n.id]));
    const refs = graph.edges.map((e) => ({ id: e.id, source: docIds.get(e.source) ?? e.source, target: docIds.get(e.target) ?? e.target }));
    return overlayOf(funnel, refs);
  }, [funnel, graph.nodes, graph.edges]);

  const names = useMemo(() => nodeNames(t, doc.nodes), [t, doc.nodes]);
  const nodes: ViewNode[] = useMemo(
    () =>
      graph.nodes.map((node): ViewNode => {
        const common = {
          selected: selected.has(node.id),
          measured: measured.get(node.id),
          draggable: !readOnly,
          connectable: !readOnly,
        };
        if (node.data.kind === "flow") {
          return { ...node, type: "flow", ...common, data: { ...node.data, issues: issues.get(FLOW_NODE_ID), readOnly } };
        }
        const docId = node.data.node.id;
        const traceMark = trace?.current === docId ? "current" : visited.has(docId) ? "visited" : undefined;
        return {
          ...node,
          type: "step",
          ...common,
          data: {
            ...node.data,
            name: names.get(docId) ?? "",
            issues: issues.get(docId),
            trace: traceMark,
            isStart: doc.start === docId,
            readOnly,
            ...(overlay ? { analytics: overlay.nodes.get(docId) ?? null } : {}),
          },
        };
      }),
    [graph.nodes, names, selected, measured, readOnly, issues, trace, visited, doc.start, overlay],
  );

  const edges: Edge[] = useMemo(
    () =>
      graph.edges.map((edge) => {
        const kind = edge.data?.port.kind ?? "next";
        const classes = [`edge-${kind}`];
        if (traversedEdges.has(edge.id)) classes.push("traversed");
        const calls = overlay?.edges.get(edge.id) ?? 0;
        const weighed = overlay
          ? {
              style: { strokeWidth: edgeWidth(calls, overlay.maxEdgeCalls) },
              label: calls > 0 ? t(calls === 1 ? "analytics.edgeCall" : "analytics.edgeCalls", { n: formatCount(lang, calls) }) : undefined,
              // The arrowhead keeps its size however thick the line.
              markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, markerUnits: "userSpaceOnUse", ...(calls > 0 ? { color: "#1d4ed8" } : {}) },
              labelBgPadding: [4, 2] as [number, number],
              labelBgBorderRadius: 4,
            }
          : {};
        if (overlay) classes.push(calls > 0 ? "analytics-taken" : "analytics-untaken");
        return {
          ...edge,
          selected: selectedEdges.has(edge.id),
          className: classes.join(" "),
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
          ...weighed,
          reconnectable: !readOnly,
          deletable: !readOnly,
          animated: traversedEdges.has(edge.id),
        };
      }),
    [graph.edges, selectedEdges, traversedEdges, readOnly, overlay, t, lang],
  );

  // The first view: the whole flow when it fits legibly, else its beginning at a readable zoom.
  useEffect(() => {
    if (!nodesInitialized || placedView.current || !wrapper.current) return;
    placedView.current = true;
    const box = wrapper.current.getBoundingClientRect();
    fitReadably(flow, box);
  }, [nodesInitialized, flow]);

  const docIdOf = useCallback(
    (canvasId: string) => {
      const node = graph.nodes.find((n) => n.id === canvasId);
      return node && node.data.kind === "step" ? node.data.node.id : canvasId;
    },
    [graph.nodes],
  );

  const onNodesChange = useCallback(
    (changes: NodeChange<ViewNode>[]) => {
      const positions = new Map<string, Position>();
      let selection: Set<string> | null = null;
      let dimensions: Map<string, { width: number; height: number }> | null = null;
      for (const c of changes) {
        if (c.type === "position" && c.position) {
          if (c.id === FLOW_NODE_ID) setFlowNodePosition(c.position);
          else positions.set(docIdOf(c.id), c.position);
        } else if (c.type === "select") {
          selection ??= new Set(selected);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        } else if (c.type === "dimensions" && c.dimensions) {
          dimensions ??= new Map(measured);
          dimensions.set(c.id, c.dimensions);
          sizes.current.set(docIdOf(c.id), c.dimensions);
        }
      }
      if (positions.size > 0 && !readOnly) {
        // A drag is one undo step however long it lasts; arrow-key nudges in quick succession too.
        const coalesce = dragging.current ? `drag:${dragSeq.current}` : "nudge";
        change((d) => moveNodes(d, positions), { coalesce });
      }
      if (selection) onSelect([...selection]);
      if (dimensions) setMeasured(dimensions);
    },
    [change, docIdOf, measured, onSelect, readOnly, selected, sizes],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let next: Set<string> | null = null;
      for (const c of changes) {
        if (c.type === "select") {
          next ??= new Set(selectedEdges);
          if (c.selected) next.add(c.id);
          else next.delete(c.id);
        }
      }
      if (next) setSelectedEdges(next);
    },
    [selectedEdges],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      if (readOnly || !connection.sourceHandle) return;
      const target = docIdOf(connection.target);
      change((d) => setPort(d, docIdOf(connection.source), connection.sourceHandle!, target));
    },
    [change, docIdOf, readOnly],
  );

  const onReconnect = useCallback(
    (old: Edge, connection: Connection) => {
      reconnected.current = true;
      if (readOnly || !connection.sourceHandle) return;
      change((d) => {
        let next = d;
        if (old.source !== connection.source || old.sourceHandle !== connection.sourceHandle) {
          next = setPort(next, docIdOf(old.source), old.sourceHandle ?? "", null);
        }
        return setPort(next, docIdOf(connection.source), connection.sourceHandle!, docIdOf(connection.target));
      });
    },
    [change, docIdOf, readOnly],
  );

  const onDelete = useCallback(
    ({ nodes: goneNodes, edges: goneEdges }: { nodes: ViewNode[]; edges: Edge[] }) => {
      if (readOnly) return;
      const ids = goneNodes.filter((n) => n.id !== FLOW_NODE_ID).map((n) => docIdOf(n.id));
      change((d) => {
        let next = deleteNodes(d, ids);
        for (const edge of goneEdges) {
          if (ids.includes(docIdOf(edge.source)) || !edge.sourceHandle) continue;
          next = setPort(next, docIdOf(edge.source), edge.sourceHandle, null);
        }
        return next;
      });
      onSelect([]);
      setSelectedEdges(new Set());
    },
    [change, docIdOf, onSelect, readOnly],
  );

  // Dropping a connection on a node's body (not its handle) connects to that node too.
  const onConnectEnd: OnConnectEnd = useCallback(
    (event, state) => {
      if (readOnly || state.isValid || !state.fromHandle || state.fromHandle.type !== "source") return;
      const point = "changedTouches" in event ? event.changedTouches[0] : event;
      const element = document.elementFromPoint(point.clientX, point.clientY)?.closest<HTMLElement>(".react-flow__node");
      const targetId = element?.dataset.id;
      if (!targetId || targetId === FLOW_NODE_ID || !state.fromNode) return;
      const source = state.fromNode.id;
      const handle = state.fromHandle.id;
      if (!handle) return;
      change((d) => setPort(d, docIdOf(source), handle, docIdOf(targetId)));
    },
    [change, docIdOf, readOnly],
  );

  const onDragOver = (event: DragEvent) => {
    if (readOnly || ![...event.dataTransfer.types].includes(PALETTE_MIME)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  };

  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(PALETTE_MIME);
    if (readOnly || !isNodeType(type)) return;
    event.preventDefault();
    const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    const node = newNode(doc, type, { x: position.x - 20, y: position.y - 20 }, newNodeLabel(t, type, doc.nodes));
    change((d) => addNode(d, node));
    onSelect([node.id]);
  };

  return (
    <div ref={wrapper} className="canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas" data-read-only={readOnly || undefined}>
      <ReactFlow<ViewNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onReconnect={onReconnect}
        onReconnectStart={() => {
          reconnected.current = false;
        }}
        onReconnectEnd={(_, edge) => {
          if (!reconnected.current && !readOnly && edge.sourceHandle) {
            change((d) => setPort(d, docIdOf(edge.source), edge.sourceHandle!, null));
          }
          reconnected.current = true;
        }}
        onDelete={onDelete}
        onNodeDragStart={() => {
          dragSeq.current += 1;
          dragging.current = true;
        }}
        onNodeDragStop={() => {
          dragging.current = false;
        }}
        onSelectionDragStart={() => {
          dragSeq.current += 1;
          dragging.current = true;
        }}
        onSelectionDragStop={() => {
          dragging.current = false;
        }}
        isValidConnection={(connection) => connection.target !== FLOW_NODE_ID && connection.targetHandle === "in"}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={!readOnly}
        deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        minZoom={0.1}
        maxZoom={2}
        ariaLabelConfig={{ "node.a11yDescription.default": t("canvas.a11yNodes") }}
      >
        <Background gap={20} size={1} />
      </ReactFlow>
    </div>
  );
}
