// What the listening kinds (ask, menu) share: escalating reprompts when the answer matches nothing
// (`no_match`) or does not come (`no_input`), each ending at a port.

import { portAt, type Port } from "../../flow/ports";
import type { Retry } from "../../flow/types";

export type RetryField = "no_match" | "no_input";

export const newRetry = (): Retry => ({ prompts: [], max: 2, next: "" });

export function retryPorts(node: unknown): Port[] {
  return [portAt(node, "no_match", "no_match", ["no_match", "next"]), portAt(node, "no_input", "no_input", ["no_input", "next"])];
}
