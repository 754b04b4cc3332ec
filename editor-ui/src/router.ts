// A small hash router: `#/` is the flow list, `#/flows/<id>` the editor of one flow. Hash routes
// need nothing from the server that serves the built files.

import { useEffect, useState } from "react";

export type Route = { name: "flows" } | { name: "editor"; flowId: string };

export function parseRoute(hash: string): Route {
  const match = /^#\/flows\/([^/?#]+)/.exec(hash);
  if (match) return { name: "editor", flowId: decodeURIComponent(match[1]) };
  return { name: "flows" };
}

export function flowHref(flowId: string): string {
  return `#/flows/${encodeURIComponent(flowId)}`;
}

export function navigate(href: string): void {
  if (window.location.hash !== href) window.location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
