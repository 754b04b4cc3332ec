// One knowledge base: its entries, import and export, a "try a question" box and its revisions.

import { useCallback, useEffect, useState } from "react";

import { ErrorAlert } from "../components/ErrorAlert";
import { useI18n, type MessageKey } from "../i18n";
import { KNOWLEDGE_HREF } from "../router";
import { knowledgeApi, type KnowledgeBase } from "./api";
import { EntriesPanel } from "./EntriesPanel";
import { ImportExportPanel } from "./ImportExportPanel";
import { languageName } from "./language";
import { RevisionsPanel } from "./RevisionsPanel";
import { TryQuestionPanel } from "./TryQuestionPanel";
import "./style.css";

const TABS = ["entries", "import", "try", "revisions"] as const;
type Tab = (typeof TABS)[number];

export function KnowledgeBasePage({ baseKey, canEdit, role }: { baseKey: string; canEdit: boolean; role: string }) {
  const { t } = useI18n();
  const [base, setBase] = useState<KnowledgeBase | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tab, setTab] = useState<Tab>("entries");
  /** Bumped after every change, so that panels showing the base's content load it again. */
  const [changes, setChanges] = useState(0);

  const reload = useCallback(async () => {
    try {
      setBase(await knowledgeApi.get(baseKey));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [baseKey]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const changed = useCallback(() => {
    setChanges((n) => n + 1);
    void reload();
  }, [reload]);

  return (
    <div className="list-page kb-page" data-testid="kb-page" data-key={baseKey}>
      <a href={KNOWLEDGE_HREF} className="back-link" data-testid="kb-back">
        ← {t("kb.back")}
      </a>
      <div className="list-toolbar kb-heading">
        <h1 data-testid="kb-name">{base?.name ?? (error ? baseKey : t("common.loading"))}</h1>
        {base && (
          <span className="muted small kb-facts">
            {languageName(t, base.language)} · {t("kb.entryCount", { n: base.entries })} ·{" "}
            <span data-testid="kb-revision">{t("kb.revisionN", { n: base.revision })}</span>
          </span>
        )}
        {base && (
          // The key is what flows refer to the base by: wanted when writing a script, not to read.
          <details className="muted small kb-key" data-testid="kb-key">
            <summary>{t("kb.advanced")}</summary>
            {t("kb.key")}: <span className="mono">{base.key}</span>
          </details>
        )}
      </div>
      <ErrorAlert error={error} />
      {!canEdit && <div className="alert alert-info">{t("kb.viewerOnly", { role })}</div>}

      {base && (
        <>
          <div className="tabs kb-tabs" role="tablist">
            {TABS.map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                id={`kb-tab-${name}`}
                aria-selected={tab === name}
                aria-controls={`kb-tabpanel-${name}`}
                className={tab === name ? "tab active" : "tab"}
                onClick={() => setTab(name)}
                data-testid={`kb-tab-${name}`}
              >
                {t(`kb.tab.${name}` as MessageKey)}
              </button>
            ))}
          </div>
          <div role="tabpanel" id="kb-tabpanel-entries" aria-labelledby="kb-tab-entries" hidden={tab !== "entries"} className="kb-tabpanel">
            <EntriesPanel baseKey={baseKey} canEdit={canEdit} changes={changes} onChanged={changed} />
          </div>
          <div role="tabpanel" id="kb-tabpanel-import" aria-labelledby="kb-tab-import" hidden={tab !== "import"} className="kb-tabpanel">
            <ImportExportPanel base={base} canEdit={canEdit} onChanged={changed} />
          </div>
          <div role="tabpanel" id="kb-tabpanel-try" aria-labelledby="kb-tab-try" hidden={tab !== "try"} className="kb-tabpanel">
            <TryQuestionPanel baseKey={baseKey} />
          </div>
          <div role="tabpanel" id="kb-tabpanel-revisions" aria-labelledby="kb-tab-revisions" hidden={tab !== "revisions"} className="kb-tabpanel">
            {tab === "revisions" && <RevisionsPanel baseKey={baseKey} revision={base.revision} />}
          </div>
        </>
      )}
    </div>
  );
}
