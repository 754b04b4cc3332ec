// The property form of a node: its kind's, or the node as it is for a kind the editor does not know.

import type { FlowNode, KnownNode } from "../../flow/types";
import { useI18n } from "../../i18n";
import { nodeKind } from "../../nodes/registry";

type NodeChange = (patch: (node: FlowNode) => FlowNode, coalesce?: string) => void;

export function NodeForm({ node, onChange }: { node: FlowNode; onChange: NodeChange }) {
  const { t } = useI18n();
  const kind = nodeKind(node.type);
  if (!kind) {
    return (
      <div className="alert alert-info">
        {t("form.unknownType", { type: node.type })}
        <pre className="json-preview">{JSON.stringify(node, null, 2)}</pre>
      </div>
    );
  }
  const change = (patch: (node: KnownNode) => KnownNode, field?: string) =>
    onChange(patch as (node: FlowNode) => FlowNode, field ? `${node.id}:${field}` : undefined);
  return <kind.Form node={node as KnownNode} change={change} />;
}
