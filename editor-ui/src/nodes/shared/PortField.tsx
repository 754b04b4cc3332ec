import { PortSelect } from "../../editor/forms/fields";
import { getAt, removeAt, setAt, type PathKey } from "../../flow/pointer";
import type { NodeFormProps } from "../kind";

interface PortFieldProps<N> extends NodeFormProps<N> {
  label: string;
  path: PathKey[];
  optional?: boolean;
  help?: string;
}

/** A port's select: connects (sets the field) or disconnects (empties it, or removes an optional one). */
export function PortField<N extends { id: string }>({ node, change, label, path, optional = false, help }: PortFieldProps<N>) {
  const value = getAt(node, path);
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
