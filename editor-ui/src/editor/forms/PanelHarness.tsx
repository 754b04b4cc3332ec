import { useEffect, useState, type ComponentProps } from "react";

import type { FlowDocument } from "../../flow/types";
import { renameNode, updateNode } from "../../graph/ops";
import { I18nProvider, type Lang } from "../../i18n";
import { PropertyPanel } from "../PropertyPanel";

type PanelProps = ComponentProps<typeof PropertyPanel>;

/** For form tests: the property panel on `base` with `selected`, editing its own copy of the
 * document as the editor does and reporting each new version to `onDoc`. Other panel props
 * (queues, knowledge bases, diagnostics, focus) pass through. */
export function PanelHarness({
  base,
  selected,
  onDoc,
  lang = "en",
  ...panel
}: {
  base: FlowDocument;
  selected: string[];
  onDoc: (doc: FlowDocument) => void;
  lang?: Lang;
} & Partial<Omit<PanelProps, "doc" | "selected">>) {
  const [doc, setDoc] = useState(base);
  const [selection, setSelection] = useState(selected);
  useEffect(() => {
    onDoc(doc);
  }, [doc, onDoc]);
  return (
    <I18nProvider initial={lang}>
      <PropertyPanel
        diagnostics={[]}
        readOnly={false}
        flowNames={[]}
        focus={null}
        onNodeChange={(id, patch) => setDoc((d) => updateNode(d, id, patch))}
        onDocChange={(patch) => setDoc(patch)}
        onRename={(from, to) => {
          setDoc((d) => renameNode(d, from, to));
          setSelection([to]);
          return null;
        }}
        onDelete={() => undefined}
        {...panel}
        doc={doc}
        selected={selection}
      />
    </I18nProvider>
  );
}
