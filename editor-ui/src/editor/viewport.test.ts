import { describe, expect, it } from "vitest";

import { FIT_MARGIN, READABLE_ZOOM, readableView } from "./viewport";

describe("readableView", () => {
  const box = { width: 1000, height: 600 };

  it("fits a small flow whole, centred, never above 100%", () => {
    const view = readableView(box, { x: 0, y: 0, width: 300, height: 200 }, { x: 0, y: 0 });
    expect(view.zoom).toBe(1);
    // The flow's centre lands on the canvas's centre.
    expect(view.x + 150 * view.zoom).toBeCloseTo(500);
    expect(view.y + 100 * view.zoom).toBeCloseTo(300);
  });

  it("fits a flow that can be read when fitted, at the zoom that fits it", () => {
    const view = readableView(box, { x: 100, y: 50, width: 1200, height: 600 }, null);
    // The width is what limits it here: 920 px of room for 1,200 of flow.
    expect(view.zoom).toBeCloseTo((1000 - 2 * FIT_MARGIN) / 1200);
    expect(view.zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
  });

  it("shows a flow too big to read whole from its beginning at the readable zoom", () => {
    const bounds = { x: -200, y: 0, width: 8000, height: 3000 };
    const view = readableView(box, bounds, { x: 0, y: 100 });
    expect(view.zoom).toBe(READABLE_ZOOM);
    // The left edge of the flow sits at the margin, and so does its top (the entry is near it).
    expect(view.x + bounds.x * view.zoom).toBeCloseTo(FIT_MARGIN);
    expect(view.y + bounds.y * view.zoom).toBeCloseTo(FIT_MARGIN);
  });

  it("puts an entry that lies far down a third of the way down the screen", () => {
    const bounds = { x: 0, y: 0, width: 8000, height: 9000 };
    const view = readableView(box, bounds, { x: 0, y: 5000 });
    const entryOnScreen = view.y + 5000 * view.zoom;
    expect(entryOnScreen).toBeCloseTo(FIT_MARGIN + (600 - 2 * FIT_MARGIN) / 3);
  });
});
