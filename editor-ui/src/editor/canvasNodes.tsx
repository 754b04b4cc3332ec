// How nodes look on the canvas: a header, a one-line summary, and one labelled handle per port.

import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";

import type { FlowEntryGraphNode, StepViewNode } from "./view";
import { formatCount, formatShare } from "../analytics/format";
import type { NodeStats } from "../analytics/funnel";
import { FLOW_NODE_ID, type Port } from "../flow/ports";
import { useI18n } from "../i18n";
import { useSummaryLookup } from "../nodes/lookup";
import { iconOf, portLabel, summaryOf, typeName } from "../nodes/registry";

/** The analytics overlay's numbers on a node: calls reached, and hang-ups, no-match, no-input. */
export function AnalyticsStrip({ nodeId, stats }: { nodeId: string; stats: NodeStats | null }) {
  const { t, lang } = useI18n();
  if (!stats) {
    return (
      <div className="analytics-strip unreached" data-testid={`analytics-${nodeId}`} data-reached="0" title={t("analytics.notReached")}>
        <span className="stat stat-reached">👥 0</span>
      </div>
    );
  }
  const n = (value: number) => formatCount(lang, value);
  const hungUp = t("analytics.hungUp", { n: n(stats.hungUp), share: formatShare(lang, stats.hangupShare) });
  return (
    <div
      className="analytics-strip"
      data-testid={`analytics-${nodeId}`}
      data-reached={stats.reached}
      data-hung-up={stats.hungUp}
      data-no-match={stats.noMatch}
      data-no-input={stats.noInput}
    >
      <span className="stat stat-reached" title={t("analytics.reached", { n: n(stats.reached) })}>
        👥 {n(stats.reached)}
      </span>
      {stats.hungUp > 0 && (
        <span className="stat stat-hungup" title={hungUp}>
          📵 {n(stats.hungUp)} · {formatShare(lang, stats.hangupShare)}
        </span>
      )}
      {stats.noMatch > 0 && (
        <span className="stat stat-nomatch" title={t("analytics.noMatch", { n: n(stats.noMatch) })}>
          ❓ {n(stats.noMatch)}
        </span>
      )}
      {stats.noInput > 0 && (
        <span className="stat stat-noinput" title={t("analytics.noInput", { n: n(stats.noInput) })}>
          🔇 {n(stats.noInput)}
        </span>
      )}
      <span className="visually-hidden">
        {[
          t("analytics.reached", { n: n(stats.reached) }),
          stats.hungUp > 0 ? hungUp : "",
          stats.noMatch > 0 ? t("analytics.noMatch", { n: n(stats.noMatch) }) : "",
          stats.noInput > 0 ? t("analytics.noInput", { n: n(stats.noInput) }) : "",
        ]
          .filter(Boolean)
          .join("; ")}
      </span>
    </div>
  );
}

function PortRow({ nodeId, nodeType, port, readOnly }: { nodeId: string; nodeType: string; port: Port; readOnly: boolean }) {
  const { t } = useI18n();
  const label = portLabel(t, nodeType, port);
  const connected = port.target !== undefined && port.target !== "";
  return (
    <li className={`port port-${port.kind}${connected ? " connected" : ""}${port.optional ? " optional" : ""}`}>
      <span className="port-label" title={label}>
        {label}
        {port.optional && !connected && <span className="muted"> {t("port.optionalMark")}</span>}
      </span>
      <Handle
        type="source"
        position={Position.Right}
        id={port.id}
        className={`handle handle-${port.kind}`}
        data-testid={`handle-${nodeId}-${port.id}`}
        title={label}
        aria-label={label}
        isConnectable={!readOnly}
      />
    </li>
  );
}

export const StepNodeView = memo(function StepNodeView({ data, id, selected }: NodeProps<StepViewNode>) {
  const { t } = useI18n();
  const node = data.node;
  const summary = summaryOf(t, node, useSummaryLookup());
  const classes = ["flow-node", `type-${node.type}`];
  if (selected) classes.push("selected");
  if (data.issues?.errors) classes.push("has-errors");
  else if (data.issues?.warnings) classes.push("has-warnings");
  if (data.trace) classes.push(`trace-${data.trace}`);
  if (data.isStart) classes.push("is-start");
  if (data.analytics === null) classes.push("analytics-unreached");
  if (data.analytics?.mostHangups) classes.push("analytics-top-hangups");
  const domId = node.id || id;
  return (
    <div className={classes.join(" ")} data-testid={`node-${domId}`} data-type={node.type}>
      <Handle
        type="target"
        position={Position.Left}
        id="in"
        className="handle handle-in"
        data-testid={`handle-${domId}-in`}
        aria-label={t("port.in")}
        isConnectable={!data.readOnly}
      />
      <div className="flow-node-header">
        <span className="node-icon" aria-hidden="true">
          {iconOf(node.type)}
        </span>
        <span className="node-title" title={data.name}>
          {data.name}
        </span>
        {data.issues && (data.issues.errors > 0 || data.issues.warnings > 0) && (
          <span
            className={data.issues.errors ? "node-badge badge-error" : "node-badge badge-warning"}
            data-testid={`node-badge-${domId}`}
            title={t("node.issues", { errors: data.issues.errors, warnings: data.issues.warnings })}
          >
            {data.issues.errors > 0 ? `⛔ ${data.issues.errors}` : `⚠️ ${data.issues.warnings}`}
          </span>
        )}
      </div>
      <div className="flow-node-type">
        {typeName(t, node.type)}
      </div>
      {summary && <div className="flow-node-summary">{summary}</div>}
      {data.analytics !== undefined && <AnalyticsStrip nodeId={domId} stats={data.analytics} />}
      {data.ports.length > 0 && (
        <ul className="flow-node-ports">
          {data.ports.map((port) => (
            <PortRow key={port.id} nodeId={domId} nodeType={node.type} port={port} readOnly={data.readOnly} />
          ))}
        </ul>
      )}
    </div>
  );
});

export const FlowEntryView = memo(function FlowEntryView({ data, selected }: NodeProps<FlowEntryGraphNode>) {
  const { t } = useI18n();
  const classes = ["flow-node", "flow-entry"];
  if (selected) classes.push("selected");
  if (data.issues?.errors) classes.push("has-errors");
  else if (data.issues?.warnings) classes.push("has-warnings");
  return (
    <div className={classes.join(" ")} data-testid={`node-${FLOW_NODE_ID}`}>
      <div className="flow-node-header">
        <span className="node-icon" aria-hidden="true">
          📞
        </span>
        <span className="node-title">{t("node.flowEntry")}</span>
        {data.issues && (data.issues.errors > 0 || data.issues.warnings > 0) && (
          <span className={data.issues.errors ? "node-badge badge-error" : "node-badge badge-warning"}>
            {data.issues.errors > 0 ? `⛔ ${data.issues.errors}` : `⚠️ ${data.issues.warnings}`}
          </span>
        )}
      </div>
      <div className="flow-node-type">{t("node.flowEntryHelp")}</div>
      <ul className="flow-node-ports">
        {data.ports.map((port) => (
          <PortRow key={port.id} nodeId={FLOW_NODE_ID} nodeType="$flow" port={port} readOnly={data.readOnly} />
        ))}
      </ul>
    </div>
  );
});

export const nodeTypes = { step: StepNodeView, flow: FlowEntryView };
