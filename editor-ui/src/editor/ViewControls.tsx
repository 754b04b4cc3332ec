// The canvas's zoom buttons and its map (fitting is in the editor's toolbar), kept beside the canvas rather than laid over it: over
// it they hid the nodes and ports beneath them (at 1366×768, the very node Try it was on).

import { MiniMap, useReactFlow, useViewport, type Edge, type ReactFlowInstance } from "@xyflow/react";
import { useState } from "react";

import { FLOW_NODE_ID } from "../flow/ports";
import { useI18n } from "../i18n";
import type { ViewNode } from "./view";
import { readableView, type Box } from "./viewport";

const MAP_KEY = "callflow.minimap";

/** The map starts open where the screen has room for it, and then as the user last left it. */
function mapOpenAtFirst(): boolean {
  const stored = localStorage.getItem(MAP_KEY);
  if (stored === "open" || stored === "closed") return stored === "open";
  return window.innerHeight >= 900;
}

function minimapClass(node: ViewNode): string {
  return node.data.kind === "step" ? `minimap-${node.data.node.type}` : "minimap-flow";
}

/** Shows the flow as `readableView` says: whole when it can be read so, else from its start. */
export function fitReadably(flow: ReactFlowInstance<ViewNode, Edge>, box: Box, duration = 0): void {
  const nodes = flow.getNodes();
  if (nodes.length === 0 || box.width <= 0 || box.height <= 0) return;
  const bounds = flow.getNodesBounds(nodes);
  const entry = flow.getNode(FLOW_NODE_ID);
  void flow.setViewport(readableView(box, bounds, entry?.position ?? null), { duration });
}

export function ViewControls() {
  const { t } = useI18n();
  const flow = useReactFlow<ViewNode, Edge>();
  const { zoom } = useViewport();
  const [mapOpen, setMapOpen] = useState(mapOpenAtFirst);

  const toggleMap = () => {
    localStorage.setItem(MAP_KEY, mapOpen ? "closed" : "open");
    setMapOpen(!mapOpen);
  };

  return (
    <section className="view-controls" aria-label={t("canvas.controls")} data-testid="view-controls">
      <div className="view-zoom">
        <button type="button" onClick={() => void flow.zoomOut({ duration: 150 })} title={t("canvas.zoomOut")} aria-label={t("canvas.zoomOut")} data-testid="zoom-out">
          −
        </button>
        <span className="view-zoom-level" data-testid="zoom-level" aria-live="polite">
          {Math.round(zoom * 100)}%
        </span>
        <button type="button" onClick={() => void flow.zoomIn({ duration: 150 })} title={t("canvas.zoomIn")} aria-label={t("canvas.zoomIn")} data-testid="zoom-in">
          +
        </button>
      </div>
      <button type="button" className="view-map-toggle" aria-expanded={mapOpen} onClick={toggleMap} data-testid="minimap-toggle">
        {t("canvas.minimap")} <span aria-hidden="true">{mapOpen ? "▾" : "▸"}</span>
      </button>
      {mapOpen && (
        <MiniMap<ViewNode>
          pannable
          zoomable
          ariaLabel={t("canvas.minimap")}
          nodeClassName={minimapClass}
          style={{ width: 186, height: 120 }}
        />
      )}
    </section>
  );
}
