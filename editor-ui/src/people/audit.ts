// How the audit page words an entry: an action's name in the user's language, and who did it
// by name.

import { textFor, type Translate } from "../i18n";
import type { AuditEntry } from "./api";

/** The areas the page's "kind" filter offers, as the prefixes of their actions. */
export const AUDIT_AREAS = ["user.", "invite.", "api_key.", "flow.", "knowledge", "tenant.", "telephony.", "widget_channel.", "queue.", "contact", "do_not_call.", "campaign."];

/** The action in words (`user.set_role` → "changed a role"); an action this editor does not
 * know yet is named by its code inside a sentence of the user's language. */
export function actionText(t: Translate, action: string): string {
  return textFor(t, `action.${action}`) ?? t("action.other", { code: action });
}

/** Who did it: their name, the system, or a user or key that is gone. */
export function actorText(t: Translate, entry: Pick<AuditEntry, "actor" | "actor_name">): string {
  if (entry.actor_name) return entry.actor_name;
  return entry.actor === "system" ? t("audit.system") : t("audit.gone");
}

/** The name of an area of [`AUDIT_AREAS`]. */
export function areaText(t: Translate, area: string): string {
  return textFor(t, `audit.area.${area.replace(/\.$/, "")}`) ?? area;
}
