// API problems on a form (the Knowledge, Contacts and Do-not-call pages), shown next to the
// field they concern: the field errors of a problem (`errors[]`), and problem codes that are
// about one field (a taken key). The server words its messages in the editor's language
// (`Accept-Language`), with details such as where a template breaks, so they are shown as they
// are; a message-less error is named by its code.

import { ApiError } from "../api";
import { problemMessage, textFor, useI18n, type Translate } from "../i18n";

/** Problem codes that are about one field of the form that sent the request. */
const CODE_FIELDS: Record<string, string> = {
  key_taken: "key",
};

/** What one field error or import row error says, in the user's language. */
export function codeMessage(t: Translate, error: { code: string; message?: string | null }): string {
  return error.message?.trim() || textFor(t, `kbcode.${error.code}`) || error.code;
}

/** `"/question"`, `"question"`, `"/alternatives/2"` → `"question"`, `"alternatives"`. */
function fieldName(pointer: string): string {
  return pointer.replace(/^\//, "").split(/[/.[]/)[0] ?? "";
}

/** What is wrong with `field`, in the user's language; empty when nothing is. */
export function fieldProblems(t: Translate, error: unknown, field: string): string[] {
  if (!(error instanceof ApiError)) return [];
  // Such a problem's own field error names only the value (the taken key), not what is wrong.
  if (CODE_FIELDS[error.code]) return CODE_FIELDS[error.code] === field ? [problemMessage(t, error)] : [];
  return error.errors.filter((item) => fieldName(item.field ?? "") === field).map((item) => codeMessage(t, item));
}

/** Whether every part of `error` is shown at one of `fields`. */
function placed(error: unknown, fields: readonly string[]): boolean {
  if (!(error instanceof ApiError)) return false;
  if (CODE_FIELDS[error.code]) return fields.includes(CODE_FIELDS[error.code]);
  return error.errors.length > 0 && error.errors.every((item) => fields.includes(fieldName(item.field ?? "")));
}

/** Messages under an input; `id` is what the input's `aria-describedby` names. */
export function FieldProblems({ messages, id }: { messages: string[]; id?: string }) {
  if (messages.length === 0) return null;
  return (
    <ul className="field-issues" id={id} data-testid="field-problem">
      {messages.map((message, index) => (
        <li key={index} className="issue issue-error" role="alert">
          {message}
        </li>
      ))}
    </ul>
  );
}

/**
 * The part of a form's error that belongs to no field: the whole problem when it concerns none
 * of `fields`, a one-line headline when its details are shown at the fields.
 */
export function FormProblem({ error, fields }: { error: unknown; fields: readonly string[] }) {
  const { t } = useI18n();
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  const atFields = placed(error, fields);
  if (atFields && apiError && CODE_FIELDS[apiError.code]) return null;
  const headline = problemMessage(t, error);
  const rest = apiError && !atFields ? apiError.errors : [];
  return (
    <div className="alert alert-error" role="alert" data-testid="error-alert" data-code={apiError?.code}>
      <div className="alert-text">
        <strong>{headline}</strong>
        {apiError && !atFields && apiError.detail && apiError.detail !== headline && <div className="alert-detail">{apiError.detail}</div>}
        {rest.length > 0 && (
          <ul className="alert-list">
            {rest.map((item, index) => (
              <li key={index}>{codeMessage(t, item)}</li>
            ))}
          </ul>
        )}
        {apiError && !atFields && <div className="alert-code">{t("error.code", { code: apiError.code })}</div>}
      </div>
    </div>
  );
}
