// The tenant's people, for its owners: who they are, their roles and when they last signed in;
// inviting someone with a one-time link (shown once), changing roles, disabling and enabling,
// password-reset links, signing someone out everywhere, and each person's history in the audit
// log. Anyone else sees only themselves.

import { useState, type FormEvent } from "react";

import { ConfirmDialog, Dialog, FormButtons } from "../components/Dialog";
import { ErrorAlert } from "../components/ErrorAlert";
import { useAction, useLoaded, useSubmission } from "../components/useLoaded";
import { formatTime, useI18n, type MessageKey } from "../i18n";
import { auditHref } from "../router";
import { linkUrl, peopleApi, ROLES, type CreatedLink, type Invite, type Person, type Role } from "./api";
import { OnceSecret } from "./OnceSecret";
import "./style.css";

export function roleKey(role: string): MessageKey {
  return (ROLES as string[]).includes(role) ? (`role.${role}` as MessageKey) : "role.viewer";
}

/** A change waiting for the owner's yes: disabling someone, or changing their own account. */
type Pending =
  | { kind: "disable"; person: Person }
  | { kind: "own-role"; person: Person; role: Role }
  | { kind: "own-disable"; person: Person }
  | { kind: "withdraw"; invite: Invite }
  | { kind: "sign-out-everywhere" };

export function PeoplePage({ isOwner, onSignedOut }: { isOwner: boolean; onSignedOut: () => void }) {
  const { t, lang } = useI18n();
  const { value: team, setValue: setTeam, error, setError } = useLoaded((signal) => peopleApi.list(signal));
  const people = team?.users ?? null;
  const invites = team?.invites ?? [];
  const { busy, run: runAction } = useAction(setError);
  const [notice, setNotice] = useState<string | null>(null);
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<CreatedLink | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);

  const replace = (changed: Person) =>
    setTeam((current) => current && { ...current, users: current.users.map((p) => (p.id === changed.id ? changed : p)) });
  const nameOf = (person: Person) => person.display_name || person.email;

  /** An owner's action: the last one's notice goes, and the confirmation it asked for closes. */
  const run = async (action: () => Promise<void>) => {
    setNotice(null);
    await runAction(action);
    setPending(null);
  };

  const changeRole = (person: Person, role: Role, confirmOwn = false) =>
    run(async () => {
      const changed = await peopleApi.setRole(person.id, role, confirmOwn);
      replace(changed);
      setNotice(t("people.roleChanged", { name: nameOf(changed), role: t(roleKey(changed.role)) }));
    });

  const setDisabled = (person: Person, disabled: boolean, confirmOwn = false) =>
    run(async () => replace(await peopleApi.setDisabled(person.id, disabled, confirmOwn)));

  const confirm = () => {
    if (!pending) return;
    if (pending.kind === "disable") void setDisabled(pending.person, true);
    else if (pending.kind === "own-role") void changeRole(pending.person, pending.role, true);
    else if (pending.kind === "own-disable") void setDisabled(pending.person, true, true);
    else if (pending.kind === "withdraw") {
      const invite = pending.invite;
      void run(async () => {
        await peopleApi.withdraw(invite.id);
        setTeam((current) => current && { ...current, invites: current.invites.filter((i) => i.id !== invite.id) });
      });
    } else {
      void run(async () => {
        await peopleApi.signOutEverywhere();
        onSignedOut();
      });
    }
  };

  const pendingText = (): { title: string; message: string; label: string } | null => {
    if (!pending) return null;
    switch (pending.kind) {
      case "disable":
        return { title: t("people.disable"), message: t("people.disableConfirm", { name: nameOf(pending.person) }), label: t("people.disable") };
      case "own-role":
      case "own-disable":
        return { title: t("people.title"), message: t("people.ownConfirm"), label: t("people.continue") };
      case "withdraw":
        return { title: t("people.withdraw"), message: t("people.withdrawConfirm", { email: pending.invite.email }), label: t("people.withdraw") };
      case "sign-out-everywhere":
        return { title: t("people.signOutEverywhere"), message: t("people.signOutEverywhereConfirm"), label: t("people.signOutEverywhere") };
    }
  };
  const asked = pendingText();

  return (
    <div className="list-page" data-testid="people-page">
      <div className="list-toolbar">
        <h1>{t("people.title")}</h1>
        <div className="header-spacer" />
        <button type="button" onClick={() => setPending({ kind: "sign-out-everywhere" })} data-testid="sign-out-everywhere">
          {t("people.signOutEverywhere")}
        </button>
        {isOwner && (
          <button type="button" className="primary" onClick={() => setInviting(true)} data-testid="people-invite">
            {t("people.invite")}
          </button>
        )}
      </div>
      {isOwner && <p className="drop-hint">{t("people.help")}</p>}
      <ErrorAlert error={error} onDismiss={() => setError(null)} />
      {notice && (
        <div className="alert alert-info" role="status" data-testid="people-notice">
          {notice}
        </div>
      )}
      {people === null && !error ? (
        <p className="muted">{t("common.loading")}</p>
      ) : (
        <table className="flow-table" data-testid="people-table">
          <thead>
            <tr>
              <th>{t("people.name")}</th>
              <th>{t("people.email")}</th>
              <th>{t("people.role")}</th>
              <th>{t("people.status")}</th>
              <th>{t("people.lastSignIn")}</th>
              {isOwner && <th>{t("people.actions")}</th>}
            </tr>
          </thead>
          <tbody>
            {people?.map((person) => (
              <tr key={person.id} className={person.status === "disabled" ? "row-disabled" : undefined} data-testid="person-row" data-email={person.email}>
                <td>
                  {nameOf(person)} {person.is_you && <span className="muted">{t("people.you")}</span>}
                </td>
                <td>{person.email}</td>
                <td>
                  {isOwner ? (
                    <select
                      value={person.role}
                      disabled={busy}
                      aria-label={t("people.role")}
                      onChange={(event) => {
                        const role = event.target.value as Role;
                        if (person.is_you) setPending({ kind: "own-role", person, role });
                        else void changeRole(person, role);
                      }}
                      className="person-role"
                      data-testid="person-role"
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {t(roleKey(role))}
                        </option>
                      ))}
                    </select>
                  ) : (
                    t(roleKey(person.role))
                  )}
                </td>
                <td className="nowrap" data-testid="person-status">{person.status === "disabled" ? t("people.disabled") : t("people.active")}</td>
                <td>{person.last_sign_in_at ? formatTime(lang, person.last_sign_in_at) : t("people.never")}</td>
                {isOwner && (
                  <td>
                    <div className="people-actions">
                      {person.status === "disabled" ? (
                        <button type="button" disabled={busy} onClick={() => void setDisabled(person, false)} data-testid="person-enable">
                          {t("people.enable")}
                        </button>
                      ) : (
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => setPending(person.is_you ? { kind: "own-disable", person } : { kind: "disable", person })}
                          data-testid="person-disable"
                        >
                          {t("people.disable")}
                        </button>
                      )}
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void run(async () => setLink(await peopleApi.resetLink(person.id)))}
                        data-testid="person-reset"
                      >
                        {t("people.resetLink")}
                      </button>
                      {!person.is_you && (
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() =>
                            void run(async () => {
                              const count = await peopleApi.signOutUser(person.id);
                              setNotice(t("people.signedOutUser", { name: nameOf(person), count }));
                            })
                          }
                          data-testid="person-sign-out"
                        >
                          {t("people.signOutUser")}
                        </button>
                      )}
                      <a href={auditHref({ object: person.id })} data-testid="person-history">
                        {t("people.history")}
                      </a>
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {isOwner && invites.length > 0 && (
        <>
          <h2>{t("people.invites")}</h2>
          <table className="flow-table" data-testid="invites-table">
            <tbody>
              {invites.map((invite) => (
                <tr key={invite.id} data-testid="invite-row">
                  <td>{invite.display_name}</td>
                  <td>{invite.email}</td>
                  <td>{t("people.invitedAs", { role: t(roleKey(invite.role)) })}</td>
                  <td className="muted">{t("people.expires", { time: formatTime(lang, invite.expires_at) })}</td>
                  <td>
                    <button type="button" onClick={() => setPending({ kind: "withdraw", invite })} data-testid="invite-withdraw">
                      {t("people.withdraw")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {inviting && (
        <InviteDialog
          onClose={() => setInviting(false)}
          onCreated={(created) => {
            setInviting(false);
            setLink(created);
            setTeam((current) => current && { ...current, invites: [created.invite, ...current.invites] });
          }}
        />
      )}
      {link && (
        <OnceSecret
          title={t("people.linkTitle")}
          warning={t("people.linkOnce")}
          caption={t("people.linkFor", { name: link.invite.display_name, email: link.invite.email })}
          value={linkUrl(link.path)}
          copyLabel={t("people.copy")}
          onClose={() => setLink(null)}
          testId="invite-link-dialog"
        />
      )}
      {asked && (
        <ConfirmDialog
          title={asked.title}
          message={asked.message}
          confirmLabel={asked.label}
          danger
          busy={busy}
          onConfirm={confirm}
          onCancel={() => setPending(null)}
          testId="people-confirm"
        />
      )}
    </div>
  );
}

function InviteDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (created: CreatedLink) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("editor");
  const { busy, error, run } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await run(async () => onCreated(await peopleApi.invite(email.trim(), name.trim(), role)));
  };

  return (
    <Dialog title={t("people.inviteTitle")} onClose={onClose} testId="invite-dialog">
      <form className="people-form" onSubmit={(event) => void submit(event)}>
        <label>
          {t("people.email")}
          <input type="email" required value={email} onChange={(event) => setEmail(event.target.value)} data-testid="invite-email" />
        </label>
        <label>
          {t("people.name")}
          <input required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} data-testid="invite-name" />
        </label>
        <label>
          {t("people.role")}
          <select value={role} onChange={(event) => setRole(event.target.value as Role)} data-testid="invite-role">
            {ROLES.map((choice) => (
              <option key={choice} value={choice}>
                {t(roleKey(choice))}
              </option>
            ))}
          </select>
        </label>
        <ErrorAlert error={error} />
        <FormButtons submitLabel={t("people.inviteSend")} busy={busy} onCancel={onClose} submitTestId="invite-submit" />
      </form>
    </Dialog>
  );
}
