// A handoff's routing rules as the form edits them: the common conditions (presets) written into
// the same condition syntax a branch uses, and read back from it, so that a rule written by
// hand and one made from a preset are the same thing.

import type { HandoffRoute } from "../../flow/types";

export type RoutePreset = "intent" | "angry" | "vip" | "zh" | "en" | "custom";

export const PRESETS: readonly RoutePreset[] = ["intent", "angry", "vip", "zh", "en", "custom"];

/** Where a caller's VIP level is, once the tenant's customer lookup found them. */
export const VIP_LEVEL = "customer.vip_level";

/** A condition as a preset and its value (the intent's name, the lowest VIP level). */
export interface PresetChoice {
  preset: RoutePreset;
  value: string;
}

/** Whether a preset needs a value. */
export function takesValue(preset: RoutePreset): boolean {
  return preset === "intent" || preset === "vip";
}

/** The condition a preset stands for; `custom` keeps what was written. */
export function conditionOf(choice: PresetChoice, written = ""): string {
  switch (choice.preset) {
    case "intent":
      return `call.intent == ${JSON.stringify(choice.value.trim())}`;
    case "angry":
      return 'call.emotion == "angry"';
    case "vip": {
      const level = Number.parseInt(choice.value, 10);
      return `${VIP_LEVEL} >= ${Number.isFinite(level) && level >= 0 ? level : 1}`;
    }
    case "zh":
      return 'call.language.starts_with("zh")';
    case "en":
      return 'call.language.starts_with("en")';
    case "custom":
      return written;
  }
}

const INTENT = /^\s*call\.intent\s*==\s*"((?:[^"\\]|\\.)*)"\s*$/;
const ANGRY = /^\s*call\.emotion\s*==\s*"angry"\s*$/;
const VIP = new RegExp(`^\\s*${VIP_LEVEL.replace(".", "\\.")}\\s*>=\\s*(\\d+)\\s*$`);
const LANGUAGE = /^\s*call\.language\.starts_with\("(zh|en)"\)\s*$/;

/** The preset a condition was made from, or `custom` for anything else. */
export function presetOf(when: string | null | undefined): PresetChoice {
  const text = when ?? "";
  const intent = INTENT.exec(text);
  if (intent) {
    try {
      return { preset: "intent", value: JSON.parse(`"${intent[1]}"`) as string };
    } catch {
      return { preset: "custom", value: "" };
    }
  }
  if (ANGRY.test(text)) return { preset: "angry", value: "" };
  const vip = VIP.exec(text);
  if (vip) return { preset: "vip", value: vip[1] };
  const language = LANGUAGE.exec(text);
  if (language) return { preset: language[1] as "zh" | "en", value: "" };
  return { preset: "custom", value: "" };
}

/**
 * The rule with its condition made from `choice`. Its label (the reason agents read) follows the
 * preset while it is empty or still the words the previous preset gave it, so that an author's
 * own label is never overwritten.
 */
export function withPreset(route: HandoffRoute, choice: PresetChoice, labelOf: (choice: PresetChoice) => string): HandoffRoute {
  const when = conditionOf(choice, route.when);
  const label = route.label ?? "";
  const previous = presetOf(route.when);
  const followsPreset = label === "" || (previous.preset !== "custom" && label === labelOf(previous));
  const next: HandoffRoute = { ...route, when };
  if (followsPreset) {
    const words = choice.preset === "custom" ? "" : labelOf(choice);
    if (words) next.label = words;
    else delete next.label;
  }
  return next;
}

/** A new rule: callers who sound angry go to `queue`. */
export function newRoute(queue: string, labelOf: (choice: PresetChoice) => string): HandoffRoute {
  return withPreset({ when: "", queue }, { preset: "angry", value: "" }, labelOf);
}
