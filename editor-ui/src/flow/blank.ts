import type { FlowDocument } from "./types";

/** A new flow with a greeting and an end, so that a first "Try it" already says something.
 * `name` is the flow's generated key, `title` what people call it. */
export function blankFlow(name: string, title: string, language: "zh-CN" | "en-US"): FlowDocument {
  const zh = language === "zh-CN";
  return {
    schema: 1,
    name,
    title,
    language,
    start: "greeting",
    nodes: [
      {
        id: "greeting",
        type: "say",
        label: zh ? "欢迎语" : "Greeting",
        position: { x: 0, y: 0 },
        text: zh ? "您好，欢迎致电{{tenant.name}}。" : "Hello, thank you for calling {{tenant.name}}.",
        next: "end",
      },
      {
        id: "end",
        type: "end",
        label: zh ? "结束" : "End",
        position: { x: 280, y: 0 },
        outcome: "resolved",
      },
    ],
  };
}
