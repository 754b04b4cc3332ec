import { useState, type FormEvent } from "react";

import { api } from "../api";
import { ErrorAlert } from "../components/ErrorAlert";
import { useSubmission } from "../components/useLoaded";
import { useI18n } from "../i18n";

export type LoginNotice = "expired" | "sign-in-again";

export function LoginPage(props: { onSignedIn: () => void; notice?: LoginNotice }) {
  return (
    <div className="login-page">
      <LoginForm {...props} />
    </div>
  );
}

/** The sign-in form, on its own page or over the editor when a login expires mid-work. */
export function LoginForm({ onSignedIn, notice, inDialog = false }: { onSignedIn: () => void; notice?: LoginNotice; inDialog?: boolean }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => {
      await api.login(email.trim(), password);
      onSignedIn();
    });
  };

  return (
    <form className={inDialog ? "login-card in-dialog" : "login-card"} onSubmit={submit} aria-labelledby={inDialog ? undefined : "login-title"}>
      {!inDialog && <h1 id="login-title">{t("login.title")}</h1>}
      <p className="muted">{inDialog ? t("login.keepWork") : t("login.subtitle")}</p>
      {notice && !inDialog && (
        <div className="alert alert-info" role="status">
          {notice === "expired" ? t("login.expired") : t("login.signInAgain")}
        </div>
      )}
      <label className="field">
        <span>{t("login.email")}</span>
        <input
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="login-email"
        />
      </label>
      <label className="field">
        <span>{t("login.password")}</span>
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          data-testid="login-password"
        />
      </label>
      <ErrorAlert error={error} />
      <button type="submit" className="primary wide" disabled={busy} data-testid="login-submit">
        {busy ? t("login.signingIn") : t("login.submit")}
      </button>
    </form>
  );
}
