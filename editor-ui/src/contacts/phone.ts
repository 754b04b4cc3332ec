// Phone numbers as people read them. The server keeps E.164 (+8613800138000); a page shows the
// digits in the groups people write them in, so that a number is read at a glance.

/** `+8613800138000` → `+86 138 0013 8000`, `+14155550188` → `+1 415 555 0188`; a number of
 * another country keeps its country code apart; anything not E.164 is shown as it is. */
export function formatPhone(e164: string): string {
  const match = /^\+(\d{6,15})$/.exec(e164);
  if (!match) return e164;
  const digits = match[1];
  if (/^861\d{10}$/.test(digits)) return `+86 ${digits.slice(2, 5)} ${digits.slice(5, 9)} ${digits.slice(9)}`;
  if (/^1\d{10}$/.test(digits)) return `+1 ${digits.slice(1, 4)} ${digits.slice(4, 7)} ${digits.slice(7)}`;
  // Other Chinese numbers (landlines) and the rest of the world: the country code, then fours.
  const code = digits.startsWith("86") ? "86" : digits.slice(0, 2);
  const rest = digits.slice(code.length).match(/\d{1,4}/g) ?? [];
  return `+${code} ${rest.join(" ")}`;
}
