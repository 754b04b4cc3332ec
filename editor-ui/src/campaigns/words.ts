// The server's codes for a campaign and its contacts, in words: never shown raw.

import { outcomeName, textFor, type Translate } from "../i18n";
import type { ContactResult, Progress } from "./api";

export function statusName(t: Translate, status: string): string {
  return textFor(t, `status.${status}`) ?? t("final.other");
}

export function kindName(t: Translate, kind: string): string {
  return textFor(t, `campaigns.kind.${kind}`) ?? t("final.other");
}

/** How a contact ended (or `queued`/`dialing` while not done). */
export function finalStatusName(t: Translate, status: string): string {
  return textFor(t, `final.${status}`) ?? t("final.other");
}

/** Why a queued contact waits: a closed hour, a limit, a retry, or a dial not made. */
export function noteName(t: Translate, note: string): string {
  return textFor(t, `note.${note}`) ?? t("note.other");
}

/** How one dial went; none while it is on. */
export function attemptResultName(t: Translate, result: string | null): string {
  if (result === null) return t("campaign.attemptOpen");
  return textFor(t, `attempt.${result}`) ?? t("attempt.other");
}

/** The call's outcome (`resolved`, `handoff`, …) in words. */
export function contactOutcomeName(t: Translate, outcome: string | null): string {
  if (!outcome) return "—";
  const named = outcomeName(t, outcome);
  return named === outcome ? t("final.other") : named;
}

/** A contact's status: its final status once done, else waiting (with why) or on a call. */
export function contactStatusName(t: Translate, contact: Pick<ContactResult, "state" | "final_status" | "note">): string {
  if (contact.state === "done") return finalStatusName(t, contact.final_status ?? "other");
  if (contact.state === "dialing") return t("final.dialing");
  return contact.note ? t("campaign.waiting", { why: noteName(t, contact.note) }) : t("final.queued");
}

/** The short line the campaigns table shows. */
export function progressSummary(t: Translate, progress: Progress | null): string {
  if (!progress || progress.contacts === 0) return t("campaigns.noProgress");
  return t("campaigns.progressSummary", progress as unknown as Record<string, number>);
}

/** Promoters (9–10), passives (7–8) and detractors (0–6) of a 0–10 score's distribution. */
export function npsGroups(distribution: { value: string; count: number }[]): { promoters: number; passives: number; detractors: number } {
  const groups = { promoters: 0, passives: 0, detractors: 0 };
  for (const { value, count } of distribution) {
    const score = Number(value);
    if (!Number.isFinite(score) || score < 0 || score > 10) continue;
    if (score >= 9) groups.promoters += count;
    else if (score >= 7) groups.passives += count;
    else groups.detractors += count;
  }
  return groups;
}
