import { describe, expect, it } from "vitest";

import { parseRoute } from "../router";
import { originLines } from "./api";

describe("the chat widget page", () => {
  it("has a route of its own", () => {
    expect(parseRoute("#/widget")).toEqual({ name: "widget" });
    expect(parseRoute("#/widget/")).toEqual({ name: "widget" });
  });

  it("reads allowed origins one a line, blank lines left out", () => {
    expect(originLines(" https://shop.example \r\n\nhttp://127.0.0.1:8000\n")).toEqual([
      "https://shop.example",
      "http://127.0.0.1:8000",
    ]);
  });
});
