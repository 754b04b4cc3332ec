// The per-node funnel of a flow (`GET /analytics/funnel`): how calls went through its nodes.

import { enc, send, V1 } from "../api";

export interface NodeFunnel {
  node: string;
  /** Calls that reached the node. */
  reached: number;
  /** Times it was entered (a node asked again counts again). */
  entered: number;
  /** Calls that ended there, and of those, how many the caller left (hung up). */
  ended: number;
  abandoned: number;
  no_match: number;
  no_input: number;
}

export interface FunnelStep {
  from: string;
  to: string;
  calls: number;
}

export interface Funnel {
  /** The first and last local day counted (the shop's time zone), as the server chose them. */
  from: string;
  to: string;
  nodes: NodeFunnel[];
  steps: FunnelStep[];
}

export interface FunnelQuery {
  flowId: string;
  version: number;
  /**
   * Local days of the shop's time zone, `YYYY-MM-DD`, both included; without them the server
   * counts its last seven days (today in the shop's time zone, which the browser may not share).
   */
  from?: string;
  to?: string;
}

export const analyticsApi = {
  async funnel(query: FunnelQuery, signal?: AbortSignal): Promise<Funnel> {
    let params = `flow_id=${enc(query.flowId)}&version=${query.version}`;
    if (query.from) params += `&from=${enc(query.from)}`;
    if (query.to) params += `&to=${enc(query.to)}`;
    const { data } = await send<Funnel>("GET", `${V1}/analytics/funnel?${params}`, { signal });
    return {
      from: typeof data?.from === "string" ? data.from : "",
      to: typeof data?.to === "string" ? data.to : "",
      nodes: Array.isArray(data?.nodes) ? data.nodes : [],
      steps: Array.isArray(data?.steps) ? data.steps : [],
    };
  },
};
