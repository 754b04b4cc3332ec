// Reading flow files the user drops or picks, knowing a spreadsheet by its type, and saving a
// flow as a file.
import type { Translate } from "./i18n";

import type { FlowDocument } from "./flow/types";

export interface PickedDocument {
  file: string;
  /** Position inside the file when the file holds a list of flows. */
  position: number | null;
  document: unknown;
}

export interface UnreadableFile {
  file: string;
  error: string;
}

/** Each file is one flow document or a JSON list of them. */
export async function readFlowFiles(files: Iterable<File>): Promise<{ documents: PickedDocument[]; unreadable: UnreadableFile[] }> {
  const documents: PickedDocument[] = [];
  const unreadable: UnreadableFile[] = [];
  for (const file of files) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readText(file));
    } catch (error) {
      unreadable.push({ file: file.name, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (Array.isArray(parsed)) {
      parsed.forEach((document, position) => documents.push({ file: file.name, position, document }));
    } else {
      documents.push({ file: file.name, position: null, document: parsed });
    }
  }
  return { documents, unreadable };
}

function readText(file: File): Promise<string> {
  if (typeof file.text === "function") return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

export function downloadJson(document: FlowDocument | unknown, fileName: string): void {
  downloadBlob(new Blob([JSON.stringify(document, null, 2) + "\n"], { type: "application/json" }), fileName);
}

/** Hands a file to the browser's downloads. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = window.document.createElement("a");
  link.href = url;
  link.download = fileName;
  window.document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A name for a copy of `base` that no flow in `taken` has, in the page's language:
 * 订单查询（副本）, then 订单查询（副本 2）… */
export function copyName(base: string, taken: Iterable<string>, t: Translate): string {
  const names = new Set(taken);
  const first = t("list.copyName", { name: base });
  if (!names.has(first)) return first;
  for (let n = 2; ; n += 1) {
    const candidate = t("list.copyNameN", { name: base, n });
    if (!names.has(candidate)) return candidate;
  }
}

export const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** What a file input offers: the spreadsheets imports take. */
export const SPREADSHEET_ACCEPT = `.xlsx,.csv,text/csv,${XLSX_TYPE}`;

/** The content type of a spreadsheet the user picked, from its type or else its name. */
export function spreadsheetType(file: { name: string; type: string }): string | null {
  const name = file.name.toLowerCase();
  if (file.type === XLSX_TYPE || name.endsWith(".xlsx")) return XLSX_TYPE;
  if (file.type === "text/csv" || name.endsWith(".csv")) return "text/csv";
  return null;
}
