// Numbers of the overlay in the user's language.

import type { Lang } from "../i18n";

const locale = (lang: Lang) => (lang === "zh-CN" ? "zh-CN" : "en-US");

export function formatCount(lang: Lang, n: number): string {
  return new Intl.NumberFormat(locale(lang)).format(n);
}

export function formatShare(lang: Lang, share: number): string {
  return new Intl.NumberFormat(locale(lang), { style: "percent", maximumFractionDigits: 0 }).format(share);
}
