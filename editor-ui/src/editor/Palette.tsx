// The node types to drag onto the canvas (or add with a click or Enter).

import type { NodeType } from "../flow/types";
import { useI18n } from "../i18n";
import { iconOf, NODE_TYPES, typeHelp, typeName } from "../nodes/registry";
import { PALETTE_MIME } from "./Canvas";

export function Palette({ onAdd, disabled }: { onAdd: (type: NodeType) => void; disabled: boolean }) {
  const { t } = useI18n();
  return (
    <nav className="palette" aria-label={t("palette.title")}>
      <h2>{t("palette.title")}</h2>
      <p className="muted small">{t("palette.help")}</p>
      <ul>
        {NODE_TYPES.map((type) => (
          <li key={type}>
            <button
              type="button"
              className={`palette-item type-${type}`}
              draggable={!disabled}
              disabled={disabled}
              data-testid={`palette-${type}`}
              onDragStart={(event) => {
                event.dataTransfer.setData(PALETTE_MIME, type);
                event.dataTransfer.effectAllowed = "copy";
              }}
              onClick={() => onAdd(type)}
              title={typeHelp(t, type)}
            >
              <span className="palette-icon" aria-hidden="true">
                {iconOf(type)}
              </span>
              <span className="palette-text">
                <span className="palette-name">{typeName(t, type)}</span>
                <span className="palette-help">{typeHelp(t, type)}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
