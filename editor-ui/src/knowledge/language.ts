// The languages a knowledge base can be written in, by name.

import { textFor, type Translate } from "../i18n";

/** What a new knowledge base may be written in; the search analyses text by this language. */
export const LANGUAGES = ["zh-CN", "en-US"] as const;

/** `zh-CN` → "中文 (zh-CN)"; a tag the editor has no name for is shown as it is. */
export function languageName(t: Translate, code: string): string {
  return textFor(t, `language.${code}`) ?? code;
}
