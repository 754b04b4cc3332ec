// The example flows of the repository (`flows/*.json`), read as the tests' fixtures.

import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

import type { FlowDocument } from "../flow/types";

/** `flows/` beside `editor-ui/`; the tests run in `editor-ui/`. */
export const FLOWS_DIR = resolve(process.cwd(), "../flows") + "/";

export function exampleFlows(): { file: string; doc: FlowDocument }[] {
  return readdirSync(FLOWS_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({ file, doc: JSON.parse(readFileSync(FLOWS_DIR + file, "utf8")) as FlowDocument }));
}
