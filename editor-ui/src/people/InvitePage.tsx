// The page a one-time link opens, signed out: it says what the link is for (joining a shop
// with a role, or a new password), takes a password (and a name for an invite), and signs the
// person in.

import { useEffect, useState, type FormEvent } from "react";

import { ErrorAlert } from "../components/ErrorAlert";
import { useSubmission } from "../components/useLoaded";
import { useI18n } from "../i18n";
import { peopleApi, type LinkInfo } from "./api";
import { roleKey } from "./PeoplePage";
import "./style.css";

const MIN_PASSWORD_CHARS = 12;

export function InvitePage({ token, onSignedIn }: { token: string; onSignedIn: () => void }) {
  const { t, lang } = useI18n();
  const [link, setLink] = useState<LinkInfo | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmission();

  useEffect(() => {
    peopleApi
      .lookUp(token)
      .then((found) => {
        setLink(found);
        setName(found.display_name);
      })
      .catch(setLoadError);
  }, [token]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if ([...password].length < MIN_PASSWORD_CHARS) return setProblem(t("invite.tooShort"));
    if (password !== again) return setProblem(t("invite.mismatch"));
    setProblem(null);
    await run(async () => {
      await peopleApi.accept(token, password, link?.kind === "invite" ? name.trim() : undefined);
      window.location.hash = "#/";
      onSignedIn();
    });
  };

  if (loadError) {
    return (
      <div className="login-page invite-page" data-testid="invite-page">
        <div className="login-card">
          <ErrorAlert error={loadError} />
          <a href="#/" onClick={() => (window.location.hash = "#/")} data-testid="invite-to-sign-in">
            {t("invite.toSignIn")}
          </a>
        </div>
      </div>
    );
  }
  if (!link) return <div className="page-center muted">{t("common.loading")}</div>;

  const tenant = link.tenant_names[lang] ?? link.tenant_names["zh-CN"] ?? "";
  const isInvite = link.kind === "invite";
  return (
    <div className="login-page invite-page" data-testid="invite-page">
      <form className="login-card" onSubmit={(event) => void submit(event)}>
        <h1>{isInvite ? t("invite.title", { tenant }) : t("invite.resetTitle")}</h1>
        <p className="muted">
          {isInvite ? t("invite.intro", { tenant, role: t(roleKey(link.role)) }) : t("invite.resetIntro", { email: link.email })}
        </p>
        <div className="field">
          <span>{t("invite.email")}</span>
          <div className="field-readonly" data-testid="invite-email">
            {link.email}
          </div>
        </div>
        {isInvite && (
          <label className="field">
            <span>{t("invite.name")}</span>
            <input required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} data-testid="invite-name" />
          </label>
        )}
        <label className="field">
          <span>{t("invite.password")}</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            data-testid="invite-password"
          />
        </label>
        <label className="field">
          <span>{t("invite.passwordAgain")}</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            value={again}
            onChange={(event) => setAgain(event.target.value)}
            data-testid="invite-password-again"
          />
        </label>
        {problem && (
          <div className="alert alert-error" role="alert" data-testid="invite-problem">
            {problem}
          </div>
        )}
        <ErrorAlert error={error} />
        <button type="submit" className="primary wide" disabled={busy} data-testid="invite-submit">
          {busy ? t("invite.submitting") : t("invite.submit")}
        </button>
      </form>
    </div>
  );
}
