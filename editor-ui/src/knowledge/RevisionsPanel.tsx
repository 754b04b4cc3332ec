// A knowledge base's revisions: who changed it, when, and what.

import { useEffect, useState } from "react";

import { ErrorAlert } from "../components/ErrorAlert";
import { formatTime, textFor, useI18n, type Translate } from "../i18n";
import { knowledgeApi, type KnowledgeRevision } from "./api";

/**
 * What a revision changed, in words: the server's sentence, or its structured summary
 * (`{"kind": "import", "created": 3, …}`) with the kind and every count named.
 */
export function summaryText(t: Translate, summary: KnowledgeRevision["summary"]): string {
  if (typeof summary === "string") return summary;
  if (!summary || typeof summary !== "object") return "";
  const parts: string[] = [];
  const kind = typeof summary.kind === "string" ? summary.kind : null;
  if (kind) parts.push(textFor(t, `kbrev.kind.${kind}`) ?? kind);
  for (const [name, value] of Object.entries(summary)) {
    if (typeof value === "number") parts.push(textFor(t, `kbrev.count.${name}`, { n: value }) ?? `${name}: ${value}`);
    else if (name !== "kind" && typeof value === "string" && value) parts.push(value);
  }
  return parts.join(t("kbrev.separator"));
}

/** `revision` is the base's current one: the list loads again when it moves on. */
export function RevisionsPanel({ baseKey, revision }: { baseKey: string; revision: number }) {
  const { t, lang } = useI18n();
  const [items, setItems] = useState<KnowledgeRevision[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let cancelled = false;
    knowledgeApi.revisions(baseKey).then(
      (list) => !cancelled && (setItems(list), setError(null)),
      (caught) => !cancelled && setError(caught),
    );
    return () => {
      cancelled = true;
    };
  }, [baseKey, revision]);

  return (
    <div className="kb-revisions">
      <p className="field-help">{t("kbrev.help")}</p>
      <ErrorAlert error={error} />
      {items === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : items && items.length === 0 ? (
        <p className="empty">{t("kbrev.none")}</p>
      ) : (
        items && (
          <table className="flow-table" data-testid="kb-revisions">
            <thead>
              <tr>
                <th scope="col">{t("kbrev.revision")}</th>
                <th scope="col">{t("kbrev.at")}</th>
                <th scope="col">{t("kbrev.by")}</th>
                <th scope="col">{t("kbrev.summary")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.revision} data-testid="kb-revision-row" data-revision={item.revision}>
                  <td>{t("kb.revisionN", { n: item.revision })}</td>
                  <td className="muted">{formatTime(lang, item.at)}</td>
                  <td data-testid="kb-revision-by">{item.by}</td>
                  <td>{summaryText(t, item.summary)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </div>
  );
}
