// "Try a question": what the knowledge base answers to a caller's question, and how sure it is.

import { useId, useState } from "react";

import { ErrorAlert } from "../components/ErrorAlert";
import { textFor, useI18n } from "../i18n";
import { knowledgeApi, type SearchAnswer } from "./api";

/** A score between 0 and 1 as people read it: 0.873 → "0.87". */
export function scoreText(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : "—";
}

export function TryQuestionPanel({ baseKey }: { baseKey: string }) {
  const { t } = useI18n();
  const id = useId();
  const [question, setQuestion] = useState("");
  const [asking, setAsking] = useState(false);
  // The answer keeps the question it answers: the input may already hold the next one.
  const [answer, setAnswer] = useState<{ asked: string; result: SearchAnswer } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const ask = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!question.trim()) return;
    setAsking(true);
    setError(null);
    try {
      const asked = question.trim();
      setAnswer({ asked, result: await knowledgeApi.search(baseKey, asked, 5) });
    } catch (caught) {
      setError(caught);
      setAnswer(null);
    } finally {
      setAsking(false);
    }
  };

  return (
    <div className="kb-try">
      <p className="field-help">{t("kbtry.help")}</p>
      <form className="kb-try-form" onSubmit={ask}>
        <label htmlFor={`${id}-question`} className="visually-hidden">
          {t("kbtry.question")}
        </label>
        <input
          id={`${id}-question`}
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          placeholder={t("kbtry.placeholder")}
          data-testid="kb-try-input"
        />
        <button type="submit" className="primary" disabled={asking || !question.trim()} data-testid="kb-try-submit">
          {asking ? t("kbtry.asking") : t("kbtry.submit")}
        </button>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {answer && (
        <section className="kb-try-result" data-testid="kb-try-result" data-asked={answer.asked} data-decision={answer.result.decision} aria-live="polite">
          <p className="kb-try-asked">
            <strong>{t("kbtry.asked")}</strong> <span data-testid="kb-try-asked">{answer.asked}</span>
          </p>
          <p>
            <strong>{t("kbtry.decision")}</strong>
            <span className={`badge kb-decision-${answer.result.decision}`} data-testid="kb-try-decision">
              {textFor(t, `kbtry.decision.${answer.result.decision}`) ?? answer.result.decision}
            </span>{" "}
            <span className="muted small">{t("kbtry.atRevision", { n: answer.result.revision })}</span>
          </p>
          {answer.result.hits.length === 0 ? (
            <p className="muted">{t("kbtry.noHits")}</p>
          ) : (
            <>
              <h2>{t("kbtry.matches")}</h2>
              <ol className="kb-hits" data-testid="kb-try-hits">
                {answer.result.hits.map((hit, index) => (
                  <li key={hit.entry.id} className={index === 0 && answer.result.decision === "answered" ? "kb-hit kb-hit-best" : "kb-hit"} data-testid="kb-try-hit" data-question={hit.entry.question}>
                    <div className="kb-hit-head">
                      <span className="kb-hit-question">{hit.entry.question}</span>
                      {hit.entry.category && <span className="badge">{hit.entry.category}</span>}
                      <span className="kb-score" title={t("kbtry.score")}>
                        <span className="kb-score-bar" aria-hidden="true">
                          <span style={{ width: `${Math.round(Math.min(1, Math.max(0, hit.score)) * 100)}%` }} />
                        </span>
                        <span className="mono" data-testid="kb-try-score">
                          {scoreText(hit.score)}
                        </span>
                      </span>
                    </div>
                    <div className="kb-hit-answer">{hit.entry.answer}</div>
                  </li>
                ))}
              </ol>
            </>
          )}
        </section>
      )}
    </div>
  );
}
