import { useCallback, useEffect, useState } from "react";

import { api, ApiError, canWrite, csrfToken, onUnauthorized, type Me } from "./api";
import { Dialog } from "./components/Dialog";
import { ErrorAlert } from "./components/ErrorAlert";
import { LanguageSwitch, useI18n } from "./i18n";
import { EditorPage } from "./pages/EditorPage";
import { FlowListPage } from "./pages/FlowListPage";
import { LoginForm, LoginPage, type LoginNotice } from "./pages/LoginPage";
import { KnowledgeBasePage } from "./knowledge/KnowledgeBasePage";
import { KnowledgeListPage } from "./knowledge/KnowledgeListPage";
import { ApiKeysPage } from "./people/ApiKeysPage";
import { AuditPage } from "./people/AuditPage";
import { InvitePage } from "./people/InvitePage";
import { PeoplePage } from "./people/PeoplePage";
import { PrivacyPage } from "./privacy/PrivacyPage";
import { ContactListPage } from "./contacts/ContactListPage";
import { ContactListsPage } from "./contacts/ContactListsPage";
import { DoNotCallPage } from "./donotcall/DoNotCallPage";
import { CampaignForm } from "./campaigns/CampaignForm";
import { CampaignPage } from "./campaigns/CampaignPage";
import { CampaignsPage } from "./campaigns/CampaignsPage";
import { API_KEYS_HREF, auditHref, CAMPAIGNS_HREF, CONTACTS_HREF, DO_NOT_CALL_HREF, KNOWLEDGE_HREF, navigate, PEOPLE_HREF, PRIVACY_HREF, SETTINGS_HREF, useRoute, WIDGET_HREF } from "./router";
import { SettingsPage } from "./settings/SettingsPage";
import { WidgetChannelsPage } from "./widget/WidgetChannelsPage";
import { SIGNED_IN_AGAIN } from "./session";

/**
 * After signing in for a dashboard page (which sends signed-out visitors here with
 * `?next=/dashboard…`), back to that page; only dashboard paths, never another site.
 */
function dashboardReturn(): string | null {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && /^\/dashboard(?:[/?#]|$)/.test(next) ? next : null;
}

type Auth =
  | { state: "checking" }
  | { state: "signed-out"; notice?: LoginNotice }
  /** `expired`: the login ran out while working; the page stays and a sign-in dialog covers it. */
  | { state: "signed-in"; me: Me; expired?: boolean };

export function App() {
  const { t, lang } = useI18n();
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>({ state: "checking" });
  const [startupError, setStartupError] = useState<unknown>(null);

  const checkLogin = useCallback(async () => {
    setStartupError(null);
    try {
      // `me` hands a cookie login's CSRF token to this tab too, for its writes.
      const me = await api.me();
      const next = dashboardReturn();
      if (!csrfToken()) setAuth({ state: "signed-out", notice: "sign-in-again" });
      else if (next) window.location.replace(next);
      else setAuth({ state: "signed-in", me });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setAuth({ state: "signed-out" });
      else setStartupError(error);
    }
  }, []);

  useEffect(() => {
    void checkLogin();
  }, [checkLogin]);

  useEffect(
    () =>
      onUnauthorized(() => {
        api.forgetLogin();
        setAuth((current) => (current.state === "signed-in" ? { ...current, expired: true } : current));
      }),
    [],
  );

  const signOut = async () => {
    try {
      await api.logout();
    } catch {
      // Signed out locally whatever the server says.
    }
    setAuth({ state: "signed-out" });
  };

  const section =
    route.name === "knowledge" || route.name === "knowledgeBase"
      ? "knowledge"
      : route.name === "contacts" || route.name === "contactList"
        ? "contacts"
        : route.name === "campaigns" || route.name === "campaignNew" || route.name === "campaign" || route.name === "campaignEdit"
          ? "campaigns"
        : route.name === "widget" ||
            route.name === "doNotCall" ||
            route.name === "privacy" ||
            route.name === "settings" ||
            route.name === "people" ||
            route.name === "apiKeys" ||
            route.name === "audit"
          ? route.name
          : "flows";

  // The header shows the shop's name: after the profile changes, ask for it again.
  const refreshMe = useCallback(async () => {
    try {
      const me = await api.me();
      setAuth((current) => (current.state === "signed-in" ? { ...current, me } : current));
    } catch {
      // The old name stays until the next page load.
    }
  }, []);
  const isOwner = auth.state === "signed-in" && auth.me.role === "owner";
  // Agents answer conversations; the shop's customer lists are not theirs to see.
  const seesContacts = auth.state === "signed-in" && auth.me.role !== "agent";
  let main: React.ReactNode;
  if (startupError) {
    main = (
      <div className="page-center">
        <ErrorAlert error={startupError} />
        <button type="button" className="primary" onClick={() => void checkLogin()}>
          {t("common.retry")}
        </button>
      </div>
    );
  } else if (route.name === "invite") {
    // A one-time link works whoever is signed in here: it signs its own person in.
    main = <InvitePage key={route.token} token={route.token} onSignedIn={() => void checkLogin()} />;
  } else if (auth.state === "checking") {
    main = <div className="page-center muted">{t("common.loading")}</div>;
  } else if (auth.state === "signed-out") {
    main = (
      <LoginPage
        notice={auth.notice}
        onSignedIn={async () => {
          const next = dashboardReturn();
          if (next) {
            window.location.replace(next);
            return;
          }
          try {
            setAuth({ state: "signed-in", me: await api.me() });
          } catch (error) {
            setStartupError(error);
          }
        }}
      />
    );
  } else if (route.name === "editor") {
    main = <EditorPage key={route.flowId} flowId={route.flowId} me={auth.me} />;
  } else if (route.name === "knowledge") {
    main = <KnowledgeListPage canEdit={canWrite(auth.me)} />;
  } else if (route.name === "knowledgeBase") {
    main = <KnowledgeBasePage key={route.key} baseKey={route.key} canEdit={canWrite(auth.me)} role={auth.me.role} />;
  } else if (route.name === "widget") {
    main = <WidgetChannelsPage canEdit={canWrite(auth.me)} />;
  } else if (route.name === "contacts") {
    main = <ContactListsPage canEdit={canWrite(auth.me)} />;
  } else if (route.name === "contactList") {
    main = <ContactListPage key={route.listId} listId={route.listId} canEdit={canWrite(auth.me)} />;
  } else if (route.name === "campaigns") {
    main = <CampaignsPage canEdit={canWrite(auth.me)} />;
  } else if (route.name === "campaignNew") {
    main = <CampaignForm key="new" />;
  } else if (route.name === "campaignEdit") {
    main = <CampaignForm key={`edit-${route.campaignId}`} campaignId={route.campaignId} />;
  } else if (route.name === "campaign") {
    main = <CampaignPage key={route.campaignId} campaignId={route.campaignId} canEdit={canWrite(auth.me)} isOwner={auth.me.role === "owner"} />;
  } else if (route.name === "doNotCall") {
    main = <DoNotCallPage canEdit={canWrite(auth.me)} />;
  } else if (route.name === "privacy") {
    main = <PrivacyPage isOwner={auth.me.role === "owner"} />;
  } else if (route.name === "settings") {
    main = <SettingsPage section={route.section} me={auth.me} onProfileSaved={() => void refreshMe()} />;
  } else if (route.name === "people") {
    main = <PeoplePage isOwner={isOwner} onSignedOut={() => setAuth({ state: "signed-out" })} />;
  } else if (route.name === "apiKeys") {
    main = <ApiKeysPage />;
  } else if (route.name === "audit") {
    main = <AuditPage filter={route.filter} />;
  } else {
    main = <FlowListPage />;
  }

  return (
    <div className="app">
      <header className="app-header">
        <a
          className="brand"
          href="#/"
          title={t("app.title")}
          onClick={(event) => {
            event.preventDefault();
            navigate("#/");
          }}
        >
          <span aria-hidden="true">☎️</span> <span className="brand-words">{t("app.title")}</span>
        </a>
        {auth.state === "signed-in" && (
          <nav className="app-nav" aria-label={t("app.title")}>
            <a href="#/" className={section === "flows" ? "active" : undefined} aria-current={section === "flows" ? "page" : undefined} data-testid="nav-flows">
              {t("nav.flows")}
            </a>
            <a href={KNOWLEDGE_HREF} className={section === "knowledge" ? "active" : undefined} aria-current={section === "knowledge" ? "page" : undefined} data-testid="nav-knowledge">
              {t("nav.knowledge")}
            </a>
            <a href={WIDGET_HREF} className={section === "widget" ? "active" : undefined} aria-current={section === "widget" ? "page" : undefined} data-testid="nav-widget">
              {t("nav.widget")}
            </a>
            {seesContacts && (
              <a href={CONTACTS_HREF} className={section === "contacts" ? "active" : undefined} aria-current={section === "contacts" ? "page" : undefined} data-testid="nav-contacts">
                {t("nav.contacts")}
              </a>
            )}
            {seesContacts && (
              <a href={CAMPAIGNS_HREF} className={section === "campaigns" ? "active" : undefined} aria-current={section === "campaigns" ? "page" : undefined} data-testid="nav-campaigns">
                {t("nav.campaigns")}
              </a>
            )}
            {seesContacts && (
              <a href={DO_NOT_CALL_HREF} className={section === "doNotCall" ? "active" : undefined} aria-current={section === "doNotCall" ? "page" : undefined} data-testid="nav-do-not-call">
                {t("nav.doNotCall")}
              </a>
            )}
            {auth.me.role === "owner" && (
              <a href={PRIVACY_HREF} className={section === "privacy" ? "active" : undefined} aria-current={section === "privacy" ? "page" : undefined} data-testid="nav-privacy">
                {t("nav.privacy")}
              </a>
            )}
            <a href={SETTINGS_HREF} className={section === "settings" ? "active" : undefined} aria-current={section === "settings" ? "page" : undefined} data-testid="nav-settings">
              {t("nav.settings")}
            </a>
            <a href={PEOPLE_HREF} className={section === "people" ? "active" : undefined} aria-current={section === "people" ? "page" : undefined} data-testid="nav-people">
              {t("nav.people")}
            </a>
            {isOwner && (
              <a href={API_KEYS_HREF} className={section === "apiKeys" ? "active" : undefined} aria-current={section === "apiKeys" ? "page" : undefined} data-testid="nav-api-keys">
                {t("nav.apiKeys")}
              </a>
            )}
            {isOwner && (
              <a href={auditHref()} className={section === "audit" ? "active" : undefined} aria-current={section === "audit" ? "page" : undefined} data-testid="nav-audit">
                {t("nav.audit")}
              </a>
            )}
            <a href="/dashboard" data-testid="nav-dashboard">
              {t("nav.dashboard")}
            </a>
          </nav>
        )}
        <div className="header-spacer" />
        {auth.state === "signed-in" && <span className="tenant" title={auth.me.actor}>{auth.me.tenant_names?.[lang] ?? auth.me.tenant_name}</span>}
        <a className="header-link" href="/docs" target="_blank" rel="noreferrer">
          {t("app.apiDocs")}
        </a>
        <LanguageSwitch />
        {auth.state === "signed-in" && (
          <button type="button" onClick={() => void signOut()} data-testid="logout">
            {t("app.signOut")}
          </button>
        )}
      </header>
      <main className="app-main">{main}</main>
      {auth.state === "signed-in" && auth.expired && (
        <Dialog title={t("login.expiredTitle")} testId="relogin-dialog">
          <LoginForm
            inDialog
            notice="expired"
            onSignedIn={() => {
              setAuth({ state: "signed-in", me: auth.me });
              window.dispatchEvent(new Event(SIGNED_IN_AGAIN));
            }}
          />
        </Dialog>
      )}
    </div>
  );
}
