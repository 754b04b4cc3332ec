// The texts of every node kind, which i18n.ts adds to its dictionaries.

import * as answer from "./answer/messages";
import * as ask from "./ask/messages";
import * as branch from "./branch/messages";
import * as end from "./end/messages";
import * as handoff from "./handoff/messages";
import * as http from "./http/messages";
import * as menu from "./menu/messages";
import * as opt_out from "./opt_out/messages";
import * as say from "./say/messages";
import * as script from "./script/messages";
import * as set from "./set/messages";
import * as subflow from "./subflow/messages";

export const zh = { ...say.zh, ...ask.zh, ...menu.zh, ...branch.zh, ...set.zh, ...script.zh, ...http.zh, ...handoff.zh, ...subflow.zh, ...answer.zh, ...opt_out.zh, ...end.zh };

export const en: Record<keyof typeof zh, string> = {
  ...say.en,
  ...ask.en,
  ...menu.en,
  ...branch.en,
  ...set.en,
  ...script.en,
  ...http.en,
  ...handoff.en,
  ...subflow.en,
  ...answer.en,
  ...opt_out.en,
  ...end.en,
};
