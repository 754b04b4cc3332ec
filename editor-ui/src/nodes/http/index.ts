import { portAt } from "../../flow/ports";
import { objectOf, textOf } from "../../flow/read";
import type { HttpNode } from "../../flow/types";
import type { NodeKind } from "../kind";
import { HttpForm } from "./HttpForm";
import "./style.css";

export const http: NodeKind<HttpNode> = {
  type: "http",
  icon: "🌐",
  name: "node.http.name",
  help: "node.http.help",
  create: (common) => ({ ...common, type: "http", method: "GET", url: "", timeout_ms: 3000, next: "", error: "" }),
  ports: (node) => [
    ...Object.keys(objectOf(node.on_status)).map((status) => portAt(node, `status-${status}`, "status", ["on_status", status], { name: status })),
    portAt(node, "next", "next", ["next"]),
    portAt(node, "error", "error", ["error"]),
  ],
  portNames: { next: "port.http.next", error: "port.http.error" },
  summary: (node) => `${textOf(node.method) || "GET"} ${textOf(node.url)}`,
  variables: (node) => Object.keys(objectOf(node.save)),
  Form: HttpForm,
};
