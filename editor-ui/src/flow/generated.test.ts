import { describe, expect, it } from "vitest";

import { flowTypes } from "../../scripts/flow-types";

describe("the flow types", () => {
  it("are what the flow schema generates (npm run generate rewrites them)", async () => {
    await expect(await flowTypes()).toMatchFileSnapshot("./generated.ts");
  });
});
