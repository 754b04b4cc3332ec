import { describe, expect, it } from "vitest";

import type { FlowDocument } from "../flow/types";
import { typedVars } from "./TryItPanel";

describe("typedVars", () => {
  const doc: FlowDocument = {
    schema: 1,
    name: "t",
    language: "zh-CN",
    start: "",
    nodes: [],
    variables: { customer_name: "尊敬的会员", coupon_amount: 20, vip: false },
  };

  it("gives typed values the flow's types and leaves empty ones out", () => {
    expect(typedVars({ customer_name: "王女士", coupon_amount: "30", vip: "true", other: "" }, doc)).toEqual({
      customer_name: "王女士",
      coupon_amount: 30,
      vip: true,
    });
  });

  it("keeps text that does not read as the declared type", () => {
    expect(typedVars({ coupon_amount: "thirty" }, doc)).toEqual({ coupon_amount: "thirty" });
  });
});
